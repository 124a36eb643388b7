import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, EVENT_STORE, LOGGER, PROJECTION, newId, type Clock } from '@lbaas/app-shell';
import { loadBalancer } from '@lbaas/domain';
import { handle, StateCache, type EventStore, type StreamRef } from '@lbaas/event-store';
import type { CommandMetadata, Decider, LoadBalancerCommand } from '@lbaas/events';
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

/**
 * The api's one write path, an adapter: a command → `handle()` (libs/event-store; with this process's StateCache, so
 * commands on one aggregate queue up and decide on the state the last append produced) → wait until the view has
 * applied the commit, so the reply (rendered from the view) shows the write (read-your-writes).
 */
@Injectable()
export class Writes {
  private readonly cache = new StateCache();

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
    try {
      await this.view.waitFor(result.seq, READ_YOUR_WRITES_MS);
    } catch (err) {
      this.logger.warn({ op: 'read-your-writes', seq: result.seq, command: command.type, err }, 'view did not catch up in time');
      throw Object.assign(new ApiError(503, `The change was stored (commit ${result.seq}) but this API server's view has not caught up with it yet; `
        + 'look at the resource before you retry.'), { retryAfter: true });
    }
    return result;
  }

  /** Runs `command` on load balancer `lb` (the load-balancer decider; the tree's project for the actor). */
  lb(req: FastifyRequest, lb: { lbId: string; projectId: string }, command: Unsent<LoadBalancerCommand>, opts: WriteOptions = {}): Promise<Written> {
    noteLb(req, lb.lbId);
    return this.send(req, { aggregate: 'lb', id: lb.lbId }, loadBalancer, command, { projectId: lb.projectId, ...opts });
  }
}
