import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isToken } from '@lbaas/contracts';

/** What this agent created for one LB; the only proof of ownership (two agents on one machine never touch each other's). */
export type OwnershipRecord = { lbId: string; netns: string; hostIf: string; runDir: string; createdAt: string };

/** A load-balancer id as the agent parses it (parse.ts): a subject token of at most 64 characters, a safe file name. */
const isLbId = (s: unknown): s is string => isToken(s) && s.length <= 64;

/** A record as read back: only one whose id is a load-balancer id and matches its file name counts (others are not ours). */
const isRecord = (r: unknown, file: string): r is OwnershipRecord =>
  typeof r === 'object' && r !== null && isLbId((r as OwnershipRecord).lbId) && `${(r as OwnershipRecord).lbId}.json` === file;

/** The agent's state dir: one JSON file per LB it created, written before creating anything (write-ahead). */
export function stateDir(root: string) {
  const dir = join(root, 'lbs');
  const file = (lbId: string) => {
    if (!isLbId(lbId)) throw new TypeError(`not a load-balancer id: ${JSON.stringify(lbId).slice(0, 80)}`);
    return join(dir, `${lbId}.json`);
  };
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
        try {
          const r: unknown = JSON.parse(readFileSync(join(dir, n), 'utf8'));
          return isRecord(r, n) ? [r] : [];
        } catch { return []; }
      });
    },
  };
}
export type StateDir = ReturnType<typeof stateDir>;
