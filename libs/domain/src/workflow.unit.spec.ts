import { mayIssue, toIso, toMs } from './workflow';

describe('workflow helpers', () => {
  it.each(['2026-03-01T12:34:56.789Z', '1999-12-31T23:59:59+02:00', '2024-02-29T00:00:00Z', '1970-01-01T00:00:00.000Z', '2100-03-01T00:00:00.5-05:30'])(
    'reads %s as Date.parse would', (iso) => expect(toMs(iso)).toBe(Date.parse(iso)));
  it.each([0, 951782400000, 1709164800500, 4102444799999, 1772368496789])('formats %p as toISOString would', (ms) =>
    expect(toIso(ms)).toBe(new Date(ms).toISOString()));
  it('reads anything else as NaN', () => expect(toMs('yesterday')).toBeNaN());
  it('lets a command be issued when not in flight or after the retry delay', () => {
    const inFlight = new Map([['k', 1000]]);
    expect(mayIssue(inFlight, 'other', 1000, 500)).toBe(true);
    expect(mayIssue(inFlight, 'k', 1499, 500)).toBe(false);
    expect(mayIssue(inFlight, 'k', 1500, 500)).toBe(true);
  });
});
