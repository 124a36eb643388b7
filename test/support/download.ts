import { spawn } from 'node:child_process';

/**
 * Long TCP downloads for the planned-move specs (issue 14, session continuity): a backend that streams `secs` seconds
 * of data (1 KB every 100 ms) to each connection, then closes it, and a client that reads one such stream to its end,
 * each in a network namespace. A download that finishes has every byte (`secs * 10 * 1024`) and no error.
 */

// The backend: each connection gets 1 KB every 100 ms for `secs` seconds, then the server's FIN.
const SLOW_SERVER = `
const net = require('node:net');
const [port, secs] = process.argv.slice(1).map(Number);
net.createServer((s) => {
  let n = 0;
  const t = setInterval(() => { s.write(Buffer.alloc(1024, 97)); if (++n >= secs * 10) { clearInterval(t); s.end(); } }, 100);
  s.on('error', () => clearInterval(t)); s.on('close', () => clearInterval(t));
}).listen(port, '0.0.0.0', () => console.log('listening'));`;
// The client: prints bytes, how it ended and how long it took.
const DOWNLOAD = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const t0 = Date.now(); let bytes = 0; let err = null;
const s = net.connect(Number(port), host);
s.on('data', (d) => { bytes += d.length; });
s.on('error', (e) => { err = e.code || e.message; });
s.on('close', () => { console.log(JSON.stringify({ bytes, err, ms: Date.now() - t0 })); process.exit(0); });`;

/** The bytes a download of a `secs`-second stream gets when nothing cuts it. */
export const downloadBytes = (secs: number): number => secs * 10 * 1024;

/** Starts the slow backend in `netns` on `port`; resolves once it listens. */
export async function startSlowServer(netns: string, port: number, secs: number): Promise<{ kill(): void }> {
  const srv = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SLOW_SERVER, String(port), String(secs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    srv.stdout.once('data', () => resolve());
    srv.once('exit', (code) => reject(new Error(`slow server in ${netns} exited (${code}) before listening`)));
  });
  return srv;
}

export type DownloadResult = { bytes: number; err: string | null; ms: number };
export type Download = { done: Promise<DownloadResult> };

/** One download from `netns` of the stream at host:port; `done` resolves when the connection closed. */
export function download(netns: string, host: string, port: number): Download {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', DOWNLOAD, host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return { done: new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out.trim() || '{"bytes":0,"err":"no output","ms":0}')))) };
}
