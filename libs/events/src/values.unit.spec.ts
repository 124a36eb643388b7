import { desiredVersionAfter, isTornDown, type LoadBalancerEvent } from './load-balancer';
import { LIMITS } from './values';

/** Every [path, limit] of LIMITS, however deep. */
const entries = (o: object, path = 'LIMITS'): [string, Record<string, unknown>][] =>
  Object.entries(o).flatMap(([k, v]) => {
    const here = `${path}.${k}`;
    if (typeof v !== 'object' || v === null) return [];
    return 'min' in v || 'maxLength' in v || 'default' in v ? [[here, v as Record<string, unknown>]] : entries(v, here);
  });

describe('LIMITS', () => {
  it.each(entries(LIMITS).filter(([, l]) => 'min' in l))('%s is an integer range holding its default', (_path, l) => {
    const { min, max } = l as { min: number; max: number };
    expect(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max).toBe(true);
    if (l.default !== undefined) expect(l.default as number >= min && (l.default as number) <= max).toBe(true);
  });
  it.each(entries(LIMITS).filter(([, l]) => 'maxLength' in l))('%s has a positive length holding its default', (_path, l) => {
    expect(Number.isInteger(l.maxLength) && (l.maxLength as number) > 0).toBe(true);
    if (l.default !== undefined) expect((l.default as string).length).toBeLessThanOrEqual(l.maxLength as number);
  });
  it("states a member's weight once: 0..256, default 1 (Octavia)", () =>
    expect(LIMITS.member.weight).toEqual({ min: 0, max: 256, default: 1 }));
});

describe('the version and teardown rules', () => {
  const e = (type: LoadBalancerEvent['type']) => ({ type });
  it('advances the desired version on desired-state events only', () => {
    expect(desiredVersionAfter(0, e('LoadBalancerCreated'))).toBe(1);
    expect(desiredVersionAfter(3, e('LoadBalancerPlaced'))).toBe(4);
    expect(desiredVersionAfter(3, e('DesiredStateApplied'))).toBe(3);
    expect(desiredVersionAfter(3, e('MemberOperatingStatusChanged'))).toBe(3);
  });
  it('calls a deleted load balancer torn down once the teardown is applied, or at once if never placed', () => {
    expect(isTornDown({ deleted: true, placed: true, version: 5, appliedVersion: 4 })).toBe(false);
    expect(isTornDown({ deleted: true, placed: true, version: 5, appliedVersion: 5 })).toBe(true);
    expect(isTornDown({ deleted: true, placed: false, version: 5, appliedVersion: 0 })).toBe(true);
    expect(isTornDown({ deleted: false, placed: false, version: 5, appliedVersion: 5 })).toBe(false);
  });
});
