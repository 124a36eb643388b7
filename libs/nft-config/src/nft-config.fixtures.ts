import type { DesiredLb } from '@lbaas/projections';
import { desiredLb, listener, member, monitor, pool, WEB1, WEB2 } from '@lbaas/testing';

export const UDP_LISTENER = '5b1e0c2a-7d3f-4e8a-9c6b-2f0a2d3e4b5c';
export const UDP_POOL = 'd0d0d0d0-1111-4222-8333-444455556666';
export const WEB3 = '33333333-3333-4333-8333-333333333333';

const udpListener = (o: Parameters<typeof listener>[0] = {}) => listener({ listenerId: UDP_LISTENER, protocol: 'UDP', protocolPort: 53, defaultPoolId: UDP_POOL, ...o });
const udpMonitor = (o: Parameters<typeof monitor>[0] = {}) => monitor({ type: 'UDP-CONNECT', delay: 3, timeout: 2, maxRetries: 2, maxRetriesDown: 3, httpMethod: null, urlPath: null, expectedCodes: null, ...o });
const udpPool = (o: Parameters<typeof pool>[0] = {}) => pool({
  poolId: UDP_POOL, protocol: 'UDP', monitor: udpMonitor(),
  members: [member({ address: '10.231.1.11', protocolPort: 5353, weight: 1 }), member({ memberId: WEB2, address: '10.231.1.12', protocolPort: 5353, weight: 3 })], ...o,
});
/** A UDP LB beside the seed's HTTP listener (haproxy keeps that one). */
export const udpLb = (o: Partial<DesiredLb> = {}): DesiredLb => {
  const base = desiredLb();
  return desiredLb({ listeners: [...base.listeners, udpListener()], pools: [...base.pools, udpPool()], ...o });
};

/** The trees every golden file is rendered from: name -> [desired LB, members down]. */
export const NFT_GOLDEN_CASES: Record<string, { lb: DesiredLb; down?: string[] }> = {
  'udp-weighted-udp-connect': { lb: udpLb() },
  'udp-source-ip': { lb: udpLb({ pools: [udpPool({ lbAlgorithm: 'SOURCE_IP', monitor: udpMonitor({ type: 'PING' }) })] }) },
  'udp-source-ip-port': { lb: udpLb({ pools: [udpPool({ lbAlgorithm: 'SOURCE_IP_PORT', monitor: udpMonitor({ type: 'TCP' }) })] }) },
  'udp-persistence-source-ip': {
    lb: udpLb({ pools: [udpPool({ sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: 360, persistenceGranularity: '255.255.255.255' }, monitor: null })] }),
  },
  'udp-member-down': { lb: udpLb(), down: [`${UDP_POOL}/${WEB2}`] },
  'udp-backup-disabled-drain': {
    lb: udpLb({ pools: [udpPool({ members: [
      member({ address: '10.231.1.11', protocolPort: 5353 }), member({ memberId: WEB2, address: '10.231.1.12', protocolPort: 5353, backup: true }),
      member({ memberId: WEB3, address: '10.231.1.13', protocolPort: 5353, adminStateUp: false }),
      member({ memberId: '44444444-4444-4444-8444-444444444444', address: '10.231.1.14', protocolPort: 5353, weight: 0 }),
    ] })] }),
    down: [`${UDP_POOL}/${WEB1}`],
  },
  'udp-dual-stack-allowed-cidrs': {
    lb: udpLb({
      additionalVips: [{ address: 'fd00:231:1::10', subnetId: 'sub6', prefixLen: 64 }, { address: '10.231.2.10', subnetId: 'sub2', prefixLen: 24 }],
      listeners: [udpListener({ allowedCidrs: ['10.231.0.0/16', 'fd00:231::/32'] }), udpListener({ listenerId: 'aaaaaaaa-0000-4000-8000-000000000001', protocolPort: 123, defaultPoolId: null, allowedCidrs: ['192.0.2.0/24'] })],
      pools: [udpPool({ members: [member({ address: '10.231.1.11', protocolPort: 5353 }), member({ memberId: WEB2, address: 'fd00:231:1::12', protocolPort: 5353, weight: 2 })] })],
    }),
  },
  'udp-no-pool': { lb: udpLb({ listeners: [udpListener({ defaultPoolId: null })], pools: [] }) },
};
