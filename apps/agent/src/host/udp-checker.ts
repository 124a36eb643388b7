import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { memberKey, renderPoolMaps, type NftMember, type NftModel, type NftMonitor, type NftPool } from '@lbaas/nft-config';

/**
 * The UDP health checker of one LB (keepalived's checkers, for the nftables table): it runs inside the LB's namespace
 * (started by the agent, one process per LB with UDP pools), checks every enabled member of each monitored pool every
 * `delay` seconds, and when a member goes down or comes back rewrites the pools' maps (one `nft -f` transaction), so a
 * dead member leaves the rotation without the agent. It writes what it sees to a status file the agent reads (member
 * health and reports, as haproxy's `show stat` for the other pools). SIGHUP: read the model again; SIGTERM: exit.
 *
 * UDP-CONNECT is Octavia's MISC_CHECK (`nc -uz`): a datagram to the member's port on a connected socket; an ICMP port
 * (or host) unreachable means down, an answer or silence until the timeout means up. PING, TCP and HTTP as haproxy does.
 */

/** The files of one LB's UDP part, in its run dir. */
export const udpFiles = (dir: string) => ({
  /** The model and its digest, as the agent last applied them (the checker's input). */
  model: join(dir, 'udp.json'),
  /** The table's structure as last checked and applied; `.new` while checked, `.failed` when nft refused it. */
  ruleset: join(dir, 'udp.nft'),
  rulesetNew: join(dir, 'udp.nft.new'),
  rulesetFailed: join(dir, 'udp.nft.failed'),
  status: join(dir, 'udp-health.json'),
  pid: join(dir, 'udp-health.pid'),
});

/** What the checker says of one member. */
export type MemberCheck = Readonly<{
  /** UP / DOWN (checked), MAINT (disabled member), `no check` (its pool has no monitor, or checks are off). */
  status: 'UP' | 'DOWN' | 'MAINT' | 'no check';
  /** At least one check ran (haproxy's INI otherwise: nobody looked yet). */
  checked: boolean;
  weight: number;
  detail: string;
}>;
export type UdpStatus = Readonly<{ pid: number; at: string; digest: string; members: Readonly<Record<string, MemberCheck>> }>;
export type UdpRecord = Readonly<{ digest: string; model: NftModel }>;

type Tracked = { status: 'UP' | 'DOWN'; checked: boolean; ok: number; fail: number; detail: string; target: string; udp?: UdpProbe };

/** A connected UDP socket per member: an ICMP error can arrive after the timeout of the datagram that caused it. */
class UdpProbe {
  private error: string | null = null;
  private answered = false;
  private readonly socket: Socket;
  private ready: Promise<void>;
  constructor(readonly m: NftMember) {
    this.socket = createSocket(m.family === 4 ? 'udp4' : 'udp6');
    this.socket.on('error', (e: NodeJS.ErrnoException) => { this.error = e.code ?? e.message; });
    this.socket.on('message', () => { this.answered = true; });
    this.ready = new Promise((resolve) => this.socket.connect(m.checkPort, m.checkAddress, () => resolve()));
  }
  async check(timeoutMs: number): Promise<string | null> {
    await this.ready;
    this.error = null;
    this.answered = false;
    await new Promise<void>((resolve) => this.socket.send('lbaas-health\n', () => resolve()));
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs && this.error === null && !this.answered) await sleep(50);
    return this.error;
  }
  close(): void { try { this.socket.close(); } catch { /* closed */ } }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One check of `m` by `hm`; null when it passed, else why not. */
