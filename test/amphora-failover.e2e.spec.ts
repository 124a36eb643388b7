import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { canUseNetns, netnsRunId } from '@lbaas/testing';
import { servedLoadBalancer, startHostsLab, type HostsLab } from './support/hosts';
import { apiClient, type ApiClient } from './support/stack';
import { cliEnv, OPENSTACK } from './support/cli';

/**
 * Octavia's amphora failover as operators call it, across two controller hosts (test/support/hosts.ts: a load balancer
 * moves between agents only between hosts, its copy is made before the old one breaks): the real
 * `openstack loadbalancer amphora failover --wait` and openstacksdk's `failover_amphora` rebuild the instance on the
 * other host (a new amphora id, its compute_id the other host), and the VIP answers from there.
 */
const PYTHON = '/usr/bin/python3';
const root = canUseNetns();
const have = existsSync(OPENSTACK) && existsSync('/usr/lib/python3/dist-packages/openstack/load_balancer');
if (!root || !have) console.warn('SKIPPED LOUDLY: test/amphora-failover.e2e.spec.ts needs root, the openstack CLI and openstacksdk; CI has them');
const maybe = root && have ? describe : describe.skip;

const run = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => execFile(cmd, args, { timeout: 120_000, env: { ...process.env, OS_CLOUD: '', ...env } },
    (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })));

maybe('amphora failover across hosts (CLI and SDK)', () => {
  const id = netnsRunId();
  let lab: HostsLab;
  let api: ApiClient;
  let lb = '';
  let vip = '';
  const os = (...args: string[]) => run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', lab.apiUrl, ...args], cliEnv());
  const amphora = async () => {
    const r = await os('loadbalancer', 'amphora', 'list', '--loadbalancer', lb, '--long', '-f', 'json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const list = JSON.parse(r.stdout);
    expect(list).toHaveLength(1);
    return list[0] as { id: string; compute_id: string; status: string; cached_zone: string };
  };
  const served = async () => {
    const r = await run('ip', ['netns', 'exec', lab.clientNs, 'curl', '-s', '-m', '3', `http://${vip}/`]);
    return r.stdout.split(' ')[0];
  };

  beforeAll(async () => {
    lab = await startHostsLab({ id, hosts: 2, agentEnv: { AVAILABILITY_ZONE: 'rack-f' } });
    api = apiClient(lab.apiUrl, { 'x-project-id': 'e2e-project' });
    const waitActive = (lbId: string) => api.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);
    ({ lb, vip } = await servedLoadBalancer(api, lab, 'amp', waitActive));
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
  }, 120_000);

  it('the CLI fails an amphora over to the other host; the VIP answers from there', async () => {
    const before = await amphora();
    expect(before).toMatchObject({ status: 'ALLOCATED', cached_zone: 'rack-f' });
    expect(['web1', 'web2']).toContain(await served());
    const r = await os('loadbalancer', 'amphora', 'failover', '--wait', before.id);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const after = await amphora();
    expect(after.id).not.toBe(before.id);
    expect(after.compute_id).not.toBe(before.compute_id);
    expect(after.status).toBe('ALLOCATED');
    expect(['web1', 'web2']).toContain(await served());
    const gone = await os('loadbalancer', 'amphora', 'show', before.id);
    expect(gone.code).toBe(1);
  });

  it('openstacksdk fails it over back', async () => {
    const before = await amphora();
    const script = [
      'import sys, openstack',
      "c = openstack.connection.Connection(auth_type='none', auth={'endpoint': sys.argv[1]}).load_balancer",
      'c.failover_amphora(sys.argv[2])',
      'c.wait_for_load_balancer(sys.argv[3], interval=0.2, wait=60)',
    ].join('\n');
    const r = await run(PYTHON, ['-c', script, lab.apiUrl, before.id, lb]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const after = await amphora();
    expect(after.compute_id).not.toBe(before.compute_id);
    expect(['web1', 'web2']).toContain(await served());
  });
});
