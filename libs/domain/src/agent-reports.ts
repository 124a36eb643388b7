import type { ReportSubject } from '@lbaas/contracts';
import type {
  CommandMetadata, Decider, LbReportCommand, LbReportEvent, MemberReportCommand, MemberReportEvent, OperatingStatus,
} from '@lbaas/events';
import { assertNever } from './domain-error';

/**
 * An agent's own report subjects (`lbaas.report.<agentId>.<lbId>.lb` and `….member.<memberId>`), as deciders: the agent
 * is their only writer (NATS permissions), so it keeps their states in memory and decides a report without reading
 * anything (handle() with a StateCache). A report is stored when it is news for that subject; whether it counts is for
 * the readers to judge (the load-balancer decider through the scheduler's relay, the member-status view): only the
 * agent the LB's placement names, at that placement's epoch.
 */

/** The last report on an LB report subject (what makes the next one news or not). */
export type LbReports = Readonly<{ last: Readonly<{ type: LbReportEvent['type']; epoch: number; version: number | null }> | null }>;

const lastOf = (e: LbReportEvent): NonNullable<LbReports['last']> => ({
  type: e.type, epoch: e.data.epoch, version: 'version' in e.data ? e.data.version : null,
});

const decideLb = (c: LbReportCommand, s: LbReports): LbReportEvent[] => {
  const { data, metadata } = c;
  const same = (type: LbReportEvent['type'], version: number | null) =>
    s.last !== null && s.last.type === type && s.last.epoch === data.epoch && s.last.version === version;
  switch (c.type) {
    case 'ReportApplied':
      return same('DesiredStateApplied', c.data.version) ? [] : [{ type: 'DesiredStateApplied', v: 1, data: { ...c.data, at: metadata.now } }];
    case 'ReportRejected':
      return same('DesiredStateRejected', c.data.version) ? [] : [{ type: 'DesiredStateRejected', v: 1, data: { ...c.data, at: metadata.now } }];
    case 'ReportHandoverPrepared':
      return same('LoadBalancerHandoverPrepared', null) ? [] : [{ type: 'LoadBalancerHandoverPrepared', v: 1, data: { ...c.data, at: metadata.now } }];
    case 'ReportHandoverReleased':
      return same('LoadBalancerHandoverReleased', null) ? [] : [{ type: 'LoadBalancerHandoverReleased', v: 1, data: { ...c.data, at: metadata.now } }];
    case 'ReportHandoverDrained':
      return same('LoadBalancerHandoverDrained', null) ? [] : [{ type: 'LoadBalancerHandoverDrained', v: 1, data: { ...c.data, at: metadata.now } }];
    default:
      return assertNever(c);
  }
};

/** One agent's reports on one LB: applied, rejected, hand-over prepared, released and drained. */
export const lbReports = {
  decide: decideLb,
  evolve: (_s: LbReports, e: LbReportEvent): LbReports => ({ last: lastOf(e) }),
  initialState: (): LbReports => ({ last: null }),
} satisfies Decider<LbReports, LbReportCommand, LbReportEvent>;

/** The last status an agent reported for a member, at which placement epoch; null before any. */
export type MemberReports = Readonly<{ epoch: number; status: OperatingStatus }> | null;

/**
 * One agent's operating status of one member. A status is news when it differs from the last one, or comes at a newer
 * epoch (a new placement's first look counts even when equal: the views keep the last known status until then).
 */
export const memberReports = {
  decide: ({ data, metadata }: MemberReportCommand, s: MemberReports): MemberReportEvent[] =>
    s !== null && s.epoch === data.epoch && s.status === data.status
      ? []
      : [{ type: 'MemberOperatingStatusChanged', v: 1, data: { ...data, at: metadata.now } }],
  evolve: (_s: MemberReports, e: MemberReportEvent): MemberReports => ({ epoch: e.data.epoch, status: e.data.status }),
  initialState: (): MemberReports => null,
} satisfies Decider<MemberReports, MemberReportCommand, MemberReportEvent>;

/**
 * The scheduler's relay: an agent's LB report as the command that asks the LB's decider to take it into the LB's
 * history (the decider fences it: the placement's agent and epoch). null when the report does not come from the agent
 * and LB its subject names (a reader refuses such a message anyway; this keeps the rule where the relay decides).
 * The command's id is the report commit's, so a report relayed twice is stored once.
 */
export function relayedReport(subject: ReportSubject, event: LbReportEvent, metadata: CommandMetadata): LbReportCommand | null {
  if (subject.kind !== 'lb' || event.data.agentId !== subject.agentId || event.data.lbId !== subject.lbId) return null;
  const { at: _at, ...data } = event.data;
  switch (event.type) {
    case 'DesiredStateApplied': return { type: 'ReportApplied', data: data as Extract<LbReportCommand, { type: 'ReportApplied' }>['data'], metadata };
    case 'DesiredStateRejected': return { type: 'ReportRejected', data: data as Extract<LbReportCommand, { type: 'ReportRejected' }>['data'], metadata };
    case 'LoadBalancerHandoverPrepared': return { type: 'ReportHandoverPrepared', data, metadata };
    case 'LoadBalancerHandoverReleased': return { type: 'ReportHandoverReleased', data, metadata };
    case 'LoadBalancerHandoverDrained': return { type: 'ReportHandoverDrained', data, metadata };
    default: return assertNever(event);
  }
}
