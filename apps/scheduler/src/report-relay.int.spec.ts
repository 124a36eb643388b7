import { randomUUID } from 'node:crypto';
import type { Actor } from '@lbaas/contracts';
import { lbReports, loadBalancer } from '@lbaas/domain';
import { handle, jetStreamEventStore, runProjection, StateCache, stateKey, type EventStore, type Projection } from '@lbaas/event-store';
import { bootstrapNats, startNatsServer, type NatsServer } from '@lbaas/testing';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { startReportRelay, type ReportRelay } from './report-relay';

const AGENT = 'agent-1';
const actor: Actor = { kind: 'service', service: 'test' };
const agentActor: Actor = { kind: 'service', service: `agent:${AGENT}` };
const meta = () => ({ commandId: randomUUID(), now: new Date().toISOString() });
type LbState = Parameters<typeof loadBalancer.decide>[1];

describe('report relay (issue 11): fair between projects', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let store: EventStore;

  beforeAll(async () => {
    nats = await startNatsServer();
    await bootstrapNats(nats.url);
    nc = await connect({ servers: nats.url });
    store = jetStreamEventStore(nc);
  });
  afterAll(async () => {
    await nc?.drain();
    await nats?.stop();
  });

  /** A bare LB of `projectId`, placed on AGENT (epoch 1); its state is held in `states` (as the scheduler holds it). */
  const placedLb = async (states: StateCache, projectId: string): Promise<{ lbId: string; version: number }> => {
    const lbId = randomUUID();
    await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, {
      type: 'CreateLoadBalancer', metadata: meta(),
      data: {
        lbId, projectId, name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '198.51.100.10',
        vipSubnetId: 'subnet-1', vipNetworkId: 'net-1', vipPortId: randomUUID(), provider: 'lbaas',
      },
    }, actor, { cache: states, isNew: true });
    await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, {
      type: 'PlaceLoadBalancer', data: { lbId, agentId: AGENT, expectedEpoch: 0, reason: 'initial' }, metadata: meta(),
    }, actor, { cache: states });
    return { lbId, version: versions(states, lbId).version };
  };
  const versions = (states: StateCache, lbId: string) => {
    const s = states.get<LbState>(stateKey({ aggregate: 'lb', id: lbId }), loadBalancer)?.state;
    if (!s || s.status === 'none') throw new Error(`no state for ${lbId}`);
    return s.versions;
  };
  /** The agent's applied report on its own subject (what apps/agent/src/reports.ts writes). */
  const report = (lb: { lbId: string; version: number }) => handle(store, { report: { kind: 'lb', agentId: AGENT, lbId: lb.lbId } }, lbReports, {
    type: 'ReportApplied', data: { lbId: lb.lbId, agentId: AGENT, epoch: 1, version: lb.version }, metadata: meta(),
  }, agentActor, { isNew: true });
  const relayed = (states: StateCache, lb: { lbId: string; version: number }) => versions(states, lb.lbId).appliedVersion >= lb.version;
  const until = async (what: string, ok: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("B's report is relayed second, not 301st, behind a backlog of 300 of A's reports", async () => {
    const states = new StateCache(Infinity);
    // The scheduler's projection of the event stream: LBs created before the relay started are looked up instead.
    const events: Projection = await runProjection(nc, { onCommit: () => undefined });
    const a = [];
    for (let i = 0; i < 300; i++) a.push(await placedLb(states, 'project-a'));
    const b = await placedLb(states, 'project-b');
    // Every report is in the stream before the relay starts; B's is the last of them.
    for (const lb of a) await report(lb);
    await report(b);
    const order: string[] = [];
    const watch = await runProjection(nc, {
      filter: 'lbaas.evt.lb.*', startAfter: events.seq,
      onCommit: (c) => { if (c.events.some((e) => e.type === 'DesiredStateApplied')) order.push(c.subject.split('.').pop() as string); },
    });
    let relay: ReportRelay | undefined;
    try {
      // One report at a time: the queue alone decides the order. The relay's replay queues all 301 reports (and learns
      // their LBs' projects) before it resolves and starts relaying.
      relay = await startReportRelay({ nc, store, states, logger: pino({ level: 'silent' }), instanceId: 'test', concurrency: 1, created: events });
      expect(a.filter((lb) => relayed(states, lb)).length).toBe(0); // relaying starts once everything is queued
      const backlog = relay.backlog();
      expect(backlog).toEqual({ reports: 300, lbs: 301, projects: 2 }); // one of A's in flight, B's waits its turn
      await until("every A's report relayed", () => a.every((lb) => relayed(states, lb)));
      await until('the relayed commits seen', () => order.length === 301);
      // First come, first served would relay B's 301st; fair, it is the second (after the one of A's in flight).
      expect(order.indexOf(b.lbId)).toBe(1);
      expect(relay.backlog()).toEqual({ reports: 0, lbs: 0, projects: 0 });
    } finally {
      await relay?.stop();
      await watch.stop();
      await events.stop();
    }
  });

  it("without the scheduler's projection the relay learns each LB's project from its first commit, and relays every report", async () => {
    const states = new StateCache(Infinity);
    const lbs = [await placedLb(states, 'project-c'), await placedLb(states, 'project-d'), await placedLb(states, 'project-c')];
    for (const lb of lbs) await report(lb);
    const relay = await startReportRelay({ nc, store, states, logger: pino({ level: 'silent' }), instanceId: 'test', concurrency: 2 });
    try {
      await until('every report relayed', () => lbs.every((lb) => relayed(states, lb)));
      // A report that comes later, for an LB whose project the relay knows now.
      const again = await handle(store, { aggregate: 'lb', id: lbs[1].lbId }, loadBalancer, {
        type: 'UpdateLoadBalancer', data: { lbId: lbs[1].lbId, changes: { name: 'renamed' } }, metadata: meta(),
      }, actor, { cache: states });
      expect(again.events.length).toBe(1);
      const next = { lbId: lbs[1].lbId, version: versions(states, lbs[1].lbId).version };
      await report(next).catch(() => handle(store, { report: { kind: 'lb', agentId: AGENT, lbId: next.lbId } }, lbReports, {
        type: 'ReportApplied', data: { lbId: next.lbId, agentId: AGENT, epoch: 1, version: next.version }, metadata: meta(),
      }, agentActor));
      await until('the later report relayed', () => relayed(states, next));
    } finally {
      await relay.stop();
    }
  });
});
