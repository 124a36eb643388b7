import { LB_ALGORITHMS, LIMITS, PERSISTENCE_TYPES, POOL_PROTOCOLS, type SessionPersistence } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, cookieName, intIn, ipv4, oneOf, projectId, tags, text, unsupported, uuid, type Rule } from '../shell/rules';

const SP_KEYS = ['type', 'cookie_name', 'persistence_timeout', 'persistence_granularity'];

/** session_persistence: {type, cookie_name, persistence_timeout, persistence_granularity}, each checked strictly. */
export const sessionPersistence: Rule<SessionPersistence> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'Value should be a dictionary' };
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !SP_KEYS.includes(k));
  if (unknown.length) return { ok: false, reason: `Unknown attribute: ${unknown.sort().join(', ')}` };
  const type = oneOf(PERSISTENCE_TYPES)(o.type);
  if (!type.ok) return { ok: false, reason: `type: ${o.type === undefined || o.type === null ? 'Mandatory field missing.' : type.reason}` };
  const check = <T>(key: string, rule: Rule<T>): { value: T | null } | { reason: string } => {
    if (o[key] === undefined || o[key] === null) return { value: null };
    const r = rule(o[key]);
    return r.ok ? { value: r.value } : { reason: `${key}: ${r.reason}` };
  };
  const cookie = check('cookie_name', cookieName);
  const timeout = check('persistence_timeout', intIn(LIMITS.pool.persistenceTimeout));
  const granularity = check('persistence_granularity', ipv4);
  for (const r of [cookie, timeout, granularity]) if ('reason' in r) return { ok: false, reason: r.reason };
  return {
    ok: true,
    value: {
      type: type.value,
      cookieName: (cookie as { value: string | null }).value,
      persistenceTimeout: (timeout as { value: number | null }).value,
      persistenceGranularity: (granularity as { value: string | null }).value,
    },
  };
};

const TLS = 'TLS re-encryption';

/** Body of POST /pools. */
export class PoolCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(oneOf(POOL_PROTOCOLS), { required: true }) protocol!: (typeof POOL_PROTOCOLS)[number];
  @Attr(oneOf(LB_ALGORITHMS), { required: true }) lb_algorithm!: (typeof LB_ALGORITHMS)[number];
  @Attr(uuid) loadbalancer_id?: string | null;
  @Attr(uuid) listener_id?: string | null;
  @Attr(sessionPersistence) session_persistence?: SessionPersistence | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported(TLS)) tls_enabled?: null;
  @Attr(unsupported(TLS)) tls_container_ref?: null;
  @Attr(unsupported(TLS)) ca_tls_container_ref?: null;
  @Attr(unsupported(TLS)) crl_container_ref?: null;
  @Attr(unsupported(TLS)) tls_ciphers?: null;
  @Attr(unsupported(TLS)) tls_versions?: null;
  @Attr(unsupported(TLS)) alpn_protocols?: null;
  @Attr(unsupported('Single-call create of members')) members?: null;
  @Attr(unsupported('Single-call create of health monitors')) healthmonitor?: null;
}

/** Body of PUT /pools/{id}. */
export class PoolUpdateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(oneOf(LB_ALGORITHMS)) lb_algorithm?: (typeof LB_ALGORITHMS)[number] | null;
  @Attr(sessionPersistence) session_persistence?: SessionPersistence | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(unsupported(TLS)) tls_enabled?: null;
  @Attr(unsupported(TLS)) tls_container_ref?: null;
  @Attr(unsupported(TLS)) ca_tls_container_ref?: null;
  @Attr(unsupported(TLS)) crl_container_ref?: null;
  @Attr(unsupported(TLS)) tls_ciphers?: null;
  @Attr(unsupported(TLS)) tls_versions?: null;
  @Attr(unsupported(TLS)) alpn_protocols?: null;
}
