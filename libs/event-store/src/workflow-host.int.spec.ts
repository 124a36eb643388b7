import { randomUUID } from 'node:crypto';
import type { Workflow } from '@lbaas/domain';
import type { EventEnvelope } from '@lbaas/contracts';
import type { Decider } from '@lbaas/events';
import { natsServerPerFile } from '@lbaas/testing';
import pino from 'pino';
import { ensureEventStream } from './ensure-event-stream';
import { jetStreamEventStore } from './jetstream-event-store';
import { startWorkflowHost, type WorkflowHost } from './workflow-host';

// The workflow host against a real nats-server: a command the workflow issues again while its first copy still waits in
// the host's queue is sent once (the scheduler's placements under a burst were sent up to 17 times each); with flows,
// one flow's backlog does not hold another flow's command behind it.

const nats = natsServerPerFile();
type Mark = { type: 'Mark'; data: { n: number; flow?: string }; metadata: { commandId: string; now: string } };
type Input = { type: 'Poke'; n: number; flow?: string } | { type: 'Tick' } | { type: 'Issued'; command: Mark };

describe('startWorkflowHost', () => {
  let host: WorkflowHost<Input> | undefined;
  afterEach(async () => { await host?.stop(); host = undefined; });

  it('sends a command once while it is queued or in flight, however often the workflow issues it', async () => {
    await ensureEventStream(nats.connection);
    const store = jetStreamEventStore(nats.connection);
    const id = randomUUID();
    let decided = 0;
    const marks: Decider<ReadonlySet<number>, Mark, EventEnvelope> = {
      initialState: () => new Set(),
      evolve: (s, e) => new Set(s).add((e.data as { n: number }).n),
      decide: (c) => { decided++; return [{ type: 'Marked', v: 1, data: { n: c.data.n } }]; },
    };
    // A workflow that forgets what it issued: every Poke n issues "mark n" with the same command id, as a workflow
    // whose retry time passed while the command still waited behind others would.
    const workflow: Workflow<null, Input, Mark> = {
      initialState: () => null,
      evolve: (s) => s,
      decide: (input) => (input.type === 'Poke' ? [{ type: 'Mark', data: { n: input.n }, metadata: { commandId: `test/mark/${id}/${input.n}`, now: new Date().toISOString() } }] : []),
    };
    host = await startWorkflowHost<null, Input, Mark>({
      name: 'test', nc: nats.connection, store, workflow, logger: pino({ level: 'silent' }),
      route: () => ({ stream: { aggregate: 'lb', id }, decider: marks as Decider<unknown, unknown, unknown> }),
      inputsOf: () => [], tick: () => ({ type: 'Tick' }), tickMs: 60_000, issued: (command) => ({ type: 'Issued', command }),
      actor: { kind: 'service', service: 'test' },
    });
    // Ten commands, each issued five times in a row (all of it before the first append returns).
    for (let n = 0; n < 10; n++) for (let k = 0; k < 5; k++) host.feed({ type: 'Poke', n });
    const deadline = Date.now() + 10_000;
    let commits = (await store.read({ aggregate: 'lb', id })).commits;
    while (commits.length < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      commits = (await store.read({ aggregate: 'lb', id })).commits;
    }
    await new Promise((r) => setTimeout(r, 300)); // anything queued twice would be decided by now
    expect(commits.flatMap((c) => c.events.map((e) => (e.data as { n: number }).n))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(decided).toBe(10);
    // Once sent, the same id may be issued again (a real retry): it is sent again, and the store's answer is the truth.
    host.feed({ type: 'Poke', n: 3 });
    const until = Date.now() + 5_000;
    while (decided < 11 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(decided).toBe(11);
  });

  it('with flows, the flows take turns: a command of a quiet flow is sent after one of the busy flow, not after its backlog', async () => {
    await ensureEventStream(nats.connection);
    const store = jetStreamEventStore(nats.connection);
    const id = randomUUID();
    const marks: Decider<null, Mark, EventEnvelope> = {
      initialState: () => null,
      evolve: (s) => s,
      decide: (c) => [{ type: 'Marked', v: 1, data: { n: c.data.n } }],
    };
    const workflow: Workflow<null, Input, Mark> = {
      initialState: () => null,
      evolve: (s) => s,
      decide: (input) => (input.type === 'Poke'
        ? [{ type: 'Mark', data: { n: input.n, flow: input.flow }, metadata: { commandId: `test/mark/${id}/${input.n}`, now: new Date().toISOString() } }] : []),
    };
    const start = (flows: boolean) => startWorkflowHost<null, Input, Mark>({
      name: 'test', nc: nats.connection, store, workflow, logger: pino({ level: 'silent' }),
      route: () => ({ stream: { aggregate: 'lb', id }, decider: marks as Decider<unknown, unknown, unknown> }),
      inputsOf: () => [], tick: () => ({ type: 'Tick' }), tickMs: 60_000, issued: (command) => ({ type: 'Issued', command }),
      actor: { kind: 'service', service: 'test' }, ...(flows ? { flowOf: (c: Mark) => c.data.flow ?? '' } : {}),
    });
    /** Project A issues 30 commands, then project B one (all before the first append returns); the order they were decided in. */
    const order = async (base: number): Promise<number[]> => {
      for (let n = 0; n < 30; n++) host?.feed({ type: 'Poke', n: base + n, flow: 'A' });
      host?.feed({ type: 'Poke', n: base + 100, flow: 'B' });
      const deadline = Date.now() + 10_000;
      let ns: number[] = [];
      while (ns.length < 31 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        ns = (await store.read({ aggregate: 'lb', id })).commits.flatMap((c) => c.events.map((e) => (e.data as { n: number }).n)).filter((n) => n >= base && n < base + 1000);
      }
      return ns;
    };
    host = await start(false);
    const inOrder = await order(0);
    expect(inOrder.indexOf(100)).toBe(30); // one flow: B's command waits behind A's 30
    await host.stop();
    host = await start(true);
    const fair = await order(1000);
    expect(fair).toHaveLength(31);
    expect(fair.indexOf(1100)).toBeLessThanOrEqual(2); // A's first (already being sent) and at most one more, then B's
    expect(fair.filter((n) => n < 1100)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i)); // A's still in order
  });
});
