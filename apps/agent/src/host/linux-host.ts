import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { PING_CHECK_SCRIPT } from '@lbaas/haproxy-config';
import { lbPaths, VIP_IF } from '../layout';
import { hostIfOf, InvalidValue, netnsOf, parse, parseVipPlumbing, type InterfaceName, type LbId } from '../parse';
import type { Action, Observed, ObservedLb } from '../plan';
import { HostCommandFailed } from './exec';
import { ConfigRejected, inNetns, installConfig, livePid, reloadHaproxy, socketCommand, startHaproxy, stopPid } from './haproxy';
import { batch, defaultGateway, ip, ipBatch, links, listNetns, netnsPids, readSysctl, writeSysctl, type IpLink } from './ip';
import { gratuitousArp } from './garp';
import { stateDir } from './state-dir';

/** The reconciler's view of the machine: observe what is there, apply one idempotent action. */
export interface Host {
  observe(lbIds: readonly string[]): Promise<Observed>;
  apply(action: Action): Promise<void>;
}

export type LinuxHostOptions = { stateDir: string; runDir: string; haproxyBin: string; now?: () => string; garpCount?: number };

const up = (l: IpLink | undefined) => !!l && l.flags.includes('UP');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const readOr = (path: string): string | null => { try { return readFileSync(path, 'utf8'); } catch { return null; } };
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

/** The real host: iproute2, sysctl, haproxy. Touches only `qlbaas-<lbId>`, `vl<hex>` links and its own dirs. */
export class LinuxHost implements Host {
  readonly state;
  constructor(private readonly opts: LinuxHostOptions) {
    this.state = stateDir(opts.stateDir);
    installPingCheck(opts.runDir);
  }

  /** Every LB this agent's state dir records. */
  owned(): string[] {
    return this.state.list().map((r) => r.lbId);
  }

  async observe(lbIds: readonly string[]): Promise<Observed> {
    const owned = new Set(this.owned());
    const namespaces = await listNetns();
    const hostLinks = new Map((await links(undefined, ['type', 'veth'])).map((l) => [l.ifname, l]));
    const ids = [...new Set(lbIdsOf([...lbIds, ...owned]))];
    const out = await Promise.all(ids.map((id) => this.observeLb(id, owned.has(id), namespaces.has(netnsOf(id)), hostLinks)));
    return new Map(out.map((o) => [o.lbId, o]));
  }

