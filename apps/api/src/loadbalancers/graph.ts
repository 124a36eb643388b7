import { newId } from '@lbaas/app-shell';
import type { GraphStep } from '@lbaas/events';
import { validationFailure } from '../http/errors';
import { HEALTH_MONITOR } from '../healthmonitors/health-monitor.fields';
import { LISTENER } from '../listeners/listener.fields';
import { checkNewMember, MEMBER } from '../members/member.fields';
import { POOL } from '../pools/pool.fields';
import { objectList } from './load-balancer.fields';

/**
 * Octavia's single-call create, pure apart from new ids: `listeners[]` (each with an optional `default_pool`, a full pool
 * or `{name}` of a pool in `pools[]`) and `pools[]` (each with `members[]` and an optional `healthmonitor`), checked by
 * the same attribute tables as the single-object calls (the parent ids come from the nesting), flattened into the
 * steps of one CreateLoadBalancerGraph command.
 */
export function graphSteps(
  lbId: string, listeners: readonly Record<string, unknown>[], pools: readonly Record<string, unknown>[], subnetExists: (id: string) => boolean,
): GraphStep[] {
  const listenerSteps: GraphStep[] = [];
  const poolSteps: GraphStep[] = [];
  const named = new Map<string, { raw: Record<string, unknown>; poolId: string; listenerId: string | null }>();
  for (const raw of pools) {
    if (typeof raw.name !== 'string' || raw.name === '') throw validationFailure('Pools in a graph create must have a name.');
    if (named.has(raw.name)) throw validationFailure(`Pool name ${raw.name} is used more than once.`);
    named.set(raw.name, { raw, poolId: newId(), listenerId: null });
  }
  const pool = (raw: Record<string, unknown>, poolId: string, listenerId: string | null): void => {
    const b = POOL.parseCreateAttributes(raw, ['members', 'healthmonitor', 'loadbalancer_id']);
    poolSteps.push({ type: 'CreatePool', data: { lbId, poolId, ...POOL.settings(b), listenerId } });
    const members = raw.members ?? [];
    if (!objectList(members).ok) throw validationFailure('members must be a list of objects.');
    for (const m of members as Record<string, unknown>[]) {
      const mb = MEMBER.parseCreateAttributes(m);
      checkNewMember(mb, subnetExists);
      poolSteps.push({ type: 'CreateMember', data: { lbId, poolId, memberId: newId(), ...MEMBER.settings(mb) } });
    }
    if (raw.healthmonitor !== undefined && raw.healthmonitor !== null) {
      const hb = HEALTH_MONITOR.parseCreateAttributes(raw.healthmonitor, ['pool_id']);
      poolSteps.push({ type: 'CreateHealthMonitor', data: { lbId, poolId, healthMonitorId: newId(), ...HEALTH_MONITOR.settings(hb, { type: hb.type }) } });
    }
  };
  for (const raw of listeners) {
    const b = LISTENER.parseCreateAttributes(raw, ['default_pool', 'l7policies', 'loadbalancer_id']);
    if (Array.isArray(raw.l7policies) && raw.l7policies.length > 0) throw validationFailure('L7 policies cannot be created in a graph create yet.');
    const listenerId = newId();
    listenerSteps.push({ type: 'CreateListener', data: { lbId, listenerId, ...LISTENER.settings(b), defaultPoolId: null } });
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
