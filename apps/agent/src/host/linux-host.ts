import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { addServerCommand, PING_CHECK_SCRIPT, type ServerSpec } from '@lbaas/haproxy-config';
import { lbPaths, VIP_IF } from '../layout';
import {
  familyOf, hostIfOf, InvalidValue, netnsOf, parse, parseVipPlumbing, type InterfaceName, type IPv4Address, type LbId, type NetnsName,
} from '../parse';
import type { Action, Observed, ObservedLb, RunningHaproxy, ServerOp } from '../plan';
import { BUILD_NICE, canRenice, HostCommandFailed, run, SERVING_NICE } from './exec';
import {
  ConfigRejected, currentConnections, inNetns, installConfig, livePid, parseServersState, reloadHaproxy, runtimeCommands,
  saveServerState, socketCommand, startHaproxy, stopPid, type ServerState,
} from './haproxy';
import { handoverTables, holdRules, probeHolder, readHolder, release, steer, unhold, unsteer } from './handover';
import { batch, batchInput, ip, ipBatch, links, listNetns, netnsPids, type IpLink } from './ip';
import { garpArgv, gratuitousArp } from './garp';
import { stateDir } from './state-dir';
import { appendStatRows, checkerPid, observeUdp, removeNft, udpStatRows, writeNft } from './udp';
import { IPV6_USABLE_WAIT, IPV6_VIP_SYSCTLS, parseExtraVips, plugExtraVips, VIP_IF_UP } from './extra-vips';
import type { KernelFence } from './kernel-fence';
import { KeepalivedConfigRefused } from '../keepalived/keepalived-config';
import { KeepalivedRefused } from '../keepalived/keepalived-host';
import { applyVrrp, applyPairStep, DEFAULT_VRRP, observedVrrp } from '../keepalived/pair-side';

/**
 * How much to look: a `full` observation asks the kernel and haproxy (namespace links, addresses, routes, sysctls,
 * `show servers state`); a light one trusts what this agent did since its last full look at the same namespace
 * (its inode tells a namespace deleted and made again) and reads only files and /proc. `sessions`: the LBs whose
 * connection count is wanted (a copy being drained).
 */
export type ObserveOptions = Readonly<{ full?: boolean; sessions?: ReadonlySet<string>; /** Every LB the state dir records too. */ includeOwned?: boolean }>;

/** The reconciler's view of the machine: observe what is there, apply one idempotent action. */
export interface Host {
  observe(lbIds: readonly string[], opts?: ObserveOptions): Promise<Observed>;
  /** Every LB this agent's state dir records (a full pass looks at them too: what is no longer wanted is destroyed). */
  owned?(): string[];
  apply(action: Action): Promise<void>;
  /** Brings a running haproxy back to the config file (after a runtime change whose file haproxy -c refused). */
  restore?(lbId: string): Promise<void>;
  /** When each LB's copy started answering ARP for its VIP after holding it back (ms). */
  readonly announcedAt?: ReadonlyMap<string, number>;
}

export type LinuxHostOptions = {
  stateDir: string; runDir: string; haproxyBin: string; now?: () => string; garpCount?: number;
  /** The kernel fence (host/kernel-fence.ts): every LB namespace's port is in it from its creation to its end. */
  fence?: KernelFence | null;
};

type Plumbing = NonNullable<ObservedLb['plumbing']>;
const up = (l: IpLink | undefined) => !!l && l.flags.includes('UP');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const readOr = (path: string): string | null => { try { return readFileSync(path, 'utf8'); } catch { return null; } };
const inode = (path: string): number | null => { try { return statSync(path).ino; } catch { return null; } };
const readRunning = (path: string): RunningHaproxy | null => {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as RunningHaproxy;
    return typeof r.structure === 'string' && typeof r.config === 'string' && Array.isArray(r.servers) ? r : null;
  } catch {
    return null;
  }
};
const VIP = VIP_IF as InterfaceName;

