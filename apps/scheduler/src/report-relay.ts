import { parseReportSubject, REPORT_STREAM, subjects, type Actor } from '@lbaas/contracts';
import { DomainError, loadBalancer, relayedReport } from '@lbaas/domain';
import { handle, runProjection, stateKey, type EventStore, type Projection, type StateCache, type StoredCommit } from '@lbaas/event-store';
import { LB_REPORT_EVENTS, type LbReportCommand, type LbReportEvent } from '@lbaas/events';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** A running relay. */
export type ReportRelay = Readonly<{ projection: Projection; stop(): Promise<void> }>;

type Job = { lbId: string; command: LbReportCommand; actor: Actor; subject: string; seq: number };

/**
 * The relay of agents' LB reports into LB histories (issue 11): agents write applied/rejected/hand-over reports on
 * their own subjects (`lbaas.report.<agentId>.<lbId>.lb`), which no LB history may be written from; this follows
 * those subjects (the last report of each at start, then every new one) and hands each report to the LB's decider,
 * which takes it only from the agent and epoch of the current placement (`hostedBy`). The LB states are the
 * scheduler's own, folded from its replay (`states`), so a report is decided without reading the LB's history; a
 * report already in the history is skipped without an append. A commit keeps the report's id (dedupe) and time.
 * Failures of the store are retried (the newest report of each LB wins); refusals are logged.
 */
export async function startReportRelay(o: Readonly<{
  nc: NatsConnection; store: EventStore; states: StateCache; logger: Logger; instanceId: string; concurrency?: number;
}>): Promise<ReportRelay> {
  const queue = new Map<string, Job[]>();
  const running = new Set<string>();
  const retries = new Map<string, NodeJS.Timeout>();
  const limit = o.concurrency ?? 32;
  let stopped = false;

  /** True when the LB's state this process holds already says so: nothing to append. */
  const alreadyIn = (job: Job): boolean => {
    const held = o.states.get<Parameters<typeof loadBalancer.decide>[1]>(stateKey({ aggregate: 'lb', id: job.lbId }), loadBalancer);
    if (!held) return false;
    try {
      return loadBalancer.decide(job.command, held.state).length === 0;
    } catch {
      return false; // a refusal on a state that may be behind is decided again on a fresh read
    }
  };

  const run = async (lbId: string): Promise<void> => {
    running.add(lbId);
    try {
      for (let job = queue.get(lbId)?.shift(); job; job = queue.get(lbId)?.shift()) {
        if (alreadyIn(job)) continue;
        try {
          const { events, seq } = await handle(o.store, { aggregate: 'lb', id: lbId }, loadBalancer, job.command, job.actor, { cache: o.states });
          if (events.length) o.logger.debug({ op: 'relay', lb_id: lbId, type: job.command.type, seq, from: job.subject }, 'report relayed');
        } catch (err) {
          if (err instanceof DomainError) {
            o.logger.info({ op: 'relay', lb_id: lbId, type: job.command.type, kind: err.kind, reason: err.message, from: job.subject, report_seq: job.seq }, 'report refused');
            continue;
          }
          o.logger.warn({ op: 'relay', lb_id: lbId, type: job.command.type, err }, 'relay failed; retrying');
          queue.get(lbId)?.unshift(job);
          if (!retries.has(lbId) && !stopped) retries.set(lbId, setTimeout(() => { retries.delete(lbId); pump(); }, 1_000));
          return;
        }
      }
      queue.delete(lbId);
    } finally {
      running.delete(lbId);
      pump();
    }
  };

  const pump = (): void => {
    if (stopped) return;
    for (const lbId of queue.keys()) {
      if (running.size >= limit) return;
      if (running.has(lbId) || retries.has(lbId)) continue;
      void run(lbId);
    }
  };

  const onCommit = (c: StoredCommit): void => {
    const subject = parseReportSubject(c.subject);
    if (!subject || subject.kind !== 'lb') return;
    for (const e of c.events as readonly LbReportEvent[]) {
      if (!LB_REPORT_EVENTS.has(e.type)) continue;
      const command = relayedReport(subject, e, { commandId: c.commitId, now: e.data.at });
      if (!command) {
        o.logger.warn({ op: 'relay', from: c.subject, seq: c.seq, type: e.type }, 'report names another agent or LB than its subject: ignored');
        continue;
      }
      const actor: Actor = { kind: 'service', service: `agent:${subject.agentId}`, operation: `relayed by scheduler:${o.instanceId} from ${c.subject}` };
      const jobs = queue.get(subject.lbId) ?? [];
      jobs.push({ lbId: subject.lbId, command, actor, subject: c.subject, seq: c.seq });
      queue.set(subject.lbId, jobs);
    }
    pump();
  };

  const projection = await runProjection(o.nc, {
    stream: REPORT_STREAM, filter: subjects.allLbReports, deliver: 'last-per-subject', onCommit, logger: o.logger,
  });
  o.logger.info({ op: 'relay.start', seq: projection.seq, queued: queue.size }, 'relaying agents\' LB reports');
  return {
    projection,
    async stop() {
      stopped = true;
      for (const t of retries.values()) clearTimeout(t);
      await projection.stop();
    },
  };
}
