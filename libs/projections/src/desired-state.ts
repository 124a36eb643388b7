import type {
  AlpnProtocol, HttpMethod, L7Action, TlsVersion, L7CompareType, L7RuleType, LbAlgorithm, ListenerProtocol, MemberSettings, MonitorType, PoolProtocol, SessionPersistence,
} from '@lbaas/events';
import type { Catalog } from './catalog';
import { listenerPolicies } from './l7';
import type { ListenerView, LoadBalancerView, MemberView } from './load-balancer-view';

/** Which host bridge carries the VIP's network here; `unmapped` when this agent has no mapping (the plan rejects it). */
export type DesiredBridge =
  | { kind: 'mapped'; name: string; physicalNetwork: string }
  | { kind: 'unmapped'; physicalNetwork: string | null };

/** The VIP as the data plane needs it: address/prefix on the subnet, the gateway, the bridge. */
export type DesiredVip = {
  address: string;
  /** From the subnet's cidr; null when the subnet is unknown to this view (the plan rejects it). */
  prefixLen: number | null;
  gatewayIp: string | null;
  networkId: string;
  subnetId: string;
  bridge: DesiredBridge;
};

export type DesiredListener = {
  listenerId: string; protocol: ListenerProtocol; protocolPort: number; adminStateUp: boolean; connectionLimit: number;
  defaultPoolId: string | null; insertHeaders: Readonly<Record<string, string>>;
  timeoutClientData: number; timeoutMemberConnect: number; timeoutMemberData: number; timeoutTcpInspect: number;
  /** null or empty: every source may connect. */
  allowedCidrs: string[] | null;
  /** In position order. */
  l7Policies: DesiredL7Policy[];
  /** TERMINATED_HTTPS: certificate references (resolved by the agent from the secret store); null otherwise. */
  tls: { defaultRef: string; sniRefs: string[] } | null;
  /**
   * TERMINATED_HTTPS options beyond the certificates (API fields tls_versions, tls_ciphers, alpn_protocols, HSTS, client
   * authentication with its CA and CRL references); absent or null = the data plane's defaults, no client certificates.
   */
  tlsOptions?: DesiredTlsOptions | null;
};
/** A listener's TLS options as the API took them (validated there: versions, ALPN and ciphers this OpenSSL knows). */
export type DesiredTlsOptions = {
  versions: TlsVersion[] | null; ciphers: string | null; alpn: AlpnProtocol[] | null;
  hsts: { maxAge: number; includeSubdomains: boolean; preload: boolean } | null;
  clientAuth: { mode: 'OPTIONAL' | 'MANDATORY'; caRef: string; crlRef: string | null } | null;
};
/** A pool's re-encryption to its members (API tls_enabled and friends); null = plain to the members. */
export type DesiredPoolTls = {
  clientCertRef: string | null; caRef: string | null; crlRef: string | null;
  versions: TlsVersion[] | null; ciphers: string | null; alpn: AlpnProtocol[] | null;
};
export type DesiredL7Rule = {
  l7RuleId: string; type: L7RuleType; compareType: L7CompareType; key: string | null; value: string; invert: boolean; adminStateUp: boolean;
};
export type DesiredL7Policy = {
  l7PolicyId: string; action: L7Action; adminStateUp: boolean; redirectPoolId: string | null; redirectUrl: string | null;
  redirectPrefix: string | null; redirectHttpCode: number | null; rules: DesiredL7Rule[];
};
/** A member as the data plane needs it: its endpoint and every setting but the display ones (a new setting arrives as is). */
export type DesiredMember = Omit<MemberSettings, 'name' | 'tags'> & { memberId: string; address: string; protocolPort: number };
export type DesiredMonitor = {
  healthMonitorId: string; type: MonitorType; adminStateUp: boolean; delay: number; timeout: number;
  maxRetries: number; maxRetriesDown: number; httpMethod: HttpMethod | null; urlPath: string | null;
  expectedCodes: string | null; httpVersion: number | null; domainName: string | null;
};
export type DesiredPool = {
  poolId: string; protocol: PoolProtocol; lbAlgorithm: LbAlgorithm; sessionPersistence: SessionPersistence | null;
  adminStateUp: boolean; members: DesiredMember[]; monitor: DesiredMonitor | null;
  /** Re-encryption to the members; absent or null = none. */
  tls?: DesiredPoolTls | null;
};

