import { createServer } from 'node:net';

/** A base port with base+1 .. base+n free on 127.0.0.1 (the embedded stack's metrics ports: api, scheduler, watcher, agents). */
export async function freeRange(n: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((r) => {
      const s = createServer().once('error', () => r(false)).listen(base + 1 + i, '127.0.0.1', () => s.close(() => r(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}
