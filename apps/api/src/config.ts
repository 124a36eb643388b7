import { isIP } from 'node:net';
import { envReader, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';
import { QUOTA_RESOURCES, type DeletePolicy, type QuotaResource } from '@lbaas/events';
import { readAuthConfig, type AuthConfig } from './auth/auth-config';
import type { PolicyMode } from './http/policy';

/** Every project's request budget (a token bucket per project); null = no budget (noauth, or API_RATE_LIMIT_PER_S=0). */
export type RequestBudgetConfig = Readonly<{ perSecond: number; burst: number }> | null;

/** Everything the api reads from its environment, once, in main.ts. */
export type ApiConfig = Readonly<{
  /** Servers, credentials and TLS of the api's NATS identity. */
  nats: NatsConfig;
  host: string;
  port: number;
  /** Who the caller is (docs/auth.md): noauth (every caller is admin), keystone or jwt. */
  auth: AuthConfig;
  /** Which of Octavia's two policy generations http/policy.ts enforces (POLICY_MODE; default `new`). */
  policyMode: PolicyMode;
  /** noauth: the project of new objects whose caller names none (else Octavia's 400); null with keystone and jwt. */
  defaultProjectId: string | null;
  /** Addresses and CIDRs of proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES); empty = none. */
  trustedProxies: readonly string[];
  /** The per-project request budget (429 with Retry-After beyond it). */
  requestBudget: RequestBudgetConfig;
  /** Requests of one project in the works at once; more wait for their project's turn (http/project-gate.ts); 0 = no limit. */
  projectConcurrency: number;
  /** While other projects are present (a request in the works or ended within 5 s), the slots are split evenly between them, at least this many each. */
  projectMinShare: number;
  /** Scheme://host[:port] used in links (pagination, version document); null = taken from the request's Host. */
  baseUri: string | null;
  logLevel: string;
  /** Largest request body in bytes (413 above). */
  bodyLimit: number;
  /** Quota limits of projects that have none set (QUOTA_<RESOURCE>, e.g. QUOTA_LOADBALANCER; -1 = unlimited, the default). */
  quotaDefaults: Readonly<Record<QuotaResource, number>>;
  /** /metrics, /livez, /readyz on a port of their own (METRICS_PORT; off when unset). */
  metrics: MetricsConfig;
  /**
   * DELETE_POLICY: `strict` (the default) deletes bottom-up, a parent refusing with a 409 while a child of the next step
   * exists (health monitor, members, pool, listener); `octavia` lets a pool take its members and monitor and a listener
   * its L7 policies with it. A load balancer with children is refused either way unless `?cascade=true`.
   */
  deletePolicy: DeletePolicy;
}>;

/** One address or CIDR (IPv4 or IPv6), as TRUSTED_PROXIES lists them. */
const isAddressOrCidr = (s: string): boolean => {
  const [addr, prefix, extra] = s.split('/');
  if (extra !== undefined || !isIP(addr)) return false;
  if (prefix === undefined) return true;
  const max = isIP(addr) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
};

/** Reads and checks the api's variables, reporting every problem at once (ConfigError). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const r = envReader(env);
  const nats = readNatsConfig(env, r, { identity: 'api' });
  const host = r.str('API_HOST', '127.0.0.1');
  const port = r.int('API_PORT', 9876, 0, 65535);
  const auth = readAuthConfig(env, r);
  const policyMode = (env.POLICY_MODE || 'new') as PolicyMode;
  if (policyMode !== 'new' && policyMode !== 'legacy') r.problems.push(`POLICY_MODE must be new or legacy, got ${JSON.stringify(env.POLICY_MODE)}`);
  const trustedProxies = (env.TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of trustedProxies) if (!isAddressOrCidr(p)) r.problems.push(`TRUSTED_PROXIES must list addresses or CIDRs, got ${JSON.stringify(p)}`);
  // The budget protects tenants from each other; noauth has no tenants (everybody is admin), so it has none.
  const perSecond = r.int('API_RATE_LIMIT_PER_S', 50, 0, 1_000_000);
  const burst = r.int('API_RATE_LIMIT_BURST', Math.max(1, perSecond * 4), 1, 10_000_000);
  const requestBudget = auth.strategy === 'noauth' || perSecond === 0 ? null : { perSecond, burst };
  const projectConcurrency = r.int('API_PROJECT_CONCURRENCY', 16, 0, 100_000);
  const projectMinShare = r.int('API_PROJECT_MIN_SHARE', Math.max(1, Math.min(2, projectConcurrency)), 1, 100_000);
  if (projectConcurrency > 0 && projectMinShare > projectConcurrency) {
    r.problems.push(`API_PROJECT_MIN_SHARE must not exceed API_PROJECT_CONCURRENCY (${projectConcurrency}), got ${projectMinShare}`);
  }
  const baseUri = env.API_BASE_URI ? env.API_BASE_URI.replace(/\/+$/, '') : null;
  if (baseUri !== null && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(baseUri)) r.problems.push(`API_BASE_URI must be an http(s) URL, got ${JSON.stringify(env.API_BASE_URI)}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) r.problems.push(`LOG_LEVEL must be a pino level, got ${JSON.stringify(logLevel)}`);
  const bodyLimit = r.int('API_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024);
  const deletePolicy = env.DELETE_POLICY || 'strict';
  if (deletePolicy !== 'strict' && deletePolicy !== 'octavia') r.problems.push(`DELETE_POLICY must be strict or octavia, got ${JSON.stringify(deletePolicy)}`);
  const quotaDefaults = Object.fromEntries(QUOTA_RESOURCES.map((q) => [q, r.int(`QUOTA_${q.toUpperCase()}`, -1, -1, 2_000_000_000)])) as Record<QuotaResource, number>;
  const metrics = readMetricsConfig(env, r);
  r.done();
  return Object.freeze({
    nats, host, port, auth, policyMode, defaultProjectId: auth.strategy === 'noauth' ? auth.defaultProjectId : null,
    trustedProxies: Object.freeze(trustedProxies), requestBudget, projectConcurrency, projectMinShare, baseUri, logLevel, bodyLimit, quotaDefaults: Object.freeze(quotaDefaults),
    deletePolicy: deletePolicy as DeletePolicy, metrics,
  });
}
