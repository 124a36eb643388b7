import { ALPN_PROTOCOLS, LIMITS, TLS_VERSIONS, type AlpnProtocol, type TlsVersion } from '@lbaas/events';
import type { DesiredListener, DesiredPoolTls, DesiredTlsOptions } from '@lbaas/projections';
import { refuse as fail, RenderError } from './render-error';

/**
 * TLS on both sides of haproxy (Octavia's combined_listeners macros): a TERMINATED_HTTPS listener's bind options
 * (versions, ciphers, ALPN, client certificates with CA and CRL), its HSTS and X-SSL-Client-* headers, and a pool's
 * re-encryption to its members. Every value is checked here again, whatever the API checked: nothing but known
 * tokens and the agent's own file paths reaches the file.
 */

/** Where the agent writes each TLS file, inside the LB's cert dir: the renderer and apps/agent tls-certs.ts share these names. */
export const TLS_FILES = {
  crtList: (listenerId: string) => `${listenerId}.crtlist`,
  clientCa: (listenerId: string) => `${listenerId}.client-ca.pem`,
  clientCrl: (listenerId: string) => `${listenerId}.client-crl.pem`,
  /** The pool's client certificate and key (one PEM bundle), presented to the members. */
  memberCert: (poolId: string) => `${poolId}.member-crt.pem`,
  memberCa: (poolId: string) => `${poolId}.member-ca.pem`,
  memberCrl: (poolId: string) => `${poolId}.member-crl.pem`,
} as const;

const fileIn = (certDir: string | undefined, name: string, what: string): string => {
  if (!certDir) throw new RenderError(`${what}: its certificate files were not written (no certificate dir)`);
  const p = `${certDir}/${name}`;
  return /^\/[A-Za-z0-9._/-]{1,4000}$/.test(p) ? p : fail(`${what} file path`, p);
};

