import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  issueApplicationCredentialToken, issuePasswordToken, keystoneAdmin, KeystoneStartFailed, launchKeystone,
  type IssuedKeystoneToken, type KeystoneAdmin, type KeystoneProcess, type KeystoneRef,
} from '@lbaas/app-shell';
import { freePort } from './free-port';

/**
 * A real Keystone (Debian 12's `keystone` 22, see libs/app-shell keystone-launcher) for tests and benchmarks, on
 * 127.0.0.1 and a free port, in a temporary directory, provisioned with the roles, projects and users that
 * Octavia's policy is about. Needs root and the package (`scripts/install.sh --tests`).
 */

/** Roles of the test Keystone: the current defaults, `service`, and Octavia's legacy `load-balancer_*` roles. */
export const TEST_KEYSTONE_ROLES = [
  'reader', 'member', 'admin', 'service',
  'load-balancer_observer', 'load-balancer_global_observer', 'load-balancer_member', 'load-balancer_quota_admin', 'load-balancer_admin',
] as const;
export type TestKeystoneRole = (typeof TEST_KEYSTONE_ROLES)[number];

/** Projects: A and B (tenants), `disabled` (disabled after set-up), `service` (the lbaas service user's), `admin` (bootstrap). */
export type TestKeystoneProject = 'A' | 'B' | 'disabled' | 'service' | 'admin';

/** The users, each with one role on one project (`admin` is the bootstrap user: admin on project admin and on the system). */
export const TEST_KEYSTONE_USERS = {
  'admin': { project: 'admin', role: 'admin' },
  'a-reader': { project: 'A', role: 'reader' },
  'a-member': { project: 'A', role: 'member' },
  'a-admin': { project: 'A', role: 'admin' },
  'b-reader': { project: 'B', role: 'reader' },
  'b-member': { project: 'B', role: 'member' },
  'a-lb-observer': { project: 'A', role: 'load-balancer_observer' },
  'a-lb-global-observer': { project: 'A', role: 'load-balancer_global_observer' },
  'a-lb-member': { project: 'A', role: 'load-balancer_member' },
  'a-lb-quota-admin': { project: 'A', role: 'load-balancer_quota_admin' },
  'a-lb-admin': { project: 'A', role: 'load-balancer_admin' },
  'lbaas': { project: 'service', role: 'service' },
  /** Member of the disabled project. */
  'disabled-project-member': { project: 'disabled', role: 'member' },
  /** Member of A, disabled after set-up. */
  'disabled-user': { project: 'A', role: 'member' },
} as const satisfies Record<string, { project: TestKeystoneProject; role: TestKeystoneRole }>;
export type TestKeystoneUserName = keyof typeof TEST_KEYSTONE_USERS;

export type TestKeystoneUser = Readonly<{ id: string; name: TestKeystoneUserName; password: string; project: TestKeystoneProject; role: TestKeystoneRole }>;

export type TestKeystoneOptions = Readonly<{
  /** Public URL of lbaas to register as service type `load-balancer` (can also be set later: registerLoadBalancer). */
  loadBalancerUrl?: string;
  /** Token lifetime in seconds (Keystone's default 3600). */
  tokenExpirationS?: number;
  /** Keep the directory after stop() (for looking at keystone.conf and the database). */
  keepDir?: boolean;
}>;

/** How long the phases of a start took (milliseconds). */
export type TestKeystoneTimings = Readonly<{ setupMs: number; startMs: number; provisionMs: number; totalMs: number }>;

