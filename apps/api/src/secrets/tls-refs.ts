import { ApiError } from '../http/errors';
import type { Lookup } from '../http/lookup';
import type { Rule } from '../http/rules';

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
  lookup: Lookup, projectId: string, x: { defaultTlsContainerRef?: string | null; sniContainerRefs?: readonly string[] },
): Promise<void> {
  const refs = [...(x.defaultTlsContainerRef ? [x.defaultTlsContainerRef] : []), ...(x.sniContainerRefs ?? [])];
  if (refs.length === 0) return;
  const bad: string[] = [];
  for (const ref of refs) {
    if (!(await lookup.certificateOf(ref, projectId))) bad.push(ref);
  }
  if (bad.length) throw new ApiError(400, `Could not retrieve certificate: [${bad.map((r) => `'${r}'`).join(', ')}]`);
}
