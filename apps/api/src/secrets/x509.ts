import { verify, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * What the API checks of the CA certificates and CRLs that listeners (client authentication) and pools (member
 * verification) reference, before anything is stored: node's X509Certificate for certificates, and a minimal DER reader
 * for CRLs (node has no CRL parser), whose signature must verify with the CA's key (Octavia's check).
 */

const PEM_BLOCK = (label: string) => new RegExp(`-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\r\\n]+?)-----END ${label}-----`, 'g');

/** Every certificate of a PEM bundle; throws when there is none or one does not parse. */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = [...pem.matchAll(PEM_BLOCK('CERTIFICATE'))].map((m) => m[0]);
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b) => new X509Certificate(b));
}

type Tlv = { tag: number; start: number; end: number; header: number };

/** One DER element at `at`: its tag, where its content starts and ends. */
function tlv(der: Buffer, at: number): Tlv {
  if (at + 2 > der.length) throw new Error('truncated DER');
  const tag = der[at];
  let len = der[at + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > der.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i];
    header += n;
  }
  const start = at + header;
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len, header };
}

/** DER object identifier bytes → dotted string. */
function oid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) { parts.push(v); v = 0; }
  }
  return parts.join('.');
}

/** Signature algorithms of certificates and CRLs → the digest node's verify takes (null: the key decides, Ed25519). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512', '1.3.101.112': null,
};

/** A CRL's signed part, signature algorithm and signature (RFC 5280 CertificateList). */
export function parseCrl(pem: string): { tbs: Buffer; digest: string | null; signature: Buffer } {
  const blocks = [...pem.matchAll(PEM_BLOCK('X509 CRL'))];
  if (blocks.length !== 1) throw new Error('not one PEM X509 CRL');
  const der = Buffer.from(blocks[0][1].replace(/\s+/g, ''), 'base64');
  const outer = tlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not a DER SEQUENCE');
  const tbs = tlv(der, outer.start);
  const alg = tlv(der, tbs.end);
  const sig = tlv(der, alg.end);
  if (tbs.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03 || sig.end !== outer.end) throw new Error('not a CertificateList');
  const algOid = tlv(der, alg.start);
  if (algOid.tag !== 0x06) throw new Error('no signature algorithm');
  const name = oid(der.subarray(algOid.start, algOid.end));
  if (!(name in SIGNATURE_DIGESTS)) throw new Error(`unsupported signature algorithm ${name}`);
  // A BIT STRING's first content byte counts unused bits (0 for signatures).
  return { tbs: der.subarray(tbs.start - tbs.header, tbs.end), digest: SIGNATURE_DIGESTS[name], signature: der.subarray(sig.start + 1, sig.end) };
}

/** True if the CRL is signed by `issuer`'s key. */
export function crlSignedBy(crl: ReturnType<typeof parseCrl>, issuer: KeyObject): boolean {
  try {
    return verify(crl.digest, crl.tbs, issuer, crl.signature);
  } catch {
    return false;
  }
}
