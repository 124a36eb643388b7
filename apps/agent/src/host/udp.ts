import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenerCounters, memberKey, NFT_FAMILY, NFT_TABLE, renderNftRuleset, type NftModel } from '@lbaas/nft-config';
import { VIP_IF } from '../layout';
import type { NetnsName } from '../parse';
import type { ObservedUdp } from '../udp-plan';
import { HostCommandFailed, run } from './exec';
import { ConfigRejected, inNetns, stopPid } from './haproxy';
import { udpFiles, type UdpRecord, type UdpStatus } from './udp-checker';

/**
 * The host side of an LB's UDP part: the nftables table (checked with `nft -c`, then replaced whole in one transaction),
 * the namespace's forwarding sysctls, and the health checker process; and reading them back (observe, statistics,
 * member health). Every rule text comes from libs/nft-config, which checked every value in it.
 */

const inNs = (netns: NetnsName, cmd: string, args: string[], input?: string) =>
  run('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args], input === undefined ? {} : { input });
const readOr = (path: string): string | null => { try { return readFileSync(path, 'utf8'); } catch { return null; } };
const writeAtomic = (path: string, text: string) => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};

// The namespace forwards what the table translates (and nothing else: its forward chain drops the rest); it must not
// tell clients to go to a member directly (the VIP's interface is both ways in and out).
const SYSCTLS = [
  'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1',
  'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0', `net.ipv4.conf.${VIP_IF}.send_redirects=0`,
];

/** The checker's script: next to this file once built (tests running the sources use the build's). */
export function checkerScript(): string {
  const here = join(__dirname, 'udp-checker-main.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', 'dist', 'host', 'udp-checker-main.js');
  if (existsSync(built)) return built;
  throw new HostCommandFailed('udp checker', null, `udp-checker-main.js not found next to ${__dirname} nor in the agent's dist (build the agent)`);
}

/** The checker's pid if it runs (its pid file names a live process running the checker for this dir). */
export function checkerPid(dir: string): number | null {
  const pid = Number((readOr(udpFiles(dir).pid) ?? '').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const cmdline = readOr(`/proc/${pid}/cmdline`);
  return cmdline !== null && cmdline.includes('udp-checker-main') && cmdline.includes(dir) ? pid : null;
}

/** The members the checker sees down now, among those of `model` (what a full replace leaves out of the maps). */
function downNow(dir: string, model: NftModel): Set<string> {
  let status: UdpStatus | null = null;
  try { status = JSON.parse(readOr(udpFiles(dir).status) ?? 'null') as UdpStatus | null; } catch { status = null; }
  const keys = new Set(model.pools.flatMap((p) => p.members.map((m) => memberKey(p.id, m.id))));
  return new Set(Object.entries(status?.members ?? {}).filter(([k, v]) => keys.has(k) && v.status === 'DOWN').map(([k]) => k));
}

/**
 * WriteNft: `nft -c` of the new table (refused: kept as udp.nft.failed, ConfigRejected), then sysctls and the table
 * replaced in one process, the record written, and the checker told (SIGHUP) or started.
 */
export async function writeNft(netns: NetnsName, dir: string, model: NftModel, digest: string): Promise<void> {
  const f = udpFiles(dir);
  const structure = renderNftRuleset(model);
  writeFileSync(f.rulesetNew, structure);
  try {
    await inNs(netns, 'nft', ['-c', '-f', f.rulesetNew]);
  } catch (err) {
    if (!(err instanceof HostCommandFailed)) throw err;
    renameSync(f.rulesetNew, f.rulesetFailed);
    throw new ConfigRejected(`nft refused the UDP table: ${err.stderr.trim().slice(0, 1000)}`);
  }
  await inNs(netns, 'sh', ['-c', `sysctl -q -w ${SYSCTLS.join(' ')} && exec nft -f -`], renderNftRuleset(model, downNow(dir, model)));
  renameSync(f.rulesetNew, f.ruleset);
  const record: UdpRecord = { digest, model };
  writeAtomic(f.model, JSON.stringify(record));
  const pid = checkerPid(dir);
  if (pid !== null && inNetns(pid, netns)) {
    process.kill(pid, 'SIGHUP');
    return;
  }
  // A checker left in a namespace deleted under it (`ip netns del`) would look after a table nobody uses: it goes.
  if (pid !== null) await stopPid(pid, 1000);
  const log = openSync(join(dir, 'udp-health.log'), 'a');
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, checkerScript(), dir], { stdio: ['ignore', 'ignore', log], detached: true });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
  // The pid file is the checker's proof of life: wait for it (a second at most), so the next observe sees it.
  for (let i = 0; i < 40 && checkerPid(dir) === null; i++) await new Promise((r) => setTimeout(r, 25));
}

