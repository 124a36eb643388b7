import type { ReportSubject } from '@lbaas/contracts';
import type { MemberReportEvent } from '@lbaas/events';
import type { LoadBalancersView } from './load-balancer-view';

/** A member status an agent reported (from its report subject), not yet placed in the tree. */
export type PendingMemberReport = Readonly<{ agentId: string; lbId: string; memberId: string; epoch: number; status: MemberReportEvent['data']['status'] }>;

/**
 * Member statuses that arrived before the view knew what they are about (the LB, the member, or the placement at their
 * epoch: the report stream and the event stream are read side by side, and either may be ahead), per LB, the latest per
 * `${agentId}/${memberId}`. At most MAX_PENDING_MEMBER_REPORTS in all (the LB waiting longest is dropped first), so
 * reports about LBs that never come cannot grow it without bound.
 */
export type MemberReportsView = { pending: Map<string, Map<string, PendingMemberReport>>; count: number };

/** How many early reports the view holds at most. */
export const MAX_PENDING_MEMBER_REPORTS = 100_000;

export const initialMemberReports = (): MemberReportsView => ({ pending: new Map(), count: 0 });

type Verdict = 'taken' | 'wait' | 'refused';

/**
 * Places one report in the tree when it counts: from the agent the LB's placement names, at that placement's epoch,
 * about a member the LB has (the subject's agent id is the report's: the codec refuses anything else). A report of an
 * older placement, or of another agent at this epoch, is refused; one from a newer epoch, or about an LB or member not
 * (yet) in the view, waits. The last known status stays while an LB moves, until the new host reports (its first report
 * counts even when equal).
 */
function place(lbs: LoadBalancersView, r: PendingMemberReport): Verdict {
  const lb = lbs.lbs.get(r.lbId);
  if (!lb || !lb.placement || r.epoch > lb.placement.epoch) return 'wait';
  if (r.epoch < lb.placement.epoch || r.agentId !== lb.placement.agentId) return 'refused';
  const m = lb.members.get(r.memberId);
  if (!m) return lb.deleted ? 'refused' : 'wait';
  m.reportedStatus = r.status;
  m.reportedEpoch = r.epoch;
  return 'taken';
}

/** Folds one member report (an event on `subject`, a member report subject) into the view. */
export function evolveMemberReport(lbs: LoadBalancersView, view: MemberReportsView, subject: Extract<ReportSubject, { kind: 'member' }>, e: MemberReportEvent): void {
  if (e.type !== 'MemberOperatingStatusChanged') return;
  const r: PendingMemberReport = { agentId: subject.agentId, lbId: subject.lbId, memberId: subject.memberId, epoch: e.data.epoch, status: e.data.status };
  const key = `${r.agentId}/${r.memberId}`;
  const waiting = view.pending.get(r.lbId);
  if (waiting?.delete(key)) view.count--;
  if (place(lbs, r) !== 'wait') return;
  const group = waiting ?? new Map<string, PendingMemberReport>();
  group.set(key, r);
  view.pending.set(r.lbId, group);
  view.count++;
  while (view.count > MAX_PENDING_MEMBER_REPORTS) {
    const [oldest, g] = view.pending.entries().next().value as [string, Map<string, PendingMemberReport>];
    view.pending.delete(oldest);
    view.count -= g.size;
  }
}

/** After a commit on LB `lbId`: the reports that waited for it are placed (or dropped) now. */
export function settleMemberReports(lbs: LoadBalancersView, view: MemberReportsView, lbId: string): void {
  const group = view.pending.get(lbId);
  if (!group) return;
  for (const [key, r] of group) {
    if (place(lbs, r) !== 'wait') { group.delete(key); view.count--; }
  }
  if (group.size === 0 || !lbs.lbs.has(lbId)) {
    view.count -= group.size;
    view.pending.delete(lbId);
  }
}
