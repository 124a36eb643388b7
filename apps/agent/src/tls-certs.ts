import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TLS_FILES } from '@lbaas/haproxy-config';
import type { DesiredLb, DesiredState } from '@lbaas/projections';

/**
 * Every secret reference one LB names for its TLS files: listener certificates (default and SNI), the client CA and
 * CRL of client authentication, and a re-encrypting pool's client certificate, member CA and CRL.
 */
export function tlsRefsOf(lb: DesiredLb): string[] {
  const refs: string[] = [];
  for (const l of lb.listeners) {
    if (l.tls) refs.push(l.tls.defaultRef, ...l.tls.sniRefs);
    const ca = l.tlsOptions?.clientAuth;
    if (ca) refs.push(ca.caRef, ...(ca.crlRef ? [ca.crlRef] : []));
  }
  for (const p of lb.pools) {
    if (p.tls) refs.push(...[p.tls.clientCertRef, p.tls.caRef, p.tls.crlRef].filter((r): r is string => r !== null));
  }
  return refs;
}

/** Every reference the desired state names, resolved to PEM (a ref that fails to resolve is left out). */
export async function resolveCerts(desired: DesiredState, resolve?: (ref: string) => Promise<string>): Promise<ReadonlyMap<string, string>> {
  const out = new Map<string, string>();
  if (!resolve) return out;
  const refs = new Set(desired.loadBalancers.flatMap(tlsRefsOf));
  for (const ref of refs) {
    try {
      out.set(ref, await resolve(ref));
    } catch {
      // left out: the plan rejects the LB naming the reference
    }
  }
  return out;
}

/**
 * The files one LB's TLS needs (mode 600, names in TLS_FILES): a PEM per listener certificate and a crt-list per
 * listener (default first), the client CA and CRL next to them, and per re-encrypting pool its client certificate,
 * member CA and CRL.
 */
export type CertFiles = { dir: string; files: { name: string; content: string }[]; digest: string };

const fileOf = (ref: string) => `${createHash('sha256').update(ref).digest('hex').slice(0, 16)}.pem`;

/** Builds the TLS files of an LB; throws with the first reference it cannot resolve. Null when nothing needs a file. */
export function certFilesFor(lb: DesiredLb, lbDir: string, certs: ReadonlyMap<string, string>): CertFiles | null {
  if (tlsRefsOf(lb).length === 0) return null;
  const dir = join(lbDir, 'certs');
  const files = new Map<string, string>();
  const pemOf = (ref: string) => {
    const pem = certs.get(ref);
    if (pem === undefined) throw new Error(`certificate ${ref} could not be retrieved from the secret store`);
    return pem.endsWith('\n') ? pem : `${pem}\n`;
  };
  for (const l of lb.listeners) {
    if (l.tls) {
      const refs = [l.tls.defaultRef, ...l.tls.sniRefs.filter((r) => r !== l.tls!.defaultRef)];
      for (const ref of refs) files.set(fileOf(ref), pemOf(ref));
      // The first entry is the default certificate; haproxy picks the others by SNI (their CN / SANs).
      files.set(TLS_FILES.crtList(l.listenerId), refs.map((r) => join(dir, fileOf(r))).join('\n') + '\n');
    }
    const ca = l.tlsOptions?.clientAuth;
    if (ca) {
      files.set(TLS_FILES.clientCa(l.listenerId), pemOf(ca.caRef));
      if (ca.crlRef) files.set(TLS_FILES.clientCrl(l.listenerId), pemOf(ca.crlRef));
    }
  }
  for (const p of lb.pools) {
    if (!p.tls) continue;
    if (p.tls.clientCertRef) files.set(TLS_FILES.memberCert(p.poolId), pemOf(p.tls.clientCertRef));
    if (p.tls.caRef) files.set(TLS_FILES.memberCa(p.poolId), pemOf(p.tls.caRef));
    if (p.tls.crlRef) files.set(TLS_FILES.memberCrl(p.poolId), pemOf(p.tls.crlRef));
  }
  const sorted = [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, content]) => ({ name, content }));
  const digest = createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
  return { dir, files: sorted, digest };
}
