import { subjects } from '@lbaas/contracts';
import type { StoredCommit } from '@lbaas/event-store';
import { LbProjects, UNKNOWN_PROJECT } from './lb-projects';

const commit = (aggregate: 'lb' | 'subnet', id: string, type: string, data: Record<string, unknown>, seq = 1): StoredCommit => ({
  commitId: `c-${seq}`, at: new Date(0).toISOString(), actor: { kind: 'service', service: 'test' }, seq,
  subject: subjects.stream(aggregate, id), events: [{ type, v: 1, data }],
} as unknown as StoredCommit);

describe('LbProjects', () => {
  it("learns an LB's project from its creation, and nothing from other commits", () => {
    const p = new LbProjects();
    p.learn(commit('lb', 'lb-1', 'LoadBalancerCreated', { lbId: 'lb-1', projectId: 'tenant-a' }));
    p.learn(commit('lb', 'lb-2', 'LoadBalancerSettingsChanged', { lbId: 'lb-2', projectId: 'tenant-b' }));
    p.learn(commit('subnet', 'lb-3', 'LoadBalancerCreated', { projectId: 'tenant-c' })); // not an LB's subject
    p.learn(commit('lb', 'lb-4', 'LoadBalancerCreated', { lbId: 'lb-4', projectId: 42 })); // not a project id
    expect(p.projectOf('lb-1')).toBe('tenant-a');
    for (const id of ['lb-2', 'lb-3', 'lb-4', 'lb-5']) expect(p.projectOf(id)).toBe(UNKNOWN_PROJECT);
  });

  it('is bounded: beyond 200,000 LBs the oldest are forgotten first (their commands share the unknown flow)', () => {
    const p = new LbProjects();
    for (let i = 0; i <= 200_000; i++) p.learn(commit('lb', `lb-${i}`, 'LoadBalancerCreated', { lbId: `lb-${i}`, projectId: `p${i % 7}` }, i + 1));
    expect(p.projectOf('lb-0')).toBe(UNKNOWN_PROJECT);
    expect(p.projectOf('lb-1')).toBe('p1');
    expect(p.projectOf('lb-200000')).toBe(`p${200_000 % 7}`);
  });
});
