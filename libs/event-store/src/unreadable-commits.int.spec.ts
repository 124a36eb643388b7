import { randomUUID } from 'node:crypto';
import type { Actor } from '@lbaas/contracts';
import type { Decider } from '@lbaas/events';
import { natsServerPerFile } from '@lbaas/testing';
import pino from 'pino';
import { ensureEventStream } from './ensure-event-stream';
import { handle } from './handle';
import { jetStreamEventStore } from './jetstream-event-store';
import { runProjection } from './projection';
import { UnreadableCommits } from './unreadable-commits';

/**
 * A poison commit costs one commit, not an aggregate (issue 10): raw publishes (what any client with publish rights
 * can do) of bad JSON, an unknown event version, wrong shapes and a huge body on one aggregate's subject. Every
 * reader skips each of them, reports it once (log line with seq and subject, counter), and goes on: the aggregate
 * still reads, handle() still appends after them, a projection still folds every good commit.
 */
const nats = natsServerPerFile();
const actor: Actor = { kind: 'service', service: 'poison-test' };
const subnetCreated = (subnetId: string, gatewayIp: unknown) => ({
  type: 'SubnetCreated', v: 1,
  data: { subnetId, networkId: randomUUID(), projectId: 'p', name: 'n', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp, allocationPools: [], at: 'now' },
});
const body = (events: unknown[]) => JSON.stringify({ commitId: randomUUID(), at: '2026-12-01T00:00:00Z', actor, events });

type Count = { n: number };
type Add = { type: 'Add'; metadata: { commandId: string; now: string } };
const counter: Decider<Count, Add, { type: 'Added'; v: 1; data: Record<string, never> }> = {
  initialState: () => ({ n: 0 }),
  evolve: (s) => ({ n: s.n + 1 }),
  decide: () => [{ type: 'Added', v: 1, data: {} }],
};
const add = (): Add => ({ type: 'Add', metadata: { commandId: randomUUID(), now: '2026-12-01T00:00:00Z' } });

describe('unreadable commits', () => {
  it('are skipped and reported by aggregate reads, handle() and projections, which go on', async () => {
    await ensureEventStream(nats.connection);
    const id = randomUUID();
    const subject = `lbaas.evt.subnet.${id}`;
    const js = nats.connection.jetstream();
    const poison: [string, string | Uint8Array][] = [
      ['bad JSON', '{"commitId": "x", '],
      ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b])],
      ['an unknown event version', body([{ ...subnetCreated(id, '10.0.0.1'), v: 9 }])],
      ['a gateway of the wrong type', body([subnetCreated(id, { evil: true })])],
      ['events that are not a list', JSON.stringify({ commitId: 'c', at: 'now', actor, events: { 0: 'x' } })],
      ['a commit without an actor', JSON.stringify({ commitId: 'c', at: 'now', events: [] })],
      ['a JSON array', '[1,2,3]'],
      // nats-server refuses more than max_payload (1 MiB); just below it (800 kB), 15,000 events of the wrong shape.
      ['a huge body', body(Array.from({ length: 15_000 }, () => ({ type: 'SubnetCreated', v: 1, data: { subnetId: 7 } })))],
    ];
    const good1 = (await js.publish(subject, body([subnetCreated(id, '10.0.0.1')]))).seq;
    const bad: number[] = [];
    for (const [, data] of poison) bad.push((await js.publish(subject, data)).seq);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const unreadable = new UnreadableCommits();
    const store = jetStreamEventStore(nats.connection, { logger, unreadable });
    const read = await store.read({ aggregate: 'subnet', id });
    expect(read.commits.map((c) => c.seq)).toEqual([good1]);
    expect(read.seq).toBe(bad.at(-1)); // the aggregate's last message: an append after the poison still passes OCC
    expect(unreadable.list().map((r) => r.seq)).toEqual(bad);
    expect(unreadable.count).toBe(poison.length);
    const reasons = Object.fromEntries(unreadable.list().map((r, i) => [poison[i][0], r.reason]));
    expect(reasons).toMatchObject({
      'bad JSON': 'not UTF-8 JSON', 'an unknown event version': expect.stringMatching(/unknown event version: SubnetCreated v9/),
      'a gateway of the wrong type': expect.stringMatching(/gatewayIp/), 'a huge body': expect.stringMatching(/SubnetCreated.v1.data.networkId: is required/),
    });
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.op === 'commit.unreadable');
    expect(logged.map((l) => [l.seq, l.subject])).toEqual(bad.map((s) => [s, subject]));
    // Read again: counted and logged once per commit, not once per read.
    await store.read({ aggregate: 'subnet', id });
    expect(unreadable.count).toBe(poison.length);
    expect(lines.filter((l) => l.includes('commit.unreadable'))).toHaveLength(poison.length);

    // handle() decides on the readable history and appends after the poison.
    const lbId = randomUUID();
    const lbSubject = `lbaas.evt.lb.${lbId}`;
    await handle(store, { aggregate: 'lb', id: lbId }, counter, add(), actor);
    await js.publish(lbSubject, 'garbage');
    const r = await handle(store, { aggregate: 'lb', id: lbId }, counter, add(), actor);
    expect(r.seq).toBeGreaterThan(0);
    expect((await store.read({ aggregate: 'lb', id: lbId })).commits).toHaveLength(2);

    // A long history (read by an ordered consumer, not direct gets) skips the same way.
    const longId = randomUUID();
    for (let i = 0; i < 20; i++) await js.publish(`lbaas.evt.lb.${longId}`, i % 5 === 2 ? 'nope' : body([{ type: 'Added', v: 1, data: {} }]));
    expect((await jetStreamEventStore(nats.connection, { unreadable, directGets: 2 }).read({ aggregate: 'lb', id: longId })).commits).toHaveLength(16);

    // A projection folds every readable commit and hears of each skipped one.
    const folded: number[] = [];
    const heard: number[] = [];
    const projection = await runProjection(nats.connection, {
      onCommit: (c) => folded.push(c.seq), onUnreadable: (e) => heard.push(e.seq), unreadable: new UnreadableCommits(), logger,
    });
    await projection.stop();
    expect(folded).toContain(good1);
    expect(heard.filter((s) => bad.includes(s))).toEqual(bad);
    expect(folded.some((s) => heard.includes(s))).toBe(false);
  });
});
