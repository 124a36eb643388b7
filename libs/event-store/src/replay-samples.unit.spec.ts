import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evolveCatalog, initialCatalog } from '@lbaas/projections';
import { decodeCommit, encodeCommit } from './commit-codec';

/** Old versions replay forever: every stored sample, as stored, goes through the read path (upcast) into the views. */
const dir = join(__dirname, '../../events/src/__samples__');
const samples = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
const subjectOf = (e: { type: string; data: Record<string, string> }) =>
  e.data.lbId && !e.type.startsWith('Vip') ? `lbaas.evt.lb.${e.data.lbId}`
    : e.type.startsWith('Agent') ? `lbaas.evt.agent.${e.data.agentId}`
      : e.type.startsWith('Network') ? `lbaas.evt.network.${e.data.networkId}`
        : e.type.startsWith('Project') ? `lbaas.evt.project.${e.data.projectId}`
          : e.type.startsWith('Flavor') ? `lbaas.evt.flavor.${e.data.provider}`
            : e.type.startsWith('AvailabilityZone') ? `lbaas.evt.az.${e.data.provider}` : `lbaas.evt.subnet.${e.data.subnetId}`;
const ORDER = ['NetworkCreated', 'SubnetCreated', 'VipAllocated', 'AgentRegistered', 'LoadBalancerCreated', 'LoadBalancerPlaced', 'ListenerCreated', 'PoolCreated', 'MemberCreated', 'HealthMonitorCreated'];

describe('replaying the stored samples', () => {
  it('decodes (upcasts) every sample and folds it into the Catalog without a skip', () => {
    const sorted = [...samples].sort((a, b) => (ORDER.indexOf(a.type) + 1 || 99) - (ORDER.indexOf(b.type) + 1 || 99));
    const catalog = initialCatalog();
    sorted.forEach((e, i) => {
      const bytes = encodeCommit({ commitId: `c${i}`, at: e.data.at ?? 't', actor: { kind: 'service', service: 'test' }, events: [e] });
      evolveCatalog(catalog, decodeCommit(bytes, subjectOf(e), i + 1) as Parameters<typeof evolveCatalog>[1]);
    });
    expect(catalog.seq).toBe(samples.length);
    expect(catalog.agents.agents.size).toBe(1);
    expect(catalog.networks.subnets.size).toBeLessThanOrEqual(1);
  });
});
