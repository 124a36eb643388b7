import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge, createNetnsOnBridge, removeLinks, removeNetns, sh } from '@lbaas/testing';
import { livePid, startHaproxy, stopPid } from '../../apps/agent/src/host/haproxy';
import { steer, unsteer } from '../../apps/agent/src/host/handover';
import { lbPaths, VIP_IF } from '../../apps/agent/src/layout';
import {
  endReleaseForPromotion, ensureKeepalived, keepalivedPaths, liveKeepalived, pairSideConfig, pidIn, releaseForPromotion, stopKeepalived, vrrpRole, vrrpTransitions, writeVrrpFence,
  type KeepalivedPaths, type VrrpRole,
} from '../../apps/agent/src/keepalived/keepalived-host';
import { parse, type IPv4Address, type NetnsName } from '../../apps/agent/src/parse';

/**
 * An ACTIVE_STANDBY pair of one load balancer on two "hosts" (issue 14): each host is a run dir, a state dir (the
 * agent's lease file and VRRP fence file) and the LB's namespace with `vip0` on a shared segment (a bridge in the root
 * namespace), holding its VRRP address; each runs a real haproxy (answering with the host's name) and a real keepalived
 * rendered and installed by the agent's keepalived code. A client namespace on the segment probes the VIP and asks who
 * has it by ARP. Host death = SIGKILL of keepalived and haproxy and the host's link down (nothing of it answers again).
 */
export type PairSide = {
  name: 'a' | 'b'; netns: string; hostIf: string; vrrpIp: string; runDir: string; stateDir: string;
  kp: KeepalivedPaths; lb: ReturnType<typeof lbPaths>;
};
export type PairLab = {
  lbId: string; vip: string; client: string; bridge: string; sides: [PairSide, PairSide]; advertIntMs: number;
  /**
   * Builds or updates haproxy and keepalived on a side: MASTER or BACKUP role (priority only, nopreempt), or PROMOTED
   * (a standby taking over on purpose: higher priority, preempting).
   */
  start(side: PairSide, role: 'MASTER' | 'BACKUP' | 'PROMOTED'): Promise<'started' | 'reloaded' | 'unchanged'>;
  /** The master lets go without a gap: neighbours pinned, ARP for the VIP held back, the VIP kept as /32, still serving. */
  release(side: PairSide): Promise<void>;
  /** Ends a release: the kept /32, the hold table and the pinned neighbours go. */
  unhold(side: PairSide): Promise<void>;
  /**
   * The promoted side sends mid-stream packets of connections it does not know on to `toward`'s VIP MAC (the agent's
   * pair hand-over does, pair-side.ts step 1: handover.ts steer), or stops doing so.
   */
  steer(side: PairSide, toward: PairSide): Promise<void>;
  unsteer(side: PairSide): Promise<void>;
  /** Packets the side's steer rules sent on (their counters; 0 when it does not steer). */
  steered(side: PairSide): Promise<number>;
  /** The side's host dies: SIGKILL keepalived (parent and VRRP child) and haproxy, link down. */
  killHost(side: PairSide): Promise<void>;
  /** The host is back (link up, the namespace as it was: keepalived and haproxy are started by start()). */
  reviveHost(side: PairSide): Promise<void>;
  killHaproxy(side: PairSide): Promise<void>;
  /** The agent's lease: held (renewed far ahead) or lapsed (in the past). */
  setLease(side: PairSide, held: boolean): void;
  fence(side: PairSide, fenced: boolean): void;
  /** Drops VRRP between the two (both sides' namespaces), or lets it through again: the peers' partition. */
  partitionVrrp(cut: boolean): Promise<void>;
  role(side: PairSide): VrrpRole | null;
  holders(): Promise<PairSide[]>;
  /** The MAC of a side's VIP interface, and the one the client's neighbour entry for the VIP names now (as the hosts lab's). */
  vipMac(side: PairSide): Promise<string | null>;
  clientNeighbour(): Promise<string | null>;
  waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null> | T | null): Promise<T>;
  transitions(side: PairSide): Array<{ at: number; role: string }>;
  stop(): Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HAPROXY = (vip: string, name: string, dir: string) => `global
  maxconn 1000
  stats socket ${dir}/s.sock mode 600 level admin
  httpclient.ssl.verify none
defaults
  mode http
  timeout client 5s
  timeout connect 1s
  timeout server 5s
frontend lb
  bind ${vip}:80
  http-request return status 200 content-type text/plain string "${name} ok"
`;

