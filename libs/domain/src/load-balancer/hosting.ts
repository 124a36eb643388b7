import type {
  FailPlacement, LoadBalancerEvent, PlacedPair, PlaceLoadBalancer, ReportApplied, ReportHandoverDrained, ReportHandoverPrepared, ReportHandoverReleased,
  ReportRejected,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import { live, notFound } from './guards';
import { tornDown, type Deleted, type Live, type LoadBalancer, type Report } from './state';

/**
 * Where the tree runs and what its agent says about it: placement (fenced by epoch), placement failure, the hosting
 * agent's reports (applied, rejected; the agent writes them on its own report subject and the scheduler relays them
 * here), accepted only from the agent and epoch placed last (an ACTIVE_STANDBY standby's are taken and dropped: only the
 * master's status counts), and the steps of a planned move's hand-over (the new
 * agent prepared, the old agent released the VIP, and for a pair the old master drained). Member statuses never come here (agent-reports.ts).
 */

// ---- placement

/** The LB exists for placement: live, or deleted with a teardown some agent still has to apply. */
const placeable = (s: LoadBalancer, lbId: string): Live | Deleted => {
  if (s.status === 'live') return s;
  if (s.status === 'deleted' && !tornDown(s)) return s;
  throw notFound('Load Balancer', lbId);
};

export const placeLoadBalancer = ({ data, metadata }: PlaceLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = placeable(s, data.lbId);
  const { epoch, agentId } = lb.placement;
  if (data.expectedEpoch === epoch - 1 && data.agentId === agentId) return []; // this placement already happened
  if (data.expectedEpoch !== epoch) {
    throw new DomainError('Conflict', `Load Balancer ${data.lbId} is at placement epoch ${epoch}, not ${data.expectedEpoch}`);
  }
  const pair = data.pair ?? null;
  checkPair(lb, data.lbId, data.agentId, pair, data.reason);
  return [{
    type: 'LoadBalancerPlaced', v: 1,
    data: { lbId: data.lbId, agentId: data.agentId, epoch: epoch + 1, reason: data.reason, ...(pair ? { pair } : {}), at: metadata.now },
  }];
};

/**
 * An ACTIVE_STANDBY load balancer is placed as a pair, a SINGLE one never (issue 14): the master is the placement's
 * agent, the standby (if any) another agent on another host with another VRRP address, a `standby` placement keeps the
 * master, and an `operator` placement (the failover, make before break) keeps the master or promotes the standby. A deleted LB is placed only to be torn down, on one agent or two.
 */
const checkPair = (lb: Live | Deleted, lbId: string, agentId: string, pair: PlacedPair | null, reason: PlaceLoadBalancer['data']['reason']): void => {
  if (lb.status === 'deleted') return; // only its teardown is left: any agent may apply it
  if (lb.flavor?.topology !== 'ACTIVE_STANDBY') {
    if (pair !== null || reason === 'standby') throw new DomainError('Invalid', `Load Balancer ${lbId} is not ACTIVE_STANDBY: it is placed on one agent`);
    return;
  }
  if (pair === null) {
    throw new DomainError('Conflict', `Load Balancer ${lbId} is ACTIVE_STANDBY: its standby takes over by VRRP and the scheduler places a new one; a move of one side is not supported`);
  }
  if (pair.master.agentId !== agentId) throw new DomainError('Invalid', `the pair's master ${pair.master.agentId} is not the placement's agent ${agentId}`);
  const sb = pair.standby;
  if (sb && (sb.agentId === pair.master.agentId || sb.host === pair.master.host)) {
    throw new DomainError('Invalid', `the standby of load balancer ${lbId} must run on another host than its master (${pair.master.host})`);
  }
  if (sb && (sb.vrrpAddress === pair.master.vrrpAddress || sb.amphora === pair.master.amphora)) {
    throw new DomainError('Invalid', `the two sides of load balancer ${lbId} need their own amphora and VRRP address`);
  }
  if (reason === 'standby' && lb.placement.agentId !== agentId) {
    throw new DomainError('Invalid', `a standby placement of load balancer ${lbId} keeps its master ${lb.placement.agentId}`);
  }
  const current = lb.placement.pair;
  if (reason === 'operator' && current && agentId !== current.master.agentId && current.standby?.agentId !== agentId) {
    // make before break: the VIP moves to a side that is up and tracking, never to one still to be built
    throw new DomainError('Invalid', `an operator failover of load balancer ${lbId} promotes its standby ${current.standby?.agentId ?? '(none)'}, not agent ${agentId}`);
  }
};

export const failPlacement = ({ data, metadata }: FailPlacement, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.placement.agentId !== null) {
    throw new DomainError('IllegalState', `Load Balancer ${data.lbId} is already placed on agent ${lb.placement.agentId}`);
  }
  if (lb.placement.failedReason === data.reason) return [];
  return [{ type: 'LoadBalancerPlacementFailed', v: 1, data: { lbId: data.lbId, reason: data.reason, at: metadata.now } }];
};

// ---- agent reports

