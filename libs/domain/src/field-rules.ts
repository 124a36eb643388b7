import { LIMITS, type IntLimit } from '@lbaas/events';
import { DomainError } from './domain-error';

/**
 * Field checks shared by the deciders. Messages follow Octavia's wsme style
 * ("Invalid input for field/attribute <field>. Value: '<v>'. <why>") so API users see familiar text.
 */

/** Builds the Invalid error Octavia's type layer gives for one field. */
export const invalidField = (field: string, value: unknown, why: string): DomainError =>
  new DomainError('Invalid', `Invalid input for field/attribute ${field}. Value: '${show(value)}'. ${why}`);

/** Builds Octavia's `ValidationException` ("Validation failure: <detail>"). */
export const validationFailure = (detail: string): DomainError => new DomainError('Invalid', `Validation failure: ${detail}`);

/** A value as an error message shows it: control characters escaped, at most 80 characters. */
export const show = (value: unknown): string => {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const printable = s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f]/;

/** A name, description or tag: at most LIMITS.text.maxLength characters, no control characters. */
export const checkText = (field: string, value: string, max: number = LIMITS.text.maxLength): void => {
  if (typeof value !== 'string') throw invalidField(field, value, 'Value should be a string');
  if (value.length > max) throw invalidField(field, value, `Value should have a maximum character requirement of ${max}`);
  if (CONTROL.test(value)) throw invalidField(field, value, 'Value should not contain control characters');
};

/** Tags: at most LIMITS.tags.maxCount, each a valid text. */
export const checkTags = (tags: readonly string[]): void => {
  const max = LIMITS.tags.maxCount;
  if (!Array.isArray(tags)) throw invalidField('tags', tags, 'Value should be a list of strings');
  if (tags.length > max) throw invalidField('tags', tags.length, `Value should have at most ${max} tags`);
  for (const tag of tags) checkText('tags', tag);
};

/** An integer within [min, max]. */
export const checkInt = (field: string, value: number, min: number, max: number): void => {
  if (!Number.isInteger(value)) throw invalidField(field, value, 'Value should be an integer');
  if (value < min) throw invalidField(field, value, `Value should be greater or equal to ${min}`);
  if (value > max) throw invalidField(field, value, `Value should be lower or equal to ${max}`);
};

/** An integer within a range of LIMITS. */
export const checkRange = (field: string, value: number, limit: IntLimit): void => checkInt(field, value, limit.min, limit.max);

/** A TCP port: an integer 1..65535. */
export const checkPort = (field: string, value: number): void => checkRange(field, value, LIMITS.port);

/** A boolean. */
export const checkBool = (field: string, value: boolean): void => {
  if (typeof value !== 'boolean') throw invalidField(field, value, 'Value should be a boolean');
};

/** One of the given values. */
export const checkOneOf = <T extends string>(field: string, value: T, allowed: readonly T[]): void => {
  if (!allowed.includes(value)) throw invalidField(field, value, `Value should be one of: ${allowed.join(', ')}`);
};

/** An RFC 6265 cookie name (a token): nothing that could break a haproxy `cookie` line. */
export const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,255}$/;

/** A health-check URL path: starts with `/`, URL characters only (no spaces or newlines). */
export const URL_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;

/** True for expected codes like `200`, `200,202` or `200-204` (three-digit codes 100..599, ranges ascending). */
export const isExpectedCodes = (s: string): boolean => {
  if (typeof s !== 'string' || s.length === 0) return false;
  const code = (c: string) => /^[1-5][0-9]{2}$/.test(c);
  const range = /^([0-9]{3})-([0-9]{3})$/.exec(s);
  if (range) return code(range[1]) && code(range[2]) && Number(range[1]) <= Number(range[2]);
  return s.split(',').every(code);
};

/** True for a hostname made of RFC 1123 labels (letters, digits, inner hyphens; ≤63 per label, ≤253 in all). */
export const isHostname = (s: string): boolean => {
  if (typeof s !== 'string' || s.length === 0 || s.length > 253) return false;
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return name.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
};

/** Structural equality for plain data (settings values): primitives, arrays and plain objects. */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
};

/** The part of `changes` that differs from `current` (undefined values are no change); empty when nothing would change. */
export const effectiveChanges = <T extends object>(current: T, changes: Partial<T>): Partial<T> => {
  const out: Partial<T> = {};
  for (const key of Object.keys(changes) as (keyof T)[]) {
    const value = changes[key];
    if (value !== undefined && !sameValue(current[key], value)) out[key] = value;
  }
  return out;
};

/** True if an object has no own keys. */
export const isEmpty = (o: object): boolean => Object.keys(o).length === 0;