export interface TestKeystone {
  /** `http://127.0.0.1:<port>`: what KEYSTONE_URL / KEYSTONE_PUBLIC_URL take. */
  readonly url: string;
  /** `<url>/v3`: OS_AUTH_URL for the openstack CLI. */
  readonly authUrl: string;
  readonly region: string;
  readonly dir: string;
  readonly pid: number | undefined;
  readonly projects: Readonly<Record<TestKeystoneProject, KeystoneRef>>;
  readonly roles: Readonly<Record<TestKeystoneRole, KeystoneRef>>;
  readonly users: Readonly<Record<TestKeystoneUserName, TestKeystoneUser>>;
  /** An admin client (bootstrap admin, project admin). */
  readonly admin: KeystoneAdmin;
  readonly timings: TestKeystoneTimings;
  /** A project-scoped token of `user` for its own project (or `project`), by password. */
  token(user: TestKeystoneUserName, project?: TestKeystoneProject): Promise<string>;
  /** Like token(), with Keystone's token document. */
  issue(user: TestKeystoneUserName, scope?: TestKeystoneProject | 'system' | 'unscoped'): Promise<IssuedKeystoneToken>;
  /** A project-scoped token of `user` that expires in about `seconds` (an application credential with that expiry). */
  shortLivedToken(user: TestKeystoneUserName, seconds: number): Promise<IssuedKeystoneToken>;
  revoke(token: string): Promise<void>;
  setProjectEnabled(project: TestKeystoneProject, enabled: boolean): Promise<void>;
  setUserEnabled(user: TestKeystoneUserName, enabled: boolean): Promise<void>;
  /** Registers (or moves) the `load-balancer` catalog entry. */
  registerLoadBalancer(publicUrl: string): Promise<void>;
  /** SIGSTOP to Keystone's processes: connections are accepted by the kernel and never answered. */
  pause(): void;
  resume(): void;
  /** Stops Keystone, keeping the directory (restart() brings it back with the same tokens). */
  stopProcess(): Promise<void>;
  restart(): Promise<void>;
  /** Stops Keystone and removes its directory. Idempotent. */
  stop(): Promise<void>;
  logs(): string;
}

const secret = () => randomBytes(12).toString('base64url');

/**
 * Where test Keystones take their schema and keys from (launchKeystone's seedDir: ~8 s of the ~10 s set-up, once per
 * machine and Keystone version, not once per test file). Undefined when the package's version cannot be read.
 */
function seedDir(): string | undefined {
  try {
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'keystone'], { encoding: 'utf8' }).trim();
    return /^[\w.:~+-]+$/.test(version) ? join(tmpdir(), `lbaas-keystone-seed-${version.replace(/[^\w.-]/g, '_')}`) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts and provisions a test Keystone (cold: about 10 s on 2 cores; from the seed about 5 s). */
