import { cipherStringProblem, INSERT_HEADERS } from '@lbaas/domain';
import { ALPN_PROTOCOLS, CLIENT_AUTHENTICATIONS, LIMITS, LISTENER_PROTOCOLS, TLS_VERSIONS } from '@lbaas/events';
import { childProvisioningStatus, listenerOperatingStatus, listenerPolicies, type ListenerView, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive, refs } from '../http/attributes';
import { bool, cidrList, intIn, listOf, oneOf, projectId, tags, text, unsupported, uuid, type Rule } from '../http/rules';
import { tlsRef, tlsRefList } from '../secrets/tls-refs';

const L = LIMITS.listener;

/** An OpenSSL cipher string: Octavia's characters, every name one this OpenSSL knows (libs/domain tls-rules.ts). */
export const cipherString: Rule<string> = (v) => {
  const problem = cipherStringProblem(v);
  return problem === null ? { ok: true, value: v as string } : { ok: false, reason: problem };
};

/** insert_headers: a map of known header names to "true"/"false"; nothing else reaches the haproxy config. */
export const insertHeaders: Rule<Record<string, string>> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'Value should be a dictionary' };
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!(INSERT_HEADERS as readonly string[]).includes(k)) return { ok: false, reason: `${k} is not a valid option for insert_headers` };
    if (typeof val !== 'string' && typeof val !== 'boolean') return { ok: false, reason: `Value of ${k} should be "true" or "false"` };
    const s = String(val).toLowerCase();
    if (s !== 'true' && s !== 'false') return { ok: false, reason: `Value of ${k} should be "true" or "false"` };
    out[k] = s;
  }
  return { ok: true, value: out };
};

/** A listener's attributes, in Octavia's wire order (POST, GET, PUT and lists alike). */
export const LISTENER = attributes<{ lb: LoadBalancerView; listener: ListenerView }>()('listener', 'listener_', (x) => x.listener, [
  { name: 'id', field: 'listenerId', filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: '', filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'provisioning_status', show: ({ lb, listener }) => childProvisioningStatus(lb, listener), filter: true },
  { name: 'operating_status', show: ({ lb, listener }) => listenerOperatingStatus(lb, listener.listenerId), filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'protocol', rule: oneOf(LISTENER_PROTOCOLS), create: 'required', field: 'protocol', filter: true },
  { name: 'protocol_port', rule: intIn(L.protocolPort), create: 'required', field: 'protocolPort', filter: true },
  { name: 'connection_limit', rule: intIn(L.connectionLimit), create: true, update: true, field: 'connectionLimit', default: L.connectionLimit.default, filter: true },
  { name: 'default_tls_container_ref', rule: tlsRef, create: true, update: true, field: 'defaultTlsContainerRef', default: null, filter: true },
  { name: 'sni_container_refs', rule: tlsRefList, create: true, update: true, field: 'sniContainerRefs', default: [], filter: true },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'default_pool_id', rule: uuid, create: true, update: true, field: 'defaultPoolId', default: null, filter: true },
  { name: 'l7policies', rule: unsupported('L7 policies'), create: true, show: ({ lb, listener }) => refs(listenerPolicies(lb, listener.listenerId).map((p) => p.l7PolicyId)) },
  { name: 'insert_headers', rule: insertHeaders, create: true, update: true, field: 'insertHeaders', default: {}, filter: true },
  { name: 'created_at', show: ({ listener }) => naive(listener.createdAt), filter: true },
  { name: 'updated_at', show: ({ listener }) => naive(listener.updatedAt), filter: true },
  { name: 'loadbalancers', show: ({ lb }) => [{ id: lb.lbId }] },
  { name: 'timeout_client_data', rule: intIn(L.timeoutClientData), create: true, update: true, field: 'timeoutClientData', default: L.timeoutClientData.default, filter: true },
  { name: 'timeout_member_connect', rule: intIn(L.timeoutMemberConnect), create: true, update: true, field: 'timeoutMemberConnect', default: L.timeoutMemberConnect.default, filter: true },
  { name: 'timeout_member_data', rule: intIn(L.timeoutMemberData), create: true, update: true, field: 'timeoutMemberData', default: L.timeoutMemberData.default, filter: true },
  { name: 'timeout_tcp_inspect', rule: intIn(L.timeoutTcpInspect), create: true, update: true, field: 'timeoutTcpInspect', default: L.timeoutTcpInspect.default, filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'client_ca_tls_container_ref', rule: tlsRef, create: true, update: true, field: 'clientCaTlsContainerRef', default: null, filter: true },
  { name: 'client_authentication', rule: oneOf(CLIENT_AUTHENTICATIONS), create: true, update: true, field: 'clientAuthentication', default: 'NONE', filter: true },
  { name: 'client_crl_container_ref', rule: tlsRef, create: true, update: true, field: 'clientCrlContainerRef', default: null, filter: true },
  { name: 'allowed_cidrs', rule: cidrList, create: true, update: true, field: 'allowedCidrs', default: null, filter: true },
  // null: the data plane's defaults (rendered by libs/haproxy-config).
  { name: 'tls_ciphers', rule: cipherString, create: true, update: true, field: 'tlsCiphers', default: null, filter: true },
  { name: 'tls_versions', rule: listOf(TLS_VERSIONS), create: true, update: true, field: 'tlsVersions', default: null, filter: true },
  { name: 'alpn_protocols', rule: listOf(ALPN_PROTOCOLS), create: true, update: true, field: 'alpnProtocols', default: null, filter: true },
  { name: 'hsts_max_age', rule: intIn(L.hstsMaxAge), create: true, update: true, field: 'hstsMaxAge', default: null, filter: true },
  { name: 'hsts_include_subdomains', rule: bool, create: true, update: true, field: 'hstsIncludeSubdomains', default: false, filter: true },
  { name: 'hsts_preload', rule: bool, create: true, update: true, field: 'hstsPreload', default: false, filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'loadbalancer_id', rule: uuid, create: 'required', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  // openstacksdk's spelling of the same filter.
  { name: 'load_balancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  { name: 'default_pool', rule: unsupported('Single-call create of pools'), create: true, hidden: true },
]);