/**
 * The kernel's IPv4 neighbour table is one for all namespaces (`gc_thresh3`, 1024 by default). When it is full, a
 * namespace cannot resolve a new neighbour (sendmsg: ENOBUFS): VRRP adverts never leave and both sides make themselves
 * master. Seen here with 600+ namespaces of other tests on the machine; the lab says so instead of failing obscurely.
 */
function checkNeighbourTable(): void {
  const [, row] = readFileSync('/proc/net/stat/arp_cache', 'utf8').split('\n');
  const entries = parseInt(row.trim().split(/\s+/)[0], 16);
  const limit = Number(readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8'));
  if (entries >= limit - 8) {
    throw new Error(`the kernel's neighbour table is full (${entries} of gc_thresh3 ${limit}, shared by every namespace): no new ARP entry can be made, so a VRRP pair cannot hear itself`);
  }
}

export async function startPairLab(o: { run: string; net: string; advertIntMs: number }): Promise<PairLab> {
  const { run, net, advertIntMs } = o;
  checkNeighbourTable();
  const lbId = `ee${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const vip = `${net}.50`;
  const bridge = `kpb${run}`;
  const client = `kp${run}c`;
  const root = mkdtempSync(join(tmpdir(), 'lbaas-vrrp-'));
  const side = (name: 'a' | 'b', vrrpIp: string): PairSide => {
    const runDir = join(root, name, 'run');
    const stateDir = join(root, name, 'state');
    mkdirSync(join(runDir, lbId), { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    return { name, netns: `kp${run}${name}`, hostIf: `kp${run}h${name}`, vrrpIp, runDir, stateDir, kp: keepalivedPaths(runDir, lbId), lb: lbPaths(runDir, lbId) };
  };
  const sides: [PairSide, PairSide] = [side('a', `${net}.11`), side('b', `${net}.12`)];
  const peerOf = (s: PairSide) => (s === sides[0] ? sides[1] : sides[0]);

  await createBridge(bridge);
  await createNetnsOnBridge({ netns: client, bridge, hostIf: `kp${run}hc`, cidr: `${net}.99/24` });
  for (const s of sides) {
    await sh('ip', ['netns', 'add', s.netns]);
    await sh('ip', ['link', 'add', s.hostIf, 'type', 'veth', 'peer', 'name', VIP_IF, 'netns', s.netns]);
    await sh('ip', ['link', 'set', s.hostIf, 'master', bridge, 'up']);
    await sh('ip', ['-n', s.netns, '-batch', '-'], `link set lo up\nlink set ${VIP_IF} up\naddr add ${s.vrrpIp}/24 dev ${VIP_IF}\n`);
    await sh('ip', ['netns', 'exec', s.netns, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
  }

  const lab: PairLab = {
    lbId, vip, client, bridge, sides, advertIntMs,
    async start(s, role) {
      writeFileSync(s.lb.cfg, HAPROXY(vip, s.name, s.lb.dir));
      if (livePid(s.lb) === null) await startHaproxy('haproxy', s.netns, s.lb);
      lab.setLease(s, true);
      writeVrrpFence(s.stateDir, false);
      const config = pairSideConfig({
        lbId, role, vip: { address: vip, prefixLength: 24 }, additionalVips: [], vrrpAddress: s.vrrpIp, peerAddress: peerOf(s).vrrpIp,
      }, s.runDir, s.stateDir, advertIntMs);
      return ensureKeepalived('keepalived', s.netns, s.kp, config);
    },
    async release(s) {
      await releaseForPromotion(s.netns as NetnsName, s.runDir, lbId, vip as IPv4Address);
    },
    async unhold(s) {
      await endReleaseForPromotion(s.netns as NetnsName, s.runDir, lbId, vip as IPv4Address);
    },
    async steer(s, toward) {
      const mac = await lab.vipMac(toward);
      if (mac === null) throw new Error(`no MAC on ${toward.name}'s ${VIP_IF}`);
      await steer(s.netns as NetnsName, s.lb, vip as IPv4Address, parse.mac(mac));
    },
    async unsteer(s) {
      await unsteer(s.netns as NetnsName, s.lb);
    },
    async steered(s) {
      const out = await sh('ip', ['netns', 'exec', s.netns, 'nft', '-j', 'list', 'table', 'ip', 'lbaas_steer']).catch(() => '{"nftables":[]}');
      const items = (JSON.parse(out) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> }).nftables;
      return items.flatMap((i) => i.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
    },
    async killHost(s) {
      // The link first: nothing the dying processes send (keepalived's VRRP child, told of its parent's death, would
      // send a priority-0 advert) may leave a host that dies.
      await sh('ip', ['link', 'set', s.hostIf, 'down']);
      const pids = [liveKeepalived(s.kp), pidIn(s.kp.vrrpPid), livePid(s.lb)].filter((p): p is number => p !== null);
      const workers = await sh('pgrep', ['-f', '--', `-f ${s.lb.cfg}`]).catch(() => '');
      for (const p of [...pids, ...workers.split('\n').filter(Boolean).map(Number)]) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    },
    async reviveHost(s) {
      await sh('ip', ['link', 'set', s.hostIf, 'up']);
      // A dead keepalived leaves its VIP on the interface (nobody removed it): a host that boots again has none.
      await sh('ip', ['-n', s.netns, 'addr', 'del', `${vip}/24`, 'dev', VIP_IF]).catch(() => undefined);
    },
    async killHaproxy(s) {
      const pid = livePid(s.lb);
      const workers = await sh('pgrep', ['-f', '--', `-f ${s.lb.cfg}`]).catch(() => '');
      for (const p of [pid, ...workers.split('\n').filter(Boolean).map(Number)]) if (p) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    },
    setLease(s, held) {
      const until = held ? Date.now() + 3_600_000 : Date.now() - 1000;
      writeFileSync(join(s.stateDir, 'lease.json'), JSON.stringify({ agentId: `agent-${s.name}`, until, renewedBy: process.pid }));
    },
    fence(s, fenced) { writeVrrpFence(s.stateDir, fenced); },
    async partitionVrrp(cut) {
      for (const s of sides) {
        if (cut) await sh('ip', ['netns', 'exec', s.netns, 'nft', '-f', '-'], 'table inet lbaas_vrrpcut {\n  chain in { type filter hook input priority 0; ip protocol vrrp drop; }\n}\n');
        else await sh('ip', ['netns', 'exec', s.netns, 'nft', 'delete', 'table', 'inet', 'lbaas_vrrpcut']).catch(() => undefined);
      }
    },
    role: (s) => vrrpRole(s.kp),
    async holders() {
      const out: PairSide[] = [];
      for (const s of sides) {
        const addrs = JSON.parse(await sh('ip', ['-j', '-n', s.netns, 'addr', 'show', 'dev', VIP_IF])) as Array<{ addr_info: Array<{ local: string }> }>;
        if (addrs[0]?.addr_info.some((a) => a.local === vip)) out.push(s);
      }
      return out;
    },
    async vipMac(side) {
      const l = JSON.parse(await sh('ip', ['-n', side.netns, '-j', 'link', 'show', VIP_IF]) || '[]') as { address?: string }[];
      return l[0]?.address?.toLowerCase() ?? null;
    },
    async clientNeighbour() {
      const n = JSON.parse(await sh('ip', ['-n', client, '-j', 'neigh', 'show', vip]) || '[]') as { lladdr?: string }[];
      return n[0]?.lladdr?.toLowerCase() ?? null;
    },
    async waitFor(what, timeoutMs, probe) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await probe();
        if (v !== null) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(20);
      }
    },
    transitions: (s) => vrrpTransitions(s.kp),
    async stop() {
      for (const s of sides) {
        await stopKeepalived(s.kp).catch(() => undefined);
        const pid = livePid(s.lb);
        if (pid !== null) await stopPid(pid, 1000);
      }
      await removeNetns(client, ...sides.map((s) => s.netns));
      await removeLinks(bridge, `kp${run}hc`, ...sides.map((s) => s.hostIf));
      if (process.env.KEEP_VRRP_LAB !== '1') rmSync(root, { recursive: true, force: true });
      else console.log(`vrrp lab kept in ${root}`);
    },
  };
  return lab;
}


