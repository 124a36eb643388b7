import { LIMITS, type ListenerSettings } from '@lbaas/events';
import { childProvisioningStatus, listenerOperatingStatus, listenerPolicies, type ListenerView, type LoadBalancerView } from '@lbaas/projections';
import { naive, refs, type Wire } from '../shell/wire';
import type { ListenerCreateBody, ListenerUpdateBody } from './listener.dto';

const L = LIMITS.listener;
/** Octavia's listener defaults ([haproxy_amphora] timeouts; connection_limit -1 = unlimited), from LIMITS. */
export const LISTENER_DEFAULTS = {
  connectionLimit: L.connectionLimit.default, timeoutClientData: L.timeoutClientData.default,
  timeoutMemberConnect: L.timeoutMemberConnect.default, timeoutMemberData: L.timeoutMemberData.default,
  timeoutTcpInspect: L.timeoutTcpInspect.default,
} as const;

/** The settings of a new listener: the body's values, defaults for the rest. */
export function listenerSettings(b: ListenerCreateBody): ListenerSettings {
  return {
    name: b.name ?? '', description: b.description ?? '', adminStateUp: b.admin_state_up ?? true,
    connectionLimit: b.connection_limit ?? LISTENER_DEFAULTS.connectionLimit,
    defaultPoolId: b.default_pool_id ?? null, insertHeaders: b.insert_headers ?? {},
    timeoutClientData: b.timeout_client_data ?? LISTENER_DEFAULTS.timeoutClientData,
    timeoutMemberConnect: b.timeout_member_connect ?? LISTENER_DEFAULTS.timeoutMemberConnect,
    timeoutMemberData: b.timeout_member_data ?? LISTENER_DEFAULTS.timeoutMemberData,
    timeoutTcpInspect: b.timeout_tcp_inspect ?? LISTENER_DEFAULTS.timeoutTcpInspect,
    allowedCidrs: b.allowed_cidrs ?? null, tags: b.tags ?? [],
    defaultTlsContainerRef: b.default_tls_container_ref ?? null, sniContainerRefs: b.sni_container_refs ?? [],
  };
}

/** The changes a PUT asks for; an explicit null resets to the default (Octavia's _set_default_on_none). */
export function listenerChanges(b: ListenerUpdateBody): Partial<ListenerSettings> {
  const c: Partial<Record<keyof ListenerSettings, unknown>> = {};
  if ('name' in b) c.name = b.name ?? '';
  if ('description' in b) c.description = b.description ?? '';
  if ('admin_state_up' in b) c.adminStateUp = b.admin_state_up ?? true;
  if ('connection_limit' in b) c.connectionLimit = b.connection_limit ?? LISTENER_DEFAULTS.connectionLimit;
  if ('default_pool_id' in b) c.defaultPoolId = b.default_pool_id ?? null;
  if ('insert_headers' in b) c.insertHeaders = b.insert_headers ?? {};
  if ('timeout_client_data' in b) c.timeoutClientData = b.timeout_client_data ?? LISTENER_DEFAULTS.timeoutClientData;
  if ('timeout_member_connect' in b) c.timeoutMemberConnect = b.timeout_member_connect ?? LISTENER_DEFAULTS.timeoutMemberConnect;
  if ('timeout_member_data' in b) c.timeoutMemberData = b.timeout_member_data ?? LISTENER_DEFAULTS.timeoutMemberData;
  if ('timeout_tcp_inspect' in b) c.timeoutTcpInspect = b.timeout_tcp_inspect ?? LISTENER_DEFAULTS.timeoutTcpInspect;
  if ('allowed_cidrs' in b) c.allowedCidrs = b.allowed_cidrs ?? null;
  if ('tags' in b) c.tags = b.tags ?? [];
  if ('default_tls_container_ref' in b) c.defaultTlsContainerRef = b.default_tls_container_ref ?? null;
  if ('sni_container_refs' in b) c.sniContainerRefs = b.sni_container_refs ?? [];
  return c as Partial<ListenerSettings>;
}

/** A listener as Octavia sends it (POST, GET, PUT and lists alike). */
export function renderListener(lb: LoadBalancerView, l: ListenerView): Wire {
  return {
    id: l.listenerId, name: l.name, description: l.description,
    provisioning_status: childProvisioningStatus(lb, l), operating_status: listenerOperatingStatus(lb, l.listenerId),
    admin_state_up: l.adminStateUp, protocol: l.protocol, protocol_port: l.protocolPort, connection_limit: l.connectionLimit,
    default_tls_container_ref: l.defaultTlsContainerRef ?? null, sni_container_refs: [...(l.sniContainerRefs ?? [])], project_id: lb.projectId, default_pool_id: l.defaultPoolId,
    l7policies: refs(listenerPolicies(lb, l.listenerId).map((p) => p.l7PolicyId)), insert_headers: { ...l.insertHeaders }, created_at: naive(l.createdAt), updated_at: naive(l.updatedAt),
    loadbalancers: [{ id: lb.lbId }],
    timeout_client_data: l.timeoutClientData, timeout_member_connect: l.timeoutMemberConnect,
    timeout_member_data: l.timeoutMemberData, timeout_tcp_inspect: l.timeoutTcpInspect,
    tags: [...l.tags], client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null,
    allowed_cidrs: l.allowedCidrs ? [...l.allowedCidrs] : null, tls_ciphers: null, tls_versions: null, alpn_protocols: null,
    tenant_id: lb.projectId,
  };
}

/** Attributes a listener list can be filtered and sorted on. */
export const LISTENER_FILTER_KEYS = [
  'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'protocol', 'protocol_port',
  'connection_limit', 'project_id', 'tenant_id', 'default_pool_id', 'created_at', 'updated_at', 'timeout_client_data',
  'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect', 'client_authentication', 'loadbalancer_id',
] as const;
