import { run } from './exec';

/** Thin wrappers over iproute2 (JSON output). Names are validated by the callers (layout.ts). */
type IpAddr = { family: string; local: string; prefixlen: number };
export type IpLink = { ifname: string; flags: string[]; master?: string; addr_info?: IpAddr[] };

const json = <T>(s: string): T[] => (s.trim() === '' ? [] : (JSON.parse(s) as T[]));

export async function listNetns(): Promise<Set<string>> {
  return new Set(json<{ name: string }>(await run('ip', ['-j', 'netns', 'list'])).map((n) => n.name));
}

/** Links (with addresses) of the root namespace or of `netns`. */
export async function links(netns?: string, args: string[] = []): Promise<IpLink[]> {
  return json<IpLink>(await run('ip', [...(netns ? ['-n', netns] : []), '-j', 'addr', 'show', ...args]));
}

/** Several `ip` commands inside one namespace in one process (`ip -batch` takes no per-line -n). */
export const ipBatch = (netns: string | null, lines: string[]): Promise<string> =>
  run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });

export const ip = (args: string[]): Promise<string> => run('ip', args);

/** Pids of every process inside `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  return (await run('ip', ['netns', 'pids', netns])).split(/\s+/).filter(Boolean).map(Number);
}
