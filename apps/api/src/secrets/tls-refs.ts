import { ApiError } from '../http/errors';
import type { Lookup } from '../http/lookup';
import type { Rule } from '../http/rules';
import { crlSignedBy, parseCertificates, parseCrl } from './x509';

const REF = /^https?:\/\/[A-Za-z0-9.\-:[\]]+(\/[A-Za-z0-9._~\-/]*)?\/v1\/(secrets|containers)\/[0-9a-fA-F-]{36}$/;

/** A certificate reference: a secret or container URL of this API's Barbican subset (or another Barbican's). */
export const tlsRef: Rule<string> = (v) =>
  typeof v === 'string' && v.length <= 1024 && REF.test(v) ? { ok: true, value: v } : { ok: false, reason: 'Value should be a secret or container reference (URL)' };
/** A list of certificate references (SNI). */
export const tlsRefList: Rule<string[]> = (v) => {
  if (!Array.isArray(v) || v.length > 50) return { ok: false, reason: 'Value should be a list of at most 50 references' };
  for (const x of v) if (!tlsRef(x).ok) return { ok: false, reason: 'Value should be a list of secret or container references (URLs)' };
  return { ok: true, value: [...new Set(v as string[])] };
};

/**
 * Octavia's CertificateRetrievalException: every referenced certificate must resolve to a certificate and a key, and
 * belong to the listener's project (another project's container is as unknown as a missing one).
 */
export async function checkTlsRefs(
  lookup: Lookup, projectId: string,
  x: { defaultTlsContainerRef?: string | null; sniContainerRefs?: readonly string[]; clientCaTlsContainerRef?: string | null; clientCrlContainerRef?: string | null },
): Promise<void> {
  await checkCaRefs(lookup, projectId, { ca: x.clientCaTlsContainerRef, crl: x.clientCrlContainerRef }, 'client authentication');
  const refs = [...(x.defaultTlsContainerRef ? [x.defaultTlsContainerRef] : []), ...(x.sniContainerRefs ?? [])];
  if (refs.length === 0) return;
  const bad: string[] = [];
  for (const ref of refs) {
    if (!(await lookup.certificateOf(ref, projectId))) bad.push(ref);
  }
  if (bad.length) throw new ApiError(400, `Could not retrieve certificate: [${bad.map((r) => `'${r}'`).join(', ')}]`);
}

/**
 * A CA reference and its optional CRL (a listener's client authentication, a pool's member verification), checked as
 * Octavia does and a little more: both resolve to the project's secrets, the CA is PEM certificates that are valid now,
 * and the CRL is a PEM X509 CRL signed by the CA.
 */
export async function checkCaRefs(
  lookup: Lookup, projectId: string, refs: { ca: string | null | undefined; crl: string | null | undefined }, what: string, now = new Date(),
): Promise<void> {
  if (!refs.ca) return;
  const bad = [refs.ca, ...(refs.crl ? [refs.crl] : [])];
  const caPem = await lookup.pemOf(refs.ca, projectId);
  const crlPem = refs.crl ? await lookup.pemOf(refs.crl, projectId) : null;
  const missing = bad.filter((r) => (r === refs.ca ? caPem : crlPem) === null);
  if (missing.length) throw new ApiError(400, `Could not retrieve certificate: [${missing.map((r) => `'${r}'`).join(', ')}]`);
  let cas;
  try {
    cas = parseCertificates(caPem as string);
  } catch (err) {
    throw new ApiError(400, `Validation failure: The ${what} CA certificate is invalid. It must be a valid x509 PEM format certificate. Error: ${(err as Error).message}`);
  }
  for (const ca of cas) {
    if (new Date(ca.validTo).getTime() < now.getTime()) throw new ApiError(400, `Validation failure: The ${what} CA certificate ${ca.subject.replace(/\n/g, ', ')} expired on ${ca.validTo}.`);
    if (new Date(ca.validFrom).getTime() > now.getTime()) throw new ApiError(400, `Validation failure: The ${what} CA certificate ${ca.subject.replace(/\n/g, ', ')} is not valid before ${ca.validFrom}.`);
  }
  if (crlPem === null) return;
  let crl;
  try {
    crl = parseCrl(crlPem);
  } catch (err) {
    throw new ApiError(400, `Validation failure: The ${what} certificate revocation list is invalid. It must be a valid x509 PEM format certificate revocation list. Error: ${(err as Error).message}`);
  }
  if (!cas.some((ca) => crlSignedBy(crl, ca.publicKey))) {
    throw new ApiError(400, 'Validation failure: The CRL specified is not valid for client certificate authority reference supplied.');
  }
}

/** A pool's TLS references: its client certificate (a certificate and a key), and its CA and CRL. */
export async function checkPoolTlsRefs(
  lookup: Lookup, projectId: string, x: { tlsContainerRef?: string | null; caTlsContainerRef?: string | null; crlContainerRef?: string | null },
): Promise<void> {
  if (x.tlsContainerRef && !(await lookup.certificateOf(x.tlsContainerRef, projectId))) {
    throw new ApiError(400, `Could not retrieve certificate: ['${x.tlsContainerRef}']`);
  }
  await checkCaRefs(lookup, projectId, { ca: x.caTlsContainerRef, crl: x.crlContainerRef }, 'member verification');
}
