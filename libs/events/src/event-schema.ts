import { EVENT_DATA_SCHEMAS } from './event-schemas.generated';
import { LATEST_EVENT_VERSIONS } from './upcasters';

/** A JSON Schema of the subset the event catalogue generates (const, enum, type, anyOf, items, properties). */
export type JsonSchema = { [k: string]: unknown };

/**
 * The problems of `value` against `schema` (empty = valid), at most `limit` of them. `extra: 'ignore'` lets objects
 * carry properties the schema does not name (readers ignore fields a newer writer added, DESIGN.md §3); `'refuse'`
 * is the catalogue's strict check of its own samples.
 */
export function schemaProblems(schema: JsonSchema, value: unknown, opts: { extra: 'ignore' | 'refuse' } = { extra: 'refuse' }, at = '$'): string[] {
  const s = schema as { const?: unknown; enum?: unknown[]; type?: string | string[]; anyOf?: JsonSchema[]; items?: JsonSchema;
    properties?: Record<string, JsonSchema>; required?: string[]; additionalProperties?: boolean | JsonSchema };
  if ('const' in s && value !== s.const) return [`${at}: must be ${JSON.stringify(s.const)}`];
  if (s.enum && !s.enum.includes(value)) return [`${at}: must be one of ${s.enum.join(', ')}`];
  if (s.anyOf) return s.anyOf.some((sub) => schemaProblems(sub, value, opts, at).length === 0) ? [] : [`${at}: matches no alternative`];
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (s.type && !(Array.isArray(s.type) ? s.type : [s.type]).includes(kind)) return [`${at}: is ${kind}, must be ${String(s.type)}`];
  if (kind === 'array' && s.items) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const p = schemaProblems(s.items, items[i], opts, `${at}[${i}]`);
      if (p.length) return p; // the first bad item says enough; a huge array is not walked twice
    }
    return [];
  }
  if (kind === 'object') {
    const o = value as Record<string, unknown>;
    const problems = (s.required ?? []).filter((k) => !Object.prototype.hasOwnProperty.call(o, k)).map((k) => `${at}.${k}: is required`);
    for (const [k, x] of Object.entries(o)) {
      const sub = s.properties && Object.prototype.hasOwnProperty.call(s.properties, k) ? s.properties[k] : undefined;
      if (sub) problems.push(...schemaProblems(sub, x, opts, `${at}.${k}`));
      else if (typeof s.additionalProperties === 'object') problems.push(...schemaProblems(s.additionalProperties, x, opts, `${at}.${k}`));
      else if (s.additionalProperties === false && opts.extra === 'refuse') problems.push(`${at}.${k}: is not in the schema`);
    }
    return problems;
  }
  return [];
}

const isKnownType = (type: string): type is keyof typeof LATEST_EVENT_VERSIONS =>
  Object.prototype.hasOwnProperty.call(LATEST_EVENT_VERSIONS, type);

/**
 * Why a stored event cannot be read (null = it can): not `{ type, v, data }`, a version this code has no schema for
 * (newer than it, or never written), a payload of the wrong shape for its version, or an id (`…Id`) that is not a
 * subject token. Events of a type this code does not know pass (a newer writer's: every reader ignores them). Extra
 * fields pass too. Pure.
 */
export function storedEventProblem(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'an event is not an object';
  const e = event as { type?: unknown; v?: unknown; data?: unknown };
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 100) return 'an event has no type';
  if (!Number.isSafeInteger(e.v) || (e.v as number) < 1) return `${e.type.slice(0, 100)}: v ${JSON.stringify(e.v)} is not a version`;
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) return `${e.type}: data is not an object`;
  if (!isKnownType(e.type)) return null;
  const schema = EVENT_DATA_SCHEMAS[`${e.type}.v${e.v as number}`];
  if (!schema) return `unknown event version: ${e.type} v${e.v as number} (this code reads up to v${LATEST_EVENT_VERSIONS[e.type]})`;
  const problems = schemaProblems(schema, e.data, { extra: 'ignore' }, `${e.type}.v${e.v as number}.data`);
  if (problems.length) return problems.slice(0, 3).join('; ');
  // Every id an event names is a subject token (DESIGN.md §4): it ends up in subjects, file names and configs.
  for (const [k, x] of Object.entries(e.data as Record<string, unknown>)) {
    if (k.endsWith('Id') && typeof x === 'string' && !ID.test(x)) return `${e.type}.v${e.v as number}.data.${k}: ${JSON.stringify(x.slice(0, 80))} is not an id (1..64 of A-Z a-z 0-9 _ -)`;
  }
  return null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
