import { ValidateBy, validateSync } from 'class-validator';
import { ApiError, invalidInput, unknownAttribute } from './errors';
import type { Rule } from './rules';

/** A wire object: attributes in the order they are sent. */
export type Wire = Record<string, unknown>;

/**
 * One attribute of an API resource, stated once: how the wire value is checked (its rule, with the range from LIMITS),
 * whether a create or an update may give it, where it goes in the command (`field`), its default, whether lists
 * filter and sort on it, and how it is shown. The table of a resource lists its attributes in Octavia's wire order;
 * create and update parsing, the command's settings, the filter keys and the rendering are all derived from it.
 *
 * `C` is what an object of the resource is rendered from (e.g. `{ lb, member }`), `X` what a context-dependent
 * default needs (e.g. a monitor's type).
 */
export type Attribute<C, X = void> = Readonly<{
  /** The wire name. */
  name: string;
  /** Checks and converts a given value; every attribute a create or update takes has one. */
  rule?: Rule<unknown>;
  /** A create may give it (`required`: must). */
  create?: boolean | 'required';
  /** An update may give it. */
  update?: boolean;
  /** The attribute of the command and of the view (camelCase); without it a given value is only checked. */
  field?: string;
  /** The value when a create omits it or gives null, and what an update's null resets it to. */
  default?: unknown;
  /** As `default`, for a default that depends on the object (a monitor's type). */
  defaultFor?: (x: X) => unknown;
  /** An update's null leaves the value as it is (instead of resetting it to the default). */
  keepOnNull?: boolean;
  /** Lists may filter and sort on it. */
  filter?: boolean;
  /** The wire value (default: the view's `field`, arrays and maps copied). */
  show?: (x: C) => unknown;
  /** Not sent: an attribute only given, or only filtered on. */
  hidden?: boolean;
}>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- type-level only: any resource's table
type AnyAttribute = Attribute<any, any>;
type RuleValue<A> = A extends { rule: Rule<infer V> } ? V : never;
type DefaultOf<A> = A extends { default: infer D } ? D : A extends { defaultFor: (x: never) => infer D } ? D : undefined;

/** What a create gives, as its rules converted it (null: given as null; absent: not given). */
export type CreateInput<R extends readonly AnyAttribute[]> =
  { [A in R[number] as A extends { create: 'required' } ? A['name'] : never]: RuleValue<A> }
  & { [A in R[number] as A extends { create: true } ? A['name'] : never]?: RuleValue<A> | null };
/** What an update gives. */
export type UpdateInput<R extends readonly AnyAttribute[]> = { [A in R[number] as A extends { update: true } ? A['name'] : never]?: RuleValue<A> | null };
/** The command's attributes of a create: given values, defaults for the rest. */
export type Settings<R extends readonly AnyAttribute[]> = {
  [A in R[number] as A extends { create: true | 'required'; field: infer F extends string } ? F : never]:
    A extends { create: 'required' } ? RuleValue<A> : RuleValue<A> | DefaultOf<A>;
};
/** The command's changes of an update: only what was given. */
export type Changes<R extends readonly AnyAttribute[]> = {
  [A in R[number] as A extends { update: true; field: infer F extends string } ? F : never]?: RuleValue<A> | DefaultOf<A>;
};

/** How one attribute is checked: its rule, whether it must be present, whether null is allowed. */
type Check = { rule: Rule<unknown>; required: boolean };

/** The reason a value breaks its check, or null when it is fine. */
function reasonFor(check: Check, v: unknown): string | null {
  if (v === undefined || (v === null && check.required)) return check.required ? 'Mandatory field missing.' : null;
  if (v === null) return null;
  const r = check.rule(v);
  return r.ok ? null : r.reason;
}

