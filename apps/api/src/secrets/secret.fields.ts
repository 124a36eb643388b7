import type { SecretRecord } from '@lbaas/secret-store';
import type { FastifyRequest } from 'fastify';
import { attributes } from '../http/attributes';
import { baseUrl } from '../http/request-context';
import { oneOf, text, type Rule } from '../http/rules';

const SECRET_TYPES = ['certificate', 'private', 'opaque', 'passphrase', 'symmetric', 'public'] as const;
const pem: Rule<string> = (v) =>
  typeof v === 'string' && v.length > 0 && v.length <= 65536 ? { ok: true, value: v } : { ok: false, reason: 'Value should be a string of at most 65536 characters' };
/** Barbican attributes this subset takes and ignores. */
const ignored: Rule<null> = () => ({ ok: true, value: null });

/** The reference (URL) this API hands out for a secret or a container. */
export const barbicanRef = (req: FastifyRequest, kind: 'secrets' | 'containers', id: string): string => `${baseUrl(req)}/v1/${kind}/${id}`;

/** Barbican's timestamps: naive, without fractions. */
export const barbicanTime = (iso: string): string => iso.replace(/\.\d+Z$/, '');

/** A secret as shown: its record and its reference (a URL of this API). */
export type SecretShown = Readonly<{ record: SecretRecord; ref: string }>;

/** A secret of the Barbican-compatible subset (Key Manager API v1; flat bodies, no root key), in Barbican's order. */
export const SECRET = attributes<SecretShown>()('secret', 'secret', (x) => x.record, [
  { name: 'secret_ref', show: (x) => x.ref },
  { name: 'name', rule: text(255), create: true, field: 'name', default: '' },
  { name: 'status', show: () => 'ACTIVE' },
  { name: 'secret_type', rule: oneOf(SECRET_TYPES), create: true, field: 'secretType', default: 'opaque' },
  { name: 'content_types', show: ({ record }) => (record.payloadContentType ? { default: record.payloadContentType } : {}) },
  { name: 'created', show: ({ record }) => barbicanTime(record.createdAt) },
  { name: 'updated', show: ({ record }) => barbicanTime(record.createdAt) },
  { name: 'expiration', rule: ignored, create: true, show: () => null },
  { name: 'algorithm', rule: ignored, create: true, show: () => null },
  { name: 'bit_length', rule: ignored, create: true, show: () => null },
  { name: 'mode', rule: ignored, create: true, show: () => null },
  { name: 'creator_id', show: ({ record }) => record.projectId },
  { name: 'payload', rule: pem, create: true, hidden: true },
  { name: 'payload_content_type', rule: oneOf(['text/plain', 'application/octet-stream', 'application/pkcs8', 'application/x-pem-file'] as const), create: true, hidden: true },
  { name: 'payload_content_encoding', rule: oneOf(['base64'] as const), create: true, hidden: true },
]);
