import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { FairQueue } from '@lbaas/app-shell';
import { parseEventSubject, type Actor, type Aggregate } from '@lbaas/contracts';
import { DomainError, step, type Workflow } from '@lbaas/domain';
import type { Decider } from '@lbaas/events';
import type { EventStore, StoredCommit, StreamRef } from './event-store';
import { handle, StateCache, stateKey } from './handle';
import { runProjection, type Projection } from './projection';

/** Which aggregate decides a workflow's command. */
export type CommandRoute = Readonly<{ stream: StreamRef; decider: Decider<unknown, unknown, unknown> }>;

type AnyCommand = { type: string; data: object; metadata: { commandId: string; now: string } };

/** A running workflow: replayed from the stream, fed live events, ticks and outside inputs (heartbeats). */
export interface WorkflowHost<I> {
  /** Folds an input and sends the commands the workflow decides. */
  feed(input: I): void;
  readonly projection: Projection;
  /** The states of the aggregates named in `follow`, kept up to date by the projection (no command reads the store). */
  readonly states: StateCache;
  stop(): Promise<void>;
}

/**
 * The outer layer of a pure workflow (STYLE.md §2): replay the history into its state, then on every live
 * commit, tick or fed input run one `step`, send each command through `handle()` on the aggregate that decides
 * it, and feed `Issued` back so nothing is sent twice while in flight. Commands are sent one at a time, in order.
 * A command whose id is queued or in flight already is not queued again: a workflow that retries a command it has not
 * seen decided (the scheduler, `retryAfterMs`) while it still waits here behind a burst's backlog would otherwise queue
 * it again and again (a 60 s storm of 3,600 creates sent 33,500 placements, each LB's up to 17 times).
 * With `flowOf`, commands are queued per flow (the scheduler: the LB's project) and the flows take turns, one command
 * each (FairQueue): a tenant's new LB is placed after at most one command of every other busy tenant, not behind a
 * storm's thousands (B's new LB waited 27 s for its placement behind A's in the tenants bench). Within a flow, and
 * without `flowOf`, commands go in the order they were issued.
 */
export async function startWorkflowHost<S, I, C extends AnyCommand>(opts: {
  name: string;
  nc: NatsConnection;
  store: EventStore;
  workflow: Workflow<S, I, C>;
  route: (command: C) => CommandRoute;
  /** The workflow inputs a stored commit carries (usually its events). */
  inputsOf: (commit: StoredCommit) => readonly I[];
  tick: () => I;
  tickMs: number;
  issued: (command: C) => I;
  actor: Actor;
  logger: Logger;
  /**
   * The deciders of the aggregates this host sends commands to: their states are folded from the same replay (a
   * StateCache that follows the projection), so a command decides without reading the aggregate's history.
   */
  follow?: Partial<Record<Aggregate, Decider<unknown, unknown, unknown>>>;
  /** The flow a command belongs to, for turns between flows (default: one flow, in order). */
  flowOf?: (command: C) => string;
}): Promise<WorkflowHost<I>> {
  const { workflow, logger } = opts;
  const states = new StateCache(Infinity);
  let state = workflow.initialState();
  let live = false;
  /** The commands waiting, by id, their ids in turns between flows. */
  const waiting = new Map<string, C>();
  const queue = new FairQueue<string>();
  /** Ids of the commands queued or in flight. */
  const pending = new Set<string>();
  let sending = false;

  const send = async () => {
    if (sending) return;
    sending = true;
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const command = waiting.get(next) as C;
        waiting.delete(next);
        const route = opts.route(command);
        const id = command.metadata.commandId;
        const ids = { op: command.type, ...command.data, commandId: command.metadata.commandId };
        try {
          const followed = 'aggregate' in route.stream && opts.follow?.[route.stream.aggregate] === route.decider;
          const { events, seq } = await handle(opts.store, route.stream, route.decider, command, opts.actor, followed ? { cache: states } : {});
          logger.info({ ...ids, seq, events: events.length }, `${command.type} decided`);
        } catch (err) {
          // A refusal is an answer (someone decided first, the LB is gone): the workflow sees the truth in the stream.
          if (err instanceof DomainError) logger.info({ ...ids, kind: err.kind, reason: err.message }, `${command.type} refused`);
          else logger.warn({ ...ids, err }, `${command.type} failed; it will be retried`);
        } finally {
          pending.delete(id);
        }
      }
    } finally {
      sending = false;
    }
  };

  const feed = (input: I) => {
    if (!live) {
      state = workflow.evolve(state, input);
      return;
    }
    const r = step(workflow, state, input);
    state = r.state;
    for (const c of r.commands) {
      state = workflow.evolve(state, opts.issued(c));
      if (pending.has(c.metadata.commandId)) continue; // still waiting here: the one queued will be sent
      pending.add(c.metadata.commandId);
      waiting.set(c.metadata.commandId, c);
      queue.push(opts.flowOf?.(c) ?? '', c.metadata.commandId);
    }
    if (queue.size) void send();
  };

  const projection = await runProjection(opts.nc, {
    onCommit: (commit) => {
      const target = parseEventSubject(commit.subject);
      const decider = target ? opts.follow?.[target.aggregate] : undefined;
      if (target && decider) states.follow(stateKey(target), decider, commit.events, commit.seq);
      for (const input of opts.inputsOf(commit)) feed(input);
    },
    onProgress: ({ seq, lastSeq }) => logger.info({ op: 'replay', seq, lastSeq }, `${opts.name}: replaying ${seq}/${lastSeq}`),
    logger,
  });
  live = true;
  logger.info({ op: 'replayed', seq: projection.seq }, `${opts.name}: history replayed`);
  const timer = setInterval(() => feed(opts.tick()), opts.tickMs);
  feed(opts.tick());
  return {
    feed,
    projection,
    states,
    async stop() {
      clearInterval(timer);
      await projection.stop();
    },
  };
}
