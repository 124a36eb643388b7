import { ValidateBy, validateSync } from 'class-validator';
import { ApiError, invalidInput, unknownAttribute } from './errors';
import type { Rule } from './rules';

/** How one body attribute is checked: its rule, whether it must be present, whether null is allowed. */
type FieldSpec = { rule: Rule<unknown>; required: boolean; nullable: boolean };

const SPECS = new Map<Function, Map<string, FieldSpec>>();
const specsOf = (cls: Function): Map<string, FieldSpec> => {
  let m = SPECS.get(cls);
  if (!m) SPECS.set(cls, (m = new Map()));
  return m;
};

/** The reason a value breaks its spec, or null when it is fine. */
function reasonFor(spec: FieldSpec, v: unknown): string | null {
  if (v === undefined) return spec.required ? 'Mandatory field missing.' : null;
  if (v === null) return spec.required || !spec.nullable ? (spec.required ? 'Mandatory field missing.' : 'Value should not be null') : null;
  const r = spec.rule(v);
  return r.ok ? null : r.reason;
}

/**
 * Declares one attribute of a request DTO (class-validator under the hood): the rule that checks and converts it,
 * whether it is mandatory, and whether an explicit null is accepted (it means "default" on create and "reset" on PUT).
 */
export function Attr(rule: Rule<unknown>, opts: { required?: boolean; nullable?: boolean } = {}): PropertyDecorator {
  return (target, key) => {
    const name = String(key);
    const spec: FieldSpec = { rule, required: opts.required ?? false, nullable: opts.nullable ?? true };
    specsOf(target.constructor).set(name, spec);
    ValidateBy({
      name: 'octavia',
      validator: {
        validate: (value) => reasonFor(spec, value) === null,
        defaultMessage: (args) => invalidInput(name, args?.value ?? null, reasonFor(spec, args?.value) ?? '').message,
      },
    })(target, key);
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks an attribute object against a DTO class and returns it with every value converted by its rule (null kept
 * as null, absent keys absent). Unknown attributes come first, then the first attribute that breaks its rule.
 */
export function parseAttributes<T extends object>(Dto: new () => T, raw: unknown, arg: string, root: string): T {
  if (!isPlainObject(raw)) throw invalidInput(root, raw, raw === undefined || raw === null ? 'Mandatory field missing.' : 'Value should be an object');
  const specs = specsOf(Dto);
  const unknown = Object.keys(raw).filter((k) => !specs.has(k));
  if (unknown.length > 0) throw unknownAttribute(`${arg}.${root}`, unknown);
  // Copy only declared attributes onto a fresh instance: nothing from the body can touch the prototype.
  const dto = new Dto() as Record<string, unknown>;
  for (const k of specs.keys()) if (Object.prototype.hasOwnProperty.call(raw, k)) dto[k] = raw[k];
  const errors = validateSync(dto, { forbidUnknownValues: false, validationError: { target: false } });
  if (errors.length > 0) {
    const first = [...specs.keys()].map((k) => errors.find((e) => e.property === k)).find((e) => e !== undefined) ?? errors[0];
    throw new ApiError(400, Object.values(first.constraints ?? {})[0] ?? `Invalid input for field/attribute ${first.property}.`);
  }
  const out = {} as Record<string, unknown>;
  for (const [k, spec] of specs) {
    // Presence is judged on the body: the DTO instance may define every declared field (class fields semantics).
    if (!Object.prototype.hasOwnProperty.call(raw, k)) continue;
    const v = dto[k];
    if (v === null || v === undefined) out[k] = null;
    else {
      const r = spec.rule(v);
      out[k] = r.ok ? r.value : v;
    }
  }
  return out as T;
}

/** Unwraps `{"<root>": {...}}` (nothing else allowed at the top) and checks the inner object against the DTO. */
export function parseBody<T extends object>(Dto: new () => T, body: unknown, arg: string, root: string): T {
  if (!isPlainObject(body)) throw invalidInput(root, body ?? null, 'Mandatory field missing.');
  const extra = Object.keys(body).filter((k) => k !== root);
  if (extra.length > 0) throw unknownAttribute(arg, extra);
  return parseAttributes(Dto, body[root], arg, root);
}

/** The declared attribute names of a DTO (for tests and docs). */
export const attributesOf = (Dto: Function): string[] => [...specsOf(Dto).keys()];
