import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isToken } from '@lbaas/contracts';
import type { RememberedStream } from '@lbaas/event-store';

/** What this agent created for one LB; the only proof of ownership (two agents on one machine never touch each other's). */
export type OwnershipRecord = { lbId: string; netns: string; hostIf: string; runDir: string; createdAt: string };

/** A load-balancer id as the agent parses it (parse.ts): a subject token of at most 64 characters, a safe file name. */
const isLbId = (s: unknown): s is string => isToken(s) && s.length <= 64;

/** A record as read back: only one whose id is a load-balancer id and matches its file name counts (others are not ours). */
const isRecord = (r: unknown, file: string): r is OwnershipRecord =>
  typeof r === 'object' && r !== null && isLbId((r as OwnershipRecord).lbId) && `${(r as OwnershipRecord).lbId}.json` === file;

/** A remembered stream as read back from `stream.json` (null when absent or not one). */
const asRemembered = (r: unknown): RememberedStream | null => {
  const o = r as Partial<RememberedStream> | null;
  return o && typeof o.id === 'string' && typeof o.createdAt === 'string' && Number.isSafeInteger(o.lastSeq)
    && (o.acceptedRestore === null || typeof o.acceptedRestore === 'string')
    ? { id: o.id, createdAt: o.createdAt, lastSeq: o.lastSeq as number, acceptedRestore: o.acceptedRestore ?? null } : null;
};

/**
 * The agent's state dir: one JSON file per LB it created, written before creating anything (write-ahead), and
 * `stream.json`, the identity and last sequence of the event stream it served from (stream-guard.ts).
 */
export function stateDir(root: string) {
  const dir = join(root, 'lbs');
  const streamFile = join(root, 'stream.json');
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
    /** True if a record of `lbId` exists (one stat, not a read of every record). */
    has(lbId: string): boolean {
      return existsSync(file(lbId));
    },
    forget(lbId: string): void {
      rmSync(file(lbId), { force: true });
    },
    /** The stream this agent served from, or null (never saw one, or the operator removed the file to start afresh). */
    rememberedStream(): RememberedStream | null {
      try { return asRemembered(JSON.parse(readFileSync(streamFile, 'utf8'))); } catch { return null; }
    },
    rememberStream(r: RememberedStream): void {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      writeFileSync(`${streamFile}.tmp`, JSON.stringify(r));
      renameSync(`${streamFile}.tmp`, streamFile);
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
