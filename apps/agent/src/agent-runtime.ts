import { newId, systemClock, type Clock } from '@lbaas/app-shell';
import { parseEventSubject, type Actor } from '@lbaas/contracts';
import { agent } from '@lbaas/domain';
import { handle, loadSnapshot, runProjection, waitForEventStream, type EventStore, type Projection } from '@lbaas/event-store';
import { DESIRED_STATE_EVENTS, HANDOVER_EVENTS, type AgentEvent, type LoadBalancerEvent } from '@lbaas/events';
import {
  CATALOG_SNAPSHOT, catalogCodec, desiredLbFor, desiredStateFor, evolveCatalog, initialCatalog, type Catalog, type DesiredLb, type DesiredState,
} from '@lbaas/projections';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { AgentConfig } from './config';
import { Fencing } from './fencing';
import { HealthReports, parseShowStat } from './health-reports';
import type { LinuxHost } from './host/linux-host';
import { lbPaths } from './layout';
import { parseDesiredState } from './parse';
import { Reconciler, type ReconcilerOptions, type Reporter } from './reconciler';
import { AgentReports } from './reports';
import { StreamGuard } from './stream-guard';
import { certFilesFor, resolveCerts, tlsRefsOf } from './tls-certs';

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
  private readonly reports: AgentReports;
  private readonly fencing: Fencing;
  private readonly actor: Actor;
  /** Refused LBs already logged (lbId → reason), so each refusal is one log line, not one per desired() call. */
  private readonly refusalsLogged = new Map<string, string>();
  private readonly guard: StreamGuard;
  private watch: NodeJS.Timeout | null = null;
  private watching = false;
  private stopped = false;
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
    this.reports = new AgentReports({ agentId: config.agentId, nc, store, actor: this.actor, clock, logger });
    this.guard = new StreamGuard({ nc, logger, memory: host.state, owns: () => host.owned().length > 0 });
    this.fencing = new Fencing({
      config, nc, clock, logger,
      appliedVersions: () => Object.fromEntries(this.reconciler?.appliedVersions ?? []),
      withdrawVips: () => this.host.withdrawVips(),
      pause: () => this.reconciler?.pause(),
      // A lease regained does not override a refused stream: reconciling resumes only when both allow it.
      resume: () => { if (this.guard.trusted) this.reconciler?.resume(); },
      catchUp: async (seq) => { await this.projection?.waitFor(seq, 10_000); },
      fence: host.fence, fencePorts: () => host.fencePorts(),
    });
  }

  /** What this agent must run: the catalog's desired state through the entrance (parse.ts); refusals logged once each. */
  desired() {
    return this.entrance(desiredStateFor(this.catalog, this.config.agentId, this.config.bridgeMappings));
  }

  /** True while the lease has lapsed and the VIPs are withdrawn (fencing.ts). */
  get leaseWithdrawn(): boolean {
    return this.fencing.withdrawn;
  }

  /** One LB's desired state on this agent through the same entrance (null: nothing of it wanted here). */
  desiredOne(lbId: string): DesiredLb | null {
    const d = desiredLbFor(this.catalog, this.config.agentId, lbId, this.config.bridgeMappings);
    return d ? this.entrance({ agentId: this.config.agentId, loadBalancers: [d] }).loadBalancers[0] ?? null : null;
  }

  private entrance(state: DesiredState): DesiredState {
    const parsed = parseDesiredState(state);
    for (const r of parsed.refused) {
      if (this.refusalsLogged.get(r.lbId) === r.reason) continue;
      this.refusalsLogged.set(r.lbId, r.reason);
      this.logger.error({ op: 'desired.refused', lb_id: r.lbId, reason: r.reason }, 'load balancer refused: a value from the bus does not parse');
    }
    for (const id of parsed.dropped) {
      if (this.refusalsLogged.has(`dropped:${id}`)) continue;
      this.refusalsLogged.set(`dropped:${id}`, id);
      this.logger.error({ op: 'desired.dropped', lb_id: id }, 'load balancer ignored: its id is not a load-balancer id');
    }
    return parsed.desired;
  }

  private fencingStarted: Promise<void> | null = null;

  /** Step 1 on its own: main.ts calls it before the Nest shell boots, so a restart renews the lease as early as it can. */
  startFencing(): Promise<void> {
    this.fencingStarted ??= this.fencing.start();
    return this.fencingStarted;
  }

  async start(): Promise<void> {
    const { agentId } = this.config;
    this.stopped = false;
    // 1. Heartbeats and the lease first: a restart renews the lease at once, so adopted VIPs stay (hitless), also
    //    while step 2 waits for a stream it can trust.
    await this.startFencing();
    // 2. The stream must be the one this agent served from (stream-guard.ts). A missing, empty, shorter or foreign one:
    //    keep serving what runs, destroy nothing, say so, wait. The agent never creates the stream.
    await this.guard.waitUntilTrusted(Math.min(this.config.resyncIntervalMs, 2_000), () => this.stopped);
    if (this.stopped) return;
    await waitForEventStream(this.nc, { logger: this.logger }); // the stream is there now: checks it is ours in shape
    // 3. Announce ourselves (idempotent: the same registration again appends nothing).
    await handle(this.store, { aggregate: 'agent', id: agentId }, agent, {
      type: 'RegisterAgent',
      data: {
        agentId, host: this.config.hostName, bridgeMappings: this.config.bridgeMappings, leaseMs: this.config.leaseMs,
        availabilityZone: this.config.availabilityZone, managementAddress: this.config.managementAddress,
      },
      metadata: { commandId: newId(), now: this.clock.now() },
    }, this.actor);
    this.logger.info({ op: 'register', host: this.config.hostName }, 'agent registered');
    // 4. Replay every commit into the catalog, then follow live; read what this agent reported before (its own subjects).
    await this.replay();
    const reported = await this.reports.seed();
    // 5. Reconcile: at start, on every commit touching an LB placed here (or leaving here), and on the resync timer.
    const handover = { timeoutMs: this.config.handoverTimeoutMs, drainTimeoutMs: this.config.drainTimeoutMs, minDrainMs: Math.min(3000, this.config.drainTimeoutMs) };
    this.reconciler = new Reconciler({
      host: this.host, runDir: this.config.runDir, maxconnCap: this.maxconnCap, desired: () => this.desired(), desiredOne: (id) => this.desiredOne(id), projectOf: (id) => this.catalog.loadBalancers.lbs.get(id)?.projectId,
      reporter: this.reporter(), logger: this.logger, resyncIntervalMs: this.config.resyncIntervalMs, resolveCert: this.resolveCert ?? undefined,
      concurrency: this.config.reconcileConcurrency > 0 ? this.config.reconcileConcurrency : undefined, handover,
      observe: this.observeReconcile,
    });
    if (this.fencing.withdrawn) this.reconciler.pause(); // the lease lapsed during the replay
    this.reconciler.start();
    // 6. Health: every member, and at once the members of a copy that starts serving (reported by the reconciler).
    this.health = new HealthReports({
      pollMs: this.config.healthPollMs, host: this.host, desired: () => this.desired(), reported,
      report: (h) => this.reports.member(h),
      desiredOne: (id) => this.desiredOne(id), serving: (id) => this.reconciler?.serving(id) ?? false, logger: this.logger,
    });
    this.health.start();
    // 7. Keep checking the stream: one that turns missing, empty, shorter or foreign pauses reconciling and health
    //    reports (nothing is destroyed); when the real one is back, the catalog is replayed afresh and work resumes.
    this.watch = setInterval(() => void this.watchStream(), this.config.resyncIntervalMs);
  }

  /** A snapshot (when one verifies) and the replay of what came after it into a fresh catalog; then live. */
  private async replay(): Promise<void> {
    const t0 = Date.now();
    this.catalog = initialCatalog();
    // A valid snapshot only saves time; a missing, stale, corrupt or unverified one means a full replay (logged by loadSnapshot).
    const snap = await loadSnapshot(this.nc, CATALOG_SNAPSHOT, catalogCodec, this.logger, this.config.macKey);
    if ('view' in snap) this.catalog = snap.view;
    this.projection = await runProjection(this.nc, {
      startAfter: 'view' in snap ? snap.seq : 0,
      onCommit: (c) => { this.catalog = evolveCatalog(this.catalog, c as Parameters<typeof evolveCatalog>[1]); },
      onProgress: (p) => this.logger.info({ op: 'replay', seq: p.seq, last_seq: p.lastSeq }, 'replaying'),
      logger: this.logger,
    });
    this.logger.info({ op: 'replay', seq: this.projection.seq, ms: Date.now() - t0, lbs: this.desired().loadBalancers.length, snapshot_seq: 'view' in snap ? snap.seq : 0 }, 'replay done');
    // A commit wakes the run of the one LB it touches, and only when it changes what some host must run or how a planned
    // move stands: status facts (every agent's health and applied reports) would otherwise make every agent look at
    // its host on every report. Networks and subnets, and an agent declared down (a hand-over waiting for it), wake
    // every LB concerned, lightly. The resync timer covers drift.
    this.projection.onApplied((c) => {
      const target = parseEventSubject(c.subject);
      if (!target) return;
      if (target.aggregate === 'network' || target.aggregate === 'subnet') {
        // A VIP allocated or released on a subnet changes no other LB's desired state (the LB's own address comes with
        // its own commit): in a burst of creates on one shared subnet, waking every LB per allocation made every
        // agent render and look at all its LBs once per new LB (quadratic; issue 11's 1,000-LB burst).
        if ((c.events as readonly { type: string }[]).every((e) => e.type === 'VipAllocated' || e.type === 'VipReleased')) return;
        this.reconciler?.kick('commit', this.desired().loadBalancers.map((d) => d.lbId));
      } else if (target.aggregate === 'agent') {
        if ((c.events as readonly AgentEvent[]).some((e) => e.type === 'AgentDeclaredDown')) {
          this.reconciler?.kick('agent down', this.desired().loadBalancers.filter((d) => d.handover?.role === 'incoming').map((d) => d.lbId));
        }
      } else if (target.aggregate === 'lb' && (c.events as readonly LoadBalancerEvent[]).some((e) => DESIRED_STATE_EVENTS.has(e.type) || HANDOVER_EVENTS.has(e.type))) {
        this.reconciler?.kick('commit', [target.id]);
      }
    });
  }

  /** One look at the stream while running (step 7). */
  private async watchStream(): Promise<void> {
    if (this.watching || this.stopped) return;
    this.watching = true;
    try {
      const wasTrusted = this.guard.trusted;
      const now = await this.guard.check();
      if (wasTrusted && !now.trusted) {
        this.reconciler?.pause();
        this.health?.stop();
      } else if (!wasTrusted && now.trusted) {
        // What the catalog folded while the stream was not ours may be anything: start it over from the real stream.
        await this.projection?.stop().catch(() => undefined);
        await this.replay();
        if (!this.fencing.withdrawn) this.reconciler?.resume();
        this.health?.start();
      }
    } catch (err) {
      this.logger.warn({ op: 'stream.check', err }, 'stream check failed; trying again');
    } finally {
      this.watching = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watch) clearInterval(this.watch);
    this.fencing.stop();
    this.fencingStarted = null;
    this.health?.stop();
    await this.reconciler?.stop();
    await this.projection?.stop();
  }

  /** Reports go to this agent's own report subjects (reports.ts); the scheduler relays them into the LB's history. */
  private reporter(): Reporter {
    const base = (d: DesiredLb) => ({ lbId: d.lbId, agentId: this.config.agentId, epoch: d.epoch, version: d.version });
    const handover = (d: DesiredLb) => ({ lbId: d.lbId, agentId: this.config.agentId, epoch: d.epoch });
    return {
      applied: async (d) => {
        await this.reports.lb({ type: 'ReportApplied', data: base(d) });
        this.health?.soon(d.lbId);
      },
      rejected: (d, reason) => this.reports.lb({ type: 'ReportRejected', data: { ...base(d), reason: reason.slice(0, 1000) } }),
      prepared: (d) => this.reports.lb({ type: 'ReportHandoverPrepared', data: handover(d) }),
      released: (d) => this.reports.lb({ type: 'ReportHandoverReleased', data: handover(d) }),
      drained: (d) => this.reports.lb({ type: 'ReportHandoverDrained', data: handover(d) }),
    };
  }

  /** The live counters of every LB this agent hosts (or one), for the `stats` query. */
  async stats(lbId?: string) {
    const out: Record<string, unknown> = {};
    for (const d of this.desired().loadBalancers) {
      if ((lbId && d.lbId !== lbId) || d.deleted || d.handover?.role === 'outgoing') continue;
      out[d.lbId] = await this.host.statsCsv(d.lbId).then(parseShowStat).catch((err: Error) => ({ error: err.message }));
    }
    return { agentId: this.config.agentId, at: this.clock.now(), loadBalancers: out };
  }

  /**
   * The `reconcile` query (the amphora `config` endpoint): reconcile now, for a load balancer this agent hosts. Kicks are
   * merged with the others; the run re-observes the host, so drift is repaired even at the same desired version.
   */
  reconcileNow(lbId?: string): { accepted: boolean; reason?: string } {
    if (lbId !== undefined && !this.desired().loadBalancers.some((d) => d.lbId === lbId)) return { accepted: false, reason: `load balancer ${lbId} is not hosted here` };
    if (!this.reconciler) return { accepted: false, reason: 'not reconciling yet' };
    this.reconciler.kick('config');
    return { accepted: true };
  }

  /** Config digests (on disk and loaded) and versions, for DR drills. */
  digests(lbId?: string) {
    const out: Record<string, unknown> = {};
    for (const d of this.desired().loadBalancers) {
      if ((lbId && d.lbId !== lbId) || d.handover?.role === 'outgoing') continue;
      out[d.lbId] = { version: d.version, epoch: d.epoch, applied: this.reconciler?.appliedVersions.get(d.lbId) ?? null, ...this.host.digests(d.lbId) };
    }
    return { agentId: this.config.agentId, at: this.clock.now(), loadBalancers: out };
  }

  /**
   * The `digest` query's answer for `lbaasctl dr drill`: digests() plus the VIP addresses and haproxy pid observed
   * on the host, the host-local render inputs (stats socket path, maxconn cap, and for TERMINATED_HTTPS the certificate
   * dir and digest, resolved from the secret store exactly as the reconciler does) so the drill renders the same file,
   * and this agent's trust in the stream.
   */
  async drillReport(lbId?: string) {
    const base = this.digests(lbId);
    const ids = Object.keys(base.loadBalancers);
    const observed = await this.host.observe(ids).catch(() => undefined);
    const desired = new Map(this.desired().loadBalancers.map((d) => [d.lbId, d]));
    const loadBalancers: Record<string, unknown> = {};
    for (const id of ids) {
      const o = observed?.get(id);
      const dir = lbPaths(this.config.runDir, id).dir;
      const d = desired.get(id);
      let certs: { certDir: string; certDigest: string } | null = null;
      if (d && tlsRefsOf(d).length > 0) {
        const files = await resolveCerts({ agentId: this.config.agentId, loadBalancers: [d] }, this.resolveCert ?? undefined)
          .then((resolved) => certFilesFor(d, dir, resolved)).catch(() => null);
        if (files) certs = { certDir: files.dir, certDigest: files.digest };
      }
      loadBalancers[id] = {
        ...(base.loadBalancers[id] as object), addresses: o?.plumbing?.addresses ?? [], pid: o?.haproxy?.pid ?? null,
        statsSocket: lbPaths(this.config.runDir, id).statsSock, ...(certs ?? {}),
      };
    }
    return { ...base, maxconnCap: this.maxconnCap, stream: this.guard.status, loadBalancers };
  }
}
