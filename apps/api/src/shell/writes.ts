import { Inject, Injectable } from '@nestjs/common';
import type { Actor, EventEnvelope } from '@lbaas/contracts';
import type { CommandMetadata, Decider } from '@lbaas/events';
import { HANDLE_RETRIES, WrongExpectedSequence, type EventStore, type StreamRef } from '@lbaas/event-store';
import { CLOCK, EVENT_STORE, LOGGER, PROJECTION, newId, type Clock } from '@lbaas/app-shell';
import type { Logger } from 'pino';
import type { ReadModel } from './read-model';

/** How long a write waits for its own commit to reach the view before answering anyway. */
const READ_YOUR_WRITES_MS = 5_000;
/** Aggregate states kept in memory (oldest dropped first); a dropped one is simply read again. */
const MAX_CACHED = 50_000;

type Cached = { state: unknown; seq: number };

/**
 * An adapter, not a service: runs one command on its aggregate (handle()'s read → decide → append) and waits until the
 * api's view has applied the resulting commit, so the reply (rendered from the view) shows the write.
 *
 * The hot path does not read the aggregate from the store on every command: commands on one aggregate are queued in
 * this process (so they never race each other), and the state each append produced is kept with its sequence. The
 * next command decides on that state and appends with that expected sequence; if another process appended meanwhile
 * (scheduler, agent), JetStream refuses the append and the command falls back to a fresh read. A decision that does not
 * append (a refusal or "already so") is only trusted after a fresh read, so a stale cache can never answer.
 */
@Injectable()
export class Writes {
  private readonly cache = new Map<string, Cached>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A fresh command id (the commit id, so a retried append is deduplicated) and the time of the decision. */
  metadata(): CommandMetadata {
    return { commandId: newId(), now: this.clock.now() };
  }

  async run<S, C extends { type: string; metadata: CommandMetadata }, E>(
    stream: StreamRef, decider: Decider<S, C, E>, command: C, actor: Actor,
    /**
     * wait: false for a saga step whose reply is not rendered from the view (the VIP allocation); isNew: the aggregate's
     * id was just generated, so its state is the initial one at sequence 0 without asking the store (a wrong guess only
     * costs a refused append and a read).
     */
    opts: { wait?: boolean; isNew?: boolean } = {},
  ): Promise<{ events: readonly E[]; seq: number }> {
    const key = `${stream.aggregate}.${stream.id}`;
    const before = this.queues.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.decideAndAppend(key, stream, decider, command, actor, opts.isNew === true));
    this.queues.set(key, mine);
    let result: { events: readonly E[]; seq: number };
    try {
      result = await mine;
    } finally {
      if (this.queues.get(key) === mine) this.queues.delete(key);
    }
    if (opts.wait === false) return result;
    try {
      await this.view.waitFor(result.seq, READ_YOUR_WRITES_MS);
    } catch (err) {
      this.logger.warn({ op: 'read-your-writes', seq: result.seq, command: command.type, err }, 'view did not catch up in time');
    }
    return result;
  }

  private async decideAndAppend<S, C extends { type: string; metadata: CommandMetadata }, E>(
    key: string, stream: StreamRef, decider: Decider<S, C, E>, command: C, actor: Actor, isNew: boolean,
  ): Promise<{ events: readonly E[]; seq: number }> {
    let cached = (this.cache.get(key) as { state: S; seq: number } | undefined) ?? (isNew ? { state: decider.initialState(), seq: 0 } : undefined);
    for (let attempt = 0; ; attempt++) {
      const fresh = cached === undefined;
      // 1. The aggregate's state: the one this process last wrote, or a fresh read.
      const { state, seq } = cached ?? (await this.load(stream, decider));
      cached = undefined;
      // 2. Decide. A refusal or a no-op from a cached state is checked again on a fresh read.
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
      const commit = { commitId: command.metadata.commandId, at: command.metadata.now, actor, events: events as readonly unknown[] as readonly EventEnvelope[] };
      try {
        const newSeq = await this.store.append(stream, commit, seq);
        this.remember(key, { state: events.reduce(decider.evolve, state), seq: newSeq });
        return { events, seq: newSeq };
      } catch (err) {
        this.cache.delete(key);
        if (!(err instanceof WrongExpectedSequence) || attempt >= HANDLE_RETRIES) throw err;
      }
    }
  }

  private async load<S, C, E>(stream: StreamRef, decider: Decider<S, C, E>): Promise<{ state: S; seq: number }> {
    const { commits, seq } = await this.store.read<E>(stream);
    let state = decider.initialState();
    for (const commit of commits) for (const event of commit.events) state = decider.evolve(state, event);
    return { state, seq };
  }

  private remember(key: string, entry: Cached): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
  }
}
