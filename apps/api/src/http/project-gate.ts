/**
 * Requests of one project in the works at once (issue 11: a tenant creating LBs as fast as it can must not make the
 * API slow for the others). Work-conserving: a project alone has all `perProject` slots (a lone tenant's burst uses the
 * whole api); while other projects are present, the slots are shared evenly between the present projects, at least
 * `minShare` each (two projects: 8 each of 16), so a quiet tenant's request does not queue for the api's CPU behind a
 * busy tenant's sixteen. A project is present while it has requests in the works or waiting, and for `presentMs`
 * after its last one ended (a tenant that sends a request every second is present throughout, not only for the
 * milliseconds its request takes: by then the busy tenant's sixteen would be running again).
 * A request beyond its project's slots waits, before its body is parsed, for one of its own project's requests to
 * finish, in arrival order; another project's request never waits here. A project's slots are looked at again each
 * time one of its requests ends (so a busy project gets its `perProject` back at its next request's end once the
 * others have been gone for `presentMs`). At most `maxWaiting` requests wait per project; the next one gets `'full'`
 * (the edge then answers 503 with Retry-After).
 */
export type ProjectGateOptions = Readonly<{
  perProject: number;
  /** The fewest slots of a project while others are present (default: min(2, perProject)). */
  minShare?: number;
  /** How long a project stays present after its last request ended (default 5,000 ms). */
  presentMs?: number;
  maxWaiting?: number;
  nowMs?: () => number;
}>;

type Project = { running: number; waiting: Array<() => void>; lastEndedMs: number };

export class ProjectGate {
  /** Present projects (and some no longer present, dropped as they are met: insertion order, oldest first). */
  private readonly projects = new Map<string, Project>();
  private readonly minShare: number;
  private readonly presentMs: number;
  private readonly now: () => number;

  constructor(private readonly o: ProjectGateOptions) {
    if (!(o.perProject >= 1)) throw new Error(`ProjectGate: perProject must be >= 1, got ${o.perProject}`);
    this.minShare = o.minShare ?? Math.min(2, o.perProject);
    if (!(this.minShare >= 1 && this.minShare <= o.perProject)) throw new Error(`ProjectGate: minShare must be in 1..perProject (${o.perProject}), got ${this.minShare}`);
    this.presentMs = o.presentMs ?? 5000;
    this.now = o.nowMs ?? Date.now;
  }

  /** Resolves with the slot's release (call it once the request is done; later calls do nothing), or 'full'. */
  enter(project: string): Promise<() => void> | 'full' {
    let p = this.projects.get(project);
    if (!p) this.projects.set(project, (p = { running: 0, waiting: [], lastEndedMs: -Infinity }));
    const slot = p;
    if (slot.waiting.length === 0 && slot.running < this.slotsOf(project)) {
      slot.running++;
      return Promise.resolve(this.releaseOf(project, slot));
    }
    if (slot.waiting.length >= (this.o.maxWaiting ?? 10_000)) return 'full';
    return new Promise((resolve) => slot.waiting.push(() => resolve(this.releaseOf(project, slot))));
  }

  /** Requests in the works and waiting, and the slots it has now, of one project (metrics, tests). */
  load(project: string): { running: number; waiting: number; slots: number } {
    const p = this.projects.get(project);
    return { running: p?.running ?? 0, waiting: p?.waiting.length ?? 0, slots: this.slotsOf(project) };
  }

  private releaseOf(project: string, slot: Project): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      slot.running--;
      slot.lastEndedMs = this.now();
      // The freed slot, and any the project gained since (the others gone), go to its next waiting requests.
      const slots = this.slotsOf(project);
      while (slot.waiting.length > 0 && slot.running < slots) {
        slot.running++;
        slot.waiting.shift()?.();
      }
    };
  }

  /**
   * `perProject` while no other project is present, else `perProject` split evenly between the present projects, at
   * least `minShare`. Projects no longer present are dropped as met.
   */
  private slotsOf(project: string): number {
    const now = this.now();
    let others = 0;
    for (const [name, p] of this.projects) {
      const present = p.running > 0 || p.waiting.length > 0 || now - p.lastEndedMs < this.presentMs;
      if (!present && name !== project) this.projects.delete(name);
      else if (present && name !== project) others++;
    }
    return others === 0 ? this.o.perProject : Math.max(this.minShare, Math.floor(this.o.perProject / (others + 1)));
  }
}
