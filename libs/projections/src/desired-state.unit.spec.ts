import type { DomainEvent } from '@lbaas/events';
import { evolveCatalog, initialCatalog, type Catalog } from './catalog';
import { desiredLbFor, desiredStateFor } from './desired-state';

const LB = '6f1c2a9e-0000-4000-8000-000000000001';
const LB2 = '6f1c2a9e-0000-4000-8000-000000000002';
const at = '2026-11-25T00:00:00.000Z';
let seq = 0;
const commit = (subject: string, ...events: DomainEvent[]) => ({ commitId: `c${++seq}`, at, actor: { kind: 'service' as const, service: 'test' }, events, seq, subject });

function catalogWith(...more: Array<[string, DomainEvent[]]>): Catalog {
  let c = initialCatalog();
  const base: Array<[string, DomainEvent[]]> = [
    ['lbaas.evt.network.net1', [{ type: 'NetworkCreated', v: 1, data: { networkId: 'net1', projectId: 'p', name: 'n', physicalNetwork: 'physnet1', networkType: 'flat', shared: true, at } }]],
    ['lbaas.evt.subnet.sub1', [{ type: 'SubnetCreated', v: 1, data: { subnetId: 'sub1', networkId: 'net1', projectId: 'p', name: 's', ipVersion: 4, cidr: '10.231.0.0/24', gatewayIp: '10.231.0.1', allocationPools: [], at } }]],
    ...[LB, LB2].map((lbId): [string, DomainEvent[]] => [`lbaas.evt.lb.${lbId}`, [{ type: 'LoadBalancerCreated', v: 1, data: {
      lbId, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '10.231.0.10', vipSubnetId: 'sub1',
      vipNetworkId: 'net1', vipPortId: 'port1', provider: 'haproxy', at } }]]),
  ];
  for (const [subject, events] of [...base, ...more]) c = evolveCatalog(c, commit(subject, ...events));
  return c;
}
const placed = (lbId: string, agentId: string, epoch: number, reason: 'initial' | 'failover' | 'drain' | 'operator' = 'initial'): [string, DomainEvent[]] =>
  [`lbaas.evt.lb.${lbId}`, [{ type: 'LoadBalancerPlaced', v: 1, data: { lbId, agentId, epoch, reason, at } }]];
const onLb = (...events: DomainEvent[]): [string, DomainEvent[]] => [`lbaas.evt.lb.${LB}`, events];

