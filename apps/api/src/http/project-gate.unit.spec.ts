import { ProjectGate } from './project-gate';

const flush = () => new Promise((r) => setImmediate(r));

describe('ProjectGate', () => {
  it("a project's requests beyond its slots wait for its own to finish, in order; another project's never wait", async () => {
    const gate = new ProjectGate({ perProject: 2 });
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const request = (project: string, name: string) => {
      const entered = gate.enter(project);
      if (entered === 'full') throw new Error('full');
      void entered.then((release) => { started.push(name); releases.set(name, release); });
    };
    for (let i = 1; i <= 5; i++) request('A', `a${i}`);
    request('B', 'b1');
    await flush();
    expect(started).toEqual(['a1', 'a2', 'b1']); // B is not behind A's three waiting ones
    expect(gate.load('A')).toEqual({ running: 2, waiting: 3 });
    releases.get('a2')?.();
    releases.get('a2')?.(); // a second release of the same slot changes nothing
    await flush();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(gate.load('A')).toEqual({ running: 2, waiting: 2 });
    for (const n of ['a1', 'a3']) releases.get(n)?.();
    await flush();
    for (const n of ['a4', 'a5', 'b1']) releases.get(n)?.();
    await flush();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5']);
    expect(gate.load('A')).toEqual({ running: 0, waiting: 0 });
    expect(gate.load('B')).toEqual({ running: 0, waiting: 0 });
  });

  it("beyond maxWaiting a project's next request is refused ('full'), the others' are not", async () => {
    const gate = new ProjectGate({ perProject: 1, maxWaiting: 1 });
    expect(gate.enter('A')).not.toBe('full');
    expect(gate.enter('A')).not.toBe('full');
    expect(gate.enter('A')).toBe('full');
    expect(gate.enter('B')).not.toBe('full');
    expect(() => new ProjectGate({ perProject: 0 })).toThrow(/perProject/);
  });
});
