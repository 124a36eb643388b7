import { INSERT_HEADERS } from '@lbaas/domain';
import { LIMITS, LISTENER_PROTOCOLS } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { tlsRef, tlsRefList } from '../secrets/tls-refs';
import { bool, cidrList, intIn, oneOf, projectId, tags, text, unsupported, uuid, type Rule } from '../shell/rules';

const L = LIMITS.listener;

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

const TLS = 'TLS termination';

/** Body of POST /listeners. */
export class ListenerCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(oneOf(LISTENER_PROTOCOLS), { required: true }) protocol!: (typeof LISTENER_PROTOCOLS)[number];
  @Attr(intIn(L.protocolPort), { required: true }) protocol_port!: number;
  @Attr(uuid, { required: true }) loadbalancer_id!: string;
  @Attr(intIn(L.connectionLimit)) connection_limit?: number | null;
  @Attr(uuid) default_pool_id?: string | null;
  @Attr(insertHeaders) insert_headers?: Record<string, string> | null;
  @Attr(intIn(L.timeoutClientData)) timeout_client_data?: number | null;
  @Attr(intIn(L.timeoutMemberConnect)) timeout_member_connect?: number | null;
  @Attr(intIn(L.timeoutMemberData)) timeout_member_data?: number | null;
  @Attr(intIn(L.timeoutTcpInspect)) timeout_tcp_inspect?: number | null;
  @Attr(cidrList) allowed_cidrs?: string[] | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(tlsRef) default_tls_container_ref?: string | null;
  @Attr(tlsRefList) sni_container_refs?: string[] | null;
  @Attr(unsupported(TLS)) client_ca_tls_container_ref?: null;
  @Attr(oneOf(['NONE'] as const)) client_authentication?: 'NONE' | null;
  @Attr(unsupported(TLS)) client_crl_container_ref?: null;
  @Attr(unsupported(TLS)) tls_ciphers?: null;
  @Attr(unsupported(TLS)) tls_versions?: null;
  @Attr(unsupported(TLS)) alpn_protocols?: null;
  @Attr(unsupported('HSTS')) hsts_max_age?: null;
  @Attr(unsupported('HSTS')) hsts_include_subdomains?: null;
  @Attr(unsupported('HSTS')) hsts_preload?: null;
  @Attr(unsupported('Single-call create of pools')) default_pool?: null;
  @Attr(unsupported('L7 policies')) l7policies?: null;
}

/** Body of PUT /listeners/{id}. */
export class ListenerUpdateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(intIn(L.connectionLimit)) connection_limit?: number | null;
  @Attr(uuid) default_pool_id?: string | null;
  @Attr(insertHeaders) insert_headers?: Record<string, string> | null;
  @Attr(intIn(L.timeoutClientData)) timeout_client_data?: number | null;
  @Attr(intIn(L.timeoutMemberConnect)) timeout_member_connect?: number | null;
  @Attr(intIn(L.timeoutMemberData)) timeout_member_data?: number | null;
  @Attr(intIn(L.timeoutTcpInspect)) timeout_tcp_inspect?: number | null;
  @Attr(cidrList) allowed_cidrs?: string[] | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(tlsRef) default_tls_container_ref?: string | null;
  @Attr(tlsRefList) sni_container_refs?: string[] | null;
  @Attr(unsupported(TLS)) client_ca_tls_container_ref?: null;
  @Attr(oneOf(['NONE'] as const)) client_authentication?: 'NONE' | null;
  @Attr(unsupported(TLS)) client_crl_container_ref?: null;
  @Attr(unsupported(TLS)) tls_ciphers?: null;
  @Attr(unsupported(TLS)) tls_versions?: null;
  @Attr(unsupported(TLS)) alpn_protocols?: null;
  @Attr(unsupported('HSTS')) hsts_max_age?: null;
  @Attr(unsupported('HSTS')) hsts_include_subdomains?: null;
  @Attr(unsupported('HSTS')) hsts_preload?: null;
}