export async function startTestKeystone(opts: TestKeystoneOptions = {}): Promise<TestKeystone> {
  const t0 = performance.now();
  const adminPassword = secret();
  let dir = '';
  let ks: KeystoneProcess | undefined;
  for (let attempt = 1; !ks; attempt++) {
    dir = await mkdtemp(join(tmpdir(), 'lbaas-keystone-'));
    try {
      // The catalog names the port, so it is chosen before bootstrap; a port taken meanwhile means starting over.
      ks = await launchKeystone({
        dir, port: await freePort(), adminPassword, passwordHashRounds: 4, tokenExpirationS: opts.tokenExpirationS, threads: 8,
        seedDir: seedDir(),
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (!(err instanceof KeystoneStartFailed && err.portInUse) || attempt >= 5) throw err;
    }
  }
  const proc = ks;
  const t1 = performance.now();
  try {
    const admin = keystoneAdmin(proc.url, (await issuePasswordToken(proc.url, {
      userName: 'admin', password: adminPassword, project: { name: 'admin' },
    })).token);
    const roles = {} as Record<TestKeystoneRole, KeystoneRef>;
    for (const r of TEST_KEYSTONE_ROLES) roles[r] = await admin.ensureRole(r);
    const projects = {
      admin: await admin.ensureProject('admin'),
      service: await admin.ensureProject('service', { description: 'service users' }),
      A: await admin.ensureProject('project-a', { description: 'tenant A' }),
      B: await admin.ensureProject('project-b', { description: 'tenant B' }),
      disabled: await admin.ensureProject('project-disabled', { description: 'disabled after set-up' }),
    } satisfies Record<TestKeystoneProject, KeystoneRef>;
    const users = {} as Record<TestKeystoneUserName, TestKeystoneUser>;
    for (const [name, u] of Object.entries(TEST_KEYSTONE_USERS) as [TestKeystoneUserName, (typeof TEST_KEYSTONE_USERS)[TestKeystoneUserName]][]) {
      const password = name === 'admin' ? adminPassword : secret();
      const ref = name === 'admin'
        ? (await admin.request<{ users: KeystoneRef[] }>('GET', '/users?name=admin')).users[0]
        : await admin.ensureUser(name, password, { defaultProjectId: projects[u.project].id });
      if (name !== 'admin') await admin.grantProjectRole(projects[u.project].id, ref.id, roles[u.role].id);
      users[name] = { id: ref.id, name, password, project: u.project, role: u.role };
    }
    await admin.setProjectEnabled(projects.disabled.id, false);
    await admin.setUserEnabled(users['disabled-user'].id, false);
    if (opts.loadBalancerUrl) await admin.ensureService('load-balancer', 'octavia', opts.loadBalancerUrl);
    const t2 = performance.now();

    const issue = (user: TestKeystoneUserName, scope: TestKeystoneProject | 'system' | 'unscoped' = users[user].project) => {
      const u = users[user];
      return issuePasswordToken(proc.url, {
        userName: u.name, password: u.password,
        ...(scope === 'system' ? { system: true } : scope === 'unscoped' ? {} : { project: { id: projects[scope].id } }),
      });
    };
    let stopped = false;
    return {
      url: proc.url,
      authUrl: `${proc.url}/v3`,
      region: 'RegionOne',
      dir,
      get pid() { return proc.pid; },
      projects, roles, users, admin,
      timings: {
        setupMs: proc.timings.setupMs, startMs: proc.timings.startMs, provisionMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0),
      },
      token: async (user, project) => (await issue(user, project)).token,
      issue,
      async shortLivedToken(user, seconds) {
        const own = await issue(user);
        const expires = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, '');
        const cred = await keystoneAdmin(proc.url, own.token).request<{ application_credential: { id: string; secret: string } }>(
          'POST', `/users/${users[user].id}/application_credentials`,
          { application_credential: { name: `short-${secret()}`, expires_at: expires } },
        );
        return issueApplicationCredentialToken(proc.url, cred.application_credential.id, cred.application_credential.secret);
      },
      revoke: (token) => admin.revokeToken(token),
      setProjectEnabled: (project, enabled) => admin.setProjectEnabled(projects[project].id, enabled),
      setUserEnabled: (user, enabled) => admin.setUserEnabled(users[user].id, enabled),
      registerLoadBalancer: async (publicUrl) => { await admin.ensureService('load-balancer', 'octavia', publicUrl); },
      pause: () => proc.signal('SIGSTOP'),
      resume: () => proc.signal('SIGCONT'),
      stopProcess: () => proc.stop(),
      restart: () => proc.restart(),
      async stop() {
        if (stopped) return;
        stopped = true;
        await proc.stop();
        if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
      },
      logs: () => proc.logs(),
    };
  } catch (err) {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`test keystone: provisioning failed: ${err instanceof Error ? err.message : String(err)}\n${proc.logs().split('\n').slice(-20).join('\n')}`, { cause: err });
  }
}

/** True when Debian's keystone package is installed (the suites that need it fail loudly otherwise). */
export const keystoneInstalled = (): boolean => existsSync('/usr/bin/keystone-wsgi-public');

/**
 * jest hooks: one test Keystone for the calling file (beforeAll; cold set-up takes ~10 s, so the hook allows 120 s),
 * stopped and removed in afterAll. The returned object is valid inside tests.
 */
export function keystonePerFile(opts: TestKeystoneOptions = {}): TestKeystone {
  let ks: TestKeystone | undefined;
  beforeAll(async () => { ks = await startTestKeystone(opts); }, 120_000);
  afterAll(async () => { await ks?.stop(); }, 30_000);
  const need = (): TestKeystone => {
    if (!ks) throw new Error('keystonePerFile: the Keystone is only available inside tests (after beforeAll)');
    return ks;
  };
  return new Proxy({} as TestKeystone, {
    get: (_t, prop) => {
      const k = need() as unknown as Record<string | symbol, unknown>;
      const v = k[prop];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(k) : v;
    },
  });
}
