import { randomUUID } from 'node:crypto';

/** Where time and new ids enter the system; deciders get them inside commands. */
export type Clock = { now: () => string };
export const systemClock: Clock = { now: () => new Date().toISOString() };

/** A new UUID (resource ids, command ids). */
export const newId = (): string => randomUUID();