describe('desiredStateFor', () => {
  it('selects only the load balancers whose latest placement names the agent', () => {
    const c = catalogWith(placed(LB, 'a1', 1), placed(LB2, 'a1', 1), placed(LB2, 'a2', 2));
    expect(desiredStateFor(c, 'a1', { physnet1: 'br-a' }).loadBalancers.map((l) => l.lbId)).toEqual([LB]);
    expect(desiredStateFor(c, 'a2', { physnet1: 'br-a' }).loadBalancers.map((l) => [l.lbId, l.epoch])).toEqual([[LB2, 2]]);
  });

  it('maps the VIP network to this agent\'s bridge and the subnet to prefix and gateway', () => {
    const [lb] = desiredStateFor(catalogWith(placed(LB, 'a1', 1)), 'a1', { physnet1: 'br-a' }).loadBalancers;
    expect(lb.vip).toEqual({ address: '10.231.0.10', prefixLen: 24, gatewayIp: '10.231.0.1', networkId: 'net1', subnetId: 'sub1',
      bridge: { kind: 'mapped', name: 'br-a', physicalNetwork: 'physnet1' } });
    expect(lb).toMatchObject({ version: 2, deleted: false, adminStateUp: true, listeners: [], pools: [] });
  });

  it('marks a physical network without a mapping as unmapped', () => {
    const [lb] = desiredStateFor(catalogWith(placed(LB, 'a1', 1)), 'a1', { other: 'br-x' }).loadBalancers;
    expect(lb.vip.bridge).toEqual({ kind: 'unmapped', physicalNetwork: 'physnet1' });
  });

  it('keeps a deleted load balancer until its teardown is reported, with the deletion version', () => {
    const c = catalogWith(placed(LB, 'a1', 1), [`lbaas.evt.lb.${LB}`, [{ type: 'LoadBalancerDeleted', v: 1, data: { lbId: LB, cascade: true, at } }]]);
    const [lb] = desiredStateFor(c, 'a1', { physnet1: 'br-a' }).loadBalancers;
    expect(lb).toMatchObject({ deleted: true, version: 3 });
    const done = evolveCatalog(c, commit(`lbaas.evt.lb.${LB}`, { type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, version: 3, at } }));
    expect(desiredStateFor(done, 'a1', { physnet1: 'br-a' }).loadBalancers).toEqual([]);
  });

  it('carries the tree: listeners, pools with members in creation order and their monitor', () => {
    const s = `lbaas.evt.lb.${LB}`;
    const c = catalogWith(placed(LB, 'a1', 1),
      [s, [{ type: 'ListenerCreated', v: 1, data: { lbId: LB, listenerId: 'l1', protocol: 'HTTP', protocolPort: 80, name: '', description: '', adminStateUp: true,
        connectionLimit: -1, defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000,
        timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at } }]],
      [s, [{ type: 'PoolCreated', v: 1, data: { lbId: LB, poolId: 'p1', listenerId: 'l1', protocol: 'HTTP', name: '', description: '', adminStateUp: true,
        lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, tags: [], at } }]],
      ...['m2', 'm1'].map((memberId): [string, DomainEvent[]] => [s, [{ type: 'MemberCreated', v: 1, data: { lbId: LB, poolId: 'p1', memberId,
        address: '10.231.1.11', protocolPort: 8080, subnetId: null, name: '', adminStateUp: true, weight: 1, backup: false,
        monitorAddress: null, monitorPort: null, tags: [], at } }]]),
      [s, [{ type: 'HealthMonitorCreated', v: 1, data: { lbId: LB, poolId: 'p1', healthMonitorId: 'h1', type: 'HTTP', name: '', adminStateUp: true,
        delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null,
        domainName: null, tags: [], at } }]]);
    const [lb] = desiredStateFor(c, 'a1', { physnet1: 'br-a' }).loadBalancers;
    expect(lb.listeners).toMatchObject([{ listenerId: 'l1', defaultPoolId: 'p1', protocolPort: 80 }]);
    expect(lb.pools[0].members.map((m) => m.memberId)).toEqual(['m2', 'm1']);
    expect(lb.pools[0].monitor).toMatchObject({ healthMonitorId: 'h1', type: 'HTTP', urlPath: '/' });
    expect(lb.version).toBe(7);
  });

  it('gives a planned move to both agents: incoming to the new one, outgoing (at its own epoch) to the old one', () => {
    const c = catalogWith(placed(LB, 'a1', 1), placed(LB, 'a2', 2, 'drain'));
    const [incoming] = desiredStateFor(c, 'a2', { physnet1: 'br-a' }).loadBalancers;
    const [outgoing] = desiredStateFor(c, 'a1', { physnet1: 'br-a' }).loadBalancers;
    expect(incoming).toMatchObject({ lbId: LB, epoch: 2, handover: { role: 'incoming', fromAgentId: 'a1', fromEpoch: 1, placedAt: at, preparedAt: null, releasedAt: null, fromAgentDown: false } });
    expect(outgoing).toMatchObject({ lbId: LB, epoch: 1, handover: { role: 'outgoing', toAgentId: 'a2', toEpoch: 2, preparedAt: null, releasedAt: null } });
    expect(outgoing.version).toBe(incoming.version);
    expect(desiredStateFor(c, 'a3', { physnet1: 'br-a' }).loadBalancers).toEqual([]);
  });

  it('follows the hand-over: prepared, released; the old agent being declared down', () => {
    const c = catalogWith(placed(LB, 'a1', 1), placed(LB, 'a2', 2, 'operator'),
      onLb({ type: 'LoadBalancerHandoverPrepared', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, at: '2026-11-25T00:00:01.000Z' } }),
      onLb({ type: 'LoadBalancerHandoverReleased', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, at: '2026-11-25T00:00:02.000Z' } }),
      ['lbaas.evt.agent.a1', [{ type: 'AgentRegistered', v: 1, data: { agentId: 'a1', host: 'h1', bridgeMappings: {}, leaseMs: 3000, at } },
        { type: 'AgentDeclaredDown', v: 1, data: { agentId: 'a1', lastHeartbeatAt: null, at } }]]);
    expect(desiredLbFor(c, 'a2', LB, {})?.handover).toEqual({ role: 'incoming', fromAgentId: 'a1', fromEpoch: 1, placedAt: at,
      preparedAt: '2026-11-25T00:00:01.000Z', releasedAt: '2026-11-25T00:00:02.000Z', fromAgentDown: true });
    expect(desiredLbFor(c, 'a1', LB, {})?.handover).toMatchObject({ role: 'outgoing', releasedAt: '2026-11-25T00:00:02.000Z' });
  });

  it('has no hand-over after an unplanned failover or a first placement: the old agent has nothing left of it', () => {
    const c = catalogWith(placed(LB, 'a1', 1, 'operator'), placed(LB, 'a2', 2, 'failover'));
    expect(desiredLbFor(c, 'a2', LB, {})?.handover).toBeNull();
    expect(desiredLbFor(c, 'a1', LB, {})).toBeNull();
    expect(desiredLbFor(catalogWith(placed(LB, 'a1', 1, 'operator')), 'a1', LB, {})?.handover).toBeNull();
  });

  it('ends a hand-over with the next placement', () => {
    const c = catalogWith(placed(LB, 'a1', 1), placed(LB, 'a2', 2, 'drain'), placed(LB, 'a3', 3, 'failover'));
    expect(desiredLbFor(c, 'a1', LB, {})).toBeNull();
    expect(desiredLbFor(c, 'a3', LB, {})?.handover).toBeNull();
  });
});

