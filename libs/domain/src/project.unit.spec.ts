import { deciderSpec } from '@lbaas/testing';
import { project } from './project';

const given = deciderSpec(project);
const metadata = { commandId: 'c', now: '2026-03-01T12:00:00.000Z' };
const set = (limits: Record<string, number | null>) => ({ type: 'SetProjectQuota' as const, data: { projectId: 'p', limits }, metadata });
const wasSet = (limits: Record<string, number | null>) => ({ type: 'ProjectQuotaSet' as const, v: 1 as const, data: { projectId: 'p', limits, at: metadata.now } });

describe('project quotas', () => {
  it('sets limits', () => given([]).when(set({ loadbalancer: 5 })).then([wasSet({ loadbalancer: 5 })]));
  it('records only what changes', () => given([wasSet({ loadbalancer: 5 })]).when(set({ loadbalancer: 5, pool: 2 })).then([wasSet({ pool: 2 })]));
  it('treats null as back to the default, and a repeat as done', () => {
    given([wasSet({ loadbalancer: 5 })]).when(set({ loadbalancer: null })).then([wasSet({ loadbalancer: null })]);
    given([wasSet({ loadbalancer: 5 }), wasSet({ loadbalancer: null })]).when(set({ loadbalancer: null })).then([]);
  });
  it('refuses values out of range and unknown resources', () => {
    given([]).when(set({ loadbalancer: -2 })).thenThrows('Invalid');
    given([]).when(set({ bogus: 1 })).thenThrows('Invalid');
  });
  it('resets', () => given([wasSet({ pool: 1 })]).when({ type: 'ResetProjectQuota', data: { projectId: 'p' }, metadata })
    .then([{ type: 'ProjectQuotaReset', v: 1, data: { projectId: 'p', at: metadata.now } }]));
});
