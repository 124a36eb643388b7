import { randomUUID } from 'node:crypto';

/** Where time and new ids enter the system; deciders get them inside commands. */
export type Clock = { now: () => string };
export const systemClock: Clock = { now: () => new Date().toISOString() };

/** A new UUID (resource ids, command ids). */
export const newId = (): string => randomUUID();

/**
 * Milliseconds on the host's monotonic clock (CLOCK_MONOTONIC: system-wide, the same for every process of the host,
 * never set by NTP or an operator). Durations that fence or fail something over are measured on it, so a jump of
 * the wall clock neither lapses a lease nor silences an agent.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/**
 * A clock whose ISO times advance with the monotonic clock from this process's start: the wall time at start plus
 * the monotonic time since. For workflows that judge silence (the failover-watcher's heartbeats and ticks), where a
 * jump of the host's clock must not look like minutes without a heartbeat. Its times drift from the wall clock by
 * whatever the wall clock was set by since the start.
 */
export function steadyClock(startWallMs = Date.now(), startMono = monotonicMs()): Clock {
  return { now: () => new Date(startWallMs + (monotonicMs() - startMono)).toISOString() };
}
