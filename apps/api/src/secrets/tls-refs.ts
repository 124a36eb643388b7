import { isCertBundle, parseSecretRef, type SecretStore } from '@lbaas/secret-store';
import { ApiError } from '../shell/errors';
import type { Rule } from '../shell/rules';

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

/** Octavia's CertificateRetrievalException: every referenced certificate must resolve to a certificate and a key. */
export async function checkTlsRefs(store: SecretStore | null, x: { defaultTlsContainerRef?: string | null; sniContainerRefs?: readonly string[] }): Promise<void> {
  const refs = [...(x.defaultTlsContainerRef ? [x.defaultTlsContainerRef] : []), ...(x.sniContainerRefs ?? [])];
  if (refs.length === 0) return;
  const bad: string[] = [];
  for (const ref of refs) {
    const ok = store && parseSecretRef(ref)
      ? await store.resolvePem(ref).then(isCertBundle, () => false)
      : false;
    if (!ok) bad.push(ref);
  }
  if (bad.length) throw new ApiError(400, `Could not retrieve certificate: [${bad.map((r) => `'${r}'`).join(', ')}]`);
}
