import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, type Commit } from '@lbaas/contracts';
import { bootstrapEventStore, EventStoreUnavailable, jetStreamEventStore, type EventStore } from '@lbaas/event-store';
import type { NatsConnection } from 'nats';
import { startNatsCluster, type NatsCluster } from './nats-cluster';

/**
 * The event store on the 3-node cluster of deploy/nats (identities, TLS, route auth): the stream at R3, created by
 * the operator; one writer appends through libs/event-store (OCC chain on one aggregate, the same commit id on every
 * retry) while the stream leader is killed with SIGKILL, five times, then while every node is restarted in
 * lame-duck mode. Every acknowledged append must be there afterwards, once, in order. Prints the stalls.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KILLS = 3;
type Ack = { n: number; commitId: string; seq: number; startedAt: number; at: number };

/** Appends commit after commit, each retried (same commit id) until acknowledged; records the acknowledgements. */
function startWriter(store: EventStore, id: string) {
  const ref = { aggregate: 'lb' as const, id };
  const acked: Ack[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    let expected = 0;
    for (let n = 0; !stopped; n++) {
      const commit: Commit = { commitId: randomUUID(), at: new Date().toISOString(), actor: { kind: 'service', service: 'test' }, events: [{ type: 'Probe', v: 1, data: { n } }] };
      for (;;) {
        const startedAt = performance.now();
        try {
          expected = await store.append(ref, commit, expected);
          acked.push({ n, commitId: commit.commitId, seq: expected, startedAt, at: performance.now() });
          break;
        } catch (err) {
          if (!(err instanceof EventStoreUnavailable)) { failures.push(`fatal: ${String(err)}`); stopped = true; throw err; } // a conflict: a lost or doubled write
          failures.push(err.message);
          await sleep(50);
        }
      }
    }
  })();
  done.catch(() => undefined);
  return { ref, acked, failures, get fatal() { return failures.find((f) => f.startsWith('fatal')); }, async stop() { stopped = true; await done; } };
}

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

describe('event store on a 3-node JetStream cluster (deploy/nats configs)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster();
    const operator = await cluster.connect('operator');
    await bootstrapEventStore(operator, { replicas: 3 });
    expect((await (await operator.jetstreamManager()).streams.info(EVENT_STREAM)).config.num_replicas).toBe(3);
    await cluster.waitForReplicasCurrent();
    nc = await cluster.connect('api');
  }, 120_000);
  afterAll(async () => { await cluster?.stop(); });

  const verify = async (w: ReturnType<typeof startWriter>) => {
    const acked = w.acked;
    const { commits } = await jetStreamEventStore(nc).read(w.ref);
    expect(commits.map((c) => c.commitId)).toEqual(acked.map((a) => a.commitId)); // none lost, none twice, in order
    expect(commits.map((c) => c.seq)).toEqual(acked.map((a) => a.seq));
    expect(commits.map((c) => (c.events[0].data as { n: number }).n)).toEqual(acked.map((_, i) => i));
  };

  it('keeps every acknowledged write, in order, while the stream leader is killed (kill -9) three times', async () => {
    const writer = startWriter(jetStreamEventStore(nc, { requestTimeoutMs: 2_000, attempts: 5, backoffMs: 250 }), 'killed-leader');
    const stalls: number[] = [];
    try {
      // Three kills (five until session 7: ~8 s each; the e2e kills the leader three more times under the whole stack).
      for (let round = 1; round <= KILLS; round++) {
        await sleep(1_500);
        const leader = await cluster.streamLeader();
        const before = writer.acked.length;
        const killedAt = performance.now();
        await cluster.kill(leader);
        // The first append begun after the kill: one in flight at the kill may still be acknowledged at once.
        while (!writer.acked.slice(before).some((a) => a.startedAt > killedAt)) {
          if (writer.fatal) throw new Error(writer.fatal);
          // Writes must resume on their own; how fast is a figure for bench/, not a bound here (raft elects in
          // 4-9 s on a quiet machine, over 20 s on a loaded one). A minute without any acknowledgement is a stuck store.
          if (performance.now() - killedAt > 60_000) throw new Error(`no append acknowledged within 60 s of killing ${leader}`);
          await sleep(20);
        }
        const first = writer.acked.slice(before).find((a) => a.startedAt > killedAt) as Ack;
        stalls.push(Math.round(first.at - killedAt));
        if (process.env.DEBUG_CLUSTER) console.log(`round ${round}: killed ${leader}, stall ${stalls.at(-1)} ms`);
        const newLeader = await cluster.streamLeader();
        expect(newLeader).not.toBe(leader);
        await cluster.start(leader);
        await cluster.waitForReplicasCurrent();
      }
    } finally {
      await writer.stop();
    }
    console.log(`stream leader killed ${KILLS} times: first acknowledged append after ${stalls.join(', ')} ms (min/median/max ${JSON.stringify(summary(stalls))}); `
      + `${writer.acked.length} appends acknowledged, ${writer.failures.length} gave up after the store's retries and were retried with the same commit id`);
    expect(stalls).toHaveLength(KILLS);
    await verify(writer);
  }, 400_000);

  it('keeps every write through a lame-duck rolling restart of all three nodes, without a long stall', async () => {
    const writer = startWriter(jetStreamEventStore(nc, { requestTimeoutMs: 2_000, attempts: 5, backoffMs: 250 }), 'lame-duck');
    const gaps: number[] = [];
    try {
      for (const node of cluster.nodes.map((n) => n.name)) {
        const from = writer.acked.length;
        await cluster.lameDuckRestart(node);
        await cluster.waitForReplicasCurrent();
        const window = writer.acked.slice(Math.max(0, from - 1));
        gaps.push(Math.round(Math.max(...window.slice(1).map((a, i) => a.at - window[i].at))));
      }
      await sleep(500);
    } finally {
      await writer.stop();
    }
    console.log(`lame-duck restart of each node: longest gap between acknowledged appends ${gaps.join(', ')} ms; ${writer.acked.length} appends, `
      + `${writer.failures.length} retried after the store gave up`);
    // Lame duck moves leadership away before the node stops: no election stall (elections take 4 s and more). The
    // bound is loose on purpose (shared, noisy CI); the gaps themselves are printed.
    expect(Math.max(...gaps)).toBeLessThan(15_000);
    await verify(writer);
  }, 400_000);
});
