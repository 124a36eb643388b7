import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Module, Param, Post, Req } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CONFIG, SECRET_STORE } from '@lbaas/app-shell';
import type { ContainerRecord, SecretRecord, SecretStore } from '@lbaas/secret-store';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError, notFound } from '../shell/errors';
import { baseUrl, projectFor } from '../shell/request-context';
import { parseAttributes } from '../shell/validation';
import { Attr } from '../shell/validation';
import { oneOf, pattern, text, type Rule } from '../shell/rules';

/**
 * A Barbican-compatible subset (Key Manager API v1) so listeners can name certificates: secrets (PEM payloads) and
 * certificate containers. Payloads are sealed in the SecretStore (JetStream KV, AES-256-GCM); the event stream only
 * ever sees the references this API hands out.
 */
const SECRET_TYPES = ['certificate', 'private', 'opaque', 'passphrase', 'symmetric', 'public'] as const;
const pem: Rule<string> = (v) =>
  typeof v === 'string' && v.length > 0 && v.length <= 65536 ? { ok: true, value: v } : { ok: false, reason: 'Value should be a string of at most 65536 characters' };
const nullable: Rule<null> = () => ({ ok: true, value: null });

class SecretCreateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(pem) payload?: string | null;
  @Attr(oneOf(['text/plain', 'application/octet-stream', 'application/pkcs8', 'application/x-pem-file'] as const)) payload_content_type?: string | null;
  @Attr(oneOf(['base64'] as const)) payload_content_encoding?: string | null;
  @Attr(oneOf(SECRET_TYPES)) secret_type?: (typeof SECRET_TYPES)[number] | null;
  @Attr(nullable) expiration?: null;
  @Attr(nullable) algorithm?: null;
  @Attr(nullable) bit_length?: null;
  @Attr(nullable) mode?: null;
}
const secretRef = pattern(/^https?:\/\/\S+\/v1\/secrets\/[0-9a-fA-F-]{36}$/, 1024);
const refsRule: Rule<{ name: string; secretRef: string }[]> = (v) => {
  if (!Array.isArray(v) || v.length > 10) return { ok: false, reason: 'Value should be a list of at most 10 {name, secret_ref}' };
  const out: { name: string; secretRef: string }[] = [];
  for (const x of v) {
    const o = x as Record<string, unknown>;
    const r = secretRef(o?.secret_ref);
    if (typeof o?.name !== 'string' || !/^[a-z_]{1,64}$/.test(o.name) || !r.ok) return { ok: false, reason: 'Value should be a list of {name, secret_ref}' };
    out.push({ name: o.name, secretRef: r.value });
  }
  return { ok: true, value: out };
};
class ContainerCreateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(oneOf(['certificate', 'generic'] as const), { required: true }) type!: 'certificate' | 'generic';
  @Attr(refsRule) secret_refs?: { name: string; secretRef: string }[] | null;
}

const naive = (iso: string) => iso.replace(/\.\d+Z$/, '');

abstract class Base {
  constructor(protected readonly store: SecretStore | null, protected readonly config: ApiConfig) {}
  protected get secrets(): SecretStore {
    if (!this.store) throw new ApiError(503, 'The secret store is not configured (SECRETS_KEY).');
    return this.store;
  }
  protected ref(req: FastifyRequest, kind: 'secrets' | 'containers', id: string) {
    return `${baseUrl(req, this.config)}/v1/${kind}/${id}`;
  }
}

@Controller('v1/secrets')
export class SecretsController extends Base {
  constructor(@Inject(SECRET_STORE) store: SecretStore | null, @Inject(CONFIG) config: ApiConfig) { super(store, config); }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseAttributes(SecretCreateBody, body, 'secret', 'secret');
    let payload = b.payload ?? null;
    if (payload !== null && b.payload_content_encoding === 'base64') payload = Buffer.from(payload, 'base64').toString('utf8');
    const rec: SecretRecord = {
      kind: 'secret', id: randomUUID(), name: b.name ?? '', projectId: projectFor(req, this.config, {}), secretType: b.secret_type ?? 'opaque',
      payloadContentType: b.payload_content_type ?? (payload ? 'text/plain' : null), payload, createdAt: new Date().toISOString(),
    };
    await this.secrets.put(rec);
    return { secret_ref: this.ref(req, 'secrets', rec.id) };
  }

  @Get(':id')
  async show(@Req() req: FastifyRequest, @Param('id') id: string) {
    const s = await this.secrets.get('secret', id.toLowerCase());
    if (!s) throw notFound('Secret', id);
    return {
      secret_ref: this.ref(req, 'secrets', s.id), name: s.name, status: 'ACTIVE', secret_type: s.secretType,
      content_types: s.payloadContentType ? { default: s.payloadContentType } : {}, created: naive(s.createdAt), updated: naive(s.createdAt),
      expiration: null, algorithm: null, bit_length: null, mode: null, creator_id: s.projectId,
    };
  }

  @Get(':id/payload')
  @Header('content-type', 'text/plain')
  async payload(@Param('id') id: string) {
    const s = await this.secrets.get('secret', id.toLowerCase());
    if (!s || s.payload === null) throw notFound('Secret payload', id);
    return s.payload;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.secrets.get('secret', id.toLowerCase()))) throw notFound('Secret', id);
    await this.secrets.delete('secret', id.toLowerCase());
  }
}

@Controller('v1/containers')
export class ContainersController extends Base {
  constructor(@Inject(SECRET_STORE) store: SecretStore | null, @Inject(CONFIG) config: ApiConfig) { super(store, config); }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseAttributes(ContainerCreateBody, body, 'container', 'container');
    const refs = b.secret_refs ?? [];
    if (b.type === 'certificate' && !refs.some((r) => r.name === 'certificate')) throw new ApiError(400, 'A certificate container needs a secret named certificate.');
    for (const r of refs) {
      const id = /([0-9a-fA-F-]{36})$/.exec(r.secretRef)?.[1]?.toLowerCase() ?? '';
      if (!(await this.secrets.get('secret', id))) throw new ApiError(400, `Secret ${r.secretRef} not found.`);
    }
    const rec: ContainerRecord = {
      kind: 'container', id: randomUUID(), name: b.name ?? '', projectId: projectFor(req, this.config, {}), type: b.type, secretRefs: refs,
      createdAt: new Date().toISOString(),
    };
    await this.secrets.put(rec);
    return { container_ref: this.ref(req, 'containers', rec.id) };
  }

  @Get(':id')
  async show(@Req() req: FastifyRequest, @Param('id') id: string) {
    const c = await this.secrets.get('container', id.toLowerCase());
    if (!c) throw notFound('Container', id);
    return {
      container_ref: this.ref(req, 'containers', c.id), name: c.name, type: c.type, status: 'ACTIVE',
      secret_refs: c.secretRefs.map((r) => ({ name: r.name, secret_ref: r.secretRef })), created: naive(c.createdAt), updated: naive(c.createdAt),
      creator_id: c.projectId, consumers: [],
    };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.secrets.get('container', id.toLowerCase()))) throw notFound('Container', id);
    await this.secrets.delete('container', id.toLowerCase());
  }
}

@Module({ controllers: [SecretsController, ContainersController] })
export class SecretsModule {}
