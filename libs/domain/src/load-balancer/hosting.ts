import type {
  FailPlacement, LoadBalancerEvent, PlaceLoadBalancer, ReportApplied, ReportHandoverPrepared, ReportHandoverReleased,
  ReportMemberStatus, ReportRejected,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import { live, notFound } from './guards';
import { tornDown, type Deleted, type Live, type LoadBalancer, type Report } from './state';

/**
 * Where the tree runs and what its agent says about it: placement (fenced by epoch), placement failure, the hosting
 * agent's reports (applied, rejected, member status), accepted only from the agent and epoch placed last, and the two
 * steps of a planned move's hand-over (the new agent prepared, the old agent released the VIP).
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
  return [{
    type: 'LoadBalancerPlaced', v: 1,
    data: { lbId: data.lbId, agentId: data.agentId, epoch: epoch + 1, reason: data.reason, at: metadata.now },
  }];
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
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (!isNews(lb.versions.lastReport, data, 'applied')) return [];
  return [{ type: 'DesiredStateApplied', v: 1, data: { ...data, at: metadata.now } }];
};

export const reportRejected = ({ data, metadata }: ReportRejected, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (!isNews(lb.versions.lastReport, data, 'rejected')) return [];
  return [{ type: 'DesiredStateRejected', v: 1, data: { ...data, at: metadata.now } }];
};

/** A member's status is news when it differs from the last one, or comes from a newer placement (the new host's first look). */
export const reportMemberStatus = ({ data, metadata }: ReportMemberStatus, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  if (lb.status !== 'live') return [];
  const member = lb.pools.get(data.poolId)?.members.get(data.memberId);
  if (!member) return []; // deleted since the agent looked
  if (member.status?.epoch === data.epoch && member.status.value === data.status) return [];
  return [{ type: 'MemberOperatingStatusChanged', v: 1, data: { ...data, at: metadata.now } }];
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

/** Only the agent and epoch the hand-over comes from may release the VIP. Once per hand-over. */
export const reportHandoverReleased = ({ data, metadata }: ReportHandoverReleased, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status === 'none') throw notFound('Load Balancer', data.lbId);
  const h = s.placement.handover;
  if (!h || h.fromAgentId !== data.agentId || h.fromEpoch !== data.epoch) {
    throw new DomainError('Forbidden', `agent ${data.agentId} is not handing over load balancer ${data.lbId} (epoch ${data.epoch})`);
  }
  if (h.released) return [];
  return [{ type: 'LoadBalancerHandoverReleased', v: 1, data: { ...data, at: metadata.now } }];
};
