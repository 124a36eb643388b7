import { spawn } from 'node:child_process';
import { sh, type NetnsProcess } from '@lbaas/testing';

// Helpers of the agent's UDP and VIP integration tests: a UDP echo member, a UDP client, a dual-stack HTTP member.

/** A UDP echo server in a namespace: answers `<name> <client address>` to each datagram. */
const ECHO = `
const dgram = require('node:dgram');
const [name, port, family] = process.argv.slice(1);
const s = dgram.createSocket(family);
s.on('message', (m, r) => s.send(name + ' ' + r.address, r.port, r.address));
s.bind(Number(port), () => console.log('listening'));`;

/** Sends `count` datagrams to vip:port, each from its own socket (a new flow), from each source address in turn. */
const CLIENT = `
const dgram = require('node:dgram');
const [vip, port, count, sources, family] = process.argv.slice(1);
const srcs = sources.split(',');
const out = { replies: {}, bySource: {}, none: 0, from: {}, flows: [] };
const one = (src) => new Promise((resolve) => {
  const s = dgram.createSocket(family);
  const done = (name) => { clearTimeout(t); try { s.close(); } catch {} resolve(name); };
  const t = setTimeout(() => done(null), 2000);
  s.on('error', () => done(null));
  s.on('message', (m, r) => { out.from[r.address + ':' + r.port] = 1; done(m.toString().split(' ')[0]); });
  s.bind({ address: src }, () => { out.flows.push(src + ':' + s.address().port); s.connect(Number(port), vip, () => s.send('ping')); });
});
(async () => {
  const n = Number(count);
  for (let i = 0; i < n; i += 40) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 40); j++) batch.push((async () => {
      const src = srcs[j % srcs.length];
      const name = await one(src);
      if (name === null) { out.none++; return; }
      out.replies[name] = (out.replies[name] || 0) + 1;
      (out.bySource[src] = out.bySource[src] || {})[name] = 1;
    })());
    await Promise.all(batch);
  }
  console.log(JSON.stringify(out));
})();`;

/** `flows`: each datagram's source address and port (two runs may reuse a port: the same conntrack flow, not a new one). */
export type ClientResult = { replies: Record<string, number>; bySource: Record<string, Record<string, 1>>; none: number; from: Record<string, 1>; flows: string[] };

/** A process started in a namespace, ready once it printed its first line; `stop()` kills it (SIGKILL: a member dies). */
function started(child: ReturnType<typeof spawn>, what: string): Promise<NetnsProcess> {
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve({
      child,
      stop: () => new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGKILL'); }),
    }));
    child.once('exit', (code) => reject(new Error(`${what} exited ${code}`)));
  });
}

export const startEcho = (netns: string, name: string, port: number, family: 'udp4' | 'udp6' = 'udp4'): Promise<NetnsProcess> =>
  started(spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', ECHO, name, String(port), family], { stdio: ['ignore', 'pipe', 'pipe'] }), `echo ${name}`);

export async function send(netns: string, vip: string, port: number, count: number, sources: string[], family: 'udp4' | 'udp6' = 'udp4'): Promise<ClientResult> {
  const out = await sh('ip', ['netns', 'exec', netns, process.execPath, '-e', CLIENT, vip, String(port), String(count), sources.join(','), family]);
  return JSON.parse(out.trim()) as ClientResult;
}

export const until = async <T>(what: string, f: () => Promise<T>, ok: (x: T) => boolean, timeoutMs = 20_000): Promise<{ value: T; ms: number }> => {
  const t0 = Date.now();
  for (;;) {
    const value = await f();
    if (ok(value)) return { value, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** A dual-stack HTTP server (`::`, IPv4 too) in a namespace: answers `<name> src=<peer>`. */
const HTTP = `
const http = require('node:http');
const [name, port] = process.argv.slice(1);
http.createServer((req, res) => res.end(name + ' src=' + req.socket.remoteAddress + '\\n')).listen(Number(port), '::', () => console.log('listening'));`;

export const startHttp6 = (netns: string, name: string, port: number): Promise<NetnsProcess> =>
  started(spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', HTTP, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] }), `http ${name}`);
