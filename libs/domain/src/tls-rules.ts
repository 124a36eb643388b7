import {
  ALPN_PROTOCOLS, CLIENT_AUTHENTICATIONS, LIMITS, TLS_VERSIONS,
  type ListenerProtocol, type ListenerSettings, type PoolProtocol, type PoolSettings,
} from '@lbaas/events';
import { checkOneOf, checkRange, invalidField, validationFailure } from './field-rules';
import { OPENSSL_CIPHER_ALIASES, OPENSSL_CIPHER_NAMES } from './openssl-ciphers';

/** A certificate reference as events carry it: a URL of a secret or container, nothing that could hold a PEM. */
const REF = /^https?:\/\/[A-Za-z0-9.\-:[\]]+(\/[A-Za-z0-9._~\-/]*)?\/v1\/(secrets|containers)\/[0-9a-fA-F-]{36}$/;

/** Octavia's VALID_CIPHER_RE: the only characters a cipher string may hold (no space, newline or quote reaches a config). */
const CIPHER_CHARS = /^[A-Za-z0-9\-+!:@=_.]+$/;
const KNOWN = new Set([...OPENSSL_CIPHER_NAMES, ...OPENSSL_CIPHER_ALIASES]);

/**
 * Why an OpenSSL cipher string cannot be used, or null. Octavia's character check, then every element (`NAME`,
 * `!NAME`, `-NAME`, `+NAME`, `A+B`, `@STRENGTH`, `@SECLEVEL=n`) must name what this OpenSSL knows: OpenSSL itself
 * ignores unknown names, so a typo would silently weaken the list.
 */
export function cipherStringProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v.length === 0) return 'Value should be a non-empty OpenSSL cipher string';
  if (v.length > LIMITS.tlsCiphers.maxLength) return `Value should have a maximum character requirement of ${LIMITS.tlsCiphers.maxLength}`;
  if (!CIPHER_CHARS.test(v)) return 'Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.';
  const unknown: string[] = [];
  for (const element of v.split(':')) {
    if (element === '') return 'Value should not hold an empty cipher (::)';
    if (element === '@STRENGTH' || /^@SECLEVEL=[0-5]$/.test(element)) continue;
    const body = /^[!+-]/.test(element) ? element.slice(1) : element;
    const parts = body.split('+');
    if (parts.some((p) => p === '')) return `Value should not hold an empty cipher in '${element}'`;
    for (const p of parts) if (!KNOWN.has(p)) unknown.push(p);
  }
  return unknown.length ? `Unknown to this OpenSSL: ${[...new Set(unknown)].join(', ')}` : null;
}

const checkCiphers = (field: string, v: string | null | undefined): void => {
  if (v === null || v === undefined) return;
  const problem = cipherStringProblem(v);
  if (problem) throw invalidField(field, v, problem);
};

const checkList = <T extends string>(field: string, v: readonly T[] | null | undefined, allowed: readonly T[], what: string): void => {
  if (v === null || v === undefined) return;
  if (!Array.isArray(v)) throw invalidField(field, v, 'Value should be a list');
  // Octavia's check_tls_version_list / check_alpn_protocols messages.
  if (v.length === 0) throw validationFailure(`Empty ${what} list. Either specify at least one ${what} or remove this parameter to use the default.`);
  const invalid = v.filter((x) => !allowed.includes(x));
  if (invalid.length) throw validationFailure(`Invalid ${what}: ${invalid.map(String).join(', ')}`);
};

/**
 * haproxy (like OpenSSL) serves one range of versions, from the lowest to the highest: a set with a hole (TLSv1 and
 * TLSv1.2 without TLSv1.1) would serve the hole, so it is refused here rather than widened on the data plane; and this
 * OpenSSL has no SSLv3, so SSLv3 alone could not be served at all.
 */
const checkVersionRange = (field: string, v: readonly string[] | null | undefined): void => {
  if (!Array.isArray(v) || v.length === 0) return;
  const idx = [...new Set(v)].map((x) => (TLS_VERSIONS as readonly string[]).indexOf(x)).sort((a, b) => a - b);
  const missing = TLS_VERSIONS.filter((_, i) => i > idx[0] && i < idx[idx.length - 1] && !idx.includes(i));
  if (missing.length) throw validationFailure(`${field} must be a contiguous range of versions (missing ${missing.join(', ')}).`);
  if (idx.length === 1 && TLS_VERSIONS[idx[0]] === 'SSLv3') throw validationFailure(`${field} SSLv3 alone cannot be served: this OpenSSL has no SSLv3.`);
};

const checkRef = (field: string, ref: string | null | undefined): void => {
  if (ref === null || ref === undefined) return;
  if (typeof ref !== 'string' || !REF.test(ref)) throw validationFailure(`${String(ref).slice(0, 80)} is not a valid certificate reference (${field}).`);
};

const given = (v: unknown): boolean => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== false;

