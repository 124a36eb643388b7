import type { SessionPersistence } from '@lbaas/events';
import { childProvisioningStatus, poolOperatingStatus, type LoadBalancerView, type PoolView } from '@lbaas/projections';
import { naive, refs, type Wire } from '../shell/wire';

const renderSp = (sp: SessionPersistence | null): Wire | null =>
  sp ? { type: sp.type, cookie_name: sp.cookieName, persistence_timeout: sp.persistenceTimeout, persistence_granularity: sp.persistenceGranularity } : null;

/** A pool as Octavia sends it; `healthmonitor_id` is absent from the POST answer and present (null or id) elsewhere. */
export function renderPool(lb: LoadBalancerView, p: PoolView, shape: 'create' | 'show' = 'show'): Wire {
  const listeners = [...lb.listeners.values()].filter((l) => l.defaultPoolId === p.poolId).map((l) => l.listenerId);
  if (p.listenerId && !listeners.includes(p.listenerId) && lb.listeners.has(p.listenerId)) listeners.unshift(p.listenerId);
  return {
    id: p.poolId, name: p.name, description: p.description,
    provisioning_status: childProvisioningStatus(lb, p), operating_status: poolOperatingStatus(lb, p),
    admin_state_up: p.adminStateUp, protocol: p.protocol, lb_algorithm: p.lbAlgorithm, session_persistence: renderSp(p.sessionPersistence),
    project_id: lb.projectId, loadbalancers: [{ id: lb.lbId }], listeners: refs(listeners),
    created_at: naive(p.createdAt), updated_at: naive(p.updatedAt),
    ...(shape === 'show' ? { healthmonitor_id: p.healthMonitorId } : {}),
    members: refs(p.memberIds), tags: [...p.tags],
    tls_container_ref: null, ca_tls_container_ref: null, crl_container_ref: null, tls_enabled: false,
    tls_ciphers: null, tls_versions: null, alpn_protocols: null, tenant_id: lb.projectId,
  };
}

/** Attributes a pool list can be filtered and sorted on. */
export const POOL_FILTER_KEYS = [
  'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'protocol', 'lb_algorithm',
  'project_id', 'tenant_id', 'created_at', 'updated_at', 'healthmonitor_id', 'tls_enabled', 'loadbalancer_id', 'listener_id',
] as const;
