import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * The operator's MAC key (HMAC-SHA256 over Catalog snapshots and DR backups): a file of 64 hex characters (32 bytes),
 * mode 0600, named by LBAAS_MAC_KEY_FILE. lbaasctl writes with it (snapshot, dr export) and refuses what does not
 * verify (dr import); api and agents only verify snapshots with it (without it every start is a full replay).
 */
export const MAC_KEY_FILE_ENV = 'LBAAS_MAC_KEY_FILE';

/** Reads a MAC key file; the problem (missing, readable by others, not 64 hex) goes to `problems` and null comes back. */
export function readMacKeyFile(file: string, problems: string[], name = MAC_KEY_FILE_ENV): Buffer | null {
  let text: string;
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      problems.push(`${name} ${file} is readable by other users; chmod 600 it`);
      return null;
    }
    text = readFileSync(file, 'utf8').trim();
  } catch {
    problems.push(`${name} ${file} does not exist or is not readable`);
    return null;
  }
  if (!/^[0-9a-fA-F]{64,}$/.test(text)) {
    problems.push(`${name} ${file} must hold at least 64 hex characters (32 bytes)`);
    return null;
  }
  return Buffer.from(text, 'hex');
}

/** The MAC key of an app's environment: null when LBAAS_MAC_KEY_FILE is unset (problems recorded for a bad file). */
export function macKeyFrom(env: Record<string, string | undefined>, problems: string[]): Buffer | null {
  const file = env[MAC_KEY_FILE_ENV];
  return file ? readMacKeyFile(file, problems) : null;
}

/** Makes a MAC key file (32 random bytes, mode 0600) unless one exists; returns its path. */
export function ensureMacKeyFile(file: string): string {
  if (!existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
  return file;
}
