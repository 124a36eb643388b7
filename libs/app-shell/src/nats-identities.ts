import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createUser, fromSeed } from 'nkeys.js';
import { permissionTable, renderAuthorization, type IdentityPermissions, type PermissionTableOptions } from '@lbaas/contracts';

/** File names inside an identities directory. */
export const identityFiles = {
  /** The nats-server include with every user and its permissions. */
  authorization: 'authorization.conf',
  /** The nkey seed of one identity (mode 0600). */
  seed: (name: string) => `${name}.nk`,
  /** Environment lines for one identity's app (NATS_NKEY_SEED_FILE=...), for an EnvironmentFile. */
  env: (name: string) => `${name}.env`,
} as const;

/** What `writeIdentities` made. */
export type WrittenIdentities = Readonly<{
  dir: string;
  authorizationFile: string;
  table: readonly IdentityPermissions[];
  /** Identity name → its seed file. */
  seedFiles: Readonly<Record<string, string>>;
  /** Identity name → public key. */
  publicKeys: Readonly<Record<string, string>>;
  /** Identities whose seed was made now (the others already had one and kept it). */
  created: readonly string[];
}>;

const writePrivate = (file: string, text: string) => {
  // Write beside, then rename: a reader never sees half a seed, and the mode is right from the first byte.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
};

/**
 * Writes one nkey seed per identity of the table (kept when it exists, so adding an agent rotates nobody), an env
 * file per identity, and the server's authorization include. Seeds and the directory are private (0600 / 0700).
 */
export function writeIdentities(dirIn: string, opts: PermissionTableOptions): WrittenIdentities {
  const dir = resolve(dirIn);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const table = permissionTable(opts);
  const seedFiles: Record<string, string> = {};
  const publicKeys: Record<string, string> = {};
  const created: string[] = [];
  for (const row of table) {
    const file = join(dir, identityFiles.seed(row.name));
    if (!existsSync(file)) {
      writePrivate(file, `${new TextDecoder().decode(createUser().getSeed())}\n`);
      created.push(row.name);
    }
    chmodSync(file, 0o600);
    const kp = fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));
    seedFiles[row.name] = file;
    publicKeys[row.name] = kp.getPublicKey();
    kp.clear();
    writePrivate(join(dir, identityFiles.env(row.name)), `NATS_NKEY_SEED_FILE=${file}\n`);
  }
  const authorizationFile = join(dir, identityFiles.authorization);
  writePrivate(authorizationFile, renderAuthorization(table, publicKeys));
  return { dir, authorizationFile, table, seedFiles, publicKeys, created };
}
