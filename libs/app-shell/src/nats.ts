import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, usernamePasswordAuthenticator, connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { subjects } from '@lbaas/contracts';

/** How an app proves its NATS identity. Files only: a secret never sits in a URL, an env value or a log line. */
export type NatsAuth =
  | Readonly<{ kind: 'none' }>
  /** A decentralised-auth creds file (JWT + nkey seed), as `nsc` writes it. */
  | Readonly<{ kind: 'creds'; file: string }>
  /** An nkey seed file (`SU...`), as `lbaasctl identities` writes it. */
  | Readonly<{ kind: 'nkey'; seedFile: string }>
  /** A user name and a file holding its password. */
  | Readonly<{ kind: 'password'; user: string; passwordFile: string }>;

/** TLS towards the servers: a CA to verify them, and a client certificate when the servers verify clients. */
export type NatsTls = Readonly<{ caFile?: string; certFile?: string; keyFile?: string }>;

/** An app's NATS settings, read once by `readNatsConfig` in its loadConfig. */
export type NatsConfig = Readonly<{
  servers: readonly string[];
  auth: NatsAuth;
  tls: NatsTls | null;
  /** Replies to this identity's requests arrive below this prefix (its permissions allow only its own). */
  inboxPrefix: string;
}>;

const SERVER = /^(?:(nats|tls):\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/**
 * Reads the NATS settings of one identity from the environment, recording every problem in `r.problems`:
 * `NATS_URL` (comma-separated servers; credentials in it are refused), one of `NATS_CREDS_FILE`,
 * `NATS_NKEY_SEED_FILE` or `NATS_USER` + `NATS_PASSWORD_FILE`, and `NATS_TLS_CA_FILE`, `NATS_TLS_CERT_FILE`,
 * `NATS_TLS_KEY_FILE`. `NATS_INBOX_PREFIX` overrides the identity's inbox prefix (`_INBOX_<identity>`).
 * Secret files must exist, be readable and not be readable by others; their contents are read only when connecting.
 */
export function readNatsConfig(
  env: Record<string, string | undefined>, r: { problems: string[] }, opts: { identity: string; defaultUrl?: string },
): NatsConfig {
  const p = r.problems;
  const rawUrl = env.NATS_URL || opts.defaultUrl;
  const servers: string[] = [];
  if (!rawUrl) p.push('NATS_URL is required');
  else {
    rawUrl.split(',').map((s) => s.trim()).forEach((s, i) => {
      if (s.includes('@')) {
        p.push(`NATS_URL entry ${i + 1} carries credentials (${redact(s)}); they are never read from a URL: use NATS_CREDS_FILE, NATS_NKEY_SEED_FILE or NATS_USER + NATS_PASSWORD_FILE`);
      } else if (!SERVER.test(s)) p.push(`NATS_URL entry ${i + 1} must be [nats://|tls://]host[:port], got ${JSON.stringify(s.slice(0, 200))}`);
      else servers.push(s);
    });
  }
  const file = (name: string, secret: boolean): string | undefined => {
    const f = env[name];
    if (!f) return undefined;
    try {
      accessSync(f, constants.R_OK);
      if (secret && (statSync(f).mode & 0o004) !== 0) p.push(`${name} ${f} is readable by every user; chmod 600 it`);
    } catch {
      p.push(`${name} ${f} does not exist or is not readable`);
    }
    return f;
  };
  const creds = file('NATS_CREDS_FILE', true);
  const seed = file('NATS_NKEY_SEED_FILE', true);
  const user = env.NATS_USER || undefined;
  const passwordFile = file('NATS_PASSWORD_FILE', true);
  const methods = [creds && 'NATS_CREDS_FILE', seed && 'NATS_NKEY_SEED_FILE', (user || passwordFile) && 'NATS_USER/NATS_PASSWORD_FILE'].filter(Boolean);
  if (methods.length > 1) p.push(`give one NATS credential, not ${methods.join(' and ')}`);
  if (!!user !== !!passwordFile) p.push('NATS_USER and NATS_PASSWORD_FILE go together');
  if (env.NATS_PASSWORD !== undefined || env.NATS_TOKEN !== undefined) p.push('NATS_PASSWORD/NATS_TOKEN are not read (a secret in the environment leaks into process listings and crash dumps): use NATS_PASSWORD_FILE');
  const auth: NatsAuth = creds ? { kind: 'creds', file: creds }
    : seed ? { kind: 'nkey', seedFile: seed }
      : user && passwordFile ? { kind: 'password', user, passwordFile } : { kind: 'none' };

  const caFile = file('NATS_TLS_CA_FILE', false);
  const certFile = file('NATS_TLS_CERT_FILE', false);
  const keyFile = file('NATS_TLS_KEY_FILE', true);
  if (!!certFile !== !!keyFile) p.push('NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together');
  const tls = caFile || certFile || keyFile ? { caFile, certFile, keyFile } : null;

  let inboxPrefix = '';
  try {
    inboxPrefix = env.NATS_INBOX_PREFIX || subjects.inboxPrefix(opts.identity);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(inboxPrefix)) p.push(`NATS_INBOX_PREFIX must be subject tokens without wildcards, got ${JSON.stringify(inboxPrefix)}`);
  } catch {
    p.push(`the NATS identity ${JSON.stringify(opts.identity)} cannot name an inbox`);
  }
  return Object.freeze({ servers: Object.freeze(servers), auth, tls, inboxPrefix });
}

