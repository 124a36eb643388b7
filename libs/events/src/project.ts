import type { Command, Event } from './event';

/** The resources a project quota limits (Octavia's quota fields). */
export const QUOTA_RESOURCES = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule'] as const;
/** One quota resource. */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
/** Limits by resource: a count, -1 for unlimited, null for "the configured default". */
export type QuotaLimits = Readonly<Partial<Record<QuotaResource, number | null>>>;

/** An admin set some of a project's quota limits (null: back to the default). Written by the api. */
export type ProjectQuotaSet = Event<'ProjectQuotaSet', 1, { projectId: string; limits: QuotaLimits; at: string }>;
/** An admin reset every quota limit of a project to the defaults. Written by the api. */
export type ProjectQuotaReset = Event<'ProjectQuotaReset', 1, { projectId: string; at: string }>;
/** Every event of the project aggregate (`lbaas.evt.project.<projectId>`). */
export type ProjectEvent = ProjectQuotaSet | ProjectQuotaReset;

/** Set some quota limits of a project. */
export type SetProjectQuota = Command<'SetProjectQuota', { projectId: string; limits: QuotaLimits }>;
/** Reset every quota limit of a project to the defaults. */
export type ResetProjectQuota = Command<'ResetProjectQuota', { projectId: string }>;
/** Every command the project decider takes. */
export type ProjectCommand = SetProjectQuota | ResetProjectQuota;
