import { randomUUID } from 'node:crypto';
import type { Commit } from '@lbaas/contracts';
import { startNatsCluster, type NatsCluster } from '@lbaas/testing';
import { bootstrapEventStore } from './bootstrap';
import { jetStreamEventStore } from './jetstream-event-store';
import { runProjection } from './projection';

/**
 * A reader identity's projection on the 3-node cluster follows the stream across a kill -9 of the stream leader,
 * whether its own connection survives (its consumer's server died: nats.js asks for the consumer's info, then
 * recreates it) or moves to another node. Found by test/nats-cluster.e2e.spec.ts: the app identities could not ask
 * for consumer info, and every app's view stood still after the leader died.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const commit = (): Commit => ({ commitId: randomUUID(), at: new Date().toISOString(), actor: { kind: 'service', service: 'test' }, events: [{ type: 'Probe', v: 1, data: {} }] } as unknown as Commit);

describe('projections of the app identities on a 3-node cluster', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster({ agents: ['a1'] });
    await bootstrapEventStore(await cluster.connect('operator'), { replicas: 3 });
    await cluster.waitForReplicasCurrent();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('a projection started while a node is dead (its URL first) replays and follows', async () => {
    const writer = jetStreamEventStore(await cluster.connect('api'));
    for (let i = 0; i < 20; i++) await writer.append({ aggregate: 'lb', id: randomUUID() }, commit(), 0);
    const leader = await cluster.streamLeader();
    const dead = cluster.nodes.find((n) => n.name === leader);
    await cluster.kill(leader);
    await cluster.streamLeader(undefined, 30_000);
    try {
      const servers = [dead, ...cluster.nodes.filter((n) => n !== dead)].map((n) => `127.0.0.1:${n?.clientPort}`);
      const reader = await cluster.connect('api', { servers, maxReconnectAttempts: -1, noRandomize: true });
      let applied = 0;
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const p = await Promise.race([
        runProjection(reader, { onCommit: () => { applied++; } }),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no replay within 40 s (${applied} applied)`)), 40_000); }),
      ]).finally(() => clearTimeout(timer));
      console.log(`projection started while ${leader} was dead: replayed ${applied} commits in ${Date.now() - t0} ms (${p.restarts} consumer restarts)`);
      expect(applied).toBeGreaterThanOrEqual(20);
      const before = applied;
      await writer.append({ aggregate: 'lb', id: randomUUID() }, commit(), 0);
      const t1 = Date.now();
      while (applied === before && Date.now() - t1 < 20_000) await sleep(100);
      await p.stop();
      expect(applied).toBe(before + 1);
    } finally {
      await cluster.start(leader);
      await cluster.waitForReplicasCurrent(undefined, 60_000);
    }
  }, 120_000);

  for (const where of ['connected to a node that stays up', 'connected to the leader'] as const) {
    it(`follows the stream after the stream leader is killed (${where})`, async () => {
      const leader = await cluster.streamLeader();
      const node = cluster.nodes.find((n) => (where === 'connected to the leader' ? n.name === leader : n.name !== leader && n.running));
      const reader = await cluster.connect('failover-watcher', { servers: [`127.0.0.1:${node?.clientPort}`], maxReconnectAttempts: -1 });
      const writer = jetStreamEventStore(await cluster.connect('api'));
      let applied = 0;
      const p = await runProjection(reader, { onCommit: () => { applied++; } });
      const before = applied;
      await cluster.kill(leader);
      await cluster.streamLeader(undefined, 30_000);
      for (let i = 0; i < 5; i++) {
        // retried as a client would: the same commit on the same aggregate (a try that landed is then a duplicate)
        const ref = { aggregate: 'lb', id: randomUUID() } as const;
        const c = commit();
        for (;;) {
          try { await writer.append(ref, c, 0); break; } catch { await sleep(200); }
        }
      }
      const t0 = Date.now();
      while (applied < before + 5 && Date.now() - t0 < 30_000) await sleep(100);
      console.log(`projection ${where}: ${applied - before}/5 commits after the leader kill, caught up ${Date.now() - t0} ms after the last append; consumer recreated by the stall guard ${p.restarts} time(s)`);
      await p.stop();
      expect(applied - before).toBe(5);
      await cluster.start(leader);
      await cluster.waitForReplicasCurrent(undefined, 60_000);
    }, 120_000);
  }
});