/** `nats://user:secret@host:4222` → `nats://***@host:4222`: what an error may show. */
const redact = (s: string) => s.replace(/^([a-z]+:\/\/)?[^@]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);

/** Whether a file-held secret is still there; read on every (re)connect, so a rotated file is picked up. */
const readSecret = (f: string) => readFileSync(f);

/**
 * The nats.js options of one connection of an app (its own connection, and the Nest NATS transports, which pass
 * these to `connect`): servers, name, credentials (authenticator), TLS and the identity's inbox prefix.
 */
export function natsConnectionOptions(cfg: NatsConfig, name: string): ConnectionOptions {
  const a = cfg.auth;
  const authenticator = a.kind === 'creds' ? credsAuthenticator(() => readSecret(a.file))
    : a.kind === 'nkey' ? nkeyAuthenticator(() => new TextEncoder().encode(readSecret(a.seedFile).toString('utf8').trim()))
      : a.kind === 'password' ? usernamePasswordAuthenticator(a.user, () => readSecret(a.passwordFile).toString('utf8').replace(/\r?\n$/, ''))
        : undefined;
  return {
    servers: [...cfg.servers], name, inboxPrefix: cfg.inboxPrefix,
    ...(authenticator ? { authenticator } : {}),
    ...(cfg.tls ? { tls: { ...cfg.tls } } : {}),
  };
}

/** What may be logged about a NATS config: servers, how it authenticates (never with what), whether TLS is on. */
export function describeNats(cfg: NatsConfig): Record<string, unknown> {
  const a = cfg.auth;
  return {
    servers: cfg.servers, auth: a.kind, ...(a.kind === 'password' ? { user: a.user } : {}),
    tls: cfg.tls ? { ca: !!cfg.tls.caFile, clientCert: !!cfg.tls.certFile } : false, inboxPrefix: cfg.inboxPrefix,
  };
}

/** Thrown when NATS cannot be reached or refuses us; the message says which, without any secret. */
export class NatsConnectFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsConnectFailed';
  }
}

/** Connects to NATS with the app's identity and keeps reconnecting forever; connection state changes are logged. */
export async function connectNats(opts: { nats: NatsConfig; name: string; logger: Logger; timeoutMs?: number }): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...natsConnectionOptions(opts.nats, opts.name), maxReconnectAttempts: -1, reconnectTimeWait: 250,
      timeout: opts.timeoutMs ?? 5000, pingInterval: 5000,
    });
  } catch (err) {
    const code = (err as { code?: string })?.code ?? '';
    const why = /AUTHORIZATION|AUTHENTICATION/i.test(code + String(err)) ? `the server refused our ${opts.nats.auth.kind === 'none' ? 'missing credentials' : `${opts.nats.auth.kind} credentials`}` : String((err as Error)?.message ?? err);
    throw new NatsConnectFailed(`cannot connect to NATS ${opts.nats.servers.join(',')} as ${opts.name}: ${why}`, { cause: err });
  }
  opts.logger.info({ op: 'nats', status: 'connected', ...describeNats(opts.nats) }, 'nats connected');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') opts.logger.warn({ op: 'nats', status: s.type, data: String(s.data) }, `nats ${s.type}`);
    }
  })();
  return nc;
}
