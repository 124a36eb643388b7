import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, EVENT_STORE, LOGGER, PROJECTION, newId, type Clock } from '@lbaas/app-shell';
import { DomainError, loadBalancer } from '@lbaas/domain';
import { handle, StateCache, stateKey, type EventStore, type StreamRef } from '@lbaas/event-store';
import { foldEvents, type CommandMetadata, type Decider, type LoadBalancerCommand } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from './errors';
import type { ReadModel } from './lookup';
import { actorOf, noteLb } from './request-context';

/**
 * How long a write waits for its own commit to reach this replica's view. The reply is rendered from the view, so a
 * write that is not visible in time is answered 503 (with Retry-After): the commit is stored, but the client is told
 * to look before it retries. After a stream leader is killed the view's consumer is recreated within a few seconds.
 */
const READ_YOUR_WRITES_MS = 10_000;

type Command = { type: string; metadata: CommandMetadata };
/** A command as a controller states it: the metadata (command id, time) is added here. */
export type Unsent<C> = C extends Command ? Omit<C, 'metadata'> : never;
/** What a write answers: the events decided and the commit's stream sequence. */
export type Written = { events: readonly unknown[]; seq: number };
export type WriteOptions = Readonly<{
  /** The project the command acts on, for the actor when the caller names none. */
  projectId?: string;
  /** false: a saga step whose reply is not rendered from the view (the VIP allocation) does not wait for it. */
  wait?: boolean;
  /** The aggregate's id was just generated (handle() then skips the read). */
  isNew?: boolean;
}>;

/** A command waiting for its batch's commit (sendBatched). */
type Pending = { command: Command; resolve: (w: Written) => void; reject: (err: unknown) => void };
/** The commands one caller sent to one aggregate while an earlier write of it was in flight: one commit for all. */
type Batch = { type: 'Batch'; metadata: CommandMetadata; items: Pending[]; outcomes: ({ events: readonly unknown[] } | { refused: unknown })[] };

const batchDeciders = new WeakMap<object, Decider<unknown, Batch, unknown>>();
/**
 * `base` lifted to a batch: its commands are decided one after another, each on the state the previous ones' events
 * produced, and their events make one commit. A command the decider refuses (a DomainError) is refused alone: its
 * outcome says so and the others go on. The outcomes are kept on the batch (decide runs again, with the same commands,
 * when the append is refused for a stale sequence; a refusal is only answered once the commit that carries the rest
 * was stored on that state, or decided again on a fresh read). One decider per base (the StateCache keys states by it).
 */
function batchDecider<S, C, E>(base: Decider<S, C, E>): Decider<S, Batch, E> {
  const held = batchDeciders.get(base);
  if (held) return held as unknown as Decider<S, Batch, E>;
  const lifted: Decider<S, Batch, E> = {
    initialState: base.initialState, evolve: base.evolve, ...(base.evolveAll ? { evolveAll: base.evolveAll } : {}),
    decide: (batch, state) => {
      let s = state;
      const all: E[] = [];
      batch.outcomes = batch.items.map((item) => {
        try {
          const events = base.decide(item.command as unknown as C, s);
          s = foldEvents(base, s, events);
          all.push(...events);
          return { events };
        } catch (refused) {
          if (refused instanceof DomainError) return { refused };
          throw refused;
        }
      });
      return all;
    },
  };
  batchDeciders.set(base, lifted as unknown as Decider<unknown, Batch, unknown>);
  return lifted;
}

/**
 * The api's one write path, an adapter: a command → `handle()` (libs/event-store; with this process's StateCache, so
 * commands on one aggregate queue up and decide on the state the last append produced) → wait until the view has
 * applied the commit, so the reply (rendered from the view) shows the write (read-your-writes).
 */
