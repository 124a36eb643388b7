/**
 * Requests of one project in the works at once (issue 11: a tenant creating LBs as fast as it can must not make the
 * API slow for the others). Each project (the caller's; noauth's too) has `perProject` slots; a request beyond them
 * waits, before its body is parsed, for one of its own project's requests to finish, in arrival order, so the
 * api's CPU is shared between projects by their slots and not by how many requests each keeps open. Another project's
 * request never waits here. At most `maxWaiting` requests wait per project; the next one gets `'full'` (the edge then
 * answers 503 with Retry-After).
 */
export class ProjectGate {
  private readonly projects = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(private readonly o: Readonly<{ perProject: number; maxWaiting?: number }>) {
    if (!(o.perProject >= 1)) throw new Error(`ProjectGate: perProject must be >= 1, got ${o.perProject}`);
  }

  /** Resolves with the slot's release (call it once the request is done; later calls do nothing), or 'full'. */
  enter(project: string): Promise<() => void> | 'full' {
    let p = this.projects.get(project);
    if (!p) this.projects.set(project, (p = { running: 0, waiting: [] }));
    const slot = p;
    const release = () => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const next = slot.waiting.shift();
        if (next) return next(); // the slot goes to the next waiting request of the same project
        slot.running--;
        if (slot.running === 0) this.projects.delete(project);
      };
    };
    if (slot.running < this.o.perProject) {
      slot.running++;
      return Promise.resolve(release());
    }
    if (slot.waiting.length >= (this.o.maxWaiting ?? 10_000)) return 'full';
    return new Promise((resolve) => slot.waiting.push(() => resolve(release())));
  }

  /** Requests in the works and waiting, of one project (metrics, tests). */
  load(project: string): { running: number; waiting: number } {
    const p = this.projects.get(project);
    return { running: p?.running ?? 0, waiting: p?.waiting.length ?? 0 };
  }
}
