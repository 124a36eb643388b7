/** Listener protocols of Octavia API v2 (validation accepts them all; the domain refuses what the data plane cannot honour). */
export const LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const;
/** A listener protocol. */
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

/** Pool protocols of Octavia API v2. */
export const POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const;
/** A pool protocol. */
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];

/** Pool balancing algorithms. */
export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;
/** A pool balancing algorithm. */
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];

/** Session persistence types. */
export const PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
/** How a pool keeps a client on one member. */
export type SessionPersistence = Readonly<{
  type: (typeof PERSISTENCE_TYPES)[number];
  cookieName: string | null;
  persistenceTimeout: number | null;
  persistenceGranularity: string | null;
}>;

/** Health monitor types. */
export const MONITOR_TYPES = ['PING', 'TCP', 'HTTP', 'HTTPS', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
/** A health monitor type. */
export type MonitorType = (typeof MONITOR_TYPES)[number];

/** HTTP methods a health monitor may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;
/** An HTTP method for a health monitor. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Operating status values (octavia-lib). */
export const OPERATING_STATUSES = ['ONLINE', 'OFFLINE', 'DEGRADED', 'ERROR', 'DRAINING', 'NO_MONITOR'] as const;
/** An operating status. */
export type OperatingStatus = (typeof OPERATING_STATUSES)[number];

/** Provisioning status values. */
export type ProvisioningStatus = 'ACTIVE' | 'PENDING_CREATE' | 'PENDING_UPDATE' | 'PENDING_DELETE' | 'DELETED' | 'ERROR';

/** One allocation pool of a subnet: an inclusive address range. */
export type AllocationPool = Readonly<{ start: string; end: string }>;
