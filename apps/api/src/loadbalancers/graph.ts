import { newId } from '@lbaas/app-shell';
import { checkMemberSubnet, MEMBER_DEFAULTS } from '@lbaas/domain';
import type { GraphStep } from '@lbaas/events';
import { HealthMonitorCreateBody } from '../healthmonitors/health-monitor.dto';
import { healthMonitorSettings } from '../healthmonitors/health-monitor.wire';
import { ListenerCreateBody } from '../listeners/listener.dto';
import { listenerSettings } from '../listeners/listener.wire';
import { MemberCreateBody } from '../members/member.dto';
import { checkNotReserved } from '../members/member.wire';
import { PoolCreateBody } from '../pools/pool.dto';
import { validationFailure } from '../shell/errors';
import type { Rule } from '../shell/rules';
import { parseAttributes } from '../shell/validation';

/** A list of JSON objects (the nested `listeners` and `pools` of a graph create); each is checked later by its own DTO. */
export const objectList: Rule<Record<string, unknown>[]> = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))
    ? { ok: true, value: v as Record<string, unknown>[] }
    : { ok: false, reason: 'Value should be a list of objects' };

/** Any id a nested object must carry to pass its DTO; replaced by the real parent id below. */
const PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

const without = (o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/**
 * Octavia's single-call create, pure apart from new ids: `listeners[]` (each with an optional `default_pool`, a full pool
 * or `{name}` of a pool in `pools[]`) and `pools[]` (each with `members[]` and an optional `healthmonitor`), checked by
 * the same DTOs as the single-object calls, flattened into the steps of one CreateLoadBalancerGraph command.
 */
export function graphSteps(lbId: string, listeners: readonly Record<string, unknown>[], pools: readonly Record<string, unknown>[], subnetIds: ReadonlySet<string>): GraphStep[] {
  const listenerSteps: GraphStep[] = [];
  const poolSteps: GraphStep[] = [];
  const named = new Map<string, { raw: Record<string, unknown>; poolId: string; listenerId: string | null }>();
  for (const raw of pools) {
    if (typeof raw.name !== 'string' || raw.name === '') throw validationFailure('Pools in a graph create must have a name.');
    if (named.has(raw.name)) throw validationFailure(`Pool name ${raw.name} is used more than once.`);
    named.set(raw.name, { raw, poolId: newId(), listenerId: null });
  }
  const pool = (raw: Record<string, unknown>, poolId: string, listenerId: string | null): void => {
    const b = parseAttributes(PoolCreateBody, { ...without(raw, 'members', 'healthmonitor'), loadbalancer_id: PLACEHOLDER }, 'pool_', 'pool');
    poolSteps.push({
      type: 'CreatePool',
      data: {
        lbId, poolId, listenerId, protocol: b.protocol, name: b.name ?? '', description: b.description ?? '', adminStateUp: b.admin_state_up ?? true,
        lbAlgorithm: b.lb_algorithm, sessionPersistence: b.session_persistence ?? null, tags: b.tags ?? [],
      },
    });
    const members = raw.members ?? [];
    if (!objectList(members).ok) throw validationFailure('members must be a list of objects.');
    for (const m of members as Record<string, unknown>[]) {
      const mb = parseAttributes(MemberCreateBody, m, 'member_', 'member');
      checkNotReserved(mb.address, 'member address');
      checkNotReserved(mb.monitor_address, 'monitor address');
      checkMemberSubnet(mb.subnet_id, (id) => subnetIds.has(id));
      poolSteps.push({
        type: 'CreateMember',
        data: {
          lbId, poolId, memberId: newId(), address: mb.address, protocolPort: mb.protocol_port, subnetId: mb.subnet_id ?? null,
          name: mb.name ?? '', adminStateUp: mb.admin_state_up ?? true, weight: mb.weight ?? MEMBER_DEFAULTS.weight, backup: mb.backup ?? false,
          monitorAddress: mb.monitor_address ?? null, monitorPort: mb.monitor_port ?? null, tags: mb.tags ?? [],
        },
      });
    }
    if (raw.healthmonitor !== undefined && raw.healthmonitor !== null) {
      const hb = parseAttributes(HealthMonitorCreateBody, { ...(raw.healthmonitor as object), pool_id: PLACEHOLDER }, 'health_monitor_', 'healthmonitor');
      poolSteps.push({ type: 'CreateHealthMonitor', data: { lbId, poolId, healthMonitorId: newId(), type: hb.type, ...healthMonitorSettings(hb) } });
    }
  };
  for (const raw of listeners) {
    const b = parseAttributes(ListenerCreateBody, { ...without(raw, 'default_pool', 'l7policies'), loadbalancer_id: PLACEHOLDER }, 'listener_', 'listener');
    if (Array.isArray(raw.l7policies) && raw.l7policies.length > 0) throw validationFailure('L7 policies cannot be created in a graph create yet.');
    const listenerId = newId();
    listenerSteps.push({ type: 'CreateListener', data: { lbId, listenerId, protocol: b.protocol, protocolPort: b.protocol_port, ...listenerSettings(b), defaultPoolId: null } });
    const dp = raw.default_pool as Record<string, unknown> | null | undefined;
    if (dp === undefined || dp === null) continue;
    if (typeof dp !== 'object' || Array.isArray(dp)) throw validationFailure('default_pool must be an object.');
    if (typeof dp.name !== 'string' || dp.name === '') throw validationFailure('default_pool in a graph create must have a name.');
    const ref = named.get(dp.name);
    if (ref) {
      if (Object.keys(dp).some((k) => k !== 'name')) throw validationFailure(`Pool ${dp.name} is defined in pools; refer to it by name only.`);
      if (ref.listenerId) throw validationFailure(`Pool ${dp.name} is the default pool of more than one listener.`);
      ref.listenerId = listenerId;
    } else {
      named.set(dp.name, { raw: dp, poolId: newId(), listenerId });
    }
  }
  for (const { raw, poolId, listenerId } of named.values()) pool(raw, poolId, listenerId);
  return [...listenerSteps, ...poolSteps];
}
