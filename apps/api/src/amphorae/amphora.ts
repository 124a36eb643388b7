import { createHash } from 'node:crypto';
import type { AgentView, LoadBalancerView } from '@lbaas/projections';

/**
 * Octavia's amphora, here: one running instance of a load balancer, its haproxy in a namespace on the hosting agent's
 * host. The records are derived from the placement (nothing is stored for them): a SINGLE placement names one agent,
 * one STANDALONE instance, and a placement with a new epoch is a new instance (a failover rebuilds it elsewhere), so it
 * gets a new id. An ACTIVE_STANDBY placement names two sides (issue 14), MASTER and BACKUP, each with its VRRP address;
 * a side keeps its id (from its ordinal) across placements: a promoted standby is the same amphora, now MASTER.
 */
export type AmphoraRole = 'STANDALONE' | 'MASTER' | 'BACKUP';

/**
 * Octavia's meanings: BOOTING while the host builds it (the agent has not applied the placement's version yet),
 * ALLOCATED once it serves its load balancer, ERROR when its agent is down or refused its configuration, PENDING_DELETE
 * while the load balancer is torn down. READY (a spare) and DELETED never show: there are no spares, and a replaced or
 * deleted instance is gone from the list (Octavia hides DELETED amphorae too).
 */
export type AmphoraStatus = 'BOOTING' | 'ALLOCATED' | 'ERROR' | 'PENDING_DELETE';

/** A pair side's VRRP facts (null for STANDALONE): its address and port, and keepalived's priority for its role. */
export type AmphoraVrrp = Readonly<{ ip: string; portId: string; priority: number }>;

export type AmphoraView = Readonly<{
  amphoraId: string; lb: LoadBalancerView; agentId: string; agent: AgentView | undefined; epoch: number; role: AmphoraRole;
  status: AmphoraStatus; createdAt: string; updatedAt: string | null; vrrp: AmphoraVrrp | null;
}>;

/** keepalived's priorities of the two roles (Octavia's; apps/agent keepalived-config.ts VRRP_PRIORITY renders them). */
const VRRP_PRIORITY = { MASTER: 100, BACKUP: 90 } as const;

// RFC 4122 name-based (SHA-1, version 5) ids in a namespace of this provider: every api replica derives the same id.
const NAMESPACE = Buffer.from('6c6261617300416d70686f7261000001', 'hex');
const ids = new Map<string, string>();
const MAX_IDS = 50_000;

/** The id of the instance `role` of placement `epoch` of load balancer `lbId` (a pair side: `side` its ordinal). */
export function amphoraId(lbId: string, epoch: number, role: AmphoraRole, side?: number): string {
  const name = side === undefined ? `${lbId}/${epoch}/${role}` : `${lbId}/side/${side}`;
  let id = ids.get(name);
  if (!id) {
    const h = createHash('sha1').update(NAMESPACE).update(name).digest();
    h[6] = (h[6] & 0x0f) | 0x50;
    h[8] = (h[8] & 0x3f) | 0x80;
    const x = h.subarray(0, 16).toString('hex');
    id = `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
    if (ids.size >= MAX_IDS) ids.delete(ids.keys().next().value as string);
    ids.set(name, id);
  }
  return id;
}

type Instance = { agentId: string; role: AmphoraRole; side?: number; vrrp: AmphoraVrrp | null };

/** The instances a placement runs: one STANDALONE, or the pair's MASTER and (while it has one) BACKUP. */
function instancesOf(lb: LoadBalancerView): Instance[] {
  const p = lb.placement;
  if (!p) return [];
  if (!p.pair) return [{ agentId: p.agentId, role: 'STANDALONE', vrrp: null }];
  const sides = [[p.pair.master, 'MASTER'], [p.pair.standby, 'BACKUP']] as const;
  return sides.flatMap(([x, role]) => (x ? [{
    agentId: x.agentId, role, side: x.amphora, vrrp: { ip: x.vrrpAddress, portId: x.vrrpPortId, priority: VRRP_PRIORITY[role] },
  }] : []));
}

/** The running instances of `lb` (none while it is not placed). */
export function amphoraeOf(lb: LoadBalancerView, agent: (id: string) => AgentView | undefined): AmphoraView[] {
  const p = lb.placement;
  if (!p) return [];
  return instancesOf(lb).map(({ agentId, role, side, vrrp }) => {
    const a = agent(agentId);
    const status: AmphoraStatus = lb.deleted ? 'PENDING_DELETE'
      : (a && !a.alive) || (p.appliedAt === null && lb.rejected !== null) ? 'ERROR'
        : p.appliedAt === null ? 'BOOTING' : 'ALLOCATED';
    return {
      amphoraId: amphoraId(lb.lbId, p.epoch, role, side), lb, agentId, agent: a, epoch: p.epoch, role, status, createdAt: p.at,
      updatedAt: p.appliedAt, vrrp,
    };
  });
}
