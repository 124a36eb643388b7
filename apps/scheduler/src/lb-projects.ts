import { parseEventSubject } from '@lbaas/contracts';
import type { StoredCommit } from '@lbaas/event-store';

/** LBs whose project is kept (the newest; older ones share the unknown flow). 100 bytes each: 20 MB at most. */
const MAX_LBS = 200_000;
/** The flow of an LB whose project is not known (created before the oldest kept, or its creation not seen). */
export const UNKNOWN_PROJECT = '';

/**
 * The project of each LB, learnt from the LB creations the scheduler's workflow host applies (its replay and live
 * commits: no I/O), so the placement's commands take turns per project (workflow-host.ts `flowOf`). Bounded: the
 * oldest LBs are forgotten first, and a forgotten LB's commands share one flow.
 */
export class LbProjects {
  private readonly projects = new Map<string, string>();

  /** Learns from one stored commit (an LB's creation names its project). */
  learn(commit: StoredCommit): void {
    const e = commit.events[0] as { type?: string; data?: { projectId?: unknown } } | undefined;
    if (e?.type !== 'LoadBalancerCreated' || typeof e.data?.projectId !== 'string') return;
    const at = parseEventSubject(commit.subject);
    if (at?.aggregate !== 'lb') return;
    this.projects.set(at.id, e.data.projectId);
    if (this.projects.size > MAX_LBS) this.projects.delete(this.projects.keys().next().value as string);
  }

  projectOf(lbId: string): string {
    return this.projects.get(lbId) ?? UNKNOWN_PROJECT;
  }
}
