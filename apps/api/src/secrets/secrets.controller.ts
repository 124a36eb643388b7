import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CONFIG } from '@lbaas/app-shell';
import type { SecretRecord } from '@lbaas/secret-store';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { notFound } from '../http/errors';
import { Lookup, SECRET_WRITES, type SecretWrites } from '../http/lookup';
import { projectFor } from '../http/request-context';
import { barbicanRef, SECRET } from './secret.fields';
import { Policy } from '../http/policy-guard';

/**
 * A Barbican-compatible subset (Key Manager API v1) so listeners can name certificates: secrets (PEM payloads), each
 * owned by the project that stored it. Payloads are sealed in the SecretStore (JetStream KV, AES-256-GCM); the event
 * stream only ever sees the references this API hands out.
 */
@Controller('v1/secrets')
export class SecretsController {
  constructor(
    private readonly lookup: Lookup,
    @Inject(SECRET_WRITES) private readonly store: SecretWrites,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @Policy('secrets:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = SECRET.parseCreateAttributes(body);
    let payload = b.payload ?? null;
    if (payload !== null && b.payload_content_encoding === 'base64') payload = Buffer.from(payload, 'base64').toString('utf8');
    const rec: SecretRecord = {
      kind: 'secret', id: randomUUID(), projectId: projectFor({}, this.config.defaultProjectId), ...SECRET.settings(b),
      payloadContentType: b.payload_content_type ?? (payload ? 'text/plain' : null), payload, createdAt: new Date().toISOString(),
    };
    await this.store.put(rec);
    return { secret_ref: barbicanRef(req, 'secrets', rec.id) };
  }

  @Get(':id')
  @Policy('secret:get')
  async show(@Req() req: FastifyRequest, @Param('id') id: string) {
    const record = await this.lookup.secret(id);
    return SECRET.render({ record, ref: barbicanRef(req, 'secrets', record.id) });
  }

  @Get(':id/payload')
  @Policy('secret:decrypt')
  @Header('content-type', 'text/plain')
  async payload(@Param('id') id: string) {
    const s = await this.lookup.secret(id, 'Secret payload');
    if (s.payload === null) throw notFound('Secret payload', id);
    return s.payload;
  }

  @Delete(':id')
  @Policy('secret:delete')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const s = await this.lookup.secret(id);
    await this.store.delete('secret', s.id);
  }
}