/**
 * Broadcasts an ARP request for the VIP every `interval` ms from `eth0` (a raw packet socket; arping cannot go below
 * one second) and prints `<epoch ms> <request seq> <sender mac>` for every reply to the VIP.
 */
const ARP_PROBE = `
import socket, struct, sys, time, select
vip, interval = sys.argv[1], float(sys.argv[2]) / 1000
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(('eth0', 0))
mac = s.getsockname()[4]
src = socket.inet_aton(sys.argv[3])
target = socket.inet_aton(vip)
req = b'\\xff' * 6 + mac + b'\\x08\\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + src + b'\\x00' * 6 + target
seq, nxt = 0, time.time()
print('ready', flush=True)
while True:
    now = time.time()
    if now >= nxt:
        s.send(req); seq += 1; nxt = now + interval
    r, _, _ = select.select([s], [], [], max(0, nxt - time.time()))
    if r:
        p = s.recv(128)
        if len(p) >= 42 and p[20:22] == b'\\x00\\x02' and p[28:32] == target:
            print(int(time.time() * 1000), seq, p[22:28].hex(':'), flush=True)
`;

/**
 * Who answers ARP for the VIP, from the client: a request every `intervalMs`, every reply recorded with the request it
 * followed and its sender MAC. Two different MACs answering the same request are two hosts answering: `dual` counts them.
 */
