import type { Actor, EventEnvelope } from '@lbaas/contracts';
import { foldEvents, type Decider } from '@lbaas/events';
import { WrongExpectedSequence } from './errors';
import { streamLocation, type EventStore, type StreamRef } from './event-store';

/** How many times handle() re-reads and decides again after a WrongExpectedSequence (so at most 6 attempts). */
export const HANDLE_RETRIES = 5;

/** `followable`: no commit after `seq` had been observed when it was stored, so observe() may fold what comes next. */
type Entry = { decider: unknown; state: unknown; seq: number; followable?: boolean };

/**
 * The aggregate states one process last wrote, with their stream sequences, and a queue per aggregate. Given to
 * handle(), it lets the next command on an aggregate decide without reading the store: commands on one aggregate run
 * one after another in this process (they never race each other), each on the state the previous append produced.
 * Another process appending meanwhile only makes the append fail (WrongExpectedSequence): handle() then reads afresh.
 * At most `maxEntries` states are kept (the oldest dropped first; a dropped one is simply read again).
 *
 * A cache that never drops (`maxEntries` Infinity) may also follow a projection that replays from sequence 1
 * (`follow`): every commit it sees is folded in, so every aggregate's state is in memory and no command reads the store.
 */
export class StateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** The last stream sequence observe() saw (0: this cache observes nothing). */
  private observed = 0;

  constructor(readonly maxEntries = 50_000) {}

  /** How many aggregate states are held. */
  get size(): number {
    return this.entries.size;
  }

  /** The state `decider` last produced on `key`, if held. */
  get<S>(key: string, decider: unknown): { state: S; seq: number } | undefined {
    const e = this.entries.get(key);
    return e && e.decider === decider ? { state: e.state as S, seq: e.seq } : undefined;
  }

  /** Keeps `state` at `seq` for `key`, unless a later state of it is held already (a projection may be ahead). */
  remember(key: string, decider: unknown, state: unknown, seq: number): void {
    const held = this.entries.get(key);
    if (held && held.decider === decider && held.seq > seq) return;
    this.entries.delete(key);
    this.entries.set(key, { decider, state, seq, followable: this.observed <= seq });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  /**
   * Folds a commit that a projection from sequence 1 delivered (`events` at stream sequence `seq` on `key`'s subject):
   * a commit this process appended itself (or one already folded) is skipped by its sequence. Only for a cache that
   * never drops an entry, so that every state it holds was folded from the aggregate's first commit.
   */
  follow<S, E>(key: string, decider: Pick<Decider<S, never, E>, 'evolve' | 'evolveAll' | 'initialState'>, events: readonly E[], seq: number): void {
    if (this.maxEntries !== Infinity) throw new Error('StateCache.follow needs a cache that never drops entries (maxEntries: Infinity)');
    const held = this.entries.get(key);
    if (held && held.decider !== decider) return;
    if (held && held.seq >= seq) return;
    this.entries.set(key, { decider, state: foldEvents(decider, held ? (held.state as S) : decider.initialState(), events), seq });
  }

  /**
   * A commit the process's projection delivered (every commit of the stream, in order, whatever the aggregate): a held
   * state it follows is folded forward, so a commit another process appended (an agent's report relayed, a
   * placement) does not cost the next command a refused append and a read of the whole history. Only states stored
   * before the projection passed their sequence are followed (no commit of theirs can have gone by unseen); the
   * append's expected sequence still guards every decision.
   */
  observe(key: string, events: readonly unknown[], seq: number): void {
    if (seq > this.observed) this.observed = seq;
    const held = this.entries.get(key);
    if (!held || !held.followable || held.seq >= seq) return;
    held.state = foldEvents(held.decider as Decider<unknown, never, unknown>, held.state, events);
    held.seq = seq;
  }

  /** Drops what is held for `key` (it proved stale). A cache that follows a projection keeps it: the projection updates it. */
  forget(key: string): void {
    if (this.maxEntries === Infinity) return;
    this.entries.delete(key);
  }

  /** Runs `work` after every earlier work on `key` settled (whatever its outcome). */
  async serialize<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.queues.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.queues.get(key) === mine) this.queues.delete(key);
    }
  }
}

/** What handle() may use besides the store. */
export type HandleOptions = Readonly<{
  /** Decide on the state this process last wrote (and queue commands per aggregate); see StateCache. */
  cache?: StateCache;
  /**
   * The aggregate's id was just generated: its state is the initial one at sequence 0, so the store is not read (a
   * wrong guess only costs a refused append and a read).
   */
  isNew?: boolean;
}>;

/** A cache key: the aggregate's subject. */
export const stateKey = (stream: StreamRef): string => streamLocation(stream).subject;
const keyOf = stateKey;

/**
 * read → fold → decide → append, retried on WrongExpectedSequence (bounded). Returns the events and the commit's seq
 * (or the aggregate's current seq when the decider returned [] = already so). A DomainError from decide propagates
 * untouched and nothing is appended. The commit's id is `command.metadata.commandId` (so a retried command is
 * deduplicated by the store) and its time `command.metadata.now`.
 *
 * With a cache (or `isNew`) the first attempt decides on a state that was not read just now; a refusal or an
 * "already so" decided on such a state is only trusted after a fresh read, so a stale state can never answer.
 */
export async function handle<S, C extends { metadata: { commandId: string; now: string } }, E>(
  store: EventStore, stream: StreamRef, decider: Decider<S, C, E>, command: C, actor: Actor, opts: HandleOptions = {},
): Promise<{ events: readonly E[]; seq: number }> {
  const { cache } = opts;
  const key = keyOf(stream);
  const run = async (): Promise<{ events: readonly E[]; seq: number }> => {
    let known = cache?.get<S>(key, decider) ?? (opts.isNew ? { state: decider.initialState(), seq: 0 } : undefined);
    for (let attempt = 0; ; attempt++) {
      // 1. The aggregate's state: the one known without asking, or a fresh read.
      const fresh = known === undefined;
      const { state, seq } = known ?? (await load(store, stream, decider));
      known = undefined;
      // 2. Decide; [] means it is already so. Either answer from a state not read just now is checked again.
      let events: readonly E[];
      try {
        events = decider.decide(command, state);
      } catch (err) {
        if (fresh) throw err;
        continue;
      }
      if (events.length === 0) {
        if (fresh) return { events, seq };
        continue;
      }
      // 3. Append if nobody appended since that state; otherwise read again and decide again.
      const commit = {
        commitId: command.metadata.commandId,
        at: command.metadata.now,
        actor,
        events: events as readonly unknown[] as readonly EventEnvelope[],
      };
      try {
        const newSeq = await store.append(stream, commit, seq);
        cache?.remember(key, decider, foldEvents(decider, state, events), newSeq);
        return { events, seq: newSeq };
      } catch (err) {
        cache?.forget(key);
        if (!(err instanceof WrongExpectedSequence) || attempt >= HANDLE_RETRIES) throw err;
      }
    }
  };
  return cache ? cache.serialize(key, run) : run();
}

async function load<S, C, E>(store: EventStore, stream: StreamRef, decider: Decider<S, C, E>): Promise<{ state: S; seq: number }> {
  const { commits, seq } = await store.read<E>(stream);
  const events: E[] = [];
  for (const commit of commits) for (const event of commit.events) events.push(event);
  return { state: foldEvents(decider, decider.initialState(), events), seq };
}