  private async observeLb(lbId: LbId, owned: boolean, netns: boolean, hostLinks: Map<string, IpLink>): Promise<ObservedLb> {
    const ns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    let plumbing: ObservedLb['plumbing'] = null;
    if (netns && owned) {
      const [inside, via, nonlocal, pingGroups] = await Promise.all([
        links(ns), defaultGateway(ns), readSysctl(ns, 'net.ipv4.ip_nonlocal_bind'), readSysctl(ns, 'net.ipv4.ping_group_range'),
      ]);
      const vip = inside.find((l) => l.ifname === VIP_IF);
      const hostIf = hostLinks.get(hostIfOf(lbId));
      plumbing = {
        hostIfMaster: hostIf?.master ?? null, hostIfUp: up(hostIf), vipIfUp: up(vip), loUp: up(inside.find((l) => l.ifname === 'lo')),
        addresses: (vip?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`), defaultVia: via,
        // Both namespace sysctls PlugVip sets count as one: bind before the VIP is up, and ICMP for PING monitors.
        nonlocalBind: nonlocal === '1' && pingGroups?.trim().replace(/\s+/g, ' ') === PING_GROUPS,
      };
    }
    const cfg = owned ? readOr(p.cfg) : null;
    const pid = owned ? livePid(p) : null;
    return {
      lbId, owned, netns, plumbing, configDigest: cfg === null ? null : sha(cfg),
      haproxy: pid === null ? null : { pid, inNetns: inNetns(pid, ns), loadedDigest: readOr(p.loaded)?.trim() ?? null },
    };
  }

  async apply(a: Action): Promise<void> {
    // Names and paths come from the parsed id (the plan derives them from it too), never from the action's strings.
    const lbId = checked(() => parse.lbId(a.lbId));
    const netns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    switch (a.kind) {
      case 'CreateNetns':
        // Write-ahead: the record exists before the namespace, so a crash in between still leaves it ours to clean.
        this.state.record({ lbId, netns, hostIf: hostIfOf(lbId), runDir: p.dir, createdAt: (this.opts.now ?? (() => new Date().toISOString()))() });
        mkdirSync(p.dir, { recursive: true, mode: 0o755 });
        await ip(['netns', 'add', netns]).catch((err: unknown) => {
          if (!(err instanceof HostCommandFailed && /File exists/.test(err.stderr))) throw err;
        });
        return;
      case 'PlugVip': {
        // Every word of these commands is a typed value (parse.ts): a gateway with a newline never becomes a line.
        const v = checked(() => parseVipPlumbing(a));
        const inside = await links(v.netns);
        if (!inside.some((l) => l.ifname === VIP_IF)) {
          // A host end left from a deleted namespace has no usable peer: replace the pair.
          await ip(['link', 'del', v.hostIf]).catch(() => undefined);
          await ip(['link', 'add', v.hostIf, 'type', 'veth', 'peer', 'name', VIP_IF, 'netns', v.netns]);
        }
        await ipBatch(null, [batch.linkSetMaster(v.hostIf, v.bridge), batch.linkUp(v.hostIf)]);
        await writeSysctl(v.netns, 'net.ipv4.ip_nonlocal_bind', '1');
        // PING monitors: haproxy's unprivileged workers run ping with no_new_privs (file capabilities do not apply),
        // so allow ICMP echo sockets for every group, in this namespace only.
        await writeSysctl(v.netns, 'net.ipv4.ping_group_range', PING_GROUPS);
        await ipBatch(v.netns, [
          batch.linkUp('lo' as InterfaceName), batch.linkUp(VIP), batch.addrReplace(v.address, v.prefixLen, VIP),
          ...(v.gateway ? [batch.routeReplaceDefault(v.gateway, VIP)] : []),
        ]);
        // The VIP may have lived on another host a moment ago: tell the segment its new MAC (neighbours update).
        gratuitousArp(v.netns, v.address, this.opts.garpCount ?? 3);
        return;
      }
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
        await installConfig(this.opts.haproxyBin, p, a.config);
        return;
      case 'StartHaproxy':
        rmSync(p.loaded, { force: true });
        await startHaproxy(this.opts.haproxyBin, netns, p);
        writeFileSync(p.loaded, a.digest);
        return;
      case 'Reload': {
        const pid = livePid(p);
        if (pid === null) throw new HostCommandFailed('reload', null, 'haproxy master is not running');
        await reloadHaproxy(pid, p);
        writeFileSync(p.loaded, a.digest);
        return;
      }
      case 'StopHaproxy': {
        const pid = livePid(p);
        if (pid !== null) await stopPid(pid);
        rmSync(p.loaded, { force: true });
        return;
      }
      case 'Destroy':
        await this.destroy(lbId);
        return;
    }
  }

  /** haproxy's `show stat` CSV for one LB (live counters; reset by a reload). */
  statsCsv(lbId: string): Promise<string> {
    return socketCommand(lbPaths(this.opts.runDir, lbId).statsSock, 'show stat');
  }

  /** sha256 of the config on disk and of the one the running master loaded (null when absent). */
  digests(lbId: string): { config: string | null; loaded: string | null; running: boolean } {
    const p = lbPaths(this.opts.runDir, lbId);
    const cfg = readOr(p.cfg);
    return { config: cfg === null ? null : sha(cfg), loaded: readOr(p.loaded)?.trim() ?? null, running: livePid(p) !== null };
  }

  /** Lease lapsed: remove every VIP this agent plugged, so a partitioned host stops answering (no split brain). */
  async withdrawVips(): Promise<void> {
    const namespaces = await listNetns();
    for (const lbId of lbIdsOf(this.owned())) {
      if (namespaces.has(netnsOf(lbId))) await ip(['-n', netnsOf(lbId), 'addr', 'flush', 'dev', VIP_IF]).catch(() => undefined);
    }
  }

  /** Stop haproxy, delete the namespace (its veth goes with it), remove the run dir, then forget the record. */
  async destroy(rawId: string): Promise<void> {
    const lbId = checked(() => parse.lbId(rawId));
    const ns = netnsOf(lbId);
    const p = lbPaths(this.opts.runDir, lbId);
    const pid = livePid(p);
    if (pid !== null) await stopPid(pid);
    if ((await listNetns()).has(ns)) {
      for (const other of await netnsPids(ns)) await stopPid(other, 1000);
      await ip(['netns', 'del', ns]);
    }
    await ip(['link', 'del', hostIfOf(lbId)]).catch(() => undefined);
    if (existsSync(p.dir)) rmSync(p.dir, { recursive: true, force: true });
    this.state.forget(lbId);
  }
}