/**
 * A planned move this agent takes part in. `incoming`: this agent is the new placement; it builds its copy with the VIP
 * held back, reports it prepared, and announces the VIP once the old copy released it (or its agent is down, or a
 * timeout passed). `outgoing`: this agent was the previous placement; it keeps its copy until the new one is prepared,
 * then stops answering ARP (release) and drains it. Times are the events' `at` (the agent applies its timeouts to them).
 * An ACTIVE_STANDBY pair's planned promotion is the same hand-over between its two sides: `incoming` on the promoted
 * master (PROMOTED), `outgoing` on the old master, which stays the placement's standby (its epoch is the current one).
 */
export type DesiredHandover =
  | { role: 'incoming'; fromAgentId: string; fromEpoch: number; placedAt: string; preparedAt: string | null; releasedAt: string | null; fromAgentDown: boolean }
  | {
    role: 'outgoing'; toAgentId: string; toEpoch: number; placedAt: string; preparedAt: string | null; releasedAt: string | null;
    /** When the new placement was first reported applied (the new side serves; a pair's old master drains from then). */
    servedAt?: string | null;
    /** A pair's old master: when its report that its release ended (it drained) was taken (absent or null: not yet). */
    drainedAt?: string | null;
  };

/**
 * This agent's side of an ACTIVE_STANDBY pair (issue 14): keepalived runs beside haproxy, with the VIP as its virtual
 * address; the interface carries `vrrpAddress` instead. `role` decides the VRRP priority (MASTER 100, BACKUP 90; both
 * nopreempt; PROMOTED 200 and preempting: the master a planned move promoted, until the next placement), `peerAddress` is the other side's VRRP address (null: no standby now, the pair runs degraded).
 */
export type DesiredPairSide = { role: 'MASTER' | 'BACKUP' | 'PROMOTED'; amphora: number; vrrpAddress: string; peerAddress: string | null };

/**
 * One load balancer this agent must run (or, with `deleted`, tear down), at desired `version` under placement `epoch`
 * (for an outgoing hand-over: the previous placement's epoch, this agent's).
 */
export type DesiredLb = {
  lbId: string;
  epoch: number;
  /** A planned move in progress that involves this agent, else null. */
  handover: DesiredHandover | null;
  /** ACTIVE_STANDBY: this agent's side of the pair; absent or null for SINGLE. */
  pair?: DesiredPairSide | null;
  version: number;
  /** True when the LB is deleted but its teardown is not yet reported applied: tear down, then report `version`. */
  deleted: boolean;
  /** Highest version already reported applied (by any run of this agent at this epoch). */
  appliedVersion: number;
  /** Version last reported rejected at this epoch, if any. */
  rejectedVersion: number | null;
  adminStateUp: boolean;
  vip: DesiredVip;
  /** More VIPs on other subnets of the VIP's network (API additional_vips); every listener binds on them too. */
  additionalVips?: { address: string; subnetId: string; prefixLen: number | null }[];
  listeners: DesiredListener[];
  pools: DesiredPool[];
};

/** Everything one agent must run: go-control-plane's one snapshot per node. */
export type DesiredState = { agentId: string; loadBalancers: DesiredLb[] };

/**
 * The load balancers whose latest placement names `agentId`, as plain data the agent renders.
 * `bridgeMappings` is this agent's physical network -> bridge map. Pure: no I/O, deterministic order (creation order).
 */
export function desiredStateFor(catalog: Catalog, agentId: string, bridgeMappings: Readonly<Record<string, string>>): DesiredState {
  const loadBalancers: DesiredLb[] = [];
  for (const lb of catalog.loadBalancers.lbs.values()) {
    const d = desiredOf(catalog, lb, agentId, bridgeMappings);
    if (d) loadBalancers.push(d);
  }
  return { agentId, loadBalancers };
}

/** desiredStateFor for one load balancer: what `agentId` must run of it, or null when nothing (the agent reconciles one LB per commit). */
export function desiredLbFor(catalog: Catalog, agentId: string, lbId: string, bridgeMappings: Readonly<Record<string, string>>): DesiredLb | null {
  const lb = catalog.loadBalancers.lbs.get(lbId);
  return lb ? desiredOf(catalog, lb, agentId, bridgeMappings) : null;
}

