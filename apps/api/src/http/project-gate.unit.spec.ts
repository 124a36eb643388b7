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
    expect(gate.load('A')).toMatchObject({ running: 2, waiting: 3 });
    releases.get('a2')?.();
    releases.get('a2')?.(); // a second release of the same slot changes nothing
    await flush();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(gate.load('A')).toMatchObject({ running: 2, waiting: 2 });
    for (const n of ['a1', 'a3']) releases.get(n)?.();
    await flush();
    for (const n of ['a4', 'a5', 'b1']) releases.get(n)?.();
    await flush();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5']);
    expect(gate.load('A')).toMatchObject({ running: 0, waiting: 0 });
    expect(gate.load('B')).toMatchObject({ running: 0, waiting: 0 });
  });

  it("beyond maxWaiting a project's next request is refused ('full'), the others' are not", async () => {
    const gate = new ProjectGate({ perProject: 1, maxWaiting: 1 });
    expect(gate.enter('A')).not.toBe('full');
    expect(gate.enter('A')).not.toBe('full');
    expect(gate.enter('A')).toBe('full');
    expect(gate.enter('B')).not.toBe('full');
    expect(() => new ProjectGate({ perProject: 0 })).toThrow(/perProject/);
    expect(() => new ProjectGate({ perProject: 4, minShare: 5 })).toThrow(/minShare must be in 1..perProject/);
    expect(() => new ProjectGate({ perProject: 4, minShare: 0 })).toThrow(/minShare must be in 1..perProject/);
  });

  it('is work-conserving: a project alone has all its slots, an even share while others are present, all again once they are gone for presentMs', async () => {
    let now = 1_000_000;
    const gate = new ProjectGate({ perProject: 8, minShare: 2, presentMs: 2000, nowMs: () => now });
    const running = new Map<string, Array<() => void>>();
    const started: string[] = [];
    const request = (project: string, name: string) => {
      const entered = gate.enter(project);
      if (entered === 'full') throw new Error('full');
      void entered.then((release) => {
        started.push(name);
        running.set(project, [...(running.get(project) ?? []), release]);
      });
    };
    const end = (project: string, n: number) => {
      for (let i = 0; i < n; i++) running.get(project)?.shift()?.();
    };
    for (let i = 1; i <= 10; i++) request('A', `a${i}`);
    await flush();
    expect(gate.load('A')).toEqual({ running: 8, waiting: 2, slots: 8 }); // alone: all 8

    request('B', 'b1'); // B arrives: it gets a slot at once (the busy project's requests in the works are not cut)
    await flush();
    expect(started).toContain('b1');
    expect(gate.load('A')).toMatchObject({ slots: 4 }); // two present: 8 / 2
    expect(gate.load('B')).toEqual({ running: 1, waiting: 0, slots: 4 });

    end('A', 4); // A's ended requests free no slot for A's waiting ones until A is below its share
    await flush();
    expect(gate.load('A')).toMatchObject({ running: 4, waiting: 2 });
    end('A', 1);
    await flush();
    expect(gate.load('A')).toMatchObject({ running: 4, waiting: 1 }); // a9 took the freed slot
    expect(started.filter((n) => n.startsWith('a'))).toHaveLength(9);

    request('C', 'c1'); // three present: 8 / 3 = 2 each; four present would be 2 too (the least share)
    request('D', 'd1');
    await flush();
    expect(gate.load('A')).toMatchObject({ slots: 2 });
    end('C', 1);
    end('D', 1);
    now += 2001; // C and D gone for presentMs (B is still in the works): two present again
    expect(gate.load('A')).toMatchObject({ slots: 4 });

    end('B', 1); // B's request ended: B stays present for presentMs, A keeps its share
    now += 1999;
    end('A', 1);
    await flush();
    expect(gate.load('A')).toEqual({ running: 4, waiting: 0, slots: 4 }); // a10 started, but A is at its share
    for (let i = 11; i <= 16; i++) request('A', `a${i}`);
    await flush();
    expect(gate.load('A')).toMatchObject({ running: 4, waiting: 6 });

    now += 2; // B gone for presentMs: at A's next request end its waiting ones take all its slots
    end('A', 1);
    await flush();
    expect(gate.load('A')).toEqual({ running: 8, waiting: 1, slots: 8 });
    expect(gate.load('B')).toEqual({ running: 0, waiting: 0, slots: 4 }); // gone (were it to come back, A is present)
    end('A', 8);
    await flush();
    end('A', 1);
    expect(started).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'b1', 'a9', 'c1', 'd1', 'a10', 'a11', 'a12', 'a13', 'a14', 'a15', 'a16']);
    expect(gate.load('A')).toMatchObject({ running: 0, waiting: 0 });
  });
});