describe('desiredStateFor: what the renderer must honour or refuse', () => {
  it('carries additional VIPs, listener TLS options and pool re-encryption (absent ones as none)', () => {
    const c = catalogWith(placed(LB, 'a1', 1), [`lbaas.evt.lb.${LB}`, [
      { type: 'ListenerCreated', v: 1, data: {
        lbId: LB, listenerId: 'l1', protocol: 'TERMINATED_HTTPS', protocolPort: 443, name: '', description: '', adminStateUp: true, connectionLimit: -1,
        defaultPoolId: null, insertHeaders: {}, timeoutClientData: 1, timeoutMemberConnect: 1, timeoutMemberData: 1, timeoutTcpInspect: 0,
        allowedCidrs: null, tags: [], defaultTlsContainerRef: 'http://x/v1/secrets/a', tlsVersions: ['TLSv1.3'], hstsMaxAge: 60, at } },
      { type: 'PoolCreated', v: 1, data: {
        lbId: LB, poolId: 'p1', listenerId: null, protocol: 'HTTP', name: '', description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN',
        sessionPersistence: null, tags: [], tlsEnabled: true, caTlsContainerRef: 'http://x/v1/secrets/b', at } },
      { type: 'PoolCreated', v: 1, data: {
        lbId: LB, poolId: 'p2', listenerId: null, protocol: 'HTTP', name: '', description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN',
        sessionPersistence: null, tags: [], at } },
    ]]);
    const [lb] = desiredStateFor(c, 'a1', { physnet1: 'br-a' }).loadBalancers;
    expect(lb.additionalVips).toEqual([]);
    expect(lb.listeners[0].tlsOptions).toEqual({ versions: ['TLSv1.3'], ciphers: null, alpn: null, hsts: { maxAge: 60, includeSubdomains: false, preload: false }, clientAuth: null });
    expect(lb.pools.map((p) => p.tls)).toEqual([{ clientCertRef: null, caRef: 'http://x/v1/secrets/b', crlRef: null, versions: null, ciphers: null, alpn: null }, null]);
  });
});

