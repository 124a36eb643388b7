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

/** The headers haproxy may insert for an HTTP listener, each switched on with "true". */
export const INSERT_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto'] as const;

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

export const createListener = ({ data, metadata }: CreateListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.listeners.has(data.listenerId)) return [];
  checkListenerProtocol(data.protocol);
  checkPort('protocol_port', data.protocolPort);
  checkListenerSettings(data.protocol, data);
  assertMutable(lb);
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
  const changes = effectiveChanges(listener.settings, data.changes);
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
  listenerOf(lb, data.listenerId);
  assertMutable(lb);
  return [{ type: 'ListenerDeleted', v: 1, data: { lbId: data.lbId, listenerId: data.listenerId, at: metadata.now } }];
};
