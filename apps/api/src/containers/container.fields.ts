import type { ContainerRecord } from '@lbaas/secret-store';
import { attributes } from '../http/attributes';
import { oneOf, pattern, text, type Rule } from '../http/rules';
import { barbicanTime } from '../secrets/secret.fields';

const secretRef = pattern(/^https?:\/\/\S+\/v1\/secrets\/[0-9a-fA-F-]{36}$/, 1024);
const secretRefs: Rule<{ name: string; secretRef: string }[]> = (v) => {
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

/** A container as shown: its record and its reference. */
export type ContainerShown = Readonly<{ record: ContainerRecord; ref: string }>;

/** A certificate (or generic) container of the Barbican subset: named references to secrets of its own project. */
export const CONTAINER = attributes<ContainerShown>()('container', 'container', (x) => x.record, [
  { name: 'container_ref', show: (x) => x.ref },
  { name: 'name', rule: text(255), create: true, field: 'name', default: '' },
  { name: 'type', rule: oneOf(['certificate', 'generic'] as const), create: 'required', field: 'type' },
  { name: 'status', show: () => 'ACTIVE' },
  {
    name: 'secret_refs', rule: secretRefs, create: true, field: 'secretRefs', default: [],
    show: ({ record }) => record.secretRefs.map((r) => ({ name: r.name, secret_ref: r.secretRef })),
  },
  { name: 'created', show: ({ record }) => barbicanTime(record.createdAt) },
  { name: 'updated', show: ({ record }) => barbicanTime(record.createdAt) },
  { name: 'creator_id', show: ({ record }) => record.projectId },
  { name: 'consumers', show: () => [] },
]);
