import { join } from 'node:path';

/** Names and paths the agent owns for one load balancer. Pure: the same inputs always give the same names. */
export const netnsName = (lbId: string): string => `qlbaas-${lbId}`;
/** Host end of the VIP veth: `vl` + 12 hex of the LB id (interface names are at most 15 chars). */
export const hostVethName = (lbId: string): string => `vl${lbId.replace(/-/g, '').slice(0, 12).toLowerCase()}`;
/** The VIP interface inside the namespace. */
export const VIP_IF = 'vip0';

/** Files of one LB under the run dir; socket names are short because haproxy caps unix paths at 97 chars. */
export function lbPaths(runDir: string, lbId: string) {
  const dir = join(runDir, lbId);
  return {
    dir,
    cfg: join(dir, 'haproxy.cfg'),
    cfgNew: join(dir, 'haproxy.cfg.new'),
    cfgFailed: join(dir, 'haproxy.cfg.failed'),
    pid: join(dir, 'haproxy.pid'),
    /**
     * What the running master was told (RunningHaproxy: structure, config digest, servers), written after a verified
     * start, reload or runtime change; `runningPrev` keeps the one before a runtime change (restored if the file is refused).
     */
    running: join(dir, 'running.json'),
    runningPrev: join(dir, 'running.prev.json'),
    /** `show servers state`, saved before each reload (the config's server-state-file). */
    serverState: join(dir, 'servers.state'),
    /** Hand-over records: the VIP held back (its nftables arp table), steering to the old holder, the holder's MAC. */
    hold: join(dir, 'hold.nft'),
    steer: join(dir, 'steer.nft'),
    holder: join(dir, 'holder.json'),
    masterSock: join(dir, 'm.sock'),
    statsSock: join(dir, 's.sock'),
  };
}