@Injectable()
export class Writes {
  private readonly cache = new StateCache();
  /** Per aggregate and caller, the batch still open (sendBatched): it closes when its turn on the aggregate comes. */
  private readonly open = new Map<string, Batch>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Commits of other processes (placements, relayed agent reports) fold into the states held here.
    this.view.onApplied?.((c) => this.cache.observe(c.subject, c.events, c.seq));
  }

  /** Runs `command` on aggregate `stream` with `decider`, on behalf of the caller of `req`. */
  async send<S, C extends Command, E>(
    req: FastifyRequest, stream: StreamRef, decider: Decider<S, C, E>, command: Unsent<C>, opts: WriteOptions = {},
  ): Promise<Written> {
    // A fresh command id (the commit id, so a retried append is deduplicated) and the time of the decision.
    const full = { ...command, metadata: { commandId: newId(), now: this.clock.now() } } as unknown as C;
    const result = await handle(this.store, stream, decider, full, actorOf(req, opts.projectId), { cache: this.cache, isNew: opts.isNew });
    if (opts.wait === false) return result;
    await this.seen(result.seq, command.type);
    return result;
  }

  /**
   * As send(), for an aggregate many requests write at once (a subnet's VIP allocations in a burst of creates): the
   * commands one caller sends to one aggregate while an earlier write of it is in flight are decided together and
   * stored as one commit (batchDecider), instead of one append round trip each, one after another. Each caller gets
   * its own events (or its own refusal) and the commit's sequence. Issue 11: 16 clients creating LBs on one subnet
   * waited ~130 ms of their ~200 ms in that subnet's queue.
   */
  async sendBatched<S, C extends Command, E>(
    req: FastifyRequest, stream: StreamRef, decider: Decider<S, C, E>, command: Unsent<C>, opts: WriteOptions = {},
  ): Promise<Written> {
    const full = { ...command, metadata: { commandId: newId(), now: this.clock.now() } } as unknown as C;
    // One caller (identity, token, client, operation): its requests share commits. The commit names no one request (each
    // request's id is on the commit it makes of its own, e.g. the LB that holds the address).
    const { requestId: _one, ...actor } = actorOf(req, opts.projectId);
    const subject = stateKey(stream);
    const key = `${subject} ${JSON.stringify(actor)}`;
    const result = await new Promise<Written>((resolve, reject) => {
      const joined = this.open.get(key);
      if (joined) {
        joined.items.push({ command: full, resolve, reject });
        return;
      }
      const batch: Batch = { type: 'Batch', metadata: { commandId: newId(), now: this.clock.now() }, items: [{ command: full, resolve, reject }], outcomes: [] };
      this.open.set(key, batch);
      // Queued on the aggregate right before the batch's own turn: from then on, newcomers open the next batch.
      void this.cache.serialize(subject, async () => { if (this.open.get(key) === batch) this.open.delete(key); });
      handle(this.store, stream, batchDecider(decider), batch, actor, { cache: this.cache }).then(
        ({ seq }) => batch.items.forEach((item, i) => {
          const o = batch.outcomes[i];
          if (!o || 'refused' in o) item.reject(o ? o.refused : new Error('batch outcome missing'));
          else item.resolve({ events: o.events, seq });
        }),
        (err: unknown) => { for (const item of batch.items) item.reject(err); },
      );
    });
    if (opts.wait === false) return result;
    await this.seen(result.seq, command.type);
    return result;
  }

  /** Waits until the view applied commit `seq` (read-your-writes); a 503 with Retry-After when it does not in time. */
  private async seen(seq: number, commandType: string): Promise<void> {
    try {
      await this.view.waitFor(seq, READ_YOUR_WRITES_MS);
    } catch (err) {
      this.logger.warn({ op: 'read-your-writes', seq, command: commandType, err }, 'view did not catch up in time');
      throw Object.assign(new ApiError(503, `The change was stored (commit ${seq}) but this API server's view has not caught up with it yet; `
        + 'look at the resource before you retry.'), { retryAfter: true });
    }
  }

  /** Runs `command` on load balancer `lb` (the load-balancer decider; the tree's project for the actor). */
  lb(req: FastifyRequest, lb: { lbId: string; projectId: string }, command: Unsent<LoadBalancerCommand>, opts: WriteOptions = {}): Promise<Written> {
    noteLb(req, lb.lbId);
    return this.send(req, { aggregate: 'lb', id: lb.lbId }, loadBalancer, command, { projectId: lb.projectId, ...opts });
  }
}