describe('desiredStateFor: the roles of an ACTIVE_STANDBY pair (issue 14)', () => {
  const side = (agentId: string, amphora: number) =>
    ({ agentId, host: `host-${agentId}`, amphora, vrrpAddress: `10.231.0.${51 + amphora}`, vrrpPortId: `port-${amphora}` });
  const placedPair = (agentId: string, epoch: number, reason: 'initial' | 'operator' | 'drain' | 'failover' | 'standby', pair: { master: ReturnType<typeof side>; standby: ReturnType<typeof side> | null }) =>
    onLb({ type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId, epoch, reason, pair, at } } as DomainEvent);
  const roleOf = (c: Catalog, agentId: string) => desiredLbFor(c, agentId, LB, { physnet1: 'br-a' })?.pair?.role ?? null;
  const first = placedPair('a1', 1, 'initial', { master: side('a1', 0), standby: side('a2', 1) });
  it('MASTER and BACKUP, both nopreempt, as placed', () => {
    const c = catalogWith(first);
    expect([roleOf(c, 'a1'), roleOf(c, 'a2')]).toEqual(['MASTER', 'BACKUP']);
  });
  it('a planned move that promotes the standby makes it PROMOTED (it preempts); the old master, kept as standby, BACKUP', () => {
    const c = catalogWith(first, placedPair('a2', 2, 'operator', { master: side('a2', 1), standby: side('a1', 0) }));
    expect([roleOf(c, 'a2'), roleOf(c, 'a1')]).toEqual(['PROMOTED', 'BACKUP']);
  });
  it('MASTER again with the next placement (the new standby)', () => {
    const c = catalogWith(first, placedPair('a2', 2, 'drain', { master: side('a2', 1), standby: side('a1', 0) }),
      placedPair('a2', 3, 'standby', { master: side('a2', 1), standby: side('a3', 2) }));
    expect([roleOf(c, 'a2'), roleOf(c, 'a3'), roleOf(c, 'a1')]).toEqual(['MASTER', 'BACKUP', null]);
  });
  it('a BACKUP failover (the same pair placed again) leaves the master MASTER', () => {
    const c = catalogWith(first, placedPair('a1', 2, 'operator', { master: side('a1', 0), standby: side('a2', 1) }));
    expect(roleOf(c, 'a1')).toBe('MASTER');
  });
  it('a promotion after the master\'s death (not a planned move) stays MASTER', () => {
    const c = catalogWith(first, placedPair('a2', 2, 'failover', { master: side('a2', 1), standby: null }));
    expect(roleOf(c, 'a2')).toBe('MASTER');
  });
  const handoverOf = (c: Catalog, agentId: string) => {
    const d = desiredLbFor(c, agentId, LB, { physnet1: 'br-a' });
    return d ? { epoch: d.epoch, handover: d.handover } : null;
  };
  const hand = (type: 'LoadBalancerHandoverPrepared' | 'LoadBalancerHandoverReleased' | 'LoadBalancerHandoverDrained', agentId: string, epoch: number) =>
    onLb({ type, v: 1, data: { lbId: LB, agentId, epoch, at } } as DomainEvent);
  it('a planned promotion is a hand-over between the two sides, both at the new epoch: incoming on the promoted, outgoing on the old master', () => {
    const c = catalogWith(first, placedPair('a2', 2, 'operator', { master: side('a2', 1), standby: side('a1', 0) }));
    expect(handoverOf(c, 'a2')).toEqual({ epoch: 2, handover: { role: 'incoming', fromAgentId: 'a1', fromEpoch: 1, placedAt: at, preparedAt: null, releasedAt: null, fromAgentDown: false } });
    expect(handoverOf(c, 'a1')).toEqual({ epoch: 2, handover: { role: 'outgoing', toAgentId: 'a2', toEpoch: 2, placedAt: at, preparedAt: null, releasedAt: null, servedAt: null, drainedAt: null } });
  });
  it('... whose prepared and released (the old master reports it at the new epoch) reach both sides; the next placement ends it', () => {
    const moved = [first, placedPair('a2', 2, 'drain', { master: side('a2', 1), standby: side('a1', 0) }), hand('LoadBalancerHandoverPrepared', 'a2', 2), hand('LoadBalancerHandoverReleased', 'a1', 2)];
    const c = catalogWith(...moved);
    expect(handoverOf(c, 'a1')?.handover).toMatchObject({ preparedAt: at, releasedAt: at });
    expect(handoverOf(c, 'a2')?.handover).toMatchObject({ preparedAt: at, releasedAt: at });
    expect(handoverOf(c, 'a1')?.handover).toMatchObject({ drainedAt: null });
    // the old master's report that its release ended reaches its own desired state (it reports once)
    const drained = catalogWith(...moved, hand('LoadBalancerHandoverDrained', 'a1', 2));
    expect(handoverOf(drained, 'a1')?.handover).toMatchObject({ role: 'outgoing', drainedAt: at });
    const next = catalogWith(...moved, placedPair('a2', 3, 'standby', { master: side('a2', 1), standby: side('a3', 2) }));
    expect([handoverOf(next, 'a2')?.handover, handoverOf(next, 'a3')?.handover, handoverOf(next, 'a1')]).toEqual([null, null, null]);
  });
  it('a standby failover and a promotion after a death hand nothing over', () => {
    expect(handoverOf(catalogWith(first, placedPair('a1', 2, 'operator', { master: side('a1', 0), standby: side('a2', 1) })), 'a1')?.handover).toBeNull();
    expect(handoverOf(catalogWith(first, placedPair('a2', 2, 'failover', { master: side('a2', 1), standby: null })), 'a2')?.handover).toBeNull();
    expect(handoverOf(catalogWith(first, placedPair('a2', 2, 'failover', { master: side('a2', 1), standby: null })), 'a1')).toBeNull();
  });
});