/** An action's values parsed again on the way to the host (parse.ts): one that does not parse is rejected, never run. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidValue) throw new ConfigRejected(`refused by the agent: ${err.message}`);
    throw err;
  }
}
/** The ids among `lbIds` this host may look at (an id that is not one names nothing of ours). */
const lbIdsOf = (lbIds: readonly string[]): LbId[] => lbIds.flatMap((id) => { try { return [parse.lbId(id)]; } catch { return []; } });
/** The VIP of a hand-over step: IPv4 only (the hold and steering tables are ARP and IPv4 tables). */
const ipv4Vip = (address: string): IPv4Address => parse.ipv4Address(address, 'VIP address');

const writeAtomic = (path: string, content: string) => {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
};

/**
 * The script PING monitors run (haproxy's external check passes the server address as $3): one ICMP echo, as Octavia's
 * ping-wrapper.sh. It sits in the run dir (mode 755: haproxy's unprivileged workers exec it); rewritten at every start.
 */
const PING_CHECK = '#!/bin/sh\n# lbaas PING health check, run by haproxy (external-check): $3 is the server address.\n'
  + 'exec /usr/bin/ping -q -n -c 1 -W 1 "$3" >/dev/null 2>&1\n';
const PING_GROUPS = '0 2147483647';
function installPingCheck(runDir: string): void {
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const file = join(runDir, PING_CHECK_SCRIPT);
  if (readOr(file) === PING_CHECK) return;
  writeFileSync(`${file}.new`, PING_CHECK, { mode: 0o755 });
  chmodSync(`${file}.new`, 0o755);
  renameSync(`${file}.new`, file);
}

// One process per namespace look: both sysctls PlugVip sets, then the addresses and the default route (ip -j -batch
// prints one JSON array per command, one per line). The namespace and the files are arguments, never spliced in.
const LOOK = 'cat /proc/sys/net/ipv4/ip_nonlocal_bind /proc/sys/net/ipv4/ping_group_range && exec ip -j -batch -';
const enter = (netns: string) => `--net=/run/netns/${netns}`;
// One process per namespace set-up (nsenter: the network namespace alone, no mount work): the sysctls (shell writes;
// IPv6 of the VIP interface off or on, $5, before it comes up), the hold table ($1) when asked (before any address
// exists), for an IPv6 VIP ($4 6) vip0 up and carrying frames, the addresses and routes (stdin), for an IPv6 VIP the
// wait until it is usable (extra-vips.ts: the kernel announced it as it was added), then the gratuitous ARPs for an
// IPv4 VIP ($2, $3 of them, 1 s apart) in the background (not waited for, as garp.ts).
const VIP_IF_IPV6 = `/proc/sys/net/ipv6/conf/${VIP_IF}/disable_ipv6`;
const PLUG = `echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind && echo '${PING_GROUPS}' > /proc/sys/net/ipv4/ping_group_range`
  + ` && { [ ! -e ${VIP_IF_IPV6} ] || echo "$5" > ${VIP_IF_IPV6}; }`
  + ` && ${IPV6_VIP_SYSCTLS} && { [ -z "$1" ] || nft -f "$1"; } && { [ "$4" != 6 ] || { ${VIP_IF_UP}; } ; } && ip -batch -`
  + ` && { [ "$4" != 6 ] || { ${IPV6_USABLE_WAIT}; } ; }`
  + ` && { [ -z "$2" ] || { ${garpArgv('"$3"', '"$2"').join(' ')} </dev/null >/dev/null 2>&1 & } ; }`;
// A new LB's whole plumbing in one process forked by the agent (issue 11: a fork of the agent costs more than one of
// sh): its port into the kernel fence ($2, nft text; before the veth reaches the bridge), the namespace and its veth
// pair on the bridge ($3, ip batch lines), then PLUG ($4) inside the new namespace with its arguments ($5-$9). The
// namespace work runs at build priority (exec.ts); the fence's nft does not: it takes the same kernel lock (the root
// namespace's nftables commit mutex) as the lease keeper's renewal, which must never wait for a starved build step.
const PLUMB_NEW = `{ [ -z "$2" ] || printf '%s' "$2" | nft -f -; } && printf '%s' "$3" | nice -n ${BUILD_NICE} ip -batch -`
  + ` && exec nice -n ${BUILD_NICE} nsenter --net="/run/netns/$1" sh -c "$4" sh "$5" "$6" "$7" "$8" "$9"`;

