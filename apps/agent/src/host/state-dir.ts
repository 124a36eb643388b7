import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** What this agent created for one LB; the only proof of ownership (two agents on one machine never touch each other's). */
export type OwnershipRecord = { lbId: string; netns: string; hostIf: string; runDir: string; createdAt: string };

/** The agent's state dir: one JSON file per LB it created, written before creating anything (write-ahead). */
export function stateDir(root: string) {
  const dir = join(root, 'lbs');
  const file = (lbId: string) => join(dir, `${lbId}.json`);
  return {
    record(r: OwnershipRecord): void {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(`${file(r.lbId)}.tmp`, JSON.stringify(r));
      renameSync(`${file(r.lbId)}.tmp`, file(r.lbId));
    },
    forget(lbId: string): void {
      rmSync(file(lbId), { force: true });
    },
    list(): OwnershipRecord[] {
      let names: string[];
      try { names = readdirSync(dir); } catch { return []; }
      return names.filter((n) => n.endsWith('.json')).flatMap((n) => {
        try { return [JSON.parse(readFileSync(join(dir, n), 'utf8')) as OwnershipRecord]; } catch { return []; }
      });
    },
  };
}
export type StateDir = ReturnType<typeof stateDir>;
