import { ALPN_PROTOCOLS, LB_ALGORITHMS, LIMITS, PERSISTENCE_TYPES, POOL_PROTOCOLS, TLS_VERSIONS, type SessionPersistence } from '@lbaas/events';
import { childProvisioningStatus, poolOperatingStatus, type LoadBalancerView, type PoolView } from '@lbaas/projections';
import { attributes, naive, refs, type Wire } from '../http/attributes';
import { bool, cookieName, intIn, ipv4, listOf, oneOf, projectId, tags, text, unsupported, uuid, type Rule } from '../http/rules';
import { cipherString } from '../listeners/listener.fields';
import { tlsRef } from '../secrets/tls-refs';

const SP_KEYS = ['type', 'cookie_name', 'persistence_timeout', 'persistence_granularity'];

/** session_persistence: {type, cookie_name, persistence_timeout, persistence_granularity}, each checked strictly. */
export const sessionPersistence: Rule<SessionPersistence> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'Value should be a dictionary' };
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !SP_KEYS.includes(k));
  if (unknown.length) return { ok: false, reason: `Unknown attribute: ${unknown.sort().join(', ')}` };
  const type = oneOf(PERSISTENCE_TYPES)(o.type);
  if (!type.ok) return { ok: false, reason: `type: ${o.type === undefined || o.type === null ? 'Mandatory field missing.' : type.reason}` };
  const check = <T>(key: string, rule: Rule<T>): { value: T | null } | { reason: string } => {
    if (o[key] === undefined || o[key] === null) return { value: null };
    const r = rule(o[key]);
    return r.ok ? { value: r.value } : { reason: `${key}: ${r.reason}` };
  };
  const cookie = check('cookie_name', cookieName);
  const timeout = check('persistence_timeout', intIn(LIMITS.pool.persistenceTimeout));
  const granularity = check('persistence_granularity', ipv4);
  for (const r of [cookie, timeout, granularity]) if ('reason' in r) return { ok: false, reason: r.reason };
  return {
    ok: true,
    value: {
      type: type.value,
      cookieName: (cookie as { value: string | null }).value,
      persistenceTimeout: (timeout as { value: number | null }).value,
      persistenceGranularity: (granularity as { value: string | null }).value,
    },
  };
};

const renderSp = (sp: SessionPersistence | null): Wire | null =>
  sp ? { type: sp.type, cookie_name: sp.cookieName, persistence_timeout: sp.persistenceTimeout, persistence_granularity: sp.persistenceGranularity } : null;

/** The listeners a pool serves: those naming it their default pool, and the one it was created on. */
const listenersOf = (lb: LoadBalancerView, p: PoolView): string[] => {
  const listeners = [...lb.listeners.values()].filter((l) => l.defaultPoolId === p.poolId).map((l) => l.listenerId);
  if (p.listenerId && !listeners.includes(p.listenerId) && lb.listeners.has(p.listenerId)) listeners.unshift(p.listenerId);
  return listeners;
};

/** A pool's attributes, in Octavia's wire order. */
export const POOL = attributes<{ lb: LoadBalancerView; pool: PoolView }>()('pool', 'pool_', (x) => x.pool, [
  { name: 'id', field: 'poolId', filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: '', filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'provisioning_status', show: ({ lb, pool }) => childProvisioningStatus(lb, pool), filter: true },
  { name: 'operating_status', show: ({ lb, pool }) => poolOperatingStatus(lb, pool), filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'protocol', rule: oneOf(POOL_PROTOCOLS), create: 'required', field: 'protocol', filter: true },
  { name: 'lb_algorithm', rule: oneOf(LB_ALGORITHMS), create: 'required', update: true, field: 'lbAlgorithm', filter: true },
  { name: 'session_persistence', rule: sessionPersistence, create: true, update: true, field: 'sessionPersistence', default: null, show: ({ pool }) => renderSp(pool.sessionPersistence) },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'loadbalancers', show: ({ lb }) => [{ id: lb.lbId }] },
  { name: 'listeners', show: ({ lb, pool }) => refs(listenersOf(lb, pool)) },
  { name: 'created_at', show: ({ pool }) => naive(pool.createdAt), filter: true },
  { name: 'updated_at', show: ({ pool }) => naive(pool.updatedAt), filter: true },
  { name: 'healthmonitor_id', show: ({ pool }) => pool.healthMonitorId, filter: true },
  { name: 'members', rule: unsupported('Single-call create of members'), create: true, show: ({ pool }) => refs(pool.memberIds) },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'tls_container_ref', rule: tlsRef, create: true, update: true, field: 'tlsContainerRef', default: null, filter: true },
  { name: 'ca_tls_container_ref', rule: tlsRef, create: true, update: true, field: 'caTlsContainerRef', default: null, filter: true },
  { name: 'crl_container_ref', rule: tlsRef, create: true, update: true, field: 'crlContainerRef', default: null, filter: true },
  { name: 'tls_enabled', rule: bool, create: true, update: true, field: 'tlsEnabled', default: false, filter: true },
  // null: the data plane's defaults.
  { name: 'tls_ciphers', rule: cipherString, create: true, update: true, field: 'tlsCiphers', default: null, filter: true },
  { name: 'tls_versions', rule: listOf(TLS_VERSIONS), create: true, update: true, field: 'tlsVersions', default: null, filter: true },
  { name: 'alpn_protocols', rule: listOf(ALPN_PROTOCOLS), create: true, update: true, field: 'alpnProtocols', default: null, filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'loadbalancer_id', rule: uuid, create: true, show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  { name: 'load_balancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  // A listener filter matches the pools it serves (the SDK's listener_id), not only the one it was created on.
  { name: 'listener_id', rule: uuid, create: true, field: 'listenerId', default: null, hidden: true, filter: true, show: ({ lb, pool }) => listenersOf(lb, pool) },
  { name: 'health_monitor_id', show: ({ pool }) => pool.healthMonitorId, hidden: true, filter: true },
  { name: 'healthmonitor', rule: unsupported('Single-call create of health monitors'), create: true, hidden: true },
]);

/** A pool as Octavia sends it; `healthmonitor_id` is absent from the POST answer and present (null or id) elsewhere. */
export function renderPool(x: { lb: LoadBalancerView; pool: PoolView }, shape: 'create' | 'show' = 'show'): Wire {
  const wire = POOL.render(x);
  if (shape === 'show') return wire;
  const { healthmonitor_id: _omitted, ...created } = wire;
  return created;
}
