import { FairQueue } from '@lbaas/app-shell';
import { EVENT_STREAM, parseEventSubject, parseReportSubject, REPORT_STREAM, subjects, type Actor } from '@lbaas/contracts';
import { DomainError, loadBalancer, relayedReport } from '@lbaas/domain';
import {
  decodeCommit, handle, leaderGet, runProjection, stateKey, type EventStore, type Projection, type StateCache, type StoredCommit,
} from '@lbaas/event-store';
import { LB_REPORT_EVENTS, type LbReportCommand, type LbReportEvent } from '@lbaas/events';
import type { JetStreamManager, NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** A running relay. */
export type ReportRelay = Readonly<{
  projection: Projection;
  /** Reports waiting (all LBs), LBs with reports waiting, and projects among them (metrics, tests). */
  backlog(): { reports: number; lbs: number; projects: number };
  stop(): Promise<void>;
}>;

type Job = { lbId: string; command: LbReportCommand; actor: Actor; subject: string; seq: number };
type Created = { type: string; data: { projectId?: string } };

/** The flow of an LB whose project could not be learnt (its first commit unreadable or gone). */
const UNKNOWN_PROJECT = '';
/** Projects remembered per LB; beyond it the least recently used are forgotten (and looked up again if they report). */
const MAX_PROJECTS = 200_000;
/** Lookups of LBs' projects at once (one direct get each, only for LBs not seen created since the relay started). */
const LOOKUPS = 32;

/**
 * The relay of agents' LB reports into LB histories (issue 11): agents write applied/rejected/hand-over reports on
 * their own subjects (`lbaas.report.<agentId>.<lbId>.lb`), which no LB history may be written from; this follows
 * those subjects (the last report of each at start, then every new one) and hands each report to the LB's decider,
 * which takes it only from the agent and epoch of the current placement (`hostedBy`). The LB states are the
 * scheduler's own, folded from its replay (`states`), so a report is decided without reading the LB's history; a
 * report already in the history is skipped without an append. A commit keeps the report's id (dedupe) and time.
 * Failures of the store are retried (the newest report of each LB wins); refusals are logged.
 *
 * Fair between projects: the LBs with reports waiting are queued per project and the projects take turns (FairQueue,
 * one report each), so a project whose thousands of new LBs report at once does not hold another project's report
 * behind them: it waits for one report of every other busy project, not for their backlogs. An LB's project comes from
 * the commits `created` delivers (the scheduler's projection: LBs created while it runs, no I/O), else from the LB's
 * first commit (one direct get, once per LB). At most one report per LB is in flight, in report order.
 */
export async function startReportRelay(o: Readonly<{
  nc: NatsConnection; store: EventStore; states: StateCache; logger: Logger; instanceId: string; concurrency?: number;
  /** Commits of the event stream as the scheduler applies them: LB creations tell the LBs' projects. */
  created?: Pick<Projection, 'onApplied'>;
}>): Promise<ReportRelay> {
  const jobs = new Map<string, Job[]>();
  const ready = new FairQueue<string>();
  const running = new Set<string>();
  const retries = new Map<string, NodeJS.Timeout>();
  const projects = new Map<string, string>();
  const lookupQueue: string[] = [];
  const lookingUp = new Set<string>();
  const limit = o.concurrency ?? 32;
  let jsm: Promise<JetStreamManager> | undefined;
  let stopped = false;
  /** False until the start's replay is queued and the projects it needs are known: then relaying starts, fairly. */
  let started = false;
  let lookupsIdle: (() => void) | null = null;

  const remember = (lbId: string, projectId: string): void => {
    projects.delete(lbId);
    projects.set(lbId, projectId);
    if (projects.size > MAX_PROJECTS) projects.delete(projects.keys().next().value as string);
  };
  const unsubscribe = o.created?.onApplied((c) => {
    const e = c.events[0] as Created | undefined;
    const at = parseEventSubject(c.subject);
    if (e?.type === 'LoadBalancerCreated' && e.data.projectId && at?.aggregate === 'lb') remember(at.id, e.data.projectId);
  });

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

  /** Queues `lbId` for its next report, in its project's turn; an LB of a project not known yet is looked up first. */
  const enqueue = (lbId: string): void => {
    if (running.has(lbId) || retries.has(lbId)) return;
    // Reports already in the LB's history (most of the start's replay) are dropped here, without needing the project.
    const list = jobs.get(lbId);
    while (list?.length && alreadyIn(list[0])) list.shift();
    if (!list?.length) {
      jobs.delete(lbId);
      return;
    }
    const projectId = projects.get(lbId);
    if (projectId !== undefined) {
      ready.push(projectId, lbId);
      return;
    }
    if (!lookingUp.has(lbId)) {
      lookingUp.add(lbId);
      lookupQueue.push(lbId);
      lookup();
    }
  };

  let lookupsRunning = 0;
  const lookup = (): void => {
    while (lookupsRunning < LOOKUPS && lookupQueue.length > 0 && !stopped) {
      const lbId = lookupQueue.shift() as string;
      lookupsRunning++;
      void projectOf(lbId).then((projectId) => {
        lookupsRunning--;
        lookingUp.delete(lbId);
        remember(lbId, projectId);
        enqueue(lbId);
        pump();
        lookup();
        if (lookupsRunning === 0 && lookupQueue.length === 0) lookupsIdle?.();
      });
    }
  };
  /** The project named by the LB's first commit (its creation); UNKNOWN_PROJECT when it cannot be read. */
  const projectOf = async (lbId: string): Promise<string> => {
    const subject = subjects.stream('lb', lbId);
    try {
      const m = await leaderGet(await (jsm ??= o.nc.jetstreamManager({ checkAPI: false })), { seq: 1, next_by_subj: subject }, EVENT_STREAM);
      const first = m ? (decodeCommit(m.data, m.subject, m.seq).events[0] as Created | undefined) : undefined;
      if (first?.type === 'LoadBalancerCreated' && first.data.projectId) return first.data.projectId;
    } catch (err) {
      o.logger.warn({ op: 'relay', lb_id: lbId, err }, 'project of the LB not found; its reports share one queue');
    }
    return projects.get(lbId) ?? UNKNOWN_PROJECT;
  };

  /** Relays the LB's oldest waiting report, then queues the LB again (at the end of its project's turn) if more wait. */
  const run = async (lbId: string): Promise<void> => {
    running.add(lbId);
    try {
      const job = jobs.get(lbId)?.shift();
      if (!job || alreadyIn(job)) return;
      try {
        const { events, seq } = await handle(o.store, { aggregate: 'lb', id: lbId }, loadBalancer, job.command, job.actor, { cache: o.states });
        if (events.length) o.logger.debug({ op: 'relay', lb_id: lbId, type: job.command.type, seq, from: job.subject }, 'report relayed');
      } catch (err) {
        if (err instanceof DomainError) {
          o.logger.info({ op: 'relay', lb_id: lbId, type: job.command.type, kind: err.kind, reason: err.message, from: job.subject, report_seq: job.seq }, 'report refused');
          return;
        }
        o.logger.warn({ op: 'relay', lb_id: lbId, type: job.command.type, err }, 'relay failed; retrying');
        jobs.get(lbId)?.unshift(job);
        if (!retries.has(lbId) && !stopped) {
          retries.set(lbId, setTimeout(() => { retries.delete(lbId); enqueue(lbId); pump(); }, 1_000));
        }
      }
    } finally {
      running.delete(lbId);
      if (!jobs.get(lbId)?.length && !retries.has(lbId)) jobs.delete(lbId);
      enqueue(lbId);
      pump();
    }
  };

  const pump = (): void => {
    while (started && !stopped && running.size < limit) {
      const lbId = ready.shift();
      if (lbId === undefined) return;
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
      const list = jobs.get(subject.lbId) ?? [];
      list.push({ lbId: subject.lbId, command, actor, subject: c.subject, seq: c.seq });
      jobs.set(subject.lbId, list);
      enqueue(subject.lbId);
    }
    pump();
  };

  const projection = await runProjection(o.nc, {
    stream: REPORT_STREAM, filter: subjects.allLbReports, deliver: 'last-per-subject', onCommit, logger: o.logger,
  });
  // The replay's reports are all queued now; once the projects of their LBs are known, they are relayed in turns.
  if (lookupsRunning > 0 || lookupQueue.length > 0) await new Promise<void>((r) => { lookupsIdle = r; });
  lookupsIdle = null;
  started = true;
  pump();
  o.logger.info({ op: 'relay.start', seq: projection.seq, queued: jobs.size, projects: ready.flowCount }, 'relaying agents\' LB reports');
  return {
    projection,
    backlog() {
      let reports = 0;
      for (const l of jobs.values()) reports += l.length;
      return { reports, lbs: jobs.size, projects: ready.flowCount };
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      for (const t of retries.values()) clearTimeout(t);
      await projection.stop();
    },
  };
}
