import type { Decider, LoadBalancerCommand, LoadBalancerEvent } from '@lbaas/events';
import { assertNever } from '../domain-error';
import { batchUpdateMembers, createGraph } from './batch';
import { createHealthMonitor, deleteHealthMonitor, updateHealthMonitor } from './health-monitor';
import {
  failPlacement, placeLoadBalancer, reportApplied, reportHandoverDrained, reportHandoverPrepared, reportHandoverReleased, reportRejected,
} from './hosting';
import { decideL7 } from './l7';
import { createLoadBalancer, deleteLoadBalancer, updateLoadBalancer } from './lifecycle';
import { createListener, deleteListener, updateListener } from './listener';
import { createMember, deleteMember, updateMember } from './member';
import { createPool, deletePool, updatePool } from './pool';
import { evolve, evolveAll, initialState, type LoadBalancer } from './state';

/** Decides one command of the load-balancer tree, single-object or batch, against its folded state. */
export const decide = (c: LoadBalancerCommand, s: LoadBalancer): LoadBalancerEvent[] => {
  switch (c.type) {
    case 'CreateLoadBalancer': return createLoadBalancer(c, s);
    case 'UpdateLoadBalancer': return updateLoadBalancer(c, s);
    case 'DeleteLoadBalancer': return deleteLoadBalancer(c, s);
    case 'PlaceLoadBalancer': return placeLoadBalancer(c, s);
    case 'FailPlacement': return failPlacement(c, s);
    case 'CreateListener': return createListener(c, s);
    case 'UpdateListener': return updateListener(c, s);
    case 'DeleteListener': return deleteListener(c, s);
    case 'CreatePool': return createPool(c, s);
    case 'UpdatePool': return updatePool(c, s);
    case 'DeletePool': return deletePool(c, s);
    case 'CreateMember': return createMember(c, s);
    case 'UpdateMember': return updateMember(c, s);
    case 'DeleteMember': return deleteMember(c, s);
    case 'CreateHealthMonitor': return createHealthMonitor(c, s);
    case 'UpdateHealthMonitor': return updateHealthMonitor(c, s);
    case 'DeleteHealthMonitor': return deleteHealthMonitor(c, s);
    case 'ReportApplied': return reportApplied(c, s);
    case 'ReportRejected': return reportRejected(c, s);
    case 'ReportHandoverPrepared': return reportHandoverPrepared(c, s);
    case 'ReportHandoverReleased': return reportHandoverReleased(c, s);
    case 'ReportHandoverDrained': return reportHandoverDrained(c, s);
    case 'CreateL7Policy': case 'UpdateL7Policy': case 'DeleteL7Policy':
    case 'CreateL7Rule': case 'UpdateL7Rule': case 'DeleteL7Rule':
      return decideL7(c, s);
    case 'CreateLoadBalancerGraph': return createGraph(c, s, decide);
    case 'BatchUpdateMembers': return batchUpdateMembers(c, s, decide);
    default: return assertNever(c);
  }
};

/** The load-balancer tree (`lbaas.evt.lb.<lbId>`) as a decider: every command of the tree, one state, one event type. */
export const loadBalancer = { decide, evolve, evolveAll, initialState } satisfies Decider<LoadBalancer, LoadBalancerCommand, LoadBalancerEvent>;

export { isPending } from './guards';
export { INSERT_HEADERS } from './listener';
export { checkMemberSubnet, MEMBER_DEFAULTS, RESERVED_IPS } from './member';
export { isRedirectUrl, l7ValueProblem, L7_KEY } from './l7';
export { memberKey } from './state';
export type {
  Handover, L7PolicyState, ListenerState, LoadBalancer, MemberState, MonitorState, Placement, PoolState, Report, Versions,
} from './state';
