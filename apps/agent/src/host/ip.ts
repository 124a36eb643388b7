import type { InterfaceName, IpAddress, MacAddress, NetnsName, PrefixLength } from '../parse';
import { run } from './exec';

/** Thin wrappers over iproute2 (JSON output). Names and addresses are typed values of ../parse.ts, never raw strings. */
type IpAddr = { family: string; local: string; prefixlen: number };
export type IpLink = { ifname: string; flags: string[]; master?: string; addr_info?: IpAddr[] };

const json = <T>(s: string): T[] => (s.trim() === '' ? [] : (JSON.parse(s) as T[]));

export async function listNetns(): Promise<Set<string>> {
  return new Set(json<{ name: string }>(await run('ip', ['-j', 'netns', 'list'])).map((n) => n.name));
}

/** Links (with addresses) of the root namespace or of `netns`. */
export async function links(netns?: NetnsName, args: string[] = []): Promise<IpLink[]> {
  return json<IpLink>(await run('ip', [...(netns ? ['-n', netns] : []), '-j', 'addr', 'show', ...args]));
}

declare const batchLine: unique symbol;
/** One line of `ip -batch` input, made only by `batch.*` from typed values. */
export type BatchLine = string & { readonly [batchLine]: true };

// What iproute2's batch parser could read as more than one word, a comment, a quote or another line: never in a word.
const WORD = /^[A-Za-z0-9_.:/-]{1,64}$/;
const line = (...words: readonly (string | number)[]): BatchLine => {
  for (const w of words) if (!WORD.test(String(w))) throw new TypeError(`not a safe ip batch word: ${JSON.stringify(String(w)).slice(0, 80)}`);
  return words.join(' ') as BatchLine;
};

/** The batch lines the agent runs, each from typed values only (and every word checked again on the way out). */
export const batch = {
  linkUp: (dev: InterfaceName): BatchLine => line('link', 'set', dev, 'up'),
  linkSetMaster: (dev: InterfaceName, master: InterfaceName): BatchLine => line('link', 'set', dev, 'master', master),
  addrReplace: (address: IpAddress, prefixLen: PrefixLength, dev: InterfaceName): BatchLine => line('addr', 'replace', `${address}/${prefixLen}`, 'dev', dev),
  routeReplaceDefault: (via: IpAddress, dev: InterfaceName): BatchLine => line('route', 'replace', 'default', 'via', via, 'dev', dev),
  netnsAdd: (netns: NetnsName): BatchLine => line('netns', 'add', netns),
  /** A veth pair: `hostIf` here, its peer `peer` in `netns`. */
  vethPair: (hostIf: InterfaceName, peer: InterfaceName, netns: NetnsName): BatchLine => line('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peer, 'netns', netns),
  neighPermanent: (address: IpAddress, mac: MacAddress, dev: InterfaceName): BatchLine => line('neigh', 'replace', address, 'lladdr', mac, 'dev', dev, 'nud', 'permanent'),
  neighDel: (address: IpAddress, dev: InterfaceName): BatchLine => line('neigh', 'del', address, 'dev', dev),
  /** A host route through a next hop on the link (no subnet of its own: `onlink`). */
  routeReplaceHostOnlink: (dst: IpAddress, via: IpAddress, dev: InterfaceName): BatchLine => line('route', 'replace', `${dst}/32`, 'via', via, 'dev', dev, 'onlink'),
  routeDelHost: (dst: IpAddress): BatchLine => line('route', 'del', `${dst}/32`),
  /** No IPv6 link-local address on `dev` when it comes up (so no DAD, MLD or router solicitation): a bridge port. */
  linkNoLinkLocal: (dev: InterfaceName): BatchLine => line('link', 'set', dev, 'addrgenmode', 'none'),
} as const;

/** Batch lines as `ip -batch -` reads them on its standard input. */
export const batchInput = (lines: readonly BatchLine[]): string => `${lines.join('\n')}\n`;

/** Several `ip` commands inside one namespace in one process (`ip -batch` takes no per-line -n). */
export const ipBatch = (netns: NetnsName | null, lines: readonly BatchLine[]): Promise<string> =>
  run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: batchInput(lines) });

/** One `ip` command as an argument vector (no shell, no batch parsing). */
export const ip = (args: readonly string[]): Promise<string> => run('ip', args);

/** Pids of every process inside `netns`. */
export async function netnsPids(netns: NetnsName): Promise<number[]> {
  return (await run('ip', ['netns', 'pids', netns])).split(/\s+/).filter(Boolean).map(Number);
}
