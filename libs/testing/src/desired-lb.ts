import type { DesiredLb, DesiredListener, DesiredMember, DesiredMonitor, DesiredPool } from '@lbaas/projections';

/** Test builders for desired load balancers (defaults: the seed scenario's HTTP listener on :80 with web1/web2). */
export const LB_ID = '3b7e4c1a-5d2f-4e8a-9c6b-1f0a2d3e4b5c';
export const LISTENER_ID = '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const POOL_ID = 'c0ffee00-1111-4222-8333-444455556666';
export const HM_ID = 'beefcafe-aaaa-4bbb-8ccc-dddd00001111';
export const WEB1 = '11111111-1111-4111-8111-111111111111';
export const WEB2 = '22222222-2222-4222-8222-222222222222';

export const listener = (o: Partial<DesiredListener> = {}): DesiredListener => ({
  listenerId: LISTENER_ID, protocol: 'HTTP', protocolPort: 80, adminStateUp: true, connectionLimit: -1, defaultPoolId: POOL_ID,
  insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0,
  allowedCidrs: null, l7Policies: [], tls: null, ...o,
});
export const member = (o: Partial<DesiredMember> = {}): DesiredMember => ({
  memberId: WEB1, address: '10.231.1.11', protocolPort: 8080, weight: 1, backup: false, adminStateUp: true,
  monitorAddress: null, monitorPort: null, ...o,
});
export const monitor = (o: Partial<DesiredMonitor> = {}): DesiredMonitor => ({
  healthMonitorId: HM_ID, type: 'HTTP', adminStateUp: true, delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2,
  httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, ...o,
});
export const pool = (o: Partial<DesiredPool> = {}): DesiredPool => ({
  poolId: POOL_ID, protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, adminStateUp: true,
  members: [member(), member({ memberId: WEB2, address: '10.231.1.12' })], monitor: monitor(), ...o,
});
export const desiredLb = (o: Partial<DesiredLb> = {}): DesiredLb => ({
  lbId: LB_ID, epoch: 1, handover: null, version: 7, deleted: false, appliedVersion: 0, rejectedVersion: null, adminStateUp: true,
  vip: { address: '10.231.0.10', prefixLen: 24, gatewayIp: '10.231.0.1', networkId: 'net1', subnetId: 'sub1',
    bridge: { kind: 'mapped', name: 'br-lbaas', physicalNetwork: 'physnet1' } },
  listeners: [listener()], pools: [pool()], ...o,
});
