import { spawn } from 'node:child_process';
import { sh, type NetnsProcess } from '@lbaas/testing';

/**
 * Data-plane test helpers: an echo backend that shows what reached it (headers, cookies, path), sets an application
 * cookie on /login, answers /slow after 1.5 s, and optionally serves TLS; and curl from a client namespace.
 */
const ECHO = `
const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');
const [name, port, tlsPort, key, cert] = process.argv.slice(1);
const handler = (req, res) => {
  const h = req.headers;
  const send = () => {
    if (req.url.startsWith('/login')) res.setHeader('set-cookie', 'APPSESSION=' + name + '-' + Math.random().toString(36).slice(2) + '; Path=/');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, xff: h['x-forwarded-for'] || null, xfp: h['x-forwarded-proto'] || null,
      xfport: h['x-forwarded-port'] || null, cookie: h.cookie || null, src: req.socket.remoteAddress }) + '\\n');
  };
  if (req.url.startsWith('/slow')) setTimeout(send, 1500); else send();
};
let pending = 1;
const ready = () => { if (--pending === 0) console.log('listening'); };
if (tlsPort) { pending++; https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, handler).listen(Number(tlsPort), '0.0.0.0', ready); }
http.createServer(handler).listen(Number(port), '0.0.0.0', ready);`;

/** Starts the echo backend `name` inside `netns` on `port` (and on `tls.port` with the given key and certificate). */
export async function startEchoServer(netns: string, name: string, port: number, tls?: { port: number; key: string; cert: string }): Promise<NetnsProcess> {
  const args = [name, String(port), ...(tls ? [String(tls.port), tls.key, tls.cert] : [])];
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', ECHO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`echo server ${name} in ${netns} exited ${code}`)));
  });
  return {
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** One curl answer: status 0 when the connection failed (refused, reset, timed out). */
export type CurlAnswer = { status: number; headers: Record<string, string[]>; body: string; json: any };

/** Runs curl inside `netns` (`-s -i` plus `args`), never following redirects. */
export async function curl(netns: string, url: string, args: string[] = [], timeoutS = 4): Promise<CurlAnswer> {
  let out: string;
  try {
    out = await sh('ip', ['netns', 'exec', netns, 'curl', '-s', '-i', '--max-time', String(timeoutS), ...args, url]);
  } catch {
    return { status: 0, headers: {}, body: '', json: null };
  }
  const sep = out.indexOf('\r\n\r\n');
  const head = sep >= 0 ? out.slice(0, sep) : out;
  const body = sep >= 0 ? out.slice(sep + 4) : '';
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) (headers[l.slice(0, i).trim().toLowerCase()] ??= []).push(l.slice(i + 1).trim());
  }
  let json: any = null;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, json };
}
