import type { ListenerProtocol, MonitorType, PoolProtocol } from '@lbaas/events';
import { DomainError } from './domain-error';
import { validationFailure } from './field-rules';

/** The provider name this control plane registers as (Octavia's `provider` field). */
export const PROVIDER = 'lbaas';

/** Listener protocols the data plane honours now (HTTPS is TCP passthrough; PROMETHEUS is haproxy's own exporter). */
export const SUPPORTED_LISTENER_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TCP', 'HTTPS', 'TERMINATED_HTTPS', 'PROMETHEUS'];

/** Pool protocols the data plane honours now. */
export const SUPPORTED_POOL_PROTOCOLS: readonly PoolProtocol[] = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2'];

/** Health monitor types the data plane honours now. */
export const SUPPORTED_MONITOR_TYPES: readonly MonitorType[] = ['PING', 'TCP', 'HTTP', 'HTTPS', 'TLS-HELLO'];

/** Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP: which pool protocols a listener may forward to. */
export const LISTENER_POOL_PROTOCOLS: Readonly<Record<ListenerProtocol, readonly PoolProtocol[]>> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

/** Octavia's ProviderUnsupportedOptionError wording, as a 400 (the request asks for something this provider cannot run). */
export const unsupported = (what: string): DomainError =>
  new DomainError('Invalid', `Provider '${PROVIDER}' does not support a requested option: ${what} is not supported.`);

/** Refuses a listener protocol the data plane cannot honour. */
export const checkListenerProtocol = (protocol: ListenerProtocol): void => {
  if (!SUPPORTED_LISTENER_PROTOCOLS.includes(protocol)) throw unsupported(`listener protocol ${protocol}`);
};

/** Refuses a pool protocol the data plane cannot honour. */
export const checkPoolProtocol = (protocol: PoolProtocol): void => {
  if (!SUPPORTED_POOL_PROTOCOLS.includes(protocol)) throw unsupported(`pool protocol ${protocol}`);
};

/** Refuses a health monitor type the data plane cannot honour. */
export const checkMonitorType = (type: MonitorType): void => {
  if (!SUPPORTED_MONITOR_TYPES.includes(type)) throw unsupported(`health monitor type ${type}`);
};

/** Refuses a pool protocol the listener cannot forward to (Octavia's message). */
export const checkListenerPoolProtocols = (listener: ListenerProtocol, pool: PoolProtocol): void => {
  if (!LISTENER_POOL_PROTOCOLS[listener].includes(pool)) {
    throw validationFailure(`The pool protocol '${pool}' is invalid while the listener protocol is '${listener}'.`);
  }
};
