import type { KeepalivedInput } from './keepalived-config';

/** One side of a pair as the agent renders it (run dir /run/lbaas/a1, state dir /var/lib/lbaas/a1). */
export const PAIR_SIDE: KeepalivedInput = {
  lbId: '5b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d',
  vrid: 42,
  priority: 100,
  advertIntMs: 100,
  interface: 'vip0',
  vip: { address: '10.0.0.50', prefixLength: 24 },
  additionalVips: [],
  vrrpAddress: '10.0.0.11',
  peerAddress: '10.0.0.12',
  checkScript: '/run/lbaas/a1/vrrp-check',
  checkArgs: ['/run/lbaas/a1/5b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d/haproxy.pid', '/var/lib/lbaas/a1/lease.json'],
  fenceFile: '/var/lib/lbaas/a1/vrrp.fence',
  notifyScript: '/run/lbaas/a1/vrrp-notify',
  notifyArg: '/run/lbaas/a1/5b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d',
  garpRepeat: 3,
  garpDelayS: 1,
};

/** Golden cases: name → input (`__golden__/<name>.conf`). */
export const KEEPALIVED_GOLDEN: Record<string, KeepalivedInput> = {
  'master-ipv4': PAIR_SIDE,
  'backup-ipv4-additional-vips': {
    ...PAIR_SIDE, priority: 90, advertIntMs: 150, vrrpAddress: '10.0.0.12', peerAddress: '10.0.0.11',
    additionalVips: [{ address: '192.168.7.9', prefixLength: 25 }, { address: '2001:db8:0:0::9', prefixLength: 64 }],
  },
  'standby-promoted': { ...PAIR_SIDE, priority: 200, preempt: true, vrrpAddress: '10.0.0.12', peerAddress: '10.0.0.11' },
  // A pair without a standby (no second host, or the standby was promoted and its successor is not placed yet).
  'master-without-peer': { ...PAIR_SIDE, peerAddress: null },
  'master-ipv6': {
    ...PAIR_SIDE, vip: { address: '2001:db8::50', prefixLength: 64 }, vrrpAddress: '2001:db8::11', peerAddress: '2001:db8::12',
  },
};