/** A class-validator class for a set of checks: each attribute a property validated by its rule (WSME's messages). */
function validatorClass(checks: ReadonlyMap<string, Check>): new () => object {
  class Body {}
  for (const [name, check] of checks) {
    ValidateBy({
      name: 'octavia',
      validator: {
        validate: (value) => reasonFor(check, value) === null,
        defaultMessage: (args) => invalidInput(name, args?.value ?? null, reasonFor(check, args?.value) ?? '').message,
      },
    })(Body.prototype, name);
  }
  return Body;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Checks an attribute object (class-validator does the checking) and returns it with every value converted by its
 * rule (null kept as null, absent keys absent). Unknown attributes come first, then the first attribute, in table
 * order, that breaks its rule.
 */
function checkAttributes(checks: ReadonlyMap<string, Check>, Body: new () => object, raw: unknown, arg: string, root: string): Record<string, unknown> {
  if (!isPlainObject(raw)) throw invalidInput(root, raw, raw === undefined || raw === null ? 'Mandatory field missing.' : 'Value should be an object');
  const unknown = Object.keys(raw).filter((k) => !checks.has(k));
  if (unknown.length > 0) throw unknownAttribute(`${arg}.${root}`, unknown);
  // Copy only declared attributes onto a fresh instance: nothing from the body can touch the prototype.
  const body = new Body() as Record<string, unknown>;
  for (const k of checks.keys()) if (has(raw, k)) body[k] = raw[k];
  const errors = validateSync(body, { forbidUnknownValues: false, validationError: { target: false } });
  if (errors.length > 0) {
    const first = [...checks.keys()].map((k) => errors.find((e) => e.property === k)).find((e) => e !== undefined) ?? errors[0];
    throw new ApiError(400, Object.values(first.constraints ?? {})[0] ?? `Invalid input for field/attribute ${first.property}.`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, check] of checks) {
    if (!has(raw, k)) continue;
    const v = body[k];
    if (v === null || v === undefined) out[k] = null;
    else {
      const r = check.rule(v);
      out[k] = r.ok ? r.value : v;
    }
  }
  return out;
}

/** Unwraps `{"<root>": {...}}` (nothing else allowed at the top). */
function unwrap(body: unknown, arg: string, root: string): unknown {
  if (!isPlainObject(body)) throw invalidInput(root, body ?? null, 'Mandatory field missing.');
  const extra = Object.keys(body).filter((k) => k !== root);
  if (extra.length > 0) throw unknownAttribute(arg, extra);
  return body[root];
}

/** Arrays and maps of the view are copied into the wire object (the view is updated in place). */
const copy = (v: unknown): unknown => (Array.isArray(v) ? [...v] : isPlainObject(v) ? { ...v } : v);

/** One resource's attribute table and everything derived from it. */
export class Fields<C, X, R extends readonly Attribute<C, X>[]> {
  private readonly byName: ReadonlyMap<string, Attribute<C, X>>;
  private readonly validators = new Map<string, { checks: ReadonlyMap<string, Check>; Body: new () => object }>();
  /** Attributes a list filters and sorts on. */
  readonly filterKeys: readonly string[];

  constructor(
    /** The body's root key (`member`) and WSME's argument name in messages (`member_`). */
    readonly root: string, readonly arg: string,
    /** What `field` is read from when rendering (the view object). */
    private readonly of: (x: C) => object,
    readonly rows: R,
  ) {
    this.byName = new Map(rows.map((a) => [a.name, a]));
    this.filterKeys = rows.filter((a) => a.filter).map((a) => a.name);
  }

  private validator(mode: 'create' | 'update', except: readonly string[]) {
    const key = `${mode}:${except.join(',')}`;
    let v = this.validators.get(key);
    if (!v) {
      const checks = new Map<string, Check>();
      for (const a of this.rows) {
        if (!a.rule || except.includes(a.name) || !(mode === 'create' ? a.create : a.update)) continue;
        checks.set(a.name, { rule: a.rule, required: mode === 'create' && a.create === 'required' });
      }
      this.validators.set(key, (v = { checks, Body: validatorClass(checks) }));
    }
    return v;
  }

  /** The body of a create, `{"<root>": {...}}`, checked and converted. */
  parseCreate(body: unknown): CreateInput<R> {
    return this.parseCreateAttributes(unwrap(body, this.arg, this.root));
  }

  /**
   * The attributes of one object of a create without the root (a batch or graph entry). `except`: attributes the
   * nesting supplies (a nested pool's load balancer): a given value is ignored, and none is required.
   */
  parseCreateAttributes(raw: unknown, except: readonly string[] = []): CreateInput<R> {
    const rest = except.length > 0 && isPlainObject(raw) ? Object.fromEntries(Object.entries(raw).filter(([k]) => !except.includes(k))) : raw;
    const { checks, Body } = this.validator('create', except);
    return checkAttributes(checks, Body, rest, this.arg, this.root) as CreateInput<R>;
  }

  /** The body of an update, checked and converted. */
  parseUpdate(body: unknown): UpdateInput<R> {
    const { checks, Body } = this.validator('update', []);
    return checkAttributes(checks, Body, unwrap(body, this.arg, this.root), this.arg, this.root) as UpdateInput<R>;
  }

  /** A fresh copy each time: a command never shares a default list or map with another. */
  private defaultOf(a: Attribute<C, X>, x: X): unknown {
    return copy(a.defaultFor ? a.defaultFor(x) : a.default);
  }

  /** The command's attributes of a create: what `given` names, defaults for the rest. */
  settings(given: CreateInput<R>, x: X): Settings<R> {
    const out: Record<string, unknown> = {};
    for (const a of this.rows) {
      if (!a.field || !a.create) continue;
      const v = (given as Record<string, unknown>)[a.name];
      out[a.field] = v === undefined || v === null ? this.defaultOf(a, x) : v;
    }
    return out as Settings<R>;
  }

  /**
   * The command's changes: only the attributes `given` names (an update, or a batch entry); a null resets to the
   * default (Octavia's _set_default_on_none), or keeps the value where the attribute has none.
   */
  changes(given: UpdateInput<R> | CreateInput<R>, x: X): Changes<R> {
    const out: Record<string, unknown> = {};
    for (const a of this.rows) {
      if (!a.field || !a.update || !has(given, a.name)) continue;
      const v = (given as Record<string, unknown>)[a.name];
      if (v !== null && v !== undefined) out[a.field] = v;
      else if (!a.keepOnNull && ('default' in a || a.defaultFor)) out[a.field] = this.defaultOf(a, x);
    }
    return out as Changes<R>;
  }

  /** One attribute's wire value (lists filter and sort on it without rendering the whole object). */
  value(x: C, name: string): unknown {
    const a = this.byName.get(name);
    if (!a) return undefined;
    if (a.show) return a.show(x);
    const v = a.field ? (this.of(x) as Record<string, unknown>)[a.field] : undefined;
    return v === undefined ? a.default ?? null : v;
  }

  /** The object as the API sends it. */
  render(x: C): Wire {
    const out: Wire = {};
    for (const a of this.rows) if (!a.hidden) out[a.name] = a.show ? a.show(x) : copy(this.value(x, a.name));
    return out;
  }
}

/**
 * Declares a resource's attribute table: `attributes<C, X>()('member', 'member_', (x) => x.member, [ ... ])`. The
 * rows keep their literal types, so parsed bodies and settings are typed by the table.
 */
export const attributes = <C, X = void>() =>
  <const R extends readonly Attribute<C, X>[]>(root: string, arg: string, of: (x: C) => object, rows: R): Fields<C, X, R> =>
    new Fields<C, X, R>(root, arg, of, rows);

/** Octavia prints timestamps naive, without fractions: "2026-11-25T21:28:15". */
export const naive = (iso: string | null | undefined): string | null =>
  iso ? iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '') : null;

/** Neutron prints UTC timestamps with a "Z": "2026-11-25T21:28:15Z". */
export const zulu = (iso: string | null | undefined): string | null => (naive(iso) ? `${naive(iso)}Z` : null);

/** References to other objects are lists of {"id": ...}. */
export const refs = (ids: Iterable<string>): { id: string }[] => [...ids].map((id) => ({ id }));

/** Keeps only the attributes named by `fields` (Octavia's field selection), in the object's order. */
export const selectFields = (obj: Wire, fields: readonly string[] | null): Wire =>
  fields === null ? obj : Object.fromEntries(Object.entries(obj).filter(([k]) => fields.includes(k)));
