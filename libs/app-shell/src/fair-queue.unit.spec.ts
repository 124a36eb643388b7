import { FairQueue } from './fair-queue';

const drain = <K>(q: FairQueue<K>, n = Infinity): K[] => {
  const out: K[] = [];
  while (out.length < n) {
    const k = q.shift();
    if (k === undefined) break;
    out.push(k);
  }
  return out;
};

describe('FairQueue', () => {
  it('a flow that joins behind a long backlog of another waits for one of its keys, not for all of them', () => {
    const q = new FairQueue();
    for (let i = 0; i < 2000; i++) q.push('A', `a${i}`);
    q.push('B', 'b0');
    expect(drain(q, 3)).toEqual(['a0', 'b0', 'a1']);
    expect(q.size).toBe(1998);
  });

  it('flows take turns, one key each, and keep their own order', () => {
    const q = new FairQueue();
    for (const k of ['a1', 'a2', 'a3', 'a4']) q.push('A', k);
    for (const k of ['b1', 'b2']) q.push('B', k);
    q.push('C', 'c1');
    expect(drain(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(q.size).toBe(0);
    expect(q.flowCount).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('a key is queued once: pushing it again keeps its place (bounded by the keys, not by the pushes)', () => {
    const q = new FairQueue();
    expect(q.push('A', 'x')).toBe(true);
    expect(q.push('A', 'y')).toBe(true);
    expect(q.push('A', 'x')).toBe(false);
    expect(q.push('B', 'x')).toBe(false);
    expect(q.size).toBe(2);
    expect(drain(q)).toEqual(['x', 'y']);
  });

  it('delete takes a key out wherever it is; an emptied flow leaves the turn order', () => {
    const q = new FairQueue();
    q.push('A', 'a1');
    q.push('B', 'b1');
    q.push('A', 'a2');
    expect(q.delete('b1')).toBe(true);
    expect(q.delete('b1')).toBe(false);
    expect(q.flowCount).toBe(1);
    expect(q.has('a2')).toBe(true);
    expect(drain(q)).toEqual(['a1', 'a2']);
  });
});
