import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONFIG, EVENT_STORE, LOGGER, NATS_CONNECTION, systemClock } from '@lbaas/app-shell';
import { loadBalancer, placementWorkflow, subnet, type PlacementCommand, type PlacementInput } from '@lbaas/domain';
import type { Decider } from '@lbaas/events';
import { startWorkflowHost, type CommandRoute, type EventStore, type WorkflowHost } from '@lbaas/event-store';
import type { SchedulerConfig } from './config';
import { LbProjects } from './lb-projects';
import { startReportRelay, type ReportRelay } from './report-relay';

const route = (c: PlacementCommand): CommandRoute => {
  switch (c.type) {
    case 'PlaceLoadBalancer': case 'FailPlacement':
      return { stream: { aggregate: 'lb', id: c.data.lbId }, decider: loadBalancer as Decider<unknown, unknown, unknown> };
    case 'ReleaseVip': case 'AllocateVip': // an ACTIVE_STANDBY side's VRRP address (issue 14) too
      return { stream: { aggregate: 'subnet', id: c.data.subnetId }, decider: subnet as Decider<unknown, unknown, unknown> };
  }
};

/** The scheduler's outer layer: the placement workflow fed by the stream and a tick. */
@Injectable()
export class PlacementLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: WorkflowHost<PlacementInput>;
  private relay?: ReportRelay;
  constructor(
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const projects = new LbProjects();
    this.host = await startWorkflowHost<unknown, PlacementInput, PlacementCommand>({
      name: 'scheduler', nc: this.nc, store: this.store, logger: this.logger, tickMs: c.tickMs,
      workflow: placementWorkflow({
        strategy: c.strategy, placementTimeoutMs: c.placementTimeoutMs, automaticFailover: c.automaticFailover,
        abandonAfterMs: c.abandonAfterMs, retryAfterMs: c.retryAfterMs,
      }) as never,
      route,
      inputsOf: (commit) => {
        projects.learn(commit); // before the workflow sees the creation: its placement's flow is known
        return commit.events as readonly PlacementInput[];
      },
      // Placements, VIP allocations and releases take turns per project: a tenant's storm of creates does not hold
      // another tenant's new LB behind its backlog (every placement command names its LB).
      flowOf: (command) => projects.projectOf(command.data.lbId),
      tick: () => ({ type: 'Tick', now: systemClock.now(), random: Math.random() }),
      issued: (command) => ({ type: 'Issued', command, now: systemClock.now() }),
      actor: { kind: 'service', service: `scheduler:${c.instanceId}` },
      follow: { lb: loadBalancer as Decider<unknown, unknown, unknown>, subnet: subnet as Decider<unknown, unknown, unknown> },
    });
    // Agents' LB reports (their own subjects) into LB histories, decided on the LB states the host keeps.
    this.relay = await startReportRelay({ nc: this.nc, store: this.store, states: this.host.states, logger: this.logger, instanceId: c.instanceId, created: this.host.projection });
  }

  /** The last stream sequence the workflow's view has applied (metrics, readiness); 0 before the replay. */
  get appliedSeq(): number {
    return this.host?.projection.seq ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.host?.stop();
  }
}