function desiredOf(catalog: Catalog, lb: LoadBalancerView, agentId: string, bridgeMappings: Readonly<Record<string, string>>): DesiredLb | null {
  const h = lb.handover ?? null;
  if (lb.placement?.agentId === agentId) {
    const incoming: DesiredHandover | null = h && h.toEpoch === lb.placement.epoch
      ? {
        role: 'incoming', fromAgentId: h.fromAgentId, fromEpoch: h.fromEpoch, placedAt: h.placedAt, preparedAt: h.preparedAt, releasedAt: h.releasedAt,
        fromAgentDown: catalog.agents.agents.get(h.fromAgentId)?.alive === false,
      }
      : null;
    return withPairSide(desiredLb(catalog, lb, lb.placement.epoch, incoming, bridgeMappings), lb, 'MASTER');
  }
  const outgoing: DesiredHandover | null = h && h.fromAgentId === agentId
    ? {
      role: 'outgoing', toAgentId: h.toAgentId, toEpoch: h.toEpoch, placedAt: h.placedAt, preparedAt: h.preparedAt, releasedAt: h.releasedAt,
      servedAt: lb.placement?.epoch === h.toEpoch ? lb.placement.appliedAt : null, drainedAt: h.drainedAt ?? null,
    }
    : null;
  if (lb.placement?.pair?.standby?.agentId === agentId) {
    // A pair's old master after a planned promotion stays on as the standby and hands the VIP over from there.
    return withPairSide(desiredLb(catalog, lb, lb.placement.epoch, outgoing, bridgeMappings), lb, 'BACKUP');
  }
  if (outgoing && h) return desiredLb(catalog, lb, h.fromEpoch, outgoing, bridgeMappings);
  return null;
}

/** Adds this agent's side of the pair (MASTER: the placement's agent; BACKUP: its standby), if the LB is a pair. */
function withPairSide(d: DesiredLb, lb: LoadBalancerView, role: 'MASTER' | 'BACKUP'): DesiredLb {
  const pair = lb.placement?.pair;
  if (!pair) return d;
  const [self, peer] = role === 'MASTER' ? [pair.master, pair.standby] : [pair.standby, pair.master];
  if (!self) return d;
  const peerAddress = peer?.vrrpAddress ?? (role === 'MASTER' ? lb.placement?.lastPeer ?? null : null);
  // A master promoted by a planned move preempts (the old master is still up and holds the VIP until then).
  const r: DesiredPairSide['role'] = role === 'MASTER' && lb.placement?.promoted ? 'PROMOTED' : role;
  return { ...d, pair: { role: r, amphora: self.amphora, vrrpAddress: self.vrrpAddress, peerAddress } };
}