/** The real host: iproute2, sysctl, nftables, haproxy. Touches only `qlbaas-<lbId>`, `vl<hex>` links and its own dirs. */
export class LinuxHost implements Host {
  readonly state;
  /** What the last full look (or this agent's own PlugVip) found in each namespace, by the namespace's inode. */
  private readonly plumbingSeen = new Map<string, { ino: number; plumbing: Plumbing }>();
  private hostLinks: { at: number; links: Promise<Map<string, IpLink>> } | null = null;
  /** LBs whose CreateNetns was recorded: their (fresh) PlugVip makes the namespace and its veth pair too. */
  private readonly pendingNew = new Set<string>();
  /** haproxy starts of new builds run at build priority and are put back to the agent's once they serve (exec.ts). */
  private readonly reniceHaproxy = canRenice();
  /** Why the last runtime change fell back to a reload (for the log and the tests). */
  lastFallback: string | null = null;
  /** When each LB's copy last started answering ARP after holding its VIP back (the hand-over's gap is measured to it). */
  readonly announcedAt = new Map<string, number>();

  constructor(private readonly opts: LinuxHostOptions) {
    this.state = stateDir(opts.stateDir);
    installPingCheck(opts.runDir);
  }

  /** Every LB this agent's state dir records. */
  owned(): string[] {
    return this.state.list().map((r) => r.lbId);
  }

  get fence(): KernelFence | null {
    return this.opts.fence ?? null;
  }

  /** The host-side veth of every LB this agent records: the ports its kernel fence guards. */
  fencePorts(): string[] {
    return lbIdsOf(this.owned()).map(hostIfOf);
  }

  async observe(lbIds: readonly string[], opts: ObserveOptions = { full: true, includeOwned: true }): Promise<Observed> {
    // One LB's run asks about that LB alone: its record is looked up, not every record read (a run per LB read all of
    // them: quadratic in a burst of a thousand new LBs).
    const owned = new Set<string>(opts.includeOwned ? this.owned() : lbIdsOf(lbIds).filter((id) => this.state.has(id)));
    const ids = [...new Set(lbIdsOf([...lbIds, ...(opts.includeOwned ? owned : [])]))];
    const out = await Promise.all(ids.map((id) => this.observeLb(id, owned.has(id), opts)));
    return new Map(out.map((o) => [o.lbId, o]));
  }

  /** Host-side veths, listed once for all the full looks of one second (one `ip` for a whole resync). */
  private veths(): Promise<Map<string, IpLink>> {
    if (!this.hostLinks || Date.now() - this.hostLinks.at > 1000) {
      const p = links(undefined, ['type', 'veth']).then((ls) => new Map(ls.map((l) => [l.ifname, l])));
      this.hostLinks = { at: Date.now(), links: p };
      p.catch(() => { this.hostLinks = null; });
    }
    return this.hostLinks.links;
  }

