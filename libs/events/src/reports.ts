import type { ReportApplied, ReportHandoverDrained, ReportHandoverPrepared, ReportHandoverReleased, ReportMemberStatus, ReportRejected } from './commands';
import type {
  DesiredStateApplied, DesiredStateRejected, LoadBalancerHandoverDrained, LoadBalancerHandoverPrepared, LoadBalancerHandoverReleased,
  MemberOperatingStatusChanged,
} from './load-balancer';

/**
 * What an agent says about one LB placed on it, on its own subject `lbaas.report.<agentId>.<lbId>.lb` (stream
 * LBAAS_REPORTS): the same facts, with the same payloads, that the scheduler relays into the LB's history once the LB's
 * decider accepted them (fenced by the placement's agent and epoch).
 */
export type LbReportEvent =
  | DesiredStateApplied | DesiredStateRejected | LoadBalancerHandoverPrepared | LoadBalancerHandoverReleased | LoadBalancerHandoverDrained;

/**
 * One member's operating status as an agent's haproxy sees it, on `lbaas.report.<agentId>.<lbId>.member.<memberId>`.
 * Latest value: the subject keeps its last REPORTS_PER_SUBJECT messages; it never enters the LB's history.
 */
export type MemberReportEvent = MemberOperatingStatusChanged;

/** Every event an agent writes on its report subjects. */
export type AgentReportEvent = LbReportEvent | MemberReportEvent;

/** The event types an LB report subject may hold (readers refuse others). */
export const LB_REPORT_EVENTS: ReadonlySet<LbReportEvent['type']> = new Set<LbReportEvent['type']>([
  'DesiredStateApplied', 'DesiredStateRejected', 'LoadBalancerHandoverPrepared', 'LoadBalancerHandoverReleased', 'LoadBalancerHandoverDrained',
]);

/** The event types a member report subject may hold. */
export const MEMBER_REPORT_EVENTS: ReadonlySet<MemberReportEvent['type']> = new Set<MemberReportEvent['type']>(['MemberOperatingStatusChanged']);

/** The commands an agent decides on its LB report subject. */
export type LbReportCommand = ReportApplied | ReportRejected | ReportHandoverPrepared | ReportHandoverReleased | ReportHandoverDrained;

/** The command an agent decides on a member report subject. */
export type MemberReportCommand = ReportMemberStatus;
