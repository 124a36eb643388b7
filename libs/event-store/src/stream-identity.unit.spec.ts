import { judgeStream, type RememberedStream, type StreamObservation } from './stream-identity';

const A = { id: 'stream-a', createdAt: '2026-01-01T00:00:00Z', genesis: true };
const seen = (o: Partial<Extract<StreamObservation, { state: 'present' }>> = {}): StreamObservation =>
  ({ state: 'present', identity: A, lastSeq: 100, messages: 100, restore: null, ...o });
const memory = (o: Partial<RememberedStream> = {}): RememberedStream => ({ id: 'stream-a', createdAt: A.createdAt, lastSeq: 80, acceptedRestore: null, ...o });
const marker = (commitId: string) => ({ commitId, streamId: 'stream-a', restoredAt: '2026-02-01T00:00:00Z', lastSeq: 49 });

describe('judgeStream: may an agent act on (and destroy because of) the stream it sees?', () => {
  it.each([
    ['the stream it served from, longer now', memory(), seen(), true, { lastSeq: 100 }],
    ['a first sight with history, owning things', null, seen(), true, { id: 'stream-a', lastSeq: 100 }],
    ['a first sight of a bare genesis, owning nothing', null, seen({ lastSeq: 1, messages: 1 }), false, { lastSeq: 1 }],
    ['another stream while it hosts nothing (a fresh start)', memory(), seen({ identity: { ...A, id: 'stream-b' }, lastSeq: 3 }), false, { id: 'stream-b', lastSeq: 3 }],
    ['a shorter stream while it hosts nothing', memory({ lastSeq: 120 }), seen(), false, { id: 'stream-a', lastSeq: 100 }],
    ['a stream made before identities, empty, owning nothing', null, seen({ identity: null, lastSeq: 0, messages: 0 }), false, null],
  ])('trusts %s', (_what, remembered, observation, owns, remember) => {
    const v = judgeStream(remembered, observation, owns);
    expect(v.trusted).toBe(true);
    if (v.trusted) expect(v.remember === null ? null : v.remember).toEqual(remember === null ? null : expect.objectContaining(remember));
  });

  it.each([
    ['a missing stream', memory(), { state: 'missing' } as StreamObservation, true, 'missing'],
    ['an empty stream after one it remembers', memory(), seen({ identity: null, lastSeq: 0, messages: 0 }), true, 'empty'],
    ['an empty stream while it hosts load balancers (started before dr import)', null, seen({ identity: null, lastSeq: 0, messages: 0 }), true, 'empty'],
    ['a new bootstrap (genesis only) while it hosts load balancers', null, seen({ lastSeq: 1, messages: 1 }), true, 'empty'],
    ['a stream of another identity', memory(), seen({ identity: { ...A, id: 'stream-b' } }), true, 'foreign'],
    ['a stream shorter than it saw', memory({ lastSeq: 120 }), seen(), true, 'shorter'],
    ['a shorter stream whose restore marker it already accepted', memory({ lastSeq: 120, acceptedRestore: 'r1' }), seen({ restore: marker('r1') }), true, 'shorter'],
    ['a shorter stream whose restore marker names another stream', memory({ lastSeq: 120 }), seen({ restore: { ...marker('r2'), streamId: 'stream-b' } }), true, 'shorter'],
  ])('refuses %s', (_what, remembered, observation, owns, problem) => {
    const v = judgeStream(remembered, observation, owns);
    expect(v).toMatchObject({ trusted: false, problem, message: expect.any(String) });
  });

  it('accepts a shorter history once per restore marker an operator wrote, and remembers it is spent', () => {
    const v = judgeStream(memory({ lastSeq: 120 }), seen({ lastSeq: 50, restore: marker('r2') }), true);
    expect(v).toMatchObject({ trusted: true, remember: { lastSeq: 50, acceptedRestore: 'r2' }, note: expect.stringMatching(/restored/) });
    if (!v.trusted || !v.remember) throw new Error('unreachable');
    expect(judgeStream({ ...v.remember, lastSeq: 120 }, seen({ lastSeq: 50, restore: marker('r2') }), true)).toMatchObject({ trusted: false, problem: 'shorter' });
  });
});