/**
 * A listener's TLS settings (Octavia's listener validation): TERMINATED_HTTPS needs a default certificate and alone
 * takes certificates, TLS versions, ciphers, ALPN, HSTS and client authentication; client authentication other than
 * NONE needs a client CA, a CRL needs the CA; HSTS subdomains/preload need a max age.
 */
export const checkTlsSettings = (protocol: ListenerProtocol, x: ListenerSettings): void => {
  const refs = [...(x.defaultTlsContainerRef ? [x.defaultTlsContainerRef] : []), ...(x.sniContainerRefs ?? [])];
  const tls = protocol === 'TERMINATED_HTTPS';
  if (tls) {
    if (!x.defaultTlsContainerRef) throw validationFailure('A default_tls_container_ref is required for TERMINATED_HTTPS listeners.');
  } else if (refs.length > 0) {
    throw validationFailure(`default_tls_container_ref and sni_container_refs are only valid for TERMINATED_HTTPS listeners, not ${protocol}.`);
  }
  for (const ref of refs) {
    if (!REF.test(ref)) throw validationFailure(`${ref.slice(0, 80)} is not a valid certificate reference.`);
  }
  const clientAuth = x.clientAuthentication ?? 'NONE';
  checkOneOf('client_authentication', clientAuth, CLIENT_AUTHENTICATIONS);
  const tlsOnly = {
    tls_versions: x.tlsVersions, tls_ciphers: x.tlsCiphers, alpn_protocols: x.alpnProtocols, hsts_max_age: x.hstsMaxAge,
    hsts_include_subdomains: x.hstsIncludeSubdomains, hsts_preload: x.hstsPreload,
    client_authentication: clientAuth === 'NONE' ? null : clientAuth, client_ca_tls_container_ref: x.clientCaTlsContainerRef,
    client_crl_container_ref: x.clientCrlContainerRef,
  };
  if (!tls) {
    const named = Object.entries(tlsOnly).filter(([, v]) => given(v)).map(([k]) => k);
    if (named.length) throw validationFailure(`${named.join(', ')} ${named.length > 1 ? 'are' : 'is'} only valid for TERMINATED_HTTPS listeners, not ${protocol}.`);
    return;
  }
  checkList('tls_versions', x.tlsVersions, TLS_VERSIONS, 'TLS version');
  checkVersionRange('tls_versions', x.tlsVersions);
  checkCiphers('tls_ciphers', x.tlsCiphers);
  checkList('alpn_protocols', x.alpnProtocols, ALPN_PROTOCOLS, 'ALPN protocol');
  if (x.hstsMaxAge !== null && x.hstsMaxAge !== undefined) checkRange('hsts_max_age', x.hstsMaxAge, LIMITS.listener.hstsMaxAge);
  if ((x.hstsIncludeSubdomains || x.hstsPreload) && (x.hstsMaxAge === null || x.hstsMaxAge === undefined)) {
    throw validationFailure('HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.');
  }
  checkRef('client_ca_tls_container_ref', x.clientCaTlsContainerRef);
  checkRef('client_crl_container_ref', x.clientCrlContainerRef);
  if (clientAuth !== 'NONE' && !x.clientCaTlsContainerRef) {
    throw validationFailure(`Client authentication setting ${clientAuth} requires a client CA container reference.`);
  }
  if (x.clientCrlContainerRef && !x.clientCaTlsContainerRef) {
    throw validationFailure('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
};

/** Pool protocols that can be re-encrypted to their members (TLS over TCP). */
const TLS_POOL_PROTOCOLS: readonly PoolProtocol[] = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2'];

/**
 * A pool's re-encryption settings (Octavia's pool validation): a CRL needs a CA; versions, ciphers and ALPN are
 * checked like a listener's; `tls_enabled` only on TCP-carried protocols.
 */
export const checkPoolTlsSettings = (protocol: PoolProtocol, x: PoolSettings): void => {
  if (x.tlsEnabled !== undefined && typeof x.tlsEnabled !== 'boolean') throw invalidField('tls_enabled', x.tlsEnabled, 'Value should be a boolean');
  if (x.tlsEnabled && !TLS_POOL_PROTOCOLS.includes(protocol)) throw validationFailure(`tls_enabled is not valid for ${protocol} pools.`);
  checkRef('tls_container_ref', x.tlsContainerRef);
  checkRef('ca_tls_container_ref', x.caTlsContainerRef);
  checkRef('crl_container_ref', x.crlContainerRef);
  if (x.crlContainerRef && !x.caTlsContainerRef) throw validationFailure('A CA certificate reference is required to specify a revocation list.');
  checkList('tls_versions', x.tlsVersions, TLS_VERSIONS, 'TLS version');
  checkVersionRange('tls_versions', x.tlsVersions);
  checkCiphers('tls_ciphers', x.tlsCiphers);
  checkList('alpn_protocols', x.alpnProtocols, ALPN_PROTOCOLS, 'ALPN protocol');
};
