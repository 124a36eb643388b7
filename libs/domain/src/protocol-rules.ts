import type { ListenerProtocol, MonitorType, PoolProtocol } from '@lbaas/events';
import { DomainError } from './domain-error';
import { validationFailure } from './field-rules';

/** The provider name this control plane registers as (Octavia's `provider` field). */
export const PROVIDER = 'lbaas';

/**
 * Listener protocols the data plane honours now (HTTPS is TCP passthrough; PROMETHEUS is haproxy's own exporter; UDP is
 * nftables DNAT in the LB's namespace). SCTP is refused: this kernel has no CONFIG_IP_SCTP.
 */
export const SUPPORTED_LISTENER_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TCP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'PROMETHEUS'];

/** Pool protocols the data plane honours now (SCTP refused, as for listeners). */
export const SUPPORTED_POOL_PROTOCOLS: readonly PoolProtocol[] = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP'];

/** Health monitor types the data plane honours now (SCTP refused, as for listeners). */
export const SUPPORTED_MONITOR_TYPES: readonly MonitorType[] = ['PING', 'TCP', 'HTTP', 'HTTPS', 'TLS-HELLO', 'UDP-CONNECT'];

/** Pool protocols carried by the kernel (keepalived LVS in Octavia's amphora, nftables here), not by haproxy. */
export const L4_KERNEL_POOL_PROTOCOLS: readonly PoolProtocol[] = ['UDP', 'SCTP'];

/** Octavia's _validate_healthmonitor_request_for_udp_sctp: the monitor types a UDP or SCTP pool takes. */
export const KERNEL_POOL_MONITOR_TYPES: readonly MonitorType[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'];

/** The L4 family a listener's port belongs to: TCP-carried protocols share one port space, UDP and SCTP each their own. */
export const portFamily = (protocol: ListenerProtocol): 'TCP' | 'UDP' | 'SCTP' =>
  protocol === 'UDP' || protocol === 'SCTP' ? protocol : 'TCP';

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

const NO_SCTP = ' (this kernel has no SCTP: CONFIG_IP_SCTP is not set)';
const why = (name: string): string => (name === 'SCTP' ? NO_SCTP : '');

/** Refuses a listener protocol the data plane cannot honour. */
export const checkListenerProtocol = (protocol: ListenerProtocol): void => {
  if (!SUPPORTED_LISTENER_PROTOCOLS.includes(protocol)) throw unsupported(`listener protocol ${protocol}${why(protocol)}`);
};

/** Refuses a pool protocol the data plane cannot honour. */
export const checkPoolProtocol = (protocol: PoolProtocol): void => {
  if (!SUPPORTED_POOL_PROTOCOLS.includes(protocol)) throw unsupported(`pool protocol ${protocol}${why(protocol)}`);
};

/** Refuses a health monitor type the data plane cannot honour. */
export const checkMonitorType = (type: MonitorType): void => {
  if (!SUPPORTED_MONITOR_TYPES.includes(type)) throw unsupported(`health monitor type ${type}${why(type)}`);
};

/** Octavia's pool→monitor matrix: UDP/SCTP pools take UDP-CONNECT, SCTP, TCP, HTTP; the others all but those two. */
export const checkMonitorForPool = (pool: PoolProtocol, type: MonitorType): void => {
  if (L4_KERNEL_POOL_PROTOCOLS.includes(pool)) {
    if (!KERNEL_POOL_MONITOR_TYPES.includes(type)) {
      throw validationFailure(`The associated pool protocol is ${pool}, so only a ${KERNEL_POOL_MONITOR_TYPES.join('/')} health monitor is supported.`);
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw validationFailure(`The ${type} health monitor type is only supported for pools of type ${L4_KERNEL_POOL_PROTOCOLS.join('/')}, not ${pool}.`);
  }
};

/** Refuses a pool protocol the listener cannot forward to (Octavia's message). */
export const checkListenerPoolProtocols = (listener: ListenerProtocol, pool: PoolProtocol): void => {
  if (!LISTENER_POOL_PROTOCOLS[listener].includes(pool)) {
    throw validationFailure(`The pool protocol '${pool}' is invalid while the listener protocol is '${listener}'.`);
  }
};
