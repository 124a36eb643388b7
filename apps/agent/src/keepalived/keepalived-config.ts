import { parseIpAddress } from '@lbaas/domain';

/**
 * keepalived.conf for one side of an ACTIVE_STANDBY pair (issue 14). Pure: the same input always gives the same text,
 * every value is checked first and a bad one throws KeepalivedConfigRefused (never a config keepalived would read
 * differently). One keepalived runs per load balancer inside its namespace; both sides start as BACKUP with `nopreempt`
 * (the side that holds the VIP keeps it: no flap when a failed side comes back), the MASTER role by priority 100 and
 * BACKUP 90 only decides the first election, as Octavia's amphorae.
 *
 * - VRRPv3 (`version 3`: the only version with fractional advert intervals), unicast to the peer's VRRP address from
 *   our own (`unicast_src_ip`; VRRP multicast never leaves the segment, unicast needs no multicast snooping).
 * - The VIP is the `virtual_ipaddress`: only the VRRP master has it, so only the master answers ARP for it. Additional
 *   VIPs (other subnets, possibly the other family) are `virtual_ipaddress_excluded`: moved with the VIP, not in adverts.
 * - `track_script`: the check script (haproxy master of this LB alive, the agent's lease not lapsed) every second;
 *   weight 0, so a failure is FAULT: the VIP is dropped and a priority-0 advert makes the peer take over at once.
 * - `track_file`: the agent's fence file (non-zero = fenced); weight 0 again, read on inotify: FAULT within ms.
 * - `notify`: the role (MASTER, BACKUP, FAULT, STOP) goes to the notify script, which records it for the agent.
 * - Gratuitous ARPs on becoming master, again when a master hears a lower-priority one (two masters after a
 *   partition: the survivor re-announces, so neighbours leave the side that gave up), and one every second while master.
 */
export type KeepalivedInput = Readonly<{
  /** The load balancer: names the instance and the router id. */
  lbId: string;
  /** The virtual router id, 1..255, the same on both sides. */
  vrid: number;
  /** 1..254: MASTER role 100, BACKUP 90 (both start as BACKUP, nopreempt); a standby being promoted 200. */
  priority: number;
  /**
   * Only while a standby is promoted (operator failover, make before break): without `nopreempt`, with a priority
   * above the master's, it takes the VIP after three adverts while the master still serves (its ARP held back).
   */
  preempt?: boolean;
  /** Advert interval in ms, a multiple of 10 (VRRPv3 counts centiseconds), 10..40950. */
  advertIntMs: number;
  /** The interface inside the namespace that carries the VIP and the VRRP addresses. */
  interface: string;
  /** The primary VIP (in adverts) and its prefix on the interface. */
  vip: Readonly<{ address: string; prefixLength: number }>;
  /** Additional VIPs (moved with the VIP, not in adverts). */
  additionalVips: readonly Readonly<{ address: string; prefixLength: number }>[];
  /**
   * This side's VRRP address (the amphora's vrrp_ip) and the peer's; same family as the VIP. No peer (null: the pair
   * runs on one side until a new standby is placed): no unicast peer, the side adverts to the VRRP multicast group alone.
   */
  vrrpAddress: string;
  peerAddress: string | null;
  /** Absolute paths: the check script and its arguments, the fence file, the notify script and its first argument. */
  checkScript: string;
  checkArgs: readonly string[];
  fenceFile: string;
  notifyScript: string;
  notifyArg: string;
  /** Gratuitous ARPs sent on becoming master (in one burst, then again `garpDelayS` later). */
  garpRepeat: number;
  garpDelayS: number;
}>;

export class KeepalivedConfigRefused extends Error {
  constructor(readonly field: string, value: unknown, why: string) {
    super(`keepalived ${field} ${JSON.stringify(value)} ${why}`);
    this.name = 'KeepalivedConfigRefused';
  }
}

const refuse = (field: string, value: unknown, why: string): never => { throw new KeepalivedConfigRefused(field, value, why); };

const int = (field: string, v: number, min: number, max: number): number =>
  Number.isInteger(v) && v >= min && v <= max ? v : refuse(field, v, `is not an integer in ${min}..${max}`);

// keepalived's lexer ends a word at white space and starts a comment at `#` or `!`; quotes group words. Paths and
// arguments are kept to characters that mean nothing to it (and to the shell keepalived runs scripts with).
const PATH = /^\/[A-Za-z0-9._/-]{1,200}$/;
const WORD = /^[A-Za-z0-9._/:-]{1,200}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const path = (field: string, v: string): string =>
  PATH.test(v) && !v.split('/').includes('..') ? v : refuse(field, v, 'is not an absolute path of [A-Za-z0-9._/-]');
const word = (field: string, v: string): string => (WORD.test(v) ? v : refuse(field, v, 'is not a word of [A-Za-z0-9._/:-]'));

const address = (field: string, v: string) => {
  const ip = parseIpAddress(v);
  if (!ip) return refuse(field, v, 'is not an IPv4 or IPv6 address');
  return ip;
};
const prefixed = (field: string, v: Readonly<{ address: string; prefixLength: number }>): { text: string; family: 4 | 6 } => {
  const ip = address(`${field} address`, v.address);
  int(`${field} prefix length`, v.prefixLength, 1, ip.version === 4 ? 32 : 128);
  return { text: `${ip.canonical}/${v.prefixLength}`, family: ip.version };
};

