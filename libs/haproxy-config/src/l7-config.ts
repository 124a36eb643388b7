import type { DesiredL7Policy, DesiredL7Rule } from '@lbaas/projections';
import { refuse as fail } from './render-error';

// Octavia's macros.j2 mapping of L7 rules and policies, plus allowed_cidrs as a connection ACL.
const uuidish = (what: string, v: string) => (/^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : fail(what, v));
/** A value in single quotes: haproxy takes every character literally there; a quote or control character cannot appear. */
// eslint-disable-next-line no-control-regex
const quoted = (what: string, v: string) => (typeof v === 'string' && v.length > 0 && !/['\x00-\x1f\x7f]/.test(v) ? `'${v}'` : fail(what, v));
const token = (what: string, v: string | null) => (v !== null && /^[A-Za-z0-9!%&*+\-.^_|~]{1,255}$/.test(v) ? v : fail(what, v));
const url = (what: string, v: string | null) =>
  (v !== null && /^https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!&()*+,;=]+$/.test(v) ? `'${v}'` : fail(what, v));
const cidr = (v: string) => (/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(v) || /^[0-9A-Fa-f:.]+\/\d{1,3}$/.test(v) ? v : fail('allowed_cidrs', v));

// octavia-lib's DISTINGUISHED_NAME_FIELD_REGEX: an attribute name (CN, OU, emailAddress), nothing haproxy could parse as more.
const dnField = (v: string | null) => (v !== null && /^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(v) ? v : fail('l7 rule key (DN field)', v));

const MATCH: Record<string, string> = { REGEX: '-m reg', STARTS_WITH: '-m beg', ENDS_WITH: '-m end', CONTAINS: '-m sub', EQUAL_TO: '-m str' };

function acl(r: DesiredL7Rule): string {
  const m = MATCH[r.compareType] ?? fail('compare_type', r.compareType);
  const value = quoted('l7 rule value', r.value);
  let fetch: string;
  switch (r.type) {
    case 'HOST_NAME': fetch = `req.hdr(host) -i ${m}`; break;
    case 'PATH': fetch = `path ${m}`; break;
    case 'FILE_TYPE': fetch = r.compareType === 'EQUAL_TO' ? 'path_end' : `path_end ${m}`; break;
    case 'HEADER': fetch = `req.hdr(${token('l7 rule key', r.key)}) ${m}`; break;
    case 'COOKIE': fetch = `req.cook(${token('l7 rule key', r.key)}) ${m}`; break;
    // The client certificate (Octavia's macros): presented at all; the verify result code (0 = verified); a field of
    // its subject DN. On a listener without client authentication no certificate is ever presented.
    case 'SSL_CONN_HAS_CERT':
      if (!/^true$/i.test(r.value)) fail('SSL_CONN_HAS_CERT value', r.value);
      return `    acl ${uuidish('l7 rule id', r.l7RuleId)} ssl_c_used`;
    case 'SSL_VERIFY_RESULT':
      return `    acl ${uuidish('l7 rule id', r.l7RuleId)} ssl_c_verify eq ${/^[0-9]{1,9}$/.test(r.value) ? Number(r.value) : fail('SSL_VERIFY_RESULT value', r.value)}`;
    case 'SSL_DN_FIELD': fetch = `ssl_c_s_dn(${dnField(r.key)}) ${m}`; break;
    default: return fail('l7 rule type', r.type);
  }
  return `    acl ${uuidish('l7 rule id', r.l7RuleId)} ${fetch} ${value}`;
}

const code = (c: number | null) => {
  const n = c ?? 302;
  return [301, 302, 303, 307, 308].includes(n) ? n : fail('redirect_http_code', c);
};

/**
 * A listener's L7 policies: every enabled rule as an acl named by its id, then deny/redirect rules, then use_backend
 * rules, each group in policy position order (haproxy runs http-request rules before use_backend whatever the order in
 * the file, as Octavia's amphorae do). A disabled policy, one without enabled rules, or a redirect to a disabled pool
 * is not rendered.
 */
export function renderL7(policies: readonly DesiredL7Policy[], enabledPools: ReadonlySet<string>): string[] {
  const acls: string[] = [];
  const requests: string[] = [];
  const backends: string[] = [];
  for (const p of policies) {
    const rules = p.rules.filter((r) => r.adminStateUp);
    if (!p.adminStateUp || rules.length === 0) continue;
    if (p.action === 'REDIRECT_TO_POOL' && (p.redirectPoolId === null || !enabledPools.has(p.redirectPoolId))) continue;
    acls.push(...rules.map(acl));
    const cond = `if ${rules.map((r) => `${r.invert ? '!' : ''}${r.l7RuleId}`).join(' ')}`;
    switch (p.action) {
      case 'REJECT': requests.push(`    http-request deny ${cond}`); break;
      case 'REDIRECT_TO_URL': requests.push(`    http-request redirect code ${code(p.redirectHttpCode)} location ${url('redirect_url', p.redirectUrl)} ${cond}`); break;
      case 'REDIRECT_PREFIX': requests.push(`    http-request redirect code ${code(p.redirectHttpCode)} prefix ${url('redirect_prefix', p.redirectPrefix)} ${cond}`); break;
      case 'REDIRECT_TO_POOL': backends.push(`    use_backend ${uuidish('pool id', p.redirectPoolId as string)} ${cond}`); break;
      default: fail('l7 policy action', p.action);
    }
  }
  return [...acls, ...requests, ...backends];
}

/** allowed_cidrs: connections from any other source are rejected before anything else (Octavia does it with security groups). */
export function renderAllowedCidrs(cidrs: readonly string[] | null | undefined): string[] {
  if (!cidrs || cidrs.length === 0) return [];
  return [`    tcp-request connection reject unless { src ${cidrs.map(cidr).join(' ')} }`];
}