/** The standby of an ACTIVE_STANDBY pair at the current epoch: its reports are taken and dropped (the master's count). */
const isStandbyReport = (s: LoadBalancer, d: { agentId: string; epoch: number }): boolean =>
  s.status !== 'none' && s.placement.epoch === d.epoch && s.placement.pair?.standby?.agentId === d.agentId;

/** Fencing: only the agent named by the current placement, at that epoch, may report. */
const hostedBy = (s: LoadBalancer, d: { lbId: string; agentId: string; epoch: number }): Live | Deleted => {
  if (s.status === 'none') throw notFound('Load Balancer', d.lbId);
  if (s.placement.agentId !== d.agentId || s.placement.epoch !== d.epoch) {
    throw new DomainError('Forbidden', `agent ${d.agentId} does not host load balancer ${d.lbId} (epoch ${d.epoch})`);
  }
  return s;
};

const checkReportedVersion = (s: Live | Deleted, lbId: string, version: number): void => {
  if (!Number.isInteger(version) || version < 1 || version > s.versions.version) {
    throw new DomainError('Invalid', `version ${version} is not a desired version of load balancer ${lbId} (latest ${s.versions.version})`);
  }
};

/**
 * Reports are per (epoch, version): a report is news when it comes from a newer placement, names a newer version, or
 * turns the same version from applied to rejected or back (a copy that ran once and cannot be built any more after a
 * restart or on a new host is ERROR, and ACTIVE again once it is rebuilt). A repeat or an older version is nothing new.
 */
const isNews = (last: Report | null, d: Readonly<{ epoch: number; version: number }>, kind: Report['kind']): boolean =>
  last === null || last.epoch !== d.epoch || d.version > last.version || (d.version === last.version && last.kind !== kind);

export const reportApplied = ({ data, metadata }: ReportApplied, s: LoadBalancer): LoadBalancerEvent[] => {
  if (isStandbyReport(s, data)) return [];
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (!isNews(lb.versions.lastReport, data, 'applied')) return [];
  return [{ type: 'DesiredStateApplied', v: 1, data: { ...data, at: metadata.now } }];
};

export const reportRejected = ({ data, metadata }: ReportRejected, s: LoadBalancer): LoadBalancerEvent[] => {
  if (isStandbyReport(s, data)) return [];
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (!isNews(lb.versions.lastReport, data, 'rejected')) return [];
  return [{ type: 'DesiredStateRejected', v: 1, data: { ...data, at: metadata.now } }];
};

// ---- hand-over of a planned move

/** The new placement's agent (fenced as every report) built its copy with the VIP held back. Once per hand-over. */
export const reportHandoverPrepared = ({ data, metadata }: ReportHandoverPrepared, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  const h = lb.placement.handover;
  if (!h) throw new DomainError('IllegalState', `load balancer ${data.lbId} is not being handed over (epoch ${data.epoch})`);
  if (h.prepared) return [];
  return [{ type: 'LoadBalancerHandoverPrepared', v: 1, data: { ...data, at: metadata.now } }];
};

/**
 * Only the agent the hand-over comes from may release the VIP, at the epoch it comes from (a SINGLE copy's old
 * placement) or, for a pair's promotion, at the current one (the old master stays on as the standby). Once per hand-over.
 */
export const reportHandoverReleased = ({ data, metadata }: ReportHandoverReleased, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status === 'none') throw notFound('Load Balancer', data.lbId);
  const h = s.placement.handover;
  const asStandby = s.placement.pair?.standby?.agentId === data.agentId && s.placement.epoch === data.epoch;
  if (!h || h.fromAgentId !== data.agentId || (h.fromEpoch !== data.epoch && !asStandby)) {
    throw new DomainError('Forbidden', `agent ${data.agentId} is not handing over load balancer ${data.lbId} (epoch ${data.epoch})`);
  }
  if (h.released) return [];
  return [{ type: 'LoadBalancerHandoverReleased', v: 1, data: { ...data, at: metadata.now } }];
};

/**
 * The old master of a pair's planned promotion (the hand-over's agent, now the standby at the current epoch) ended its
 * release: it carries no connection any more, so the scheduler may replace it. Only after it released; once per hand-over.
 */
export const reportHandoverDrained = ({ data, metadata }: ReportHandoverDrained, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status === 'none') throw notFound('Load Balancer', data.lbId);
  const h = s.placement.handover;
  const asStandby = s.placement.pair?.standby?.agentId === data.agentId && s.placement.epoch === data.epoch;
  if (!h || h.fromAgentId !== data.agentId || !asStandby) {
    throw new DomainError('Forbidden', `agent ${data.agentId} is not the retiring master of load balancer ${data.lbId} (epoch ${data.epoch})`);
  }
  if (!h.released) throw new DomainError('IllegalState', `agent ${data.agentId} has not released the VIP of load balancer ${data.lbId} yet`);
  if (h.drained) return [];
  return [{ type: 'LoadBalancerHandoverDrained', v: 1, data: { ...data, at: metadata.now } }];
};
