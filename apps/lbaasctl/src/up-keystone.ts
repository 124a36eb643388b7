import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issuePasswordToken, keystoneAdmin, launchKeystone, type AppProcess, type KeystoneProcess } from '@lbaas/app-shell';
import type { EmbeddedConfig } from './embedded-config';

/**
 * `lbaasctl up --keystone`: a local Keystone (Debian's package, run by libs/app-shell keystone-launcher) beside the
 * embedded stack, so a newcomer can try the real `openstack` CLI with password authentication: lbaas registered in
 * the catalog (service types `load-balancer`, and `network` for the subnets the CLI resolves), the api validating
 * tokens against it (AUTH_STRATEGY=keystone), two demo projects with a member each, and an openrc file per user.
 * Passwords are generated once and kept in <home>/keystone/credentials.json (0600), so a second `up` reuses them.
 */
export type EmbeddedKeystone = Readonly<{
  /** The api's environment: validate tokens with this Keystone. */
  apiEnv: Readonly<Record<string, string>>;
  /** Headers of the admin (project admin), for the operator's steps (the demo network is a provider network). */
  adminHeaders(): Promise<Record<string, string>>;
  /** What to tell the newcomer. */
  describe(): string[];
  /** The Keystone process, in the shape the embedded stack supervises. */
  process: AppProcess;
}>;

/** The demo users: one member in each demo project. */
export const DEMO_USERS = [{ user: 'demo-a', project: 'demo-a' }, { user: 'demo-b', project: 'demo-b' }] as const;
const ROLES = ['reader', 'member', 'admin', 'service', 'load-balancer_observer', 'load-balancer_global_observer',
  'load-balancer_member', 'load-balancer_quota_admin', 'load-balancer_admin'];

type Credentials = { admin: string; lbaas: string; users: Record<string, string> };
const secret = (): string => randomBytes(12).toString('base64url');

function credentials(dir: string): Credentials {
  const file = join(dir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  const c: Credentials = { admin: secret(), lbaas: secret(), users: Object.fromEntries(DEMO_USERS.map((u) => [u.user, secret()])) };
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  return c;
}

/** An openrc file (what `source` gives the openstack CLI): password authentication, project-scoped. */
export function openrc(authUrl: string, user: string, password: string, project: string): string {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    `# lbaas demo credentials: source this file, then try \`openstack loadbalancer list\``,
    `export OS_AUTH_URL=${q(authUrl)}`, `export OS_IDENTITY_API_VERSION=3`, `export OS_AUTH_TYPE=password`,
    `export OS_USERNAME=${q(user)}`, `export OS_PASSWORD=${q(password)}`, `export OS_PROJECT_NAME=${q(project)}`,
    `export OS_USER_DOMAIN_NAME=Default`, `export OS_PROJECT_DOMAIN_NAME=Default`, `export OS_REGION_NAME=RegionOne`,
    `export OS_INTERFACE=public`, '',
  ].join('\n');
}

/** Starts (or restarts, keeping its database) the demo Keystone and provisions it; idempotent. */
export async function startEmbeddedKeystone(cfg: EmbeddedConfig, say: (msg: string) => void): Promise<EmbeddedKeystone> {
  if (!existsSync('/usr/bin/keystone-wsgi-public')) {
    throw new Error('--keystone needs Debian\'s keystone package: run `sudo bash scripts/install.sh --keystone` (scripts/up.sh --keystone does)');
  }
  const port = cfg.keystonePort;
  const dir = join(cfg.home, 'keystone');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const c = credentials(dir);
  say(`starting keystone on 127.0.0.1:${port} (Debian's, state in ${dir})`);
  const ks: KeystoneProcess = await launchKeystone({ dir, port, adminPassword: c.admin, logFile: join(cfg.home, 'logs', 'keystone.log'), threads: 8 });
  const authUrl = `${ks.url}/v3`;
  const apiUrl = `http://${cfg.apiHost}:${cfg.apiPort}`;
  const adminToken = async () => (await issuePasswordToken(ks.url, { userName: 'admin', password: c.admin, project: { name: 'admin' } })).token;
  try {
    const admin = keystoneAdmin(ks.url, await adminToken());
    // One call at a time: Keystone 22 on SQLite answers concurrent admin calls of a fresh process unreliably.
    const roles: Record<string, { id: string }> = {};
    for (const name of ROLES) roles[name] = await admin.ensureRole(name);
    const service = await admin.ensureProject('service', { description: 'service users' });
    const lbaas = await admin.ensureUser('lbaas', c.lbaas, { defaultProjectId: service.id });
    await admin.grantProjectRole(service.id, lbaas.id, roles.service.id);
    for (const u of DEMO_USERS) {
      const p = await admin.ensureProject(u.project, { description: 'an lbaas demo tenant' });
      const user = await admin.ensureUser(u.user, c.users[u.user], { defaultProjectId: p.id });
      await admin.grantProjectRole(p.id, user.id, roles.member.id);
    }
    // The CLI finds lbaas by service type; it resolves subnets through the network service, which lbaas serves too.
    await admin.ensureService('load-balancer', 'lbaas', apiUrl);
    await admin.ensureService('network', 'lbaas-networks', apiUrl);
  } catch (err) {
    await ks.stop();
    throw new Error(`keystone provisioning failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const passwordFile = join(dir, 'lbaas.password');
  writeFileSync(passwordFile, `${c.lbaas}\n`, { mode: 0o600 });
  const files: string[] = [];
  for (const [user, password, project] of [['admin', c.admin, 'admin'], ...DEMO_USERS.map((u) => [u.user, c.users[u.user], u.project])]) {
    const file = join(cfg.home, `openrc-${user}`);
    writeFileSync(file, openrc(authUrl, user, password, project), { mode: 0o600 });
    files.push(file);
  }
  let stopped = false;
  const supervised: AppProcess = {
    name: 'keystone',
    get pid() { return ks.pid; },
    get running() { return !stopped && ks.pid !== undefined; },
    exited: new Promise<void>(() => undefined), // supervised by the launcher; `up` stops it with the rest
    exitStatus: null,
    output: () => ks.logs(),
    waitForLine: () => Promise.reject(new Error('keystone: waitForLine is not supported')),
    stop: async () => { stopped = true; await ks.stop(); },
  };
  return {
    apiEnv: { AUTH_STRATEGY: 'keystone', KEYSTONE_URL: ks.url, KEYSTONE_SERVICE_USER: 'lbaas', KEYSTONE_SERVICE_PASSWORD_FILE: passwordFile },
    adminHeaders: async () => ({ 'x-auth-token': await adminToken() }),
    describe: () => [
      `keystone: ${authUrl} (lbaas is service type load-balancer in its catalog; the api validates every token with it)`,
      `credentials: ${files.join(', ')}`,
      `try: source ${files[1]}; openstack loadbalancer create --vip-subnet-id demo-subnet --name demo --wait`,
      `     source ${files[2]}; openstack loadbalancer list   # demo-b sees none of demo-a's`,
    ],
    process: supervised,
  };
}
