/**
 * Errors the HTTP edge raises itself (validation, lookups done before a command is built). The global filter
 * renders them; `style` picks Octavia's WSME body (`faultcode`) or the pecan body (`code`/`title`) that a few
 * Octavia paths answer with.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly style: 'wsme' | 'pecan' = 'wsme',
    readonly title?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Python's str() of a JSON value, as WSME prints it in "Value: '...'". */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v.length > 300 ? `${v.slice(0, 300)}...` : v;
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

/** 400 "Invalid input for field/attribute <f>. Value: '<v>'. <reason>" (WSME's InvalidInput). */
export const invalidInput = (field: string, value: unknown, reason: string): ApiError =>
  new ApiError(400, `Invalid input for field/attribute ${field}. Value: '${pyStr(value)}'. ${reason}`);

/** 400 "Unknown attribute for argument <arg>: <names>" (WSME's UnknownAttribute). */
export const unknownAttribute = (arg: string, names: readonly string[]): ApiError =>
  new ApiError(400, `Unknown attribute for argument ${arg}: ${[...names].sort().join(', ')}`);

/** 400 "Validation failure: <detail>" (Octavia's ValidationException). */
export const validationFailure = (detail: string): ApiError => new ApiError(400, `Validation failure: ${detail}`);

/** 404 "<Resource> <id> not found." (Octavia's NotFound). */
export const notFound = (resource: string, id: string): ApiError => new ApiError(404, `${resource} ${id} not found.`);

/** 400 for list query parameters that are not attributes (Octavia's InvalidFilterArgument). */
export const invalidFilter = (): ApiError => new ApiError(400, 'One or more arguments are either duplicate or invalid');
