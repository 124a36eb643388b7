import { envReader, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';
import { QUOTA_RESOURCES, type QuotaResource } from '@lbaas/events';

/** Everything the api reads from its environment, once, in main.ts. */
export type ApiConfig = Readonly<{
  /** Servers, credentials and TLS of the api's NATS identity. */
  nats: NatsConfig;
  host: string;
  port: number;
  /** Only `noauth` for now: every caller is admin, the project comes from X-Project-Id (like Octavia's noauth). */
  authStrategy: 'noauth';
  /** Project for creates that name none (body, X-Project-Id); null = such creates get Octavia's 400. */
  defaultProjectId: string | null;
  /** Scheme://host[:port] used in links (pagination, version document); null = taken from the request's Host. */
  baseUri: string | null;
  logLevel: string;
  /** Largest request body in bytes (413 above). */
  bodyLimit: number;
  /** Quota limits of projects that have none set (QUOTA_<RESOURCE>, e.g. QUOTA_LOADBALANCER; -1 = unlimited, the default). */
  quotaDefaults: Readonly<Record<QuotaResource, number>>;
  /** /metrics, /livez, /readyz on a port of their own (METRICS_PORT; off when unset). */
  metrics: MetricsConfig;
}>;

/** Reads and checks the api's variables, reporting every problem at once (ConfigError). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const r = envReader(env);
  const nats = readNatsConfig(env, r, { identity: 'api' });
  const host = r.str('API_HOST', '127.0.0.1');
  const port = r.int('API_PORT', 9876, 0, 65535);
  const authStrategy = env.AUTH_STRATEGY ?? 'noauth';
  if (authStrategy !== 'noauth') r.problems.push(`AUTH_STRATEGY must be noauth (keystone is not implemented yet), got ${JSON.stringify(authStrategy)}`);
  const defaultProjectId = env.DEFAULT_PROJECT_ID || null;
  if (defaultProjectId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(defaultProjectId)) r.problems.push(`DEFAULT_PROJECT_ID must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(defaultProjectId)}`);
  const baseUri = env.API_BASE_URI ? env.API_BASE_URI.replace(/\/+$/, '') : null;
  if (baseUri !== null && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(baseUri)) r.problems.push(`API_BASE_URI must be an http(s) URL, got ${JSON.stringify(env.API_BASE_URI)}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) r.problems.push(`LOG_LEVEL must be a pino level, got ${JSON.stringify(logLevel)}`);
  const bodyLimit = r.int('API_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024);
  const quotaDefaults = Object.fromEntries(QUOTA_RESOURCES.map((q) => [q, r.int(`QUOTA_${q.toUpperCase()}`, -1, -1, 2_000_000_000)])) as Record<QuotaResource, number>;
  const metrics = readMetricsConfig(env, r);
  r.done();
  return Object.freeze({ nats, host, port, authStrategy: 'noauth', defaultProjectId, baseUri, logLevel, bodyLimit, quotaDefaults: Object.freeze(quotaDefaults), metrics });
}