// haproxy's names for the versions (`ssl-min-ver`/`ssl-max-ver`), in order.
const HAPROXY_VERSION: Record<TlsVersion, string> = { SSLv3: 'SSLv3', TLSv1: 'TLSv1.0', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

/**
 * `ssl-min-ver A ssl-max-ver B`. haproxy (like OpenSSL) takes a range: a set with a hole (TLSv1 and TLSv1.2 without
 * TLSv1.1) cannot be written (`no-tlsv11` there only draws a warning and the hole is served), so it is refused rather
 * than widened. SSLv3 alone is refused too: this OpenSSL has no SSLv3, haproxy would refuse the bind.
 */
export function versionRange(what: string, versions: readonly TlsVersion[]): string {
  if (!Array.isArray(versions) || versions.length === 0) return fail(`${what} tls_versions`, versions);
  const idx = [...new Set(versions)].map((v) => (TLS_VERSIONS as readonly string[]).indexOf(v)).sort((a, b) => a - b);
  if (idx.some((i) => i < 0)) return fail(`${what} tls_versions`, versions);
  for (let k = 1; k < idx.length; k++) {
    if (idx[k] !== idx[k - 1] + 1) {
      throw new RenderError(`${what}: tls_versions ${versions.join(', ')} is not a contiguous range (haproxy serves every version between the lowest and the highest)`);
    }
  }
  if (idx.length === 1 && TLS_VERSIONS[idx[0]] === 'SSLv3') throw new RenderError(`${what}: tls_versions SSLv3 alone: this OpenSSL has no SSLv3`);
  return `ssl-min-ver ${HAPROXY_VERSION[TLS_VERSIONS[idx[0]]]} ssl-max-ver ${HAPROXY_VERSION[TLS_VERSIONS[idx[idx.length - 1]]]}`;
}

/** OpenSSL's TLSv1.3 suite names: they go to `ciphersuites`, everything else to `ciphers` (OpenSSL keeps the two lists apart). */
const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256']);
// Octavia's VALID_CIPHER_RE: the API checked every name against this OpenSSL; here only the characters, again.
const CIPHER_CHARS = /^[A-Za-z0-9\-+!:@=_.]+$/;

/** `ciphers <TLSv1.2 and lower>` and/or `ciphersuites <TLSv1.3>` from one OpenSSL cipher string. */
export function cipherOptions(what: string, ciphers: string): string {
  if (typeof ciphers !== 'string' || ciphers.length === 0 || ciphers.length > LIMITS.tlsCiphers.maxLength || !CIPHER_CHARS.test(ciphers)) {
    return fail(`${what} tls_ciphers`, ciphers);
  }
  const legacy: string[] = [];
  const suites: string[] = [];
  for (const element of ciphers.split(':')) {
    if (element === '') return fail(`${what} tls_ciphers`, ciphers);
    if (TLS13_SUITES.has(element)) suites.push(element);
    else if (/TLS_(AES|CHACHA20)/.test(element)) {
      // `!TLS_AES_128_GCM_SHA256` or `A+TLS_...`: the TLSv1.3 list has no operators, and the TLSv1.2 one ignores the name.
      throw new RenderError(`${what}: tls_ciphers element ${element} combines a TLSv1.3 suite with an operator (TLSv1.3 suites can only be listed)`);
    } else legacy.push(element);
  }
  return [...(legacy.length ? [`ciphers ${legacy.join(':')}`] : []), ...(suites.length ? [`ciphersuites ${[...new Set(suites)].join(':')}`] : [])].join(' ');
}

/** `alpn h2,http/1.1`: only the protocols Octavia offers, in the order given. */
export function alpnOption(what: string, alpn: readonly AlpnProtocol[]): string {
  if (!Array.isArray(alpn) || alpn.length === 0 || alpn.some((a) => !(ALPN_PROTOCOLS as readonly string[]).includes(a))) return fail(`${what} alpn_protocols`, alpn);
  return `alpn ${[...new Set(alpn)].join(',')}`;
}

const VERIFY = { OPTIONAL: 'optional', MANDATORY: 'required' } as const;

/** The options after `ssl crt-list <file>` on a TERMINATED_HTTPS bind. */
export function bindTlsOptions(l: DesiredListener, certDir: string | undefined): string {
  const o = l.tlsOptions;
  if (!o) return '';
  const what = `listener ${l.listenerId}`;
  const parts: string[] = [];
  if (o.clientAuth) {
    const verify = VERIFY[o.clientAuth.mode] ?? fail('client_authentication', o.clientAuth.mode);
    parts.push(`ca-file ${fileIn(certDir, TLS_FILES.clientCa(l.listenerId), `${what} client CA`)} verify ${verify}`);
    if (o.clientAuth.crlRef) parts.push(`crl-file ${fileIn(certDir, TLS_FILES.clientCrl(l.listenerId), `${what} client CRL`)}`);
  }
  if (o.ciphers !== null) parts.push(cipherOptions(what, o.ciphers));
  if (o.versions !== null) parts.push(versionRange(what, o.versions));
  if (o.alpn !== null) parts.push(alpnOption(what, o.alpn));
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** `Strict-Transport-Security` on every answer of a TERMINATED_HTTPS listener, as Octavia writes it. */
export function hstsLines(hsts: DesiredTlsOptions['hsts']): string[] {
  if (!hsts) return [];
  const age = Number.isInteger(hsts.maxAge) && hsts.maxAge >= LIMITS.listener.hstsMaxAge.min && hsts.maxAge <= LIMITS.listener.hstsMaxAge.max
    ? hsts.maxAge : fail('hsts_max_age', hsts.maxAge);
  const value = `max-age=${age};${hsts.includeSubdomains === true ? ' includeSubDomains;' : ''}${hsts.preload === true ? ' preload;' : ''}`;
  return [`    http-response set-header Strict-Transport-Security "${value}"`];
}

/** Octavia's client-certificate insert_headers (TERMINATED_HTTPS only), each from a fixed fetch: no input reaches the line. */
export const SSL_INSERT_HEADERS: readonly (readonly [string, string])[] = [
  ['X-SSL-Client-Verify', '%[ssl_c_verify]'],
  ['X-SSL-Client-Has-Cert', '%[ssl_c_used]'],
  ['X-SSL-Client-DN', '%{+Q}[ssl_c_s_dn]'],
  ['X-SSL-Client-CN', '%{+Q}[ssl_c_s_dn(cn)]'],
  ['X-SSL-Issuer', '%{+Q}[ssl_c_i_dn]'],
  ['X-SSL-Client-SHA1', '%{+Q}[ssl_c_sha1,hex]'],
  ['X-SSL-Client-Not-Before', '%{+Q}[ssl_c_notbefore]'],
  ['X-SSL-Client-Not-After', '%{+Q}[ssl_c_notafter]'],
];

export function sslHeaderLines(l: DesiredListener): string[] {
  if (l.protocol !== 'TERMINATED_HTTPS') return [];
  return SSL_INSERT_HEADERS.filter(([name]) => /^true$/i.test(l.insertHeaders[name] ?? '')).map(([name, fetch]) => `    http-request set-header ${name} ${fetch}`);
}

/**
 * A re-encrypting pool's server options (Octavia's member macro): `ssl`, the client certificate, `verify required`
 * with the CA (and CRL) or `verify none` without a CA, the client's SNI passed on, then versions, ciphers and ALPN.
 * The same on every server of the pool, in the file and on `add server`. With health checks (`checked`), `check-ssl`:
 * a server added at runtime does not run its checks over TLS without it (haproxy 2.6), one from the file does; and with
 * ALPN `check-alpn http/1.1`, since an HTTP check speaks HTTP/1.1 and fails on a connection that negotiated h2.
 */
export function serverTlsOptions(poolId: string, tls: DesiredPoolTls, certDir: string | undefined, checked: boolean): string {
  const what = `pool ${poolId}`;
  const parts = ['ssl'];
  if (tls.clientCertRef) parts.push(`crt ${fileIn(certDir, TLS_FILES.memberCert(poolId), `${what} client certificate`)}`);
  if (tls.caRef) {
    parts.push(`verify required ca-file ${fileIn(certDir, TLS_FILES.memberCa(poolId), `${what} CA`)}`);
    if (tls.crlRef) parts.push(`crl-file ${fileIn(certDir, TLS_FILES.memberCrl(poolId), `${what} CRL`)}`);
  } else {
    if (tls.crlRef) throw new RenderError(`${what}: a CRL without a CA`);
    parts.push('verify none');
  }
  parts.push('sni ssl_fc_sni');
  if (tls.ciphers !== null) parts.push(cipherOptions(what, tls.ciphers));
  if (tls.versions !== null) parts.push(versionRange(what, tls.versions));
  if (tls.alpn !== null) parts.push(alpnOption(what, tls.alpn));
  if (checked) parts.push('check-ssl', ...(tls.alpn !== null ? ['check-alpn http/1.1'] : []));
  return parts.join(' ');
}
