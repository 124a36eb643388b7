import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONFIG, EVENT_STORE, LOGGER, NATS_CONNECTION, steadyClock } from '@lbaas/app-shell';
import { parseEventSubject } from '@lbaas/contracts';
import { agent, failoverWorkflow, type FailoverCommand, type FailoverInput } from '@lbaas/domain';
import type { Decider } from '@lbaas/events';
import { startWorkflowHost, type EventStore, type WorkflowHost } from '@lbaas/event-store';
import type { WatcherConfig } from './config';

/** The failover-watcher's outer layer: the failover workflow fed by agent events, heartbeats and a tick. */
@Injectable()
export class FailoverLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: WorkflowHost<FailoverInput>;
  /** Registered agents: a heartbeat from anyone else is rejected (and logged, at most every 10 s per id). */
  private readonly known = new Set<string>();
  private readonly unknownLogged = new Map<string, number>();
  /**
   * Heartbeats and ticks are timed on the monotonic clock (steadyClock): a jump of this host's wall clock must not
   * look like minutes without a heartbeat (which would fail every agent over) or hide a real silence.
   */
  private readonly clock = steadyClock();
  /** Every registered agent's state as the stream tells it, and heartbeat counts (metrics). */
  readonly agentStates = new Map<string, 'up' | 'down'>();
  heartbeats = { accepted: 0, rejected: 0 };
  constructor(
    @Inject(CONFIG) private readonly config: WatcherConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    this.host = await startWorkflowHost<unknown, FailoverInput, FailoverCommand>({
      name: 'failover-watcher', nc: this.nc, store: this.store, logger: this.logger, tickMs: c.tickMs,
      workflow: failoverWorkflow({ agentDownTimeMs: c.agentDownTimeMs, retryAfterMs: c.retryAfterMs, coldStartGraceMs: c.coldStartGraceMs }) as never,
      route: (command) => ({ stream: { aggregate: 'agent', id: command.data.agentId }, decider: agent as Decider<unknown, unknown, unknown> }),
      inputsOf: (commit) => {
        if (parseEventSubject(commit.subject)?.aggregate !== 'agent') return [];
        for (const e of commit.events as readonly FailoverInput[]) {
          if (e.type === 'AgentRegistered') { this.known.add(e.data.agentId); if (!this.agentStates.has(e.data.agentId)) this.agentStates.set(e.data.agentId, 'up'); }
          if (e.type === 'AgentDeclaredDown' || e.type === 'AgentDeclaredUp') this.agentStates.set(e.data.agentId, e.type === 'AgentDeclaredDown' ? 'down' : 'up');
        }
        return commit.events as readonly FailoverInput[];
      },
      tick: () => this.tick(),
      issued: (command) => ({ type: 'Issued', command, now: this.clock.now() }),
      actor: { kind: 'service', service: `failover-watcher:${c.instanceId}` },
      follow: { agent: agent as Decider<unknown, unknown, unknown> },
    });
  }

  private lastTickAt = Date.now();

  /**
   * The tick, judged by this process's progress (issue 11, busy is not dead): a tick that fires late because this
   * event loop stood still (a loaded host) counts at most two tick periods, so the heartbeats queued on the socket
   * meanwhile are read (after the timers, in the same loop turn) before anyone's silence is judged on them.
   */
  private tick(): FailoverInput {
    // On the steady clock (a wall-clock jump must not fail agents over), capped by this loop's own progress.
    const now = Date.parse(this.clock.now());
    const judged = Math.min(now, this.lastTickAt + 2 * this.config.tickMs);
    this.lastTickAt = now;
    return { type: 'Tick', now: new Date(judged).toISOString() };
  }

  /** A heartbeat as received now (the watcher's clock judges silence, not the agent's). */
  heartbeat(agentId: string): void {
    if (!this.known.has(agentId)) {
      this.heartbeats.rejected++;
      const now = Date.now();
      if (now - (this.unknownLogged.get(agentId) ?? 0) > 10_000) {
        this.unknownLogged.set(agentId, now);
        this.logger.warn({ op: 'heartbeat.rejected', agent_id: agentId }, 'heartbeat from an unregistered agent ignored');
      }
      return;
    }
    this.heartbeats.accepted++;
    this.host?.feed({ type: 'Heartbeat', agentId, at: this.clock.now() });
  }

  /** The last stream sequence the workflow's view has applied (metrics, readiness); 0 before the replay. */
  get appliedSeq(): number {
    return this.host?.projection.seq ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
