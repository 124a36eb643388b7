import {
  LIMITS,
  type CreateListener, type DeleteListener, type ListenerProtocol, type ListenerSettings, type LoadBalancerEvent,
  type UpdateListener,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import {
  checkBool, checkPort, checkRange, checkTags, checkText, effectiveChanges, invalidField, isEmpty, validationFailure,
} from '../field-rules';
import { isIpCidr } from '../ip-address';
import { checkListenerPoolProtocols, checkListenerProtocol } from '../protocol-rules';
import { checkTlsSettings } from '../tls-rules';
import { assertMutable, listenerOf, live, poolOf } from './guards';
import type { Live, LoadBalancer } from './state';

/** Octavia's client-certificate headers (SUPPORTED_SSL_HEADERS): TERMINATED_HTTPS listeners only. */
export const SSL_INSERT_HEADERS = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
] as const;
/** The headers haproxy may insert for an HTTP listener, each switched on with "true". */
export const INSERT_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto', ...SSL_INSERT_HEADERS] as const;

const L = LIMITS.listener;

const checkListenerSettings = (protocol: ListenerProtocol, x: ListenerSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  if (!Number.isInteger(x.connectionLimit) || x.connectionLimit === 0 || x.connectionLimit < L.connectionLimit.min) {
    throw invalidField('connection_limit', x.connectionLimit, 'Value should be -1 (unlimited) or greater than 0');
  }
  checkRange('timeout_client_data', x.timeoutClientData, L.timeoutClientData);
  checkRange('timeout_member_connect', x.timeoutMemberConnect, L.timeoutMemberConnect);
  checkRange('timeout_member_data', x.timeoutMemberData, L.timeoutMemberData);
  checkRange('timeout_tcp_inspect', x.timeoutTcpInspect, L.timeoutTcpInspect);
  const headers = Object.keys(x.insertHeaders ?? {});
  if (headers.length > 0 && protocol !== 'HTTP' && protocol !== 'TERMINATED_HTTPS') {
    throw validationFailure(`The following headers are not supported for the ${protocol} protocol: ${headers.join(', ')}.`);
  }
  const ssl = headers.filter((h) => (SSL_INSERT_HEADERS as readonly string[]).includes(h));
  if (ssl.length > 0 && protocol !== 'TERMINATED_HTTPS') {
    throw validationFailure(`The following headers are not supported for the ${protocol} protocol: ${ssl.join(', ')}.`);
  }
  for (const header of headers) {
    if (!(INSERT_HEADERS as readonly string[]).includes(header)) {
      throw new DomainError('Invalid', `${header} is not a valid option for insert_headers`);
    }
    const value = x.insertHeaders[header];
    if (value !== 'true' && value !== 'false') {
      throw new DomainError('Invalid', `${String(value)} is not a valid option for insert_headers ${header}`);
    }
  }
  for (const cidr of x.allowedCidrs ?? []) {
    if (!isIpCidr(cidr)) throw invalidField('allowed_cidrs', cidr, 'Value should be a valid CIDR');
  }
  checkTlsSettings(protocol, x);
};

const checkDefaultPool = (s: Live, protocol: ListenerProtocol, poolId: string | null): void => {
  if (poolId === null) return;
  checkListenerPoolProtocols(protocol, poolOf(s, poolId).protocol);
};

/**
 * The flavor's listener connection cap (max_listener_connections): unlimited (-1) becomes the cap, more is refused.
 * haproxy then enforces it as the frontend's maxconn, so the flavor's limit is real.
 */
const capConnections = <T extends { connectionLimit?: number }>(lb: Live, x: T): T => {
  const cap = lb.flavor?.maxListenerConnections ?? null;
  if (cap === null || x.connectionLimit === undefined) return x;
  if (x.connectionLimit === -1) return { ...x, connectionLimit: cap };
  if (x.connectionLimit > cap) {
    throw invalidField('connection_limit', x.connectionLimit, `Value should be lower or equal to ${cap} (max_listener_connections of flavor ${lb.flavor?.flavorId})`);
  }
  return x;
};

export const createListener = ({ data: given, metadata }: CreateListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, given.lbId);
  if (lb.listeners.has(given.listenerId)) return [];
  checkListenerProtocol(given.protocol);
  checkPort('protocol_port', given.protocolPort);
  checkListenerSettings(given.protocol, given);
  const data = capConnections(lb, given);
  assertMutable(lb);
  const max = lb.flavor?.maxListeners ?? null;
  if (max !== null && lb.listeners.size >= max) {
    throw new DomainError('Conflict', `Load Balancer ${lb.lbId} has ${lb.listeners.size} listeners: flavor ${lb.flavor?.flavorId} allows at most ${max} (max_listeners)`);
  }
  checkDefaultPool(lb, data.protocol, data.defaultPoolId);
  if ([...lb.listeners.values()].some((l) => l.protocolPort === data.protocolPort)) {
    throw new DomainError('Conflict',
      `Another Listener on this Load Balancer is already using protocol ${data.protocol} and protocol_port ${data.protocolPort}`);
  }
  return [{ type: 'ListenerCreated', v: 1, data: { ...data, at: metadata.now } }];
};

export const updateListener = ({ data, metadata }: UpdateListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const listener = listenerOf(lb, data.listenerId);
  const changes = effectiveChanges(listener.settings, capConnections(lb, data.changes));
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  const merged = { ...listener.settings, ...changes };
  checkListenerSettings(listener.protocol, merged);
  if (changes.defaultPoolId !== undefined) checkDefaultPool(lb, listener.protocol, merged.defaultPoolId);
  return [{
    type: 'ListenerSettingsChanged', v: 1, data: { lbId: data.lbId, listenerId: data.listenerId, changes, at: metadata.now },
  }];
};

export const deleteListener = ({ data, metadata }: DeleteListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const listener = listenerOf(lb, data.listenerId);
  assertMutable(lb);
  if ((data.policy ?? 'strict') === 'strict') {
    // The bottom-up rule (neutron-lbaas's EntityInUse): its L7 policies, then its pool, go first.
    const policy = [...lb.l7Policies].find(([, p]) => p.listenerId === data.listenerId)?.[0];
    if (policy) throw new DomainError('Conflict', `listener is using l7policy ${policy}`);
    const pool = listener.settings.defaultPoolId ?? [...lb.pools].find(([, p]) => p.listenerId === data.listenerId)?.[0];
    if (pool) throw new DomainError('Conflict', `listener is using pool ${pool}`);
  }
  return [{ type: 'ListenerDeleted', v: 1, data: { lbId: data.lbId, listenerId: data.listenerId, at: metadata.now } }];
};