  private async lookInside(ns: NetnsName, lbId: LbId): Promise<Plumbing> {
    const [text, hostLinks] = await Promise.all([
      run('nsenter', [enter(ns), 'sh', '-c', LOOK], { input: 'addr show\nroute show default\n' }), this.veths(),
    ]);
    const [nonlocal, pingGroups, addrJson, routeJson] = text.split('\n');
    const inside = JSON.parse(addrJson || '[]') as IpLink[];
    const routes = JSON.parse(routeJson || '[]') as { dst: string; gateway?: string }[];
    const vip = inside.find((l) => l.ifname === VIP_IF);
    const hostIf = hostLinks.get(hostIfOf(lbId));
    return {
      hostIfMaster: hostIf?.master ?? null, hostIfUp: up(hostIf), vipIfUp: up(vip), loUp: up(inside.find((l) => l.ifname === 'lo')),
      addresses: (vip?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`), defaultVia: routes.find((r) => r.dst === 'default')?.gateway ?? null,
      // Both namespace sysctls PlugVip sets count as one: bind before the VIP is up, and ICMP for PING monitors.
      nonlocalBind: nonlocal?.trim() === '1' && pingGroups?.trim().replace(/\s+/g, ' ') === PING_GROUPS,
    };
  }

  private async observeLb(lbId: LbId, owned: boolean, opts: ObserveOptions): Promise<ObservedLb> {
    const ns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    const ino = inode(`/run/netns/${ns}`);
    const netns = ino !== null;
    let plumbing: ObservedLb['plumbing'] = null;
    if (netns && owned) {
      const seen = this.plumbingSeen.get(lbId);
      if (!opts.full && seen && seen.ino === ino) {
        plumbing = seen.plumbing;
      } else {
        plumbing = await this.lookInside(ns, lbId).catch(() => null);
        if (plumbing) this.plumbingSeen.set(lbId, { ino, plumbing }); else this.plumbingSeen.delete(lbId);
      }
    }
    const cfg = owned ? readOr(p.cfg) : null;
    const pid = owned ? livePid(p) : null;
    let haproxy: ObservedLb['haproxy'] = null;
    if (pid !== null) {
      let running = readRunning(p.running);
      if (opts.full && running) running = await this.checkRunning(p.statsSock, running);
      haproxy = { pid, inNetns: inNetns(pid, ns), running };
    }
    let handover: ObservedLb['handover'] = { quiet: false, steering: false };
    if (netns && owned) {
      handover = { quiet: existsSync(p.hold), steering: existsSync(p.steer), holderMac: readHolder(p) };
      if (opts.full && (handover.quiet || handover.steering)) {
        const t = await handoverTables(ns);
        handover = { ...handover, quiet: handover.quiet && t.hold, steering: handover.steering && t.steer };
      }
    }
    const sessions = pid !== null && opts.sessions?.has(lbId) ? await currentConnections(p.statsSock) : undefined;
    const udp = netns && owned ? await observeUdp(ns, p.dir, opts.full === true) : undefined;
    return {
      lbId, owned, netns, plumbing, configDigest: cfg === null ? null : sha(cfg), haproxy, handover,
      ...(sessions !== undefined ? { sessions } : {}), ...(udp !== undefined ? { udp } : {}),
      ...(netns && owned ? observedVrrp(this.opts.runDir, lbId) : {}), // ACTIVE_STANDBY (pair-side.ts)
    };
  }

  /**
   * The running servers as haproxy has them: what the record says, corrected by `show servers state` for what can
   * drift at runtime (a server gone or added by hand, its weight, maintenance, address, check address). Null when
   * haproxy does not answer: then only a reload is sure to be right.
   */
  private async checkRunning(sock: string, running: RunningHaproxy): Promise<RunningHaproxy | null> {
    let states: ServerState[];
    try {
      states = parseServersState(await socketCommand(sock, 'show servers state'));
    } catch {
      return null;
    }
    const recorded = new Map(running.servers.map((s) => [`${s.backend}/${s.name}`, s]));
    const servers: ServerSpec[] = [];
    for (const st of states) {
      const r = recorded.get(`${st.backend}/${st.name}`);
      // A server the record does not know: nothing says what it is, so it is described as nothing desired can be.
      if (!r) { servers.push({ backend: st.backend, name: st.name, address: st.addr, port: st.port, weight: st.weight, backup: false, enabled: !st.maint, id: -1, check: null, cookie: null, proxy: null }); continue; }
      // A check address equal to the server's own is no check address (that is how a runtime change clears one).
      const checkAddr = st.checkAddr === null || st.checkAddr === st.addr ? null : st.checkAddr;
      const checkPort = st.checkPort === null || st.checkPort === st.port ? null : st.checkPort;
      servers.push({
        ...r, address: st.addr, port: st.port, weight: st.weight, enabled: !st.maint,
        check: r.check ? { ...r.check, addr: checkAddr ?? (r.check.addr === st.addr ? r.check.addr : null), port: checkPort ?? (r.check.port === st.port ? r.check.port : null) } : null,
      });
    }
    return { ...running, servers };
  }

  async apply(a: Action): Promise<void> {
    // Names and paths come from the parsed id (the plan derives them from it too), never from the action's strings.
    const lbId = checked(() => parse.lbId(a.lbId));
    const netns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    switch (a.kind) {
      case 'CreateNetns': {
        const hostIf = hostIfOf(lbId);
        checked(() => parse.interfaceName(a.bridge, 'bridge')); // a bridge that does not parse: refused before any record
        // Write-ahead: the record exists before the namespace, so a crash in between still leaves it ours to clean.
        this.state.record({ lbId, netns, hostIf, runDir: p.dir, createdAt: (this.opts.now ?? (() => new Date().toISOString()))() });
        mkdirSync(p.dir, { recursive: true, mode: 0o755 });
        // A new namespace has none of the old one's hand-over state.
        for (const f of [p.hold, p.steer, p.holder]) rmSync(f, { force: true });
        this.plumbingSeen.delete(lbId);
        // The namespace itself is made by the PlugVip that follows (the plan puts one after every CreateNetns), in the
        // same process as the rest of the plumbing: a new LB's plumbing is mostly process starts.
        this.pendingNew.add(lbId);
        return;
      }
      case 'PlugVip':
        // Every word of these commands is a typed value (parse.ts): a gateway with a newline never becomes a line.
        await this.plugVip(checked(() => parseVipPlumbing(a)), a, p);
        return;
      case 'WriteCerts': {
        // Private keys: a root-only directory, each file written 600 then renamed into place.
        mkdirSync(a.certs.dir, { recursive: true, mode: 0o700 });
        chmodSync(a.certs.dir, 0o700);
        for (const f of a.certs.files) {
          const tmp = join(a.certs.dir, `.${f.name}.tmp`);
          writeFileSync(tmp, f.content, { mode: 0o600 });
          chmodSync(tmp, 0o600);
          renameSync(tmp, join(a.certs.dir, f.name));
        }
        return;
      }
      case 'WriteConfig':
        mkdirSync(p.dir, { recursive: true, mode: 0o755 });
        // A fresh start parses the file itself: no separate haproxy -c for a haproxy that does not run yet.
        await installConfig(this.opts.haproxyBin, p, a.config, livePid(p) !== null);
        return;
      case 'StartHaproxy':
        rmSync(p.running, { force: true });
        // A fresh master starts from the file alone: an old state file would bring back weights nobody wants now.
        rmSync(p.serverState, { force: true });
        // A start is a build step (a new LB, or a copy rebuilt): niced until its worker runs, then the agent's priority.
        await startHaproxy(this.opts.haproxyBin, netns, p, this.reniceHaproxy ? SERVING_NICE : null);
        writeAtomic(p.running, JSON.stringify(a.running));
        return;
      case 'Reload':
        await this.reload(p, a.running, true);
        return;
      case 'SetServers':
        await this.setServers(p, a);
        return;
      case 'StopHaproxy': {
        const pid = livePid(p);
        if (pid !== null) await stopPid(pid);
        rmSync(p.running, { force: true });
        return;
      }
      case 'ProbeHolder': {
        const vip = checked(() => ipv4Vip(a.address));
        const holder = await probeHolder(netns, p, vip);
        if (holder && a.steer) await steer(netns, p, vip, holder);
        return;
      }
      case 'Steer':
        await steer(netns, p, checked(() => ipv4Vip(a.address)), checked(() => parse.mac(a.mac)));
        return;
      case 'Unsteer':
        await unsteer(netns, p);
        return;
      case 'Announce': {
        const vip = checked(() => ipv4Vip(a.address));
        await unhold(netns, p, vip, () => {
          this.announcedAt.set(lbId, Date.now());
          gratuitousArp(netns, vip, Math.max(1, this.opts.garpCount ?? 3));
        });
        return;
      }
      case 'Release':
        await release(netns, p, checked(() => ipv4Vip(a.address)));
        return;
      case 'Destroy':
        await this.destroy(lbId);
        return;
      case 'WriteNft':
        mkdirSync(p.dir, { recursive: true, mode: 0o755 });
        await writeNft(netns, p.dir, a.model, a.digest);
        return;
      case 'RemoveNft':
        await removeNft(netns, p.dir);
        return;
      case 'PlugExtraVips': {
        const vips = checked(() => parseExtraVips(a.add));
        await plugExtraVips(netns, vips, this.opts.garpCount ?? 3);
        const seen = this.plumbingSeen.get(lbId);
        if (seen) seen.plumbing = { ...seen.plumbing, addresses: [...new Set([...seen.plumbing.addresses, ...vips.map((v) => `${v.address}/${v.prefixLen}`)])] };
        return;
      }
      case 'EnsureVrrp': // ACTIVE_STANDBY: keepalived/pair-side.ts; a config keepalived refuses is the LB's ERROR
        await applyVrrp({ ...a, lbId, netns }, { runDir: this.opts.runDir, stateDir: this.opts.stateDir, ...DEFAULT_VRRP }).catch((err: unknown) => {
          if (err instanceof KeepalivedRefused || err instanceof KeepalivedConfigRefused) throw new ConfigRejected(err.message);
          throw err;
        });
        return;
      case 'HoldPairVip': case 'ReleasePairVip': case 'EndPairRelease': // a pair's planned promotion (pair-side.ts)
        await applyPairStep(a.kind, netns, this.opts.runDir, lbId, checked(() => ipv4Vip(a.address)));
        return;
    }
  }

  private async plugVip(v: ReturnType<typeof parseVipPlumbing>, a: Extract<Action, { kind: 'PlugVip' }>, p: ReturnType<typeof lbPaths>): Promise<void> {
    if (a.quiet && familyOf(v.address) !== 4) throw new ConfigRejected(`refused by the agent: a hand-over holds back IPv4 VIPs only, not ${v.address}`);
    if (a.quiet) writeFileSync(p.hold, holdRules(ipv4Vip(v.address)));
    // PING monitors: haproxy's unprivileged workers run ping with no_new_privs (file capabilities do not apply), so
    // ICMP echo sockets are allowed for every group, in this namespace only. A held-back VIP gets its ARP table first.
    // The VIP may have lived on another host a moment ago: the segment is told its new MAC (neighbours update); a
    // held-back VIP says nothing until Announce.
    const garps = Math.min(this.opts.garpCount ?? 3, 10);
    const garp = !a.quiet && garps > 0 && familyOf(v.address) === 4 ? [v.address, String(garps)] : ['', ''];
    // The VIP's family ($4), and IPv6 off on the VIP interface of an LB without an IPv6 address ($5: disable_ipv6 1), else
    // on (0: as the kernel made it).
    const plugArgs = [a.quiet ? p.hold : '', ...garp, String(familyOf(v.address)), a.ipv6 || familyOf(v.address) === 6 ? '0' : '1'];
    const input = batchInput([
      batch.linkUp('lo' as InterfaceName), batch.linkUp(VIP), batch.addrReplace(v.address, v.prefixLen, VIP),
      ...(v.gateway ? [batch.routeReplaceDefault(v.gateway, VIP)] : []),
    ]);
    // A new LB's plumbing is build work (exec.ts: build priority); a repair of one that serves is not.
    let plumbed = false;
    if (a.fresh && this.pendingNew.delete(v.lbId)) {
      // The host end is a bridge port and never has an address: no IPv6 link-local either (nothing flooded for it).
      const root = [
        batch.netnsAdd(v.netns), batch.vethPair(v.hostIf, VIP, v.netns), batch.linkNoLinkLocal(v.hostIf),
        batch.linkSetMaster(v.hostIf, v.bridge), batch.linkUp(v.hostIf),
      ];
      const fence = this.opts.fence?.portRule(v.hostIf) ?? '';
      try {
        await run('sh', ['-c', PLUMB_NEW, 'sh', v.netns, fence, batchInput(root), PLUG, ...plugArgs], { input });
        plumbed = true;
      } catch (err) {
        // Left over from before (a namespace, or a host end without its peer): look and repair as below.
        if (!(err instanceof HostCommandFailed && /File exists/.test(err.stderr))) throw err;
        if (!existsSync(`/run/netns/${v.netns}`)) await ip(['netns', 'add', v.netns]);
        await this.opts.fence?.addPort(v.hostIf);
      }
    }
    if (!plumbed) {
      const inside = await links(v.netns);
      const pair = !inside.some((l) => l.ifname === VIP_IF);
      const root = [
        ...(pair ? [batch.vethPair(v.hostIf, VIP, v.netns), batch.linkNoLinkLocal(v.hostIf)] : []), batch.linkSetMaster(v.hostIf, v.bridge), batch.linkUp(v.hostIf),
      ];
      await ipBatch(null, root).catch(async (err: unknown) => {
        // A host end left from a deleted namespace has no usable peer: replace the pair.
        if (!(pair && err instanceof HostCommandFailed && /File exists/.test(err.stderr))) throw err;
        await ip(['link', 'del', v.hostIf]);
        await ipBatch(null, root);
      });
      await run('nsenter', [enter(v.netns), 'sh', '-c', PLUG, 'sh', ...plugArgs], { input });
    }
    const ino = inode(`/run/netns/${v.netns}`);
    const before = this.plumbingSeen.get(v.lbId);
    if (ino !== null) {
      this.plumbingSeen.set(v.lbId, { ino, plumbing: {
        hostIfMaster: v.bridge, hostIfUp: true, vipIfUp: true, loUp: true, defaultVia: v.gateway, nonlocalBind: true,
        // The interface's other addresses (additional VIPs) stay: `addr replace` touched the VIP only.
        addresses: [...new Set([`${v.address}/${v.prefixLen}`, ...(before?.ino === ino ? before.plumbing.addresses : [])])],
      } });
    }
  }

  /** Save the servers' state (weights, maintenance, health carry over), SIGUSR2, record what runs now. */
  private async reload(p: ReturnType<typeof lbPaths>, running: RunningHaproxy, keepState: boolean): Promise<void> {
    const pid = livePid(p);
    if (pid === null) throw new HostCommandFailed('reload', null, 'haproxy master is not running');
    if (!keepState || !(await saveServerState(p))) rmSync(p.serverState, { force: true });
    await reloadHaproxy(pid, p);
    writeAtomic(p.running, JSON.stringify(running));
  }

  /**
   * The runtime API: each step over the admin socket. If haproxy refuses one, the file is written (checked) and haproxy
   * reloaded instead, so the running haproxy and the file never disagree; the record says what runs either way.
   */
  private async setServers(p: ReturnType<typeof lbPaths>, a: Extract<Action, { kind: 'SetServers' }>): Promise<void> {
    const before = readOr(p.running);
    try {
      await runtimeCommands(p.statsSock, a.ops.flatMap(commandsOf));
    } catch (err) {
      // Refused (a server with connections cannot be deleted, say) or no answer: the reload path, file first.
      this.lastFallback = err instanceof Error ? err.message : String(err);
      await installConfig(this.opts.haproxyBin, p, a.config, true);
      await this.reload(p, a.running, true);
      return;
    }
    if (before !== null) writeAtomic(p.runningPrev, before);
    writeAtomic(p.running, JSON.stringify(a.running));
  }

  /** After a runtime change whose file haproxy -c refused: reload the file that is still in place, from its values alone. */
  async restore(rawId: string): Promise<void> {
    const p = lbPaths(this.opts.runDir, checked(() => parse.lbId(rawId)));
    const prev = readRunning(p.runningPrev);
    if (prev === null) throw new HostCommandFailed('restore', null, 'no record of what ran before the runtime change');
    await this.reload(p, prev, false);
    copyFileSync(p.runningPrev, p.running);
  }

  /** haproxy's `show stat` CSV for one LB (live counters; reset by a reload), with the UDP listeners' and members' rows. */
  async statsCsv(lbId: string): Promise<string> {
    const csv = await socketCommand(lbPaths(this.opts.runDir, lbId).statsSock, 'show stat');
    const id = checked(() => parse.lbId(lbId));
    return appendStatRows(csv, await udpStatRows(netnsOf(id), lbPaths(this.opts.runDir, id).dir));
  }

  /** True when the LB's haproxy master runs (a pid file naming a live haproxy with our config). */
  running(lbId: string): boolean {
    return livePid(lbPaths(this.opts.runDir, lbId)) !== null;
  }

  /** sha256 of the config on disk and of the one the running master matches (null when absent). */
  digests(lbId: string): { config: string | null; loaded: string | null; running: boolean } {
    const p = lbPaths(this.opts.runDir, lbId);
    const cfg = readOr(p.cfg);
    return { config: cfg === null ? null : sha(cfg), loaded: readRunning(p.running)?.config ?? null, running: livePid(p) !== null };
  }

  /** Lease lapsed: remove every VIP this agent plugged, so a partitioned host stops answering (no split brain). */
  async withdrawVips(): Promise<void> {
    this.plumbingSeen.clear();
    const namespaces = await listNetns();
    for (const lbId of lbIdsOf(this.owned())) {
      if (namespaces.has(netnsOf(lbId))) await ip(['-n', netnsOf(lbId), 'addr', 'flush', 'dev', VIP_IF]).catch(() => undefined);
    }
  }

  /** Forget what was seen of the namespaces (the next observation of each looks again). */
  forgetPlumbing(): void {
    this.plumbingSeen.clear();
  }

  /** Stop haproxy, delete the namespace (its veth goes with it), remove the run dir, then forget the record. */
  async destroy(rawId: string): Promise<void> {
    const lbId = checked(() => parse.lbId(rawId));
    const ns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    this.plumbingSeen.delete(lbId);
    const pid = livePid(p);
    if (pid !== null) await stopPid(pid);
    // The UDP checker too, even one left in a namespace deleted by hand (the loop below sees only the current one).
    const checker = checkerPid(p.dir);
    if (checker !== null) await stopPid(checker, 1000);
    if (existsSync(`/run/netns/${ns}`) || (await listNetns()).has(ns)) {
      for (const other of await netnsPids(ns)) await stopPid(other, 1000);
      await ip(['netns', 'del', ns]);
    }
    await ip(['link', 'del', hostIfOf(lbId)]).catch(() => undefined);
    await this.opts.fence?.removePort(hostIfOf(lbId)).catch(() => undefined);
    if (existsSync(p.dir)) rmSync(p.dir, { recursive: true, force: true });
    this.state.forget(lbId);
  }
}

/** The admin-socket commands of one server step (see ServerOp). */
export function commandsOf(op: ServerOp): string[] {
  switch (op.op) {
    case 'add': {
      const s = op.server;
      const name = `${s.backend}/${s.name}`;
      // Added in maintenance: enabled (if wanted) and its check started only once it exists with every setting.
      return [addServerCommand(s), ...(s.enabled ? [`set server ${name} state ready`] : []), ...(s.check ? [`enable health ${name}`] : [])];
    }
    case 'del': return [`set server ${op.backend}/${op.name} state maint`, `del server ${op.backend}/${op.name}`];
    case 'weight': return [`set server ${op.backend}/${op.name} weight ${op.weight}`];
    case 'state': return [`set server ${op.backend}/${op.name} state ${op.enabled ? 'ready' : 'maint'}`];
    // No monitor address or port means the server's own: that is what haproxy gets then.
    case 'check-addr': return [`set server ${op.backend}/${op.name} check-addr ${op.addr} port ${op.port}`];
  }
}

export { ConfigRejected };
