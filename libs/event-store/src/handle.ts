import type { Actor, EventEnvelope } from '@lbaas/contracts';
import type { Decider } from '@lbaas/events';
import { WrongExpectedSequence } from './errors';
import type { EventStore, StreamRef } from './event-store';

/** How many times handle() re-reads and decides again after a WrongExpectedSequence (so at most 6 attempts). */
export const HANDLE_RETRIES = 5;

/**
 * read → fold → decide → append, retried on WrongExpectedSequence (bounded). Returns the events and the commit's seq
 * (or the aggregate's current seq when the decider returned [] = already so). A DomainError from decide propagates
 * untouched and nothing is appended. The commit's id is `command.metadata.commandId` (so a retried command is
 * deduplicated by the store) and its time `command.metadata.now`.
 */
export async function handle<S, C extends { metadata: { commandId: string; now: string } }, E>(
  store: EventStore, stream: StreamRef, decider: Decider<S, C, E>, command: C, actor: Actor,
): Promise<{ events: readonly E[]; seq: number }> {
  for (let attempt = 0; ; attempt++) {
    // 1. Load the aggregate and rebuild its state.
    const { commits, seq } = await store.read<E>(stream);
    let state = decider.initialState();
    for (const commit of commits) for (const event of commit.events) state = decider.evolve(state, event);
    // 2. Decide; [] means it is already so.
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, seq };
    // 3. Append if nobody else appended since we read; otherwise start over.
    const commit = {
      commitId: command.metadata.commandId,
      at: command.metadata.now,
      actor,
      events: events as readonly unknown[] as readonly EventEnvelope[],
    };
    try {
      return { events, seq: await store.append(stream, commit, seq) };
    } catch (err) {
      if (!(err instanceof WrongExpectedSequence) || attempt >= HANDLE_RETRIES) throw err;
    }
  }
}
