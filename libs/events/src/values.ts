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

/** TLS protocol versions of Octavia API v2 (listener and pool `tls_versions`), oldest first. */
export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
/** A TLS protocol version. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** ALPN protocols a listener or pool may offer (Octavia's SUPPORTED_ALPN_PROTOCOLS). */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;
/** An ALPN protocol. */
export type AlpnProtocol = (typeof ALPN_PROTOCOLS)[number];

/** How a TERMINATED_HTTPS listener asks clients for a certificate (API 2.8). */
export const CLIENT_AUTHENTICATIONS = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
/** A client authentication mode. */
export type ClientAuthentication = (typeof CLIENT_AUTHENTICATIONS)[number];

/** Load balancer topologies a flavor may ask for: one instance, or an active/standby pair. */
export const LB_TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;
/** A load balancer topology. */
export type LbTopology = (typeof LB_TOPOLOGIES)[number];

/** Provisioning status values. */
export type ProvisioningStatus = 'ACTIVE' | 'PENDING_CREATE' | 'PENDING_UPDATE' | 'PENDING_DELETE' | 'DELETED' | 'ERROR';

/** One allocation pool of a subnet: an inclusive address range. */
export type AllocationPool = Readonly<{ start: string; end: string }>;

/** An inclusive integer range; `default` is the value an attribute takes when a create omits it (or a PUT sends null). */
export type IntLimit = Readonly<{ min: number; max: number; default?: number }>;
/** The longest string an attribute takes; `default` as for IntLimit. */
export type TextLimit = Readonly<{ maxLength: number; default?: string }>;

/** The largest value of Octavia's 32-bit integer attributes. */
const MAX_INT32 = 2_147_483_647;
/** Octavia's listener timeouts: 0 to 24 days, in milliseconds. */
const TIMEOUT_MS = { min: 0, max: 2_073_600_000 } as const;
/** A TCP port. */
const PORT = { min: 1, max: 65535 } as const;

/**
 * The range and default of every bounded attribute, stated once: the deciders in libs/domain check these, and the
 * API derives its parsing of the same attributes from them. Keys are the attributes' names in the events (camelCase).
 */
export const LIMITS = {
  /** Every name, description and tag. */
  text: { maxLength: 255 },
  /** At most this many tags per object, each a text. */
  tags: { maxCount: 50 },
  port: PORT,
  loadBalancer: {
    provider: { maxLength: 64 },
  },
  listener: {
    protocolPort: PORT,
    /** -1 is unlimited; 0 is refused by the decider (Octavia). */
    connectionLimit: { min: -1, max: MAX_INT32, default: -1 },
    /** Octavia's [haproxy_amphora] defaults. */
    timeoutClientData: { ...TIMEOUT_MS, default: 50000 },
    timeoutMemberConnect: { ...TIMEOUT_MS, default: 5000 },
    timeoutMemberData: { ...TIMEOUT_MS, default: 50000 },
    timeoutTcpInspect: { ...TIMEOUT_MS, default: 0 },
    /** HSTS max-age in seconds (API 2.27). */
    hstsMaxAge: { min: 0, max: MAX_INT32 },
  },
  /** An OpenSSL cipher string (listener and pool `tls_ciphers`). */
  tlsCiphers: { maxLength: 2048 },
  /** A flavor profile's `flavor_data`, an availability zone profile's `availability_zone_data` (JSON text). */
  profileData: { maxLength: 4096 },
  /** At most this many additional VIPs per load balancer (one per subnet). */
  additionalVips: { maxCount: 16 },
  pool: {
    persistenceTimeout: { min: 0, max: MAX_INT32 },
  },
  member: {
    protocolPort: PORT,
    monitorPort: PORT,
    weight: { min: 0, max: 256, default: 1 },
  },
  healthMonitor: {
    delay: { min: 1, max: MAX_INT32 },
    timeout: { min: 1, max: MAX_INT32 },
    maxRetries: { min: 1, max: 10 },
    maxRetriesDown: { min: 1, max: 10, default: 3 },
    /** HTTP(S) monitors only, like the next two. */
    httpMethod: { default: 'GET' },
    urlPath: { maxLength: 255, default: '/' },
    expectedCodes: { default: '200' },
  },
  l7Policy: {
    position: { min: 1, max: MAX_INT32 },
    redirectUrl: { maxLength: 2048 },
    redirectPrefix: { maxLength: 2048 },
    /** For REDIRECT_TO_URL and REDIRECT_PREFIX. */
    redirectHttpCode: { default: 302 },
  },
  l7Rule: {
    key: { maxLength: 255 },
    value: { maxLength: 255 },
  },
  /** A project's limit per quota resource; -1 is unlimited (and the default of every limit). */
  quota: { min: -1, max: 2_000_000_000, default: -1 },
} as const;