function desiredLb(
  catalog: Catalog, lb: LoadBalancerView, epoch: number, handover: DesiredHandover | null, bridgeMappings: Readonly<Record<string, string>>,
): DesiredLb {
  const subnet = catalog.networks.subnets.get(lb.vipSubnetId);
  const network = catalog.networks.networks.get(lb.vipNetworkId);
  const physicalNetwork = network?.physicalNetwork ?? null;
  const bridgeName = physicalNetwork !== null ? bridgeMappings[physicalNetwork] : undefined;
  const prefix = subnet ? Number(subnet.cidr.split('/')[1]) : NaN;
  return {
    lbId: lb.lbId,
    epoch,
    handover,
    version: lb.version,
    deleted: lb.deleted !== null,
    appliedVersion: lb.appliedVersion,
    rejectedVersion: lb.rejected?.version ?? null,
    adminStateUp: lb.adminStateUp,
    vip: {
      address: lb.vipAddress,
      prefixLen: Number.isInteger(prefix) ? prefix : null,
      gatewayIp: subnet?.gatewayIp ?? null,
      networkId: lb.vipNetworkId,
      subnetId: lb.vipSubnetId,
      bridge: bridgeName && physicalNetwork !== null
        ? { kind: 'mapped', name: bridgeName, physicalNetwork }
        : { kind: 'unmapped', physicalNetwork },
    },
    additionalVips: lb.additionalVips.map((v) => {
      const cidr = catalog.networks.subnets.get(v.subnetId)?.cidr;
      const len = cidr ? Number(cidr.split('/')[1]) : NaN;
      return { address: v.ipAddress, subnetId: v.subnetId, prefixLen: Number.isInteger(len) ? len : null };
    }),
    listeners: [...lb.listeners.values()].map((l) => ({
      listenerId: l.listenerId, protocol: l.protocol, protocolPort: l.protocolPort, adminStateUp: l.adminStateUp,
      connectionLimit: l.connectionLimit, defaultPoolId: l.defaultPoolId, insertHeaders: { ...l.insertHeaders },
      timeoutClientData: l.timeoutClientData, timeoutMemberConnect: l.timeoutMemberConnect,
      timeoutMemberData: l.timeoutMemberData, timeoutTcpInspect: l.timeoutTcpInspect,
      allowedCidrs: l.allowedCidrs ? [...l.allowedCidrs] : null,
      tls: l.protocol === 'TERMINATED_HTTPS' && l.defaultTlsContainerRef
        ? { defaultRef: l.defaultTlsContainerRef, sniRefs: [...(l.sniContainerRefs ?? [])] } : null,
      tlsOptions: tlsOptionsOf(l),
      l7Policies: listenerPolicies(lb, l.listenerId).map((p) => ({
        l7PolicyId: p.l7PolicyId, action: p.action, adminStateUp: p.adminStateUp, redirectPoolId: p.redirectPoolId,
        redirectUrl: p.redirectUrl, redirectPrefix: p.redirectPrefix, redirectHttpCode: p.redirectHttpCode,
        rules: p.ruleIds.flatMap((id) => {
          const r = lb.l7Rules.get(id);
          return r ? [{
            l7RuleId: r.l7RuleId, type: r.type, compareType: r.compareType, key: r.key, value: r.value, invert: r.invert, adminStateUp: r.adminStateUp,
          }] : [];
        }),
      })),
    })),
    pools: [...lb.pools.values()].map((p) => {
      const hm = p.healthMonitorId ? lb.healthMonitors.get(p.healthMonitorId) : undefined;
      return {
        poolId: p.poolId, protocol: p.protocol, lbAlgorithm: p.lbAlgorithm,
        sessionPersistence: p.sessionPersistence ? { ...p.sessionPersistence } : null, adminStateUp: p.adminStateUp,
        members: p.memberIds.flatMap((id) => {
          const m = lb.members.get(id);
          return m ? [desiredMember(m)] : [];
        }),
        tls: p.tlsEnabled ? {
          clientCertRef: p.tlsContainerRef ?? null, caRef: p.caTlsContainerRef ?? null, crlRef: p.crlContainerRef ?? null,
          versions: p.tlsVersions ? [...p.tlsVersions] : null, ciphers: p.tlsCiphers ?? null, alpn: p.alpnProtocols ? [...p.alpnProtocols] : null,
        } : null,
        monitor: hm ? {
          healthMonitorId: hm.healthMonitorId, type: hm.type, adminStateUp: hm.adminStateUp, delay: hm.delay, timeout: hm.timeout,
          maxRetries: hm.maxRetries, maxRetriesDown: hm.maxRetriesDown, httpMethod: hm.httpMethod, urlPath: hm.urlPath,
          expectedCodes: hm.expectedCodes, httpVersion: hm.httpVersion, domainName: hm.domainName,
        } : null,
      };
    }),
  };
}

/** A listener's TLS options, or null when it has none beyond its certificates. */
function tlsOptionsOf(l: ListenerView): DesiredTlsOptions | null {
  const o: DesiredTlsOptions = {
    versions: l.tlsVersions ? [...l.tlsVersions] : null, ciphers: l.tlsCiphers ?? null, alpn: l.alpnProtocols ? [...l.alpnProtocols] : null,
    hsts: l.hstsMaxAge !== null && l.hstsMaxAge !== undefined
      ? { maxAge: l.hstsMaxAge, includeSubdomains: l.hstsIncludeSubdomains ?? false, preload: l.hstsPreload ?? false } : null,
    clientAuth: l.clientAuthentication && l.clientAuthentication !== 'NONE' && l.clientCaTlsContainerRef
      ? { mode: l.clientAuthentication, caRef: l.clientCaTlsContainerRef, crlRef: l.clientCrlContainerRef ?? null } : null,
  };
  return o.versions || o.ciphers || o.alpn || o.hsts || o.clientAuth ? o : null;
}

/** The member's view without what only the API shows (name, tags, stamps, the reported status, its ids of parents). */
function desiredMember(m: MemberView): DesiredMember {
  const {
    lbId: _lb, poolId: _pool, subnetId: _subnet, name: _name, tags: _tags, reportedStatus: _status,
    createdAt: _ca, updatedAt: _ua, createdVersion: _cv, updatedVersion: _uv, ...member
  } = m;
  return member;
}
