import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseNetns, createBridge, keystoneInstalled, netnsRunId, removeLinks, startTestKeystone, type TestKeystone, type TestKeystoneUserName } from '@lbaas/testing';
import { apiClient, startStack, type Stack } from './support/stack';
import { cliEnv, OPENSTACK } from './support/cli';

/**
 * The real `openstack loadbalancer ...` CLI (Debian's python3-octaviaclient) with password authentication against a
 * real Keystone (Debian's, started here), finding lbaas through Keystone's catalog (service type `load-balancer`, and
 * `network` for the subnet it resolves), against a real stack whose api validates every token with that Keystone
 * (AUTH_STRATEGY=keystone): a member of project A creates, lists, shows and deletes a load balancer with --wait; a
 * member of project B cannot see or delete it; a reader cannot create one; a wrong password never reaches lbaas.
 */
const ok = canUseNetns() && existsSync(OPENSTACK) && keystoneInstalled();
if (!ok) console.warn(`SKIPPED LOUDLY: test/keystone-cli.e2e.spec.ts needs root, ${OPENSTACK} (python3-octaviaclient) and Debian's keystone; CI has all three`);
const maybe = ok ? describe : describe.skip;

type Run = { code: number; stdout: string; stderr: string };

maybe('the openstack CLI with Keystone password authentication', () => {
  const id = netnsRunId();
  const bridge = `brk${id}`;
  const prefix = `10.245.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  let ks: TestKeystone;
  let stack: Stack;
  let dir = '';
  let lbId = '';

  /** One CLI call as `user` (password authentication; everything else from Keystone's catalog). */
  const os = (user: TestKeystoneUserName, args: string[], password = ks.users[user].password): Promise<Run> => new Promise((resolve) => {
    const project = ks.users[user].project === 'A' ? 'project-a' : ks.users[user].project === 'B' ? 'project-b' : ks.users[user].project;
    // --os-password=<pw>: a generated password may start with '-'.
    execFile(OPENSTACK, [
      '--os-auth-url', ks.authUrl, '--os-identity-api-version', '3', '--os-username', user, `--os-password=${password}`,
      '--os-project-name', project, '--os-user-domain-id', 'default', '--os-project-domain-id', 'default',
      '--os-region-name', ks.region, '--os-interface', 'public', ...args,
    ], { timeout: 120_000, env: { ...process.env, OS_CLOUD: '', HOME: dir, ...cliEnv() } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lbaas-kscli-'));
    ks = await startTestKeystone();
    const passwordFile = join(dir, 'service-password');
    writeFileSync(passwordFile, ks.users.lbaas.password, { mode: 0o600 });
    await createBridge(bridge);
    stack = await startStack({
      runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 1,
      apiEnv: { AUTH_STRATEGY: 'keystone', KEYSTONE_URL: ks.url, KEYSTONE_SERVICE_PASSWORD_FILE: passwordFile },
    });
    await ks.registerLoadBalancer(stack.apiUrl);
    await ks.admin.ensureService('network', 'lbaas-networks', stack.apiUrl);
    // The operator's part: a shared provider network (admins only).
    const admin = apiClient(stack.apiUrl, { 'x-auth-token': await ks.token('admin') });
    const net = await admin.post('/v2.0/networks', { network: { name: `ks-${id}`, 'provider:physical_network': `physnet-${id}`, shared: true } });
    if (net.status !== 201) throw new Error(`network: ${net.status} ${JSON.stringify(net.body)}`);
    const sub = await admin.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, name: `ks-${id}-subnet`, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1` } });
    if (sub.status !== 201) throw new Error(`subnet: ${sub.status} ${JSON.stringify(sub.body)}`);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await ks?.stop();
    await removeLinks(bridge);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a member of A creates a load balancer with --wait and finds it by list and show', async () => {
    const created = await os('a-member', ['loadbalancer', 'create', '--name', `ks-lb-${id}`, '--vip-subnet-id', `ks-${id}-subnet`, '--wait', '-f', 'json']);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const lb = JSON.parse(created.stdout);
    lbId = lb.id;
    expect(lb).toMatchObject({ provisioning_status: 'ACTIVE', project_id: ks.projects.A.id, vip_address: `${prefix}.2` });
    const list = await os('a-member', ['loadbalancer', 'list', '-f', 'json']);
    expect(JSON.parse(list.stdout).map((x: { id: string }) => x.id)).toContain(lbId);
    const shown = await os('a-member', ['loadbalancer', 'show', `ks-lb-${id}`, '-f', 'json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: lbId, name: `ks-lb-${id}` });
  }, 180_000);

  it('a member of B neither sees nor deletes it (404 through the CLI), and a reader of A cannot create one (403)', async () => {
    const list = await os('b-member', ['loadbalancer', 'list', '-f', 'json']);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toEqual([]);
    const show = await os('b-member', ['loadbalancer', 'show', lbId]);
    expect(show.code).not.toBe(0);
    expect(show.stderr).toMatch(/Unable to locate|not found|404/i);
    const del = await os('b-member', ['loadbalancer', 'delete', lbId]);
    expect(del.code).not.toBe(0);
    const reader = await os('a-reader', ['loadbalancer', 'create', '--name', 'nope', '--vip-subnet-id', `ks-${id}-subnet`]);
    expect(reader.code).not.toBe(0);
    expect(reader.stderr).toMatch(/Policy does not allow this request to be performed\. \(HTTP 403\)/);
    // Still there and still A's.
    const again = await os('a-member', ['loadbalancer', 'show', lbId, '-f', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: lbId, provisioning_status: 'ACTIVE' });
  }, 180_000);

  it('a wrong password is refused by Keystone before lbaas sees anything', async () => {
    const r = await os('a-member', ['loadbalancer', 'list'], 'wrong-password');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/authenticate|401/i);
  }, 60_000);

  it('the member of A deletes it with --wait', async () => {
    const del = await os('a-member', ['loadbalancer', 'delete', '--wait', lbId]);
    expect({ code: del.code, stderr: del.stderr }).toEqual({ code: 0, stderr: '' });
    const list = await os('a-member', ['loadbalancer', 'list', '-f', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  }, 180_000);
});
