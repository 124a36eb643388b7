import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KV, NatsConnection } from 'nats';
import { SECRETS_BUCKET } from '@lbaas/contracts';

/**
 * Secret payloads (certificates, private keys) never enter the append-only event stream: they live encrypted
 * (AES-256-GCM, key from config) in a JetStream KV bucket, where DELETE really removes them (history 1, purge).
 * Events carry only references (`.../v1/secrets/<id>`, `.../v1/containers/<id>`).
 */
export { SECRETS_BUCKET };

export type SecretRecord = {
  kind: 'secret'; id: string; name: string; projectId: string; secretType: string; payloadContentType: string | null;
  payload: string | null; createdAt: string;
};
export type ContainerRecord = {
  kind: 'container'; id: string; name: string; projectId: string; type: 'certificate' | 'generic';
  secretRefs: { name: string; secretRef: string }[]; createdAt: string;
};
export type StoredSecret = SecretRecord | ContainerRecord;

/** Parses a 64-hex-character key (SECRETS_KEY); throws with a plain reason otherwise. */
export function parseSecretsKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('SECRETS_KEY must be 64 hex characters (32 bytes, AES-256)');
  return Buffer.from(hex, 'hex');
}

export function seal(key: Buffer, plain: string, aad: string): Uint8Array {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
}

export function open(key: Buffer, sealed: Uint8Array, aad: string): string {
  const b = Buffer.from(sealed);
  if (b[0] !== 1 || b.length < 29) throw new Error('unknown sealed secret format');
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(1, 13));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(b.subarray(13, 29));
  return Buffer.concat([d.update(b.subarray(29)), d.final()]).toString('utf8');
}

const kvKey = (kind: StoredSecret['kind'], id: string) => `${kind}.${id}`;

/** The encrypted secret store (one per process). */
export class SecretStore {
  private constructor(private readonly kv: KV, private readonly key: Buffer) {}

  /** Binds to the bucket the operator's bootstrap made; never creates it (an app that did would take it for the truth). */
  static async open(nc: NatsConnection, key: Buffer): Promise<SecretStore> {
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const info = await jsm.streams.info(`KV_${SECRETS_BUCKET}`).catch((err: unknown) => {
      if (!/stream not found/i.test(String((err as Error)?.message))) throw err;
      throw new Error(`the secrets bucket ${SECRETS_BUCKET} does not exist: the operator creates it (\`lbaasctl bootstrap\`)`, { cause: err });
    });
    // Bound, a bucket reads as it was made (direct gets when allowed: the identities' rights are those).
    const kv = await nc.jetstream().views.kv(SECRETS_BUCKET, { bindOnly: true, allow_direct: info.config.allow_direct === true });
    return new SecretStore(kv, key);
  }

  async put(rec: StoredSecret): Promise<void> {
    const k = kvKey(rec.kind, rec.id);
    await this.kv.put(k, seal(this.key, JSON.stringify(rec), k));
  }

  async get<K extends StoredSecret['kind']>(kind: K, id: string): Promise<Extract<StoredSecret, { kind: K }> | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    const k = kvKey(kind, id);
    const e = await this.kv.get(k);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
    return JSON.parse(open(this.key, e.value, k)) as Extract<StoredSecret, { kind: K }>;
  }

  /** Removes the value and its history (purge), so the ciphertext is gone from the bucket too. */
  async delete(kind: StoredSecret['kind'], id: string): Promise<void> {
    await this.kv.purge(kvKey(kind, id));
  }

  /**
   * Resolves a listener's certificate reference to one PEM bundle (certificate, intermediates, private key), as
   * haproxy wants it: a container of type certificate, or a secret whose payload already is such a bundle.
   */
  async resolvePem(ref: string): Promise<string> {
    const parsed = parseSecretRef(ref);
    if (!parsed) throw new Error(`not a secret or container reference: ${ref}`);
    if (parsed.kind === 'secret') {
      const s = await this.get('secret', parsed.id);
      if (!s?.payload) throw new Error(`secret ${parsed.id} not found or empty`);
      return s.payload;
    }
    const c = await this.get('container', parsed.id);
    if (!c) throw new Error(`container ${parsed.id} not found`);
    const part = async (name: string) => {
      const r = c.secretRefs.find((x) => x.name === name);
      if (!r) return null;
      const p = parseSecretRef(r.secretRef);
      const s = p?.kind === 'secret' ? await this.get('secret', p.id) : null;
      if (!s?.payload) throw new Error(`secret ${r.secretRef} of container ${c.id} not found`);
      return s.payload.trim() + '\n';
    };
    const cert = await part('certificate');
    const key = await part('private_key');
    if (!cert || !key) throw new Error(`container ${c.id} lacks a certificate or private_key`);
    return [cert, (await part('intermediates')) ?? '', key].join('');
  }
}

/** `<anything>/v1/secrets/<uuid>` or `/v1/containers/<uuid>` → kind and id. */
export function parseSecretRef(ref: string): { kind: 'secret' | 'container'; id: string } | null {
  const m = typeof ref === 'string' ? /\/v1\/(secrets|containers)\/([0-9a-fA-F-]{36})\/?$/.exec(ref) : null;
  return m ? { kind: m[1] === 'secrets' ? 'secret' : 'container', id: m[2].toLowerCase() } : null;
}

/** True for a PEM bundle with a certificate and a private key (what a TERMINATED_HTTPS listener needs). */
export const isCertBundle = (pem: string): boolean =>
  /-----BEGIN CERTIFICATE-----/.test(pem) && /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem);

/** SECRETS_KEY from the environment: null when unset (the secret store is then off), the key when valid; throws otherwise. */
export function secretsKeyFrom(env: Record<string, string | undefined>): Buffer | null {
  return env.SECRETS_KEY ? parseSecretsKey(env.SECRETS_KEY) : null;
}