/** `advert_int` in seconds as keepalived reads it (0.1, 0.15, 1). */
const seconds = (ms: number): string => String(ms / 1000);

export function renderKeepalived(x: KeepalivedInput): string {
  const lbId = /^[A-Za-z0-9_-]{1,64}$/.test(x.lbId) ? x.lbId : refuse('lb id', x.lbId, 'is not an id');
  const vrid = int('virtual_router_id', x.vrid, 1, 255);
  const priority = int('priority', x.priority, 1, 254);
  int('advert_int (ms)', x.advertIntMs, 10, 40_950);
  if (x.advertIntMs % 10 !== 0) refuse('advert_int (ms)', x.advertIntMs, 'is not a multiple of 10 ms (VRRPv3 counts centiseconds)');
  const ifname = IFNAME.test(x.interface) ? x.interface : refuse('interface', x.interface, 'is not an interface name');
  const vip = prefixed('vip', x.vip);
  const extra = x.additionalVips.map((v, i) => prefixed(`additional vip ${i}`, v));
  const self = address('vrrp address', x.vrrpAddress);
  const peer = x.peerAddress === null ? null : address('peer vrrp address', x.peerAddress);
  if (self.version !== vip.family) refuse('vrrp address', x.vrrpAddress, `is not of the VIP's family (IPv${vip.family})`);
  if (peer && peer.version !== vip.family) refuse('peer vrrp address', x.peerAddress, `is not of the VIP's family (IPv${vip.family})`);
  if (peer && self.canonical === peer.canonical) refuse('peer vrrp address', x.peerAddress, 'is our own VRRP address');
  const vipAddress = vip.text.split('/')[0];
  if (self.canonical === vipAddress || peer?.canonical === vipAddress) refuse('vrrp address', x.vrrpAddress, 'is the VIP');
  const check = [path('check script', x.checkScript), ...x.checkArgs.map((a, i) => word(`check argument ${i}`, a))].join(' ');
  const notify = `${path('notify script', x.notifyScript)} ${word('notify argument', x.notifyArg)}`;
  const fence = path('fence file', x.fenceFile);
  const garpRepeat = int('garp repeat', x.garpRepeat, 1, 10);
  const garpDelay = int('garp delay (s)', x.garpDelayS, 0, 60);

  return [
    `# lbaas: VRRP for load balancer ${lbId} (rendered; do not edit)`,
    'global_defs {',
    `  router_id ${lbId.slice(0, 32)}`,
    '  enable_script_security',
    '  script_user root',
    // Realtime scheduling when keepalived notices it runs late: sub-second adverts on a busy host must not flap.
    '  max_auto_priority 10',
    '  vrrp_garp_interval 0.001',
    // A master re-announces every second while it is master (Octavia refreshes every 5 s): after two masters (a healed
    // partition) a client left with the side that gave up follows within about a second, whatever became of the
    // one-off gratuitous ARPs of the moment (seen: 8.3 s, until its neighbour entry went stale). A held VIP's are dropped.
    '  vrrp_garp_master_refresh 1',
    '  vrrp_garp_master_refresh_repeat 1',
    '}',
    '',
    'vrrp_script lbaas_check {',
    `  script "${check}"`,
    '  interval 1',
    '  timeout 1',
    '  fall 1',
    '  rise 1',
    '  weight 0',
    '}',
    '',
    'track_file lbaas_fence {',
    `  file "${fence}"`,
    '  weight 0',
    '  init_file 0',
    '}',
    '',
    `vrrp_instance lb_${vrid} {`,
    '  state BACKUP',
    ...(x.preempt === true ? [] : ['  nopreempt']),
    `  interface ${ifname}`,
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    '  version 3',
    `  advert_int ${seconds(x.advertIntMs)}`,
    ...(peer ? [`  unicast_src_ip ${self.canonical}`, '  unicast_peer {', `    ${peer.canonical}`, '  }'] : []),
    '  virtual_ipaddress {',
    `    ${vip.text} dev ${ifname}`,
    '  }',
    ...(extra.length > 0 ? ['  virtual_ipaddress_excluded {', ...extra.map((e) => `    ${e.text} dev ${ifname}`), '  }'] : []),
    `  garp_master_repeat ${garpRepeat}`,
    `  garp_master_delay ${garpDelay}`,
    // Two masters after a partition: the one that stays master announces itself again when it hears the other (a lower
    // priority advert), or neighbours that learnt the other's MAC keep sending there after it let go.
    `  garp_lower_prio_repeat ${garpRepeat}`,
    // ... at once (the default waits garp_master_delay first): after a healed partition a client that had followed the
    // side that gave up was served again only after up to 8.2 s, until its neighbour entry went stale.
    '  garp_lower_prio_delay 0',
    '  higher_prio_send_advert', // the one giving up says so first: the survivor hears a lower priority and re-announces
    '  track_script {',
    '    lbaas_check',
    '  }',
    '  track_file {',
    '    lbaas_fence',
    '  }',
    `  notify "${notify}"`,
    '}',
    '',
  ].join('\n');
}

/** The virtual router id of a load balancer's pair: 1..255 from its id (FNV-1a); unicast peers make clashes harmless. */
export function vridOf(lbId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < lbId.length; i++) {
    h ^= lbId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 255) + 1;
}

/** Priorities of the two roles (Octavia's): the role only decides the first election; nopreempt keeps the holder. */
export const VRRP_PRIORITY = { MASTER: 100, BACKUP: 90, PROMOTED: 200 } as const;
