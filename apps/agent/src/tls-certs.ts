import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DesiredLb, DesiredState } from '@lbaas/projections';

/** Every certificate reference the desired state names, resolved to PEM (a ref that fails to resolve is left out). */
export async function resolveCerts(desired: DesiredState, resolve?: (ref: string) => Promise<string>): Promise<ReadonlyMap<string, string>> {
  const out = new Map<string, string>();
  if (!resolve) return out;
  const refs = new Set(desired.loadBalancers.flatMap((lb) => lb.listeners.flatMap((l) => (l.tls ? [l.tls.defaultRef, ...l.tls.sniRefs] : []))));
  for (const ref of refs) {
    try {
      out.set(ref, await resolve(ref));
    } catch {
      // left out: the plan rejects the LB naming the reference
    }
  }
  return out;
}

/** The files one LB's TLS listeners need: a PEM per certificate (mode 600) and a crt-list per listener (default first). */
export type CertFiles = { dir: string; files: { name: string; content: string }[]; digest: string };

const fileOf = (ref: string) => `${createHash('sha256').update(ref).digest('hex').slice(0, 16)}.pem`;

/** Builds the cert files of an LB; throws with the first reference it cannot resolve. Null when no listener terminates TLS. */
export function certFilesFor(lb: DesiredLb, lbDir: string, certs: ReadonlyMap<string, string>): CertFiles | null {
  const tls = lb.listeners.filter((l) => l.tls !== null);
  if (tls.length === 0) return null;
  const dir = join(lbDir, 'certs');
  const files = new Map<string, string>();
  for (const l of tls) {
    const refs = [l.tls!.defaultRef, ...l.tls!.sniRefs.filter((r) => r !== l.tls!.defaultRef)];
    for (const ref of refs) {
      const pem = certs.get(ref);
      if (pem === undefined) throw new Error(`certificate ${ref} could not be retrieved from the secret store`);
      files.set(fileOf(ref), pem.endsWith('\n') ? pem : `${pem}\n`);
    }
    // The first entry is the default certificate; haproxy picks the others by SNI (their CN / SANs).
    files.set(`${l.listenerId}.crtlist`, refs.map((r) => join(dir, fileOf(r))).join('\n') + '\n');
  }
  const sorted = [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, content]) => ({ name, content }));
  const digest = createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
  return { dir, files: sorted, digest };
}
