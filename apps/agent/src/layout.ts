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
    /** sha256 of the config the running master last loaded (written after a verified start or reload). */
    loaded: join(dir, 'loaded.sha256'),
    masterSock: join(dir, 'm.sock'),
    statsSock: join(dir, 's.sock'),
  };
}
