import { newId, type Clock } from '@lbaas/app-shell';
import { parseReportSubject, REPORT_STREAM, subjects, type Actor, type ReportSubject } from '@lbaas/contracts';
import { DomainError, lbReports, memberReports } from '@lbaas/domain';
import { handle, runProjection, StateCache, stateKey, type EventStore, type StreamRef } from '@lbaas/event-store';
import { foldEvents, type LbReportCommand, type LbReportEvent, type MemberReportEvent, type OperatingStatus } from '@lbaas/events';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** What the agent reports about one LB (the command without its metadata). */
export type LbReport = Omit<LbReportCommand, 'metadata'>;

/**
 * The agent's reports, on its own subjects of LBAAS_REPORTS (`lbaas.report.<agentId>.<lbId>.lb` and
 * `….member.<memberId>`): nothing of an LB's history is read or written. This agent is the only writer of these
 * subjects, so their decider states (libs/domain agent-reports) stay in memory (a StateCache, seeded at start from the
 * last message of each subject): a report is one append, guarded by the subject's last sequence, whatever the LB's size
 * or history. The scheduler relays LB reports into the LB's history; the api reads member statuses from here.
 */
export class AgentReports {
  /** Big enough for every subject of a large agent; a dropped state is read again (one subject, a few messages). */
  private readonly cache = new StateCache(1_000_000);
  /** After seed(): a subject not in the cache has no message yet (no read needed to know it). */
  private seeded = false;

  constructor(private readonly d: Readonly<{
    agentId: string; nc: NatsConnection; store: EventStore; actor: Actor; clock: Clock; logger: Logger;
  }>) {}

  /**
   * Reads the last message of each of this agent's report subjects into memory; returns the member statuses found
   * (`${epoch}:${memberId}` → status, what the health poller last reported), so a restart reports only what changed.
   */
  async seed(): Promise<Map<string, OperatingStatus>> {
    const statuses = new Map<string, OperatingStatus>();
    let subjectsSeen = 0;
    const t0 = Date.now();
    const projection = await runProjection(this.d.nc, {
      stream: REPORT_STREAM, filter: subjects.reportsOf(this.d.agentId), deliver: 'last-per-subject', logger: this.d.logger,
      onCommit: (c) => {
        const r = parseReportSubject(c.subject);
        if (!r || r.agentId !== this.d.agentId) return;
        subjectsSeen++;
        if (r.kind === 'lb') {
          this.cache.remember(stateKey({ report: r }), lbReports, foldEvents(lbReports, lbReports.initialState(), c.events as readonly LbReportEvent[]), c.seq);
        } else {
          const state = foldEvents(memberReports, memberReports.initialState(), c.events as readonly MemberReportEvent[]);
          this.cache.remember(stateKey({ report: r }), memberReports, state, c.seq);
          if (state) statuses.set(`${state.epoch}:${r.memberId}`, state.status);
        }
      },
    });
    await projection.stop();
    this.seeded = true;
    this.d.logger.info({ op: 'reports.seed', subjects: subjectsSeen, ms: Date.now() - t0 }, 'own report subjects read');
    return statuses;
  }

  /** Reports an LB's applied/rejected version or a hand-over step (once per news; see lbReports). */
  lb(report: LbReport): Promise<void> {
    const ref: StreamRef = { report: { kind: 'lb', agentId: this.d.agentId, lbId: report.data.lbId } };
    return this.send(ref, lbReports, { ...report, metadata: this.metadata() } as LbReportCommand);
  }

  /** Reports a member's operating status at an epoch. */
  member(m: Readonly<{ lbId: string; poolId: string; memberId: string; epoch: number; status: OperatingStatus }>): Promise<void> {
    const report: ReportSubject = { kind: 'member', agentId: this.d.agentId, lbId: m.lbId, memberId: m.memberId };
    return this.send({ report }, memberReports, {
      type: 'ReportMemberStatus', data: { ...m, agentId: this.d.agentId }, metadata: this.metadata(),
    });
  }

  private metadata() {
    return { commandId: newId(), now: this.d.clock.now() };
  }

  private async send<S, C extends { metadata: { commandId: string; now: string } }, E>(
    ref: StreamRef, decider: Parameters<typeof handle<S, C, E>>[2], command: C,
  ): Promise<void> {
    try {
      const isNew = this.seeded && this.cache.get(stateKey(ref), decider) === undefined;
      await handle(this.d.store, ref, decider, command, this.d.actor, { cache: this.cache, isNew });
    } catch (err) {
      if (err instanceof DomainError) this.d.logger.warn({ op: 'report', subject: stateKey(ref), err }, 'report refused');
      else throw err;
    }
  }
}
