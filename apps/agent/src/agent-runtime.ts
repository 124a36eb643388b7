import { newId, systemClock, type Clock } from '@lbaas/app-shell';
import { parseEventSubject, type Actor } from '@lbaas/contracts';
import { agent, DomainError, loadBalancer } from '@lbaas/domain';
import { handle, loadSnapshot, runProjection, type EventStore, type Projection } from '@lbaas/event-store';
import { DESIRED_STATE_EVENTS, type LoadBalancerEvent } from '@lbaas/events';
import { CATALOG_SNAPSHOT, catalogCodec, desiredStateFor, evolveCatalog, initialCatalog, type Catalog, type DesiredLb } from '@lbaas/projections';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { AgentConfig } from './config';
import { Fencing } from './fencing';
import { HealthReports, parseShowStat } from './health-reports';
import type { LinuxHost } from './host/linux-host';
import { lbPaths } from './layout';
import { Reconciler, type ReconcilerOptions, type Reporter } from './reconciler';

/**
 * The agent's wiring: register, fencing (heartbeat and lease, fencing.ts), replay the catalog, reconcile on every
 * wake-up (reconciler.ts), member health (health-reports.ts), and the answers to the rpc queries.
 * Numbered steps are in start(); stop() never tears the data plane down (a restart must be hitless).
 */
export class AgentRuntime {
  private catalog: Catalog = initialCatalog();
  private projection: Projection | null = null;
  private reconciler: Reconciler | null = null;
  private health: HealthReports | null = null;
  private readonly fencing: Fencing;
  private readonly actor: Actor;
  /** Resolves a listener certificate reference to its PEM bundle (the secret store); set before start(). */
  resolveCert: ((ref: string) => Promise<string>) | null = null;
  /** Told about every reconcile run (metrics); set before start(). */
  observeReconcile: ReconcilerOptions['observe'];

  /** The last stream sequence the catalog applied (metrics, readiness); 0 before the replay. */
  get appliedSeq(): number {
    return this.projection?.seq ?? 0;
  }

  constructor(
    private readonly config: AgentConfig, private readonly nc: NatsConnection, private readonly store: EventStore,
    private readonly host: LinuxHost, private readonly logger: Logger, private readonly maxconnCap: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.actor = { kind: 'service', service: `agent:${config.agentId}` };
    this.fencing = new Fencing({
      config, nc, clock, logger,
      appliedVersions: () => Object.fromEntries(this.reconciler?.appliedVersions ?? []),
      withdrawVips: () => this.host.withdrawVips(),
      pause: () => this.reconciler?.pause(),
      resume: () => this.reconciler?.resume(),
      catchUp: async (seq) => { await this.projection?.waitFor(seq, 10_000); },
    });
  }

  desired() {
    return desiredStateFor(this.catalog, this.config.agentId, this.config.bridgeMappings);
  }

  async start(): Promise<void> {
    const { agentId } = this.config;
    // 1. Announce ourselves (idempotent: the same registration again appends nothing).
    await handle(this.store, { aggregate: 'agent', id: agentId }, agent, {
      type: 'RegisterAgent', data: { agentId, host: this.config.hostName, bridgeMappings: this.config.bridgeMappings, leaseMs: this.config.leaseMs },
      metadata: { commandId: newId(), now: this.clock.now() },
    }, this.actor);
    this.logger.info({ op: 'register', host: this.config.hostName }, 'agent registered');
    // Heartbeats and the lease start before the replay: a restart renews the lease at once, so adopted VIPs stay (hitless).
    await this.fencing.start();
    // 2. Replay every commit into the catalog, then follow live.
    const t0 = Date.now();
    // A valid snapshot only saves time; a missing, stale or corrupt one means a full replay (logged by loadSnapshot).
    const snap = await loadSnapshot(this.nc, CATALOG_SNAPSHOT, catalogCodec, this.logger);
    if ('view' in snap) this.catalog = snap.view;
    this.projection = await runProjection(this.nc, {
      startAfter: 'view' in snap ? snap.seq : 0,
      onCommit: (c) => { this.catalog = evolveCatalog(this.catalog, c as Parameters<typeof evolveCatalog>[1]); },
      onProgress: (p) => this.logger.info({ op: 'replay', seq: p.seq, last_seq: p.lastSeq }, 'replaying'),
      logger: this.logger,
    });
    this.logger.info({ op: 'replay', seq: this.projection.seq, ms: Date.now() - t0, lbs: this.desired().loadBalancers.length, snapshot_seq: 'view' in snap ? snap.seq : 0 }, 'replay done');
    // 3. Reconcile: at start, on every commit touching an LB placed here (or leaving here), and on the resync timer.
    this.reconciler = new Reconciler({
      host: this.host, runDir: this.config.runDir, maxconnCap: this.maxconnCap, desired: () => this.desired(), reporter: this.reporter(),
      logger: this.logger, resyncIntervalMs: this.config.resyncIntervalMs, resolveCert: this.resolveCert ?? undefined,
      observe: this.observeReconcile,
    });
    if (this.fencing.withdrawn) this.reconciler.pause(); // the lease lapsed during the replay
    // Only commits that change what some host must run wake the reconciler: status facts (every agent's health and
    // applied reports) would otherwise make every agent re-observe its host on every report. The resync timer covers drift.
    this.projection.onApplied((c) => {
      const aggregate = parseEventSubject(c.subject)?.aggregate;
      const wakes = aggregate === 'network' || aggregate === 'subnet'
        || (aggregate === 'lb' && (c.events as readonly LoadBalancerEvent[]).some((e) => DESIRED_STATE_EVENTS.has(e.type)));
      if (wakes) this.reconciler?.kick('commit');
    });
    this.reconciler.start();
    // 4. Health.
    this.health = new HealthReports({
      agentId, pollMs: this.config.healthPollMs, store: this.store, host: this.host, desired: () => this.desired(),
      actor: this.actor, clock: this.clock, logger: this.logger,
    });
    this.health.start();
  }