export async function watchArp(client: string, vip: string, clientIp: string, intervalMs = 20): Promise<{ stop(): Promise<{ requests: number; replies: number; macs: string[]; dual: number }> }> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', client, 'python3', '-c', ARP_PROBE, vip, String(intervalMs), clientIp], { stdio: ['ignore', 'pipe', 'inherit'] });
  const replies: Array<{ at: number; seq: number; mac: string }> = [];
  let buf = '';
  let ready: () => void = () => undefined;
  const started = new Promise<void>((r) => { ready = r; });
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      if (l === 'ready') ready();
      const m = /^(\d+) (\d+) ([0-9a-f:]{17})$/.exec(l);
      if (m) replies.push({ at: Number(m[1]), seq: Number(m[2]), mac: m[3] });
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([started, exited]);
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const bySeq = new Map<number, Set<string>>();
      for (const r of replies) bySeq.set(r.seq, (bySeq.get(r.seq) ?? new Set()).add(r.mac));
      const dual = [...bySeq.values()].filter((m) => m.size > 1).length;
      const requests = replies.length === 0 ? 0 : Math.max(...replies.map((r) => r.seq));
      return { requests, replies: replies.length, macs: [...new Set(replies.map((r) => r.mac))], dual };
    },
  };
}

/** One keep-alive HTTP connection: a GET at once, another on the same connection when told (stdin), each body printed. */
const HELD_CONNECTION = `
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=3)
def get():
    s.sendall(b'GET / HTTP/1.1\\r\\nHost: vip\\r\\nConnection: keep-alive\\r\\n\\r\\n')
    buf = b''
    while b'\\r\\n\\r\\n' not in buf:
        c = s.recv(4096)
        if not c: raise EOFError('closed by the server')
        buf += c
    head, body = buf.split(b'\\r\\n\\r\\n', 1)
    n = int([l.split(b':', 1)[1] for l in head.split(b'\\r\\n') if l.lower().startswith(b'content-length:')][0])
    while len(body) < n:
        c = s.recv(4096)
        if not c: raise EOFError('closed by the server')
        body += c
    return body[:n].decode()
line = 'go'
while line:
    try: print('body', get(), flush=True)
    except Exception as e: print('error', repr(e), flush=True); break
    line = sys.stdin.readline()
`;

/**
 * A long-lived connection from the client to the VIP (one TCP connection, HTTP keep-alive): `first` is the body of its
 * first answer, `again()` sends another request on the same connection and resolves with its body (or `error …`: a
 * reset, a timeout, a close), `close()` ends it. Whoever answers a request on it is the host the connection was opened to.
 */
export async function heldConnection(client: string, vip: string): Promise<{ first: string; again(): Promise<string>; close(): Promise<void> }> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', client, 'python3', '-c', HELD_CONNECTION, vip], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: string[] = [];
  const waiting: Array<(s: string) => void> = [];
  let buf = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const a = l.startsWith('body ') ? l.slice(5) : l;
      const w = waiting.shift();
      if (w) w(a);
      else answers.push(a);
    }
  });
  const next = () => (answers.length > 0 ? Promise.resolve(answers.shift() as string)
    : Promise.race([
      new Promise<string>((r) => waiting.push(r)),
      exited.then(() => 'error: the client exited'),
      sleep(5000).then(() => 'error: no answer within 5 s'),
    ]));
  const first = await next();
  return {
    first,
    async again() {
      child.stdin?.write('again\n');
      return next();
    },
    async close() {
      child.stdin?.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
