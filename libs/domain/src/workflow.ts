/**
 * Workflows (scheduler placement, failover watcher) have the decider's shape: `evolve` folds every input into
 * state and `decide` turns an input into commands. They never read a clock: time and randomness come in as `Tick`.
 */
export type Workflow<S, I, C> = Readonly<{
  initialState: () => S;
  evolve: (state: S, input: I) => S;
  /** Called with the state that already includes `input` (see `step`). */
  decide: (input: I, state: S) => readonly C[];
}>;

/** A clock tick from the shell: the time, and a random number in [0, 1) for choices such as picking an agent. */
export type Tick = Readonly<{ type: 'Tick'; now: string; random: number }>;

/** The shell sent `command` at `now`: it is in flight until its effect is seen or `retryAfterMs` passes. */
export type Issued<C> = Readonly<{ type: 'Issued'; command: C; now: string }>;

/**
 * One step of a workflow shell: fold the input, then decide on the folded state. The shell sends each command
 * and feeds `{ type: 'Issued', command, now }` back through `evolve`, so a command is not issued twice while in flight.
 */
export const step = <S, I, C>(w: Workflow<S, I, C>, state: S, input: I): { state: S; commands: readonly C[] } => {
  const next = w.evolve(state, input);
  return { state: next, commands: w.decide(input, next) };
};

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
};

/**
 * Milliseconds since the epoch of an ISO-8601 UTC or offset time (`2026-01-01T00:00:00.000Z`), computed without
 * `Date` so the domain stays free of ambient calls. NaN for anything else (every comparison with it is false).
 */
export const toMs = (iso: string): number => {
  const m = ISO.exec(iso);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Number((frac ?? '0').padEnd(3, '0').slice(0, 3));
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const days = daysFromCivil(Number(y), Number(mo), Number(d));
  return ((days * 24 + Number(h)) * 60 + Number(mi) - offset) * 60000 + Number(s) * 1000 + ms;
};

/** Inverse of days_from_civil: the proleptic Gregorian date of a day count since 1970-01-01. */
const civilFromDays = (z0: number): [number, number, number] => {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
};

/** Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toISOString` gives), without `Date`. */
export const toIso = (ms: number): string => {
  const days = Math.floor(ms / 86400000);
  const rest = ms - days * 86400000;
  const [y, m, d] = civilFromDays(days);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(y, 4)}-${p(m)}-${p(d)}T${p(Math.floor(rest / 3600000))}:${p(Math.floor(rest / 60000) % 60)}:${p(Math.floor(rest / 1000) % 60)}.${p(rest % 1000, 3)}Z`;
};

/** True unless a command with this key was issued less than `retryAfterMs` ago and its effect was not seen yet. */
export const mayIssue = (inFlight: ReadonlyMap<string, number>, key: string, nowMs: number, retryAfterMs: number): boolean => {
  const issuedAt = inFlight.get(key);
  return issuedAt === undefined || nowMs - issuedAt >= retryAfterMs;
};
