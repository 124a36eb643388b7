import {
  QUOTA_RESOURCES, type Decider, type ProjectCommand, type ProjectEvent, type QuotaLimits, type QuotaResource,
} from '@lbaas/events';
import { assertNever, DomainError } from './domain-error';

/** The project aggregate's state (`lbaas.evt.project.<projectId>`): the limits set explicitly (absent = default). */
export type Project = Readonly<{ limits: QuotaLimits }>;

export const initialState = (): Project => ({ limits: {} });

const without = (limits: QuotaLimits, keys: readonly string[]): QuotaLimits =>
  Object.fromEntries(Object.entries(limits).filter(([k]) => !keys.includes(k)));

export const evolve = (s: Project, e: ProjectEvent): Project => {
  switch (e.type) {
    case 'ProjectQuotaSet': {
      const cleared = Object.entries(e.data.limits).filter(([, v]) => v === null).map(([k]) => k);
      const set = Object.fromEntries(Object.entries(e.data.limits).filter(([, v]) => v !== null));
      return { limits: { ...without(s.limits, cleared), ...set } };
    }
    case 'ProjectQuotaReset': return { limits: {} };
    default: return assertNever(e);
  }
};

/** Octavia's range for a quota: -1 (unlimited) up to 2,000,000,000. */
const checkLimit = (resource: string, v: number | null | undefined): void => {
  if (v === null || v === undefined) return;
  if (!Number.isInteger(v) || v < -1 || v > 2_000_000_000) {
    throw new DomainError('Invalid', `Invalid input for field/attribute ${resource}. Value: '${v}'. Value should be between -1 and 2000000000`);
  }
};

export const decide = (c: ProjectCommand, s: Project): ProjectEvent[] => {
  switch (c.type) {
    case 'SetProjectQuota': {
      const unknown = Object.keys(c.data.limits).filter((k) => !(QUOTA_RESOURCES as readonly string[]).includes(k));
      if (unknown.length) throw new DomainError('Invalid', `Unknown attribute for argument quota: ${unknown.sort().join(', ')}`);
      for (const [k, v] of Object.entries(c.data.limits)) checkLimit(k, v);
      const changed = Object.entries(c.data.limits).filter(([k, v]) => (s.limits[k as QuotaResource] ?? null) !== v);
      if (changed.length === 0) return [];
      return [{ type: 'ProjectQuotaSet', v: 1, data: { projectId: c.data.projectId, limits: Object.fromEntries(changed), at: c.metadata.now } }];
    }
    case 'ResetProjectQuota':
      if (Object.keys(s.limits).length === 0) return [];
      return [{ type: 'ProjectQuotaReset', v: 1, data: { projectId: c.data.projectId, at: c.metadata.now } }];
    default: return assertNever(c);
  }
};

/** The project aggregate (quota limits) as a decider. */
export const project = { decide, evolve, initialState } satisfies Decider<Project, ProjectCommand, ProjectEvent>;