/** RemoveNft: the table and the checker go (idempotent). */
export async function removeNft(netns: NetnsName, dir: string): Promise<void> {
  const pid = checkerPid(dir);
  if (pid !== null) await stopPid(pid, 1000);
  await inNs(netns, 'nft', ['delete', 'table', NFT_FAMILY, NFT_TABLE]).catch((err: unknown) => {
    if (!(err instanceof HostCommandFailed && /No such file or directory|does not exist/.test(err.stderr))) throw err;
  });
  const f = udpFiles(dir);
  for (const file of [f.model, f.ruleset, f.rulesetNew, f.status, f.pid]) rmSync(file, { force: true });
}

/** What the host shows of the UDP part; undefined when nothing of it was ever made (the cheap common case). */
export async function observeUdp(netns: NetnsName, dir: string, full: boolean): Promise<ObservedUdp | undefined> {
  const f = udpFiles(dir);
  const rec = readOr(f.model);
  const pid = checkerPid(dir);
  const checker = pid !== null && inNetns(pid, netns);
  if (rec === null && !checker) return undefined;
  let digest: string | null = null;
  try { digest = (JSON.parse(rec ?? 'null') as UdpRecord | null)?.digest ?? null; } catch { digest = null; }
  if (!full) return { digest, checker };
  const table = await inNs(netns, 'nft', ['list', 'tables', NFT_FAMILY]).then((out) => out.includes(`table ${NFT_FAMILY} ${NFT_TABLE}`)).catch(() => false);
  return { digest, checker, table };
}

/** One row of `show stat` by column name (health-reports.ts reads the same shape). */
type StatRow = Record<string, string>;
type NftCounter = { counter?: { name: string; packets: number; bytes: number } };

/**
 * The UDP part as `show stat` rows: a FRONTEND row per UDP listener from the table's counters (bytes in from clients,
 * bytes out to them, flows as sessions) and a row per UDP member from the checker's status.
 */
export async function udpStatRows(netns: NetnsName, dir: string): Promise<StatRow[]> {
  let record: UdpRecord | null;
  try {
    record = JSON.parse(readOr(udpFiles(dir).model) ?? 'null') as UdpRecord | null;
  } catch {
    return []; // a torn record: no UDP rows this time (haproxy's rows still count)
  }
  if (!record) return [];
  const { model } = record;
  const counters = new Map<string, { packets: number; bytes: number }>();
  const out = await inNs(netns, 'nft', ['-j', 'list', 'counters', 'table', NFT_FAMILY, NFT_TABLE]).catch(() => '');
  try {
    for (const o of (JSON.parse(out || '{"nftables":[]}') as { nftables: NftCounter[] }).nftables) if (o.counter) counters.set(o.counter.name, o.counter);
  } catch { /* no counters: zeros */ }
  const rows: StatRow[] = [];
  for (const l of model.listeners) {
    const c = listenerCounters(l.id);
    rows.push({
      pxname: l.id, svname: 'FRONTEND', status: 'OPEN', scur: '0', ereq: '0',
      bin: String(counters.get(c.in)?.bytes ?? 0), bout: String(counters.get(c.out)?.bytes ?? 0), stot: String(counters.get(c.new)?.packets ?? 0),
    });
  }
  let status: UdpStatus | null = null;
  try { status = JSON.parse(readOr(udpFiles(dir).status) ?? 'null') as UdpStatus | null; } catch { status = null; }
  for (const p of model.pools) {
    for (const m of p.members) {
      const s = status?.members[memberKey(p.id, m.id)];
      if (!s) continue;
      rows.push({
        pxname: p.id, svname: m.id, status: s.status, weight: String(s.weight),
        check_status: s.status === 'no check' || s.status === 'MAINT' ? '' : !s.checked ? 'INI' : s.status === 'UP' ? 'L4OK' : 'L4CON',
        last_chk: s.detail.replace(/[,\n]/g, ' '),
      });
    }
  }
  return rows;
}

/** Appends rows to a `show stat` CSV in its own header's column order (values never hold a comma). */
export function appendStatRows(csv: string, rows: readonly StatRow[]): string {
  if (rows.length === 0) return csv;
  const header = csv.split('\n').find((l) => l.startsWith('# '));
  const keys = header ? header.slice(2).split(',') : ['pxname', 'svname', 'status', 'weight', 'check_status', 'last_chk', 'scur', 'stot', 'bin', 'bout', 'ereq'];
  const lines = rows.map((r) => keys.map((k) => (r[k] ?? '').replace(/[,\n]/g, ' ')).join(','));
  return `${header ? csv.replace(/\n*$/, '\n') : `# ${keys.join(',')}\n`}${lines.join('\n')}\n`;
}