  async stop(): Promise<void> {
    this.fencing.stop();
    this.health?.stop();
    await this.reconciler?.stop();
    await this.projection?.stop();
  }

  private reporter(): Reporter {
    const report = async (d: DesiredLb, command: Parameters<typeof loadBalancer.decide>[0]) => {
      try {
        await handle(this.store, { aggregate: 'lb', id: d.lbId }, loadBalancer, command, this.actor);
      } catch (err) {
        // Fenced (the LB moved) or already superseded: nothing to retry; the next desired state decides.
        if (err instanceof DomainError) this.logger.warn({ op: 'report', lb_id: d.lbId, version: d.version, err }, 'report refused');
        else throw err;
      }
    };
    const base = (d: DesiredLb) => ({ lbId: d.lbId, agentId: this.config.agentId, epoch: d.epoch, version: d.version });
    const metadata = () => ({ commandId: newId(), now: this.clock.now() });
    return {
      applied: (d) => report(d, { type: 'ReportApplied', data: base(d), metadata: metadata() }),
      rejected: (d, reason) => report(d, { type: 'ReportRejected', data: { ...base(d), reason: reason.slice(0, 1000) }, metadata: metadata() }),
    };
  }

  /** The live counters of every LB this agent hosts (or one), for the `stats` query. */
  async stats(lbId?: string) {
    const out: Record<string, unknown> = {};
    for (const d of this.desired().loadBalancers) {
      if ((lbId && d.lbId !== lbId) || d.deleted) continue;
      out[d.lbId] = await this.host.statsCsv(d.lbId).then(parseShowStat).catch((err: Error) => ({ error: err.message }));
    }
    return { agentId: this.config.agentId, at: this.clock.now(), loadBalancers: out };
  }

  /** Config digests (on disk and loaded) and versions, for DR drills. */
  digests(lbId?: string) {
    const out: Record<string, unknown> = {};
    for (const d of this.desired().loadBalancers) {
      if (lbId && d.lbId !== lbId) continue;
      out[d.lbId] = { version: d.version, epoch: d.epoch, applied: this.reconciler?.appliedVersions.get(d.lbId) ?? null, ...this.host.digests(d.lbId) };
    }
    return { agentId: this.config.agentId, at: this.clock.now(), loadBalancers: out };
  }

  /**
   * The `digest` query's answer for `lbaasctl dr drill`: digests() plus the VIP addresses and haproxy pid observed
   * on the host, and the host-local render inputs (stats socket path, maxconn cap) so the drill renders the same file.
   */
  async drillReport(lbId?: string) {
    const base = this.digests(lbId);
    const ids = Object.keys(base.loadBalancers);
    const observed = await this.host.observe(ids).catch(() => undefined);
    const loadBalancers: Record<string, unknown> = {};
    for (const id of ids) {
      const o = observed?.get(id);
      loadBalancers[id] = {
        ...(base.loadBalancers[id] as object), addresses: o?.plumbing?.addresses ?? [], pid: o?.haproxy?.pid ?? null,
        statsSocket: lbPaths(this.config.runDir, id).statsSock,
      };
    }
    return { ...base, maxconnCap: this.maxconnCap, loadBalancers };
  }
}
