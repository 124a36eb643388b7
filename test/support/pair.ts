import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, type ApiClient } from './stack';
import { sampleVipHolders, servedLoadBalancer, startHostsLab, type Host, type HostsLab } from './hosts';

/** An amphora as `GET /v2/octavia/amphorae` renders it (the fields the ACTIVE_STANDBY specs read). */
export type Amphora = {
  id: string; role: string; status: string; compute_id: string; vrrp_ip: string | null; ha_ip: string; vrrp_priority: number | null;
  vrrp_port_id: string | null;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it gives a value; throws naming `what` after `ms`. */
export async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | null | undefined> | T | null | undefined): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

/**
 * What the ACTIVE_STANDBY specs read of one pair (issue 14) on a hosts lab: its amphorae by role (the control plane's),
 * each host's keepalived role and transitions (its notify script writes them in the LB's run dir), and which hosts
 * hold the VIP over time. `lb()` and `vip()` give the ids once the spec has created the load balancer.
 */
export function pairProbes(lab: () => HostsLab, api: () => ApiClient, lb: () => string, vip: () => string) {
  const hostOf = (agentId: string): Host => lab().hosts.find((h) => h.agentId === agentId) as Host;
  /** `openstack loadbalancer amphora list --loadbalancer <lb>`: GET /v2/octavia/amphorae?loadbalancer_id=<lb>. */
  const amphorae = async (): Promise<Amphora[]> => (await api().get(`/v2/octavia/amphorae?loadbalancer_id=${lb()}`)).body.amphorae;
  const agentOf = (a: Amphora | undefined) => a?.compute_id.replace(/^host-/, '');
  const byRole = async () => {
    const list = await amphorae();
    const m = list.find((a) => a.role === 'MASTER');
    const b = list.find((a) => a.role === 'BACKUP');
    return { list, master: agentOf(m), backup: agentOf(b), masterId: m?.id, backupId: b?.id };
  };
  /** The role this host's keepalived of the LB last notified. */
  const vrrpRole = (agentId: string): string | null => {
    try { return readFileSync(join(hostOf(agentId).runDir, lb(), 'vrrp.role'), 'utf8').trim(); } catch { return null; }
  };
  /** Every VRRP transition this host's keepalived of the LB notified: [epoch ms, role]. */
  const transitions = (agentId: string): { at: number; role: string }[] => {
    try {
      return readFileSync(join(hostOf(agentId).runDir, lb(), 'vrrp.log'), 'utf8').split('\n').filter(Boolean)
        .map((l) => ({ at: Number(l.split(' ')[0]), role: l.split(' ')[1] }));
    } catch { return []; }
  };
  /** Samples which hosts hold the VIP until stopped (hosts.ts). */
  const sampleHolders = () => sampleVipHolders(lab(), lb(), vip());
  return { hostOf, amphorae, agentOf, byRole, vrrpRole, transitions, sampleHolders };
}

/**
 * Three simulated hosts with the whole stack, an ACTIVE_STANDBY flavor and a load balancer of it serving through its
 * VIP (hosts.ts servedLoadBalancer): the lab, the API client and the ids (`flavor`, `lb`, `vip`, ...).
 */
export async function startPairLab(id: string, name: string): Promise<{ lab: HostsLab; api: ApiClient; ids: Record<string, string> }> {
  const lab = await startHostsLab({ id, hosts: 3, env: { PLACEMENT_TIMEOUT_MS: '4000' } });
  const api = apiClient(lab.apiUrl, { 'x-project-id': 'e2e-project' });
  const profile = (await api.post('/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: 'pair', provider_name: 'lbaas', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' },
  })).body.flavorprofile;
  const flavor = (await api.post('/v2/lbaas/flavors', { flavor: { name: 'pair', flavor_profile_id: profile.id } })).body.flavor;
  const served = await servedLoadBalancer(api, lab, name, (lbId) =>
    api.waitFor<any>(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000), { flavor_id: flavor.id });
  return { lab, api, ids: { flavor: flavor.id, ...served } };
}