async function checkOnce(hm: NftMonitor, m: NftMember, probe: UdpProbe | undefined): Promise<string | null> {
  const timeoutMs = hm.timeout * 1000;
  switch (hm.type) {
    case 'UDP-CONNECT':
      return probe ? probe.check(Math.min(timeoutMs, hm.delay * 1000)) : 'no probe';
    case 'PING':
      return new Promise((resolve) => {
        const child = spawn('ping', ['-n', '-q', '-c', '1', '-W', String(hm.timeout), '--', m.checkAddress], { stdio: 'ignore' });
        child.on('error', (e) => resolve(e.message));
        child.on('close', (code) => resolve(code === 0 ? null : `ping exit ${code}`));
      });
    case 'TCP':
      return new Promise((resolve) => {
        const s = connect({ host: m.checkAddress, port: m.checkPort, timeout: timeoutMs });
        const done = (why: string | null) => { s.destroy(); resolve(why); };
        s.on('connect', () => done(null));
        s.on('timeout', () => done('timeout'));
        s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
      });
    case 'HTTP':
      return new Promise((resolve) => {
        const req = request({
          host: m.checkAddress, port: m.checkPort, method: hm.httpMethod, path: hm.urlPath, timeout: timeoutMs, agent: false,
          headers: hm.domainName ? { host: hm.domainName } : {},
        }, (res) => {
          res.resume();
          resolve(hm.expectedCodes.includes(res.statusCode ?? 0) ? null : `HTTP ${res.statusCode}`);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        req.end();
      });
  }
}

const writeAtomic = (path: string, text: string) => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};

/** Runs `nft -f -` with `input` (in this process's namespace: the LB's). */
const nftApply = (input: string): Promise<void> => new Promise((resolve, reject) => {
  const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.on('error', reject);
  child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f failed (exit ${code}): ${err.trim().slice(0, 500)}`))));
  child.stdin.end(input);
});

/**
 * Forgets the flows a dead member carried (conntrack would keep a client's flow on it for as long as the client keeps
 * sending: LVS's expire_nodest_conn), so their next datagram is translated again, to a live member. Best effort.
 */
const forgetFlows = (m: NftMember): Promise<void> => new Promise((resolve) => {
  const child = spawn('conntrack', ['-D', '-f', m.family === 4 ? 'ipv4' : 'ipv6', '-p', 'udp', '--reply-src', m.address, '--reply-port-src', String(m.port)], { stdio: 'ignore' });
  child.on('error', () => resolve());
  child.on('close', () => resolve());
});

export type CheckerLog = (msg: string, fields?: Record<string, unknown>) => void;

export class UdpChecker {
  private record: UdpRecord | null = null;
  private readonly tracked = new Map<string, Tracked>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private applied: string | null = null;
  /** Members that went down since the maps were last written: their flows are forgotten once the maps leave them out. */
  private readonly wentDown = new Map<string, NftMember>();
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly dir: string, private readonly log: CheckerLog = () => undefined) {}

  /** Reads the model (again), keeps what it knew of members whose check target is unchanged, re-asserts the maps. */
  reload(): void {
    const files = udpFiles(this.dir);
    let record: UdpRecord;
    try {
      record = JSON.parse(readFileSync(files.model, 'utf8')) as UdpRecord;
    } catch (err) {
      this.log('cannot read the model', { err: String(err) });
      return;
    }
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    this.record = record;
    const keep = new Set<string>();
    for (const p of record.model.pools) {
      for (const m of p.members) {
        const key = memberKey(p.id, m.id);
        const target = `${p.monitor?.type}|${m.checkAddress}|${m.checkPort}`;
        const t = this.tracked.get(key);
        if (t && t.target !== target) { t.udp?.close(); this.tracked.delete(key); }
        if (p.monitor && record.model.checks && m.enabled) keep.add(key);
      }
    }
    for (const [key, t] of this.tracked) if (!keep.has(key)) { t.udp?.close(); this.tracked.delete(key); }
    for (const p of record.model.pools) {
      if (!p.monitor || !record.model.checks) continue;
      const hm = p.monitor;
      for (const m of p.members) {
        if (!m.enabled) continue;
        const key = memberKey(p.id, m.id);
        if (!this.tracked.has(key)) {
          // Up until checks say otherwise (haproxy and keepalived start their servers up too).
          this.tracked.set(key, {
            status: 'UP', checked: false, ok: 0, fail: 0, detail: 'not checked yet', target: `${hm.type}|${m.checkAddress}|${m.checkPort}`,
            ...(hm.type === 'UDP-CONNECT' ? { udp: new UdpProbe(m) } : {}),
          });
        }
      }
      const round = () => void this.round(p);
      round();
      const timer = setInterval(round, hm.delay * 1000);
      this.timers.add(timer);
    }
    this.applied = null; // the agent may just have replaced the table: say the maps again
    this.sync();
  }

  start(): void {
    writeFileSync(udpFiles(this.dir).pid, `${process.pid}\n`);
    this.reload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.tracked.values()) t.udp?.close();
    await this.applying;
  }

  /** The members whose checks say down (what the maps leave out). */
  down(): Set<string> {
    return new Set([...this.tracked].filter(([, t]) => t.status === 'DOWN').map(([k]) => k));
  }

  private async round(p: NftPool): Promise<void> {
    const hm = p.monitor;
    if (!hm || this.stopped) return;
    await Promise.all(p.members.filter((m) => m.enabled).map(async (m) => {
      const t = this.tracked.get(memberKey(p.id, m.id));
      if (!t) return;
      const why = await checkOnce(hm, m, t.udp).catch((err: unknown) => String(err));
      t.checked = true;
      if (why === null) {
        t.ok++; t.fail = 0; t.detail = 'ok';
        if (t.status === 'DOWN' && t.ok >= hm.rise) { t.status = 'UP'; this.log('member up', { pool: p.id, member: m.id }); }
      } else {
        t.fail++; t.ok = 0; t.detail = why;
        if (t.status === 'UP' && t.fail >= hm.fall) {
          t.status = 'DOWN';
          this.wentDown.set(memberKey(p.id, m.id), m);
          this.log('member down', { pool: p.id, member: m.id, why });
        }
      }
    }));
    this.sync();
  }

  /** Rewrites the maps when the down set changed (serialized; retried on the next round if nft failed), then the status. */
  private sync(): void {
    this.applying = this.applying.then(async () => {
      const r = this.record;
      if (!r || this.stopped) return;
      const down = this.down();
      const key = [...down].sort().join(',');
      if (key !== this.applied) {
        try {
          await nftApply(renderPoolMaps(r.model, down));
          this.applied = key;
          for (const [k, m] of this.wentDown) if (down.has(k)) await forgetFlows(m);
          this.wentDown.clear();
        } catch (err) {
          this.log('map update failed', { err: String(err) });
        }
      }
      this.writeStatus(r);
    });
  }

  private writeStatus(r: UdpRecord): void {
    const members: Record<string, MemberCheck> = {};
    for (const p of r.model.pools) {
      for (const m of p.members) {
        const key = memberKey(p.id, m.id);
        const t = this.tracked.get(key);
        members[key] = !m.enabled ? { status: 'MAINT', checked: false, weight: m.weight, detail: 'disabled' }
          : t ? { status: t.status, checked: t.checked, weight: m.weight, detail: t.detail.slice(0, 200) }
            : { status: 'no check', checked: false, weight: m.weight, detail: '' };
      }
    }
    const status: UdpStatus = { pid: process.pid, at: new Date().toISOString(), digest: r.digest, members };
    writeAtomic(udpFiles(this.dir).status, JSON.stringify(status));
  }
}
