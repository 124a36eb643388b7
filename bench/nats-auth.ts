/**
 * What NATS identities and TLS cost (issue 10): append latency through libs/event-store (sequential, OCC + msg id,
 * the command path) and full replay rate (ordered consumer, the projection runner), on an open nats-server and on
 * one with nkey identities, the generated permissions and TLS with client certificates, in the same run, each
 * measured twice, interleaved (open, secure, open, secure), to even out a busy machine.
 *   node bench/run.js bench/nats-auth.ts [appends=2000] [replay=50000]
 * Prints the figures and writes bench/reports/nats-auth-<time>.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Commit } from '@lbaas/contracts';
import { jetStreamEventStore, runProjection } from '@lbaas/event-store';
import { bootstrapNats, startNatsServer, startNatsServerWithIdentities } from '@lbaas/testing';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { summarize } from './stats';

const APPENDS = Number(process.argv[2] ?? 2000);
const REPLAY = Number(process.argv[3] ?? 50_000);
const commit = (n: number): Commit => ({
  commitId: randomUUID(), at: new Date().toISOString(), actor: { kind: 'service', service: 'bench' },
  events: [{ type: 'MemberOperatingStatusChanged', v: 1, data: { lbId: 'x', memberId: 'm', status: n % 2 ? 'ONLINE' : 'ERROR', epoch: 1 } }],
});

type Setup = { mode: 'open' | 'auth+tls'; url: string; operator: Partial<ConnectionOptions>; api: Partial<ConnectionOptions>; stop(): Promise<void> };

async function setup(mode: Setup['mode']): Promise<Setup> {
  if (mode === 'open') {
    const s = await startNatsServer();
    return { mode, url: s.url, operator: {}, api: {}, stop: () => s.stop() };
  }
  const s = await startNatsServerWithIdentities({ agents: ['a1'], tls: true });
  return { mode, url: s.url, operator: s.options('operator'), api: s.options('api'), stop: () => s.stop() };
}

async function measure(mode: Setup['mode']) {
  const s = await setup(mode);
  let nc: NatsConnection | undefined;
  try {
    await bootstrapNats(s.url, { options: s.operator });
    nc = await connect({ servers: s.url, ...s.api });
    const store = jetStreamEventStore(nc);
    // 1. Sequential appends, each a new aggregate (expect 0), as the api identity.
    const lat: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const t0 = performance.now();
      await store.append({ aggregate: 'lb', id: `b${i}` }, commit(i), 0);
      lat.push(performance.now() - t0);
    }
    // 2. Fill to REPLAY commits (pipelined, windows of 256), then replay everything as a projection does.
    const js = nc.jetstream({ timeout: 30_000 });
    const enc = new TextEncoder();
    for (let i = APPENDS; i < REPLAY; i += 256) {
      await Promise.all(Array.from({ length: Math.min(256, REPLAY - i) }, (_, k) => js.publish(`lbaas.evt.lb.r${(i + k) % 1000}`, enc.encode(JSON.stringify(commit(i + k))))));
    }
    const t0 = performance.now();
    let n = 0;
    await (await runProjection(nc, { onCommit: () => { n++; } })).stop();
    const replayMs = performance.now() - t0;
    const sorted = [...lat].sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.ceil(p * sorted.length) - 1] * 1000) / 1000;
    return { mode, appends: APPENDS, p50: q(0.5), p99: q(0.99), max: summarize(lat).max, perSecond: Math.round(APPENDS / (lat.reduce((a, b) => a + b, 0) / 1000)), replayed: n, replayMs: Math.round(replayMs), replayPerSecond: Math.round(n / (replayMs / 1000)) };
  } finally {
    await nc?.close();
    await s.stop();
  }
}

async function main(): Promise<void> {
  const runs = [];
  for (const mode of ['open', 'auth+tls', 'open', 'auth+tls'] as const) {
    const r = await measure(mode);
    runs.push(r);
    console.log(`${mode.padEnd(9)} append p50 ${r.p50} ms, p99 ${r.p99} ms (${r.perSecond}/s sequential); replay of ${r.replayed} commits ${r.replayMs} ms = ${r.replayPerSecond}/s`);
  }
  const best = (mode: string, k: 'p50' | 'p99' | 'replayPerSecond') => {
    const xs = runs.filter((r) => r.mode === mode).map((r) => r[k]);
    return k === 'replayPerSecond' ? Math.max(...xs) : Math.min(...xs);
  };
  const cost = {
    appendP50Ms: Math.round((best('auth+tls', 'p50') - best('open', 'p50')) * 1000) / 1000,
    appendP99Ms: Math.round((best('auth+tls', 'p99') - best('open', 'p99')) * 1000) / 1000,
    replayRatePct: Math.round((best('auth+tls', 'replayPerSecond') / best('open', 'replayPerSecond') - 1) * 1000) / 10,
  };
  console.log(`auth+tls vs open (best of 2 each): append p50 ${cost.appendP50Ms >= 0 ? '+' : ''}${cost.appendP50Ms} ms, p99 ${cost.appendP99Ms >= 0 ? '+' : ''}${cost.appendP99Ms} ms; replay rate ${cost.replayRatePct >= 0 ? '+' : ''}${cost.replayRatePct}%`);
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `nats-auth-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), appends: APPENDS, replay: REPLAY, runs, cost }, null, 2)}\n`);
  console.log(`report: ${file}`);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
