import type {
  FailPlacement, LoadBalancerEvent, PlaceLoadBalancer, ReportApplied, ReportMemberStatus, ReportRejected,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import { live, notFound } from './guards';
import { tornDown, type Deleted, type Live, type LoadBalancer } from './state';

/**
 * Where the tree runs and what its agent says about it: placement (fenced by epoch), placement failure, and the
 * hosting agent's reports (applied, rejected, member status), accepted only from the agent and epoch placed last.
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

export const reportApplied = ({ data, metadata }: ReportApplied, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (data.version <= lb.versions.appliedVersion) return [];
  return [{ type: 'DesiredStateApplied', v: 1, data: { ...data, at: metadata.now } }];
};

export const reportRejected = ({ data, metadata }: ReportRejected, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (data.version <= lb.versions.appliedVersion || data.version <= lb.versions.rejectedVersion) return [];
  return [{ type: 'DesiredStateRejected', v: 1, data: { ...data, at: metadata.now } }];
};

export const reportMemberStatus = ({ data, metadata }: ReportMemberStatus, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  if (lb.status !== 'live') return [];
  const member = lb.pools.get(data.poolId)?.members.get(data.memberId);
  if (!member || member.status === data.status) return []; // deleted since the agent looked, or nothing new
  return [{ type: 'MemberOperatingStatusChanged', v: 1, data: { ...data, at: metadata.now } }];
};
