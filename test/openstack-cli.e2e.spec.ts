import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { canUseNetns, createBridge, netnsRunId, removeLinks } from '@lbaas/testing';
import { cliEnv, OPENSTACK } from './support/cli';
import { apiClient, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * The real `openstack loadbalancer ...` CLI (Debian's python3-octaviaclient) against a real stack (api, scheduler,
 * failover-watcher, two agents building haproxy in namespaces), with nothing but `--os-auth-type none --os-endpoint`:
 * create, list, show, set, unset and delete of every resource with --wait, status and stats, quotas, cascade delete.
 * Python starts slowly (1-2 s per CLI call), so most steps run as one batch in the CLI's interactive mode (commands on
 * stdin, endpoint in OS_AUTH_TYPE/OS_ENDPOINT, the same options in environment form): one process, many commands.
 */
const root = canUseNetns();
const have = existsSync(OPENSTACK);
if (!root || !have) console.warn(`SKIPPED LOUDLY: test/openstack-cli.e2e.spec.ts needs root and ${OPENSTACK} (python3-octaviaclient); CI has both`);
const maybe = root && have ? describe : describe.skip;

type Run = { code: number; stdout: string; stderr: string };

/** The JSON documents printed one after another (the answers of a batch, in order); other text is skipped. */
export function jsonDocuments(text: string): any[] {
  const out: any[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '{' && c !== '[') { i++; continue; }
    let depth = 0, inString = false, j = i;
    for (; j < text.length; j++) {
      const ch = text[j];
      if (inString) { if (ch === '\\') j++; else if (ch === '"') inString = false; continue; }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') { depth--; if (depth === 0) break; }
    }
    out.push(JSON.parse(text.slice(i, j + 1)));
    i = j + 1;
  }
  return out;
}

maybe('the openstack CLI drives the whole Octavia v2 API', () => {
  const id = netnsRunId();
  const bridge = `brc${id}`;
  const prefix = `10.243.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  const subnet = `cli-${id}-subnet`;
  let stack: Stack;
  let api: ApiClient;
  let lbId = '';
  /** The tree is ACTIVE again (on a loaded machine an agent may be failed over between two batches). */
  const settled = () => api.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);

  const exec = (args: string[], env: Record<string, string>, input?: string): Promise<Run> => new Promise((resolve) => {
    const child = execFile(OPENSTACK, args, { timeout: 120_000, env: { ...process.env, OS_CLOUD: '', ...cliEnv(), ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
  /** One CLI call with nothing but --os-auth-type none --os-endpoint <url>. */
  const os = (...args: string[]): Promise<Run> => exec(['--os-auth-type', 'none', '--os-endpoint', stack.apiUrl, ...args], {});
  /** Several CLI commands in one process (interactive mode); resolves with stdout's JSON documents, in order. */
  const batch = async (...commands: string[]): Promise<{ docs: any[]; stderr: string }> => {
    const r = await exec([], { OS_AUTH_TYPE: 'none', OS_ENDPOINT: stack.apiUrl }, `${commands.join('\n')}\n`);
    return { docs: jsonDocuments(r.stdout), stderr: r.stderr };
  };

  beforeAll(async () => {
    await createBridge(bridge);
    // Both agents in availability zone rack-a, with a management address (amphora lb_network_ip).
    stack = await startStack({
      runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2,
      env: { AVAILABILITY_ZONE: 'rack-a', MANAGEMENT_ADDRESS: '127.0.0.1', PLACEMENT_TIMEOUT_MS: '3000' },
    });
    api = apiClient(stack.apiUrl);
    const net = await api.post('/v2.0/networks', { network: { name: `cli-${id}`, 'provider:physical_network': `physnet-${id}` } });
    await api.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, name: subnet, ip_version: 4, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1` } });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await removeLinks(bridge);
  }, 120_000);

  it('creates a whole tree with --wait (a single CLI call for the load balancer), each object ACTIVE when its command returns', async () => {
    const single = await os('loadbalancer', 'create', '--name', 'cli-lb', '--vip-subnet-id', subnet, '--description', 'from the CLI', '--tag', 'cli', '--wait', '-f', 'json');
    expect(single.code).toBe(0);
    const lb = JSON.parse(single.stdout);
    lbId = lb.id;
    expect(lb).toMatchObject({ name: 'cli-lb', provider: 'lbaas', project_id: 'e2e-project' });
    const { docs, stderr } = await batch(
      'loadbalancer show cli-lb -f json',
      'loadbalancer listener create --name cli-l --protocol HTTP --protocol-port 80 --wait -f json cli-lb',
      'loadbalancer pool create --name cli-p --listener cli-l --protocol HTTP --lb-algorithm ROUND_ROBIN --wait -f json',
      `loadbalancer member create --name cli-m1 --address ${prefix}.11 --protocol-port 8080 --subnet-id ${subnet} --wait -f json cli-p`,
      `loadbalancer member create --name cli-m2 --address ${prefix}.12 --protocol-port 8080 --weight 3 --wait -f json cli-p`,
      'loadbalancer healthmonitor create --name cli-hm --delay 5 --timeout 3 --max-retries 2 --type HTTP --url-path /healthz --wait -f json cli-p',
    );
    expect([docs.length, stderr]).toEqual([6, '']);
    expect(docs[0].provisioning_status).toBe('ACTIVE');
    expect(docs[1]).toMatchObject({ protocol: 'HTTP', protocol_port: 80 });
    expect(docs[2].lb_algorithm).toBe('ROUND_ROBIN');
    expect(docs[4]).toMatchObject({ weight: 3, address: `${prefix}.12` });
    expect(docs[5]).toMatchObject({ type: 'HTTP', url_path: '/healthz', http_method: 'GET', expected_codes: '200' });
    const tree = (await api.get(`/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
    expect(tree.provisioning_status).toBe('ACTIVE');
    expect(tree.listeners[0].pools[0].members.map((m: { provisioning_status: string }) => m.provisioning_status)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(tree.listeners[0].pools[0].health_monitor.provisioning_status).toBe('ACTIVE');
  });

  it('lists and shows every resource (found by name), the status tree and live statistics', async () => {
    const { docs, stderr } = await batch(
      'loadbalancer list -f json', 'loadbalancer listener list --loadbalancer cli-lb -f json', 'loadbalancer pool list -f json',
      'loadbalancer member list cli-p -f json', 'loadbalancer healthmonitor list -f json',
      'loadbalancer member show cli-p cli-m2 -f json', 'loadbalancer healthmonitor show cli-hm -f json', 'loadbalancer pool show cli-p -f json',
      'loadbalancer listener show cli-l -f json', 'loadbalancer status show cli-lb', 'loadbalancer stats show cli-lb -f json',
      'loadbalancer listener stats show cli-l -f json',
    );
    expect([docs.length, stderr]).toEqual([12, '']);
    const names = (d: { name: string }[]) => d.map((x) => x.name).sort();
    expect(names(docs[0])).toContain('cli-lb');
    expect(names(docs[1])).toEqual(['cli-l']);
    expect(names(docs[2])).toContain('cli-p');
    expect(names(docs[3])).toEqual(['cli-m1', 'cli-m2']);
    expect(names(docs[4])).toContain('cli-hm');
    expect(docs[5]).toMatchObject({ weight: 3, address: `${prefix}.12`, name: 'cli-m2' });
    expect(docs[6]).toMatchObject({ delay: 5, max_retries: 2, name: 'cli-hm' });
    expect(docs[7]).toMatchObject({ protocol: 'HTTP', name: 'cli-p' });
    expect(docs[8]).toMatchObject({ protocol_port: 80, name: 'cli-l' });
    expect(docs[9].loadbalancer).toMatchObject({ name: 'cli-lb', provisioning_status: 'ACTIVE' });
    expect(docs[9].loadbalancer.listeners[0].pools[0].health_monitor.name).toBe('cli-hm');
    expect(Object.keys(docs[10]).sort()).toEqual(['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections']);
    expect(docs[11]).toHaveProperty('total_connections');
  });

  it('sets and unsets attributes of every resource with --wait', async () => {
    await settled();
    const { stderr } = await batch(
      'loadbalancer set --description changed --wait cli-lb',
      'loadbalancer listener set --connection-limit 1000 --wait cli-l',
      'loadbalancer pool set --lb-algorithm LEAST_CONNECTIONS --description p --wait cli-p',
      'loadbalancer member set --weight 7 --wait cli-p cli-m1',
      'loadbalancer healthmonitor set --delay 10 --wait cli-hm',
    );
    expect(stderr).toBe('');
    expect((await api.get('/v2/lbaas/loadbalancers?name=cli-lb')).body.loadbalancers[0].description).toBe('changed');
    expect((await api.get('/v2/lbaas/listeners?name=cli-l')).body.listeners[0].connection_limit).toBe(1000);
    const unset = await batch(
      'loadbalancer unset --description --wait cli-lb',
      'loadbalancer listener unset --connection-limit --wait cli-l',
      'loadbalancer pool unset --description --wait cli-p',
      'loadbalancer member unset --weight --wait cli-p cli-m2',
      'loadbalancer healthmonitor unset --url-path --wait cli-hm',
    );
    expect(unset.stderr).toBe('');
    await settled();
    expect((await api.get('/v2/lbaas/loadbalancers?name=cli-lb')).body.loadbalancers[0]).toMatchObject({ description: '', provisioning_status: 'ACTIVE' });
    expect((await api.get('/v2/lbaas/listeners?name=cli-l')).body.listeners[0].connection_limit).toBe(-1);
    const pool = (await api.get('/v2/lbaas/pools?name=cli-p')).body.pools[0];
    expect(pool).toMatchObject({ lb_algorithm: 'LEAST_CONNECTIONS', description: '' });
    const members = (await api.get(`/v2/lbaas/pools/${pool.id}/members`)).body.members;
    expect(Object.fromEntries(members.map((m: { name: string; weight: number }) => [m.name, m.weight]))).toEqual({ 'cli-m1': 7, 'cli-m2': 1 });
    expect((await api.get('/v2/lbaas/healthmonitors?name=cli-hm')).body.healthmonitors[0]).toMatchObject({ delay: 10, url_path: '/' });
  });

  it('sets, shows and resets quotas (the project resolved through /projects), and the API enforces them', async () => {
    const { docs, stderr } = await batch(
      'loadbalancer quota defaults show -f json',
      'loadbalancer quota set --loadbalancer 1 e2e-project',
      'loadbalancer quota show e2e-project -f json',
      `loadbalancer create --name over --vip-subnet-id ${subnet} -f json`,
      'loadbalancer quota reset e2e-project',
      'loadbalancer quota list -f json',
    );
    expect(docs[0]).toMatchObject({ listener: -1 });
    expect(docs.find((d) => d.load_balancer === 1)).toBeDefined();
    expect(stderr).toContain('Quota has been met for resources: Load Balancer');
    // after the reset every limit reads null: "use the default" (Octavia)
    expect(docs.at(-1)[0]).toMatchObject({ project_id: 'e2e-project', load_balancer: null });
  });

  it('amphorae: list (by load balancer), show, stats and configure with --wait (failover: amphora-failover.e2e.spec.ts, across hosts)', async () => {
    await settled();
    const list = await batch(`loadbalancer amphora list --loadbalancer cli-lb --long -f json`);
    expect([list.docs.length, list.stderr]).toEqual([1, '']);
    const [amp] = list.docs[0];
    expect(amp).toMatchObject({ loadbalancer_id: lbId, role: 'STANDALONE', status: 'ALLOCATED', lb_network_ip: '127.0.0.1' });
    const before = (await api.get(`/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
    const { docs, stderr } = await batch(
      `loadbalancer amphora show ${amp.id} -f json`,
      `loadbalancer amphora stats show ${amp.id} -f json`,
      `loadbalancer amphora configure --wait ${amp.id}`,
      'loadbalancer amphora list --loadbalancer cli-lb --role STANDALONE --long -f json',
      'loadbalancer amphora list --loadbalancer cli-lb --role MASTER -f json',
    );
    expect([docs.length, stderr]).toEqual([4, '']);
    expect(docs[0]).toMatchObject({ id: amp.id, ha_ip: before.vip_address, cached_zone: 'rack-a', compute_id: amp.compute_id });
    expect(Object.keys(docs[1]).sort()).toEqual(['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections']);
    expect(docs[2].map((a: { id: string }) => a.id)).toEqual([amp.id]);
    expect(docs[3]).toEqual([]);
    expect((await api.get(`/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });

  it('flavor profiles, flavors, availability zone profiles and zones, and a load balancer made with them', async () => {
    // JSON arguments go through argv: the interactive mode's line parser splits them at spaces.
    const profiles = await Promise.all([
      os('loadbalancer', 'flavorprofile', 'create', '--name', 'cli-fp', '--provider', 'lbaas', '--flavor-data', '{"max_listener_connections": 2000}', '-f', 'json'),
      os('loadbalancer', 'availabilityzoneprofile', 'create', '--name', 'cli-azp', '--provider', 'lbaas', '--availability-zone-data', '{"compute_zone": "rack-a"}', '-f', 'json'),
    ]);
    expect(profiles.map((p) => [p.code, p.stderr])).toEqual([[0, ''], [0, '']]);
    const [fp, azp] = profiles.map((p) => JSON.parse(p.stdout));
    expect(fp).toMatchObject({ name: 'cli-fp', provider_name: 'lbaas', flavor_data: '{"max_listener_connections": 2000}' });
    expect(azp).toMatchObject({ name: 'cli-azp', provider_name: 'lbaas' });
    const { docs, stderr } = await batch(
      'loadbalancer provider capability list --flavor lbaas -f json',
      'loadbalancer provider capability list --availability-zone lbaas -f json',
      'loadbalancer flavorprofile show cli-fp -f json',
      'loadbalancer flavor create --name cli-flavor --flavorprofile cli-fp --description small --disable -f json',
      'loadbalancer availabilityzoneprofile show cli-azp -f json',
      'loadbalancer availabilityzone create --name cli-az --availabilityzoneprofile cli-azp --description first -f json',
      'loadbalancer flavorprofile set --name cli-fp2 cli-fp',
      'loadbalancer flavor set --enable cli-flavor',
      'loadbalancer availabilityzone set --description rack-a cli-az',
      'loadbalancer flavorprofile list -f json', 'loadbalancer flavor list -f json', 'loadbalancer flavor show cli-flavor -f json',
      'loadbalancer availabilityzoneprofile list -f json', 'loadbalancer availabilityzone list -f json', 'loadbalancer availabilityzone show cli-az -f json',
    );
    expect([docs.length, stderr]).toEqual([12, '']);
    expect(docs[0].map((c: { name: string }) => c.name)).toEqual(['loadbalancer_topology', 'max_listeners', 'max_listener_connections']);
    expect(docs[1].map((c: { name: string }) => c.name)).toEqual(['compute_zone', 'valid_vip_networks']);
    expect(docs[2]).toEqual(fp);
    expect(docs[3]).toMatchObject({ name: 'cli-flavor', enabled: false, description: 'small', flavor_profile_id: fp.id });
    expect(docs[4]).toEqual(azp);
    expect(docs[6].map((p: { name: string }) => p.name)).toEqual(['cli-fp2']);
    expect(docs[8]).toMatchObject({ name: 'cli-flavor', enabled: true });
    expect(docs[11]).toMatchObject({ name: 'cli-az', description: 'rack-a', availability_zone_profile_id: docs[4].id });
    const made = await os('loadbalancer', 'create', '--name', 'cli-zoned', '--vip-subnet-id', subnet, '--flavor', 'cli-flavor', '--availability-zone', 'cli-az', '--wait', '-f', 'json');
    expect([made.code, made.stderr]).toEqual([0, '']);
    expect(JSON.parse(made.stdout)).toMatchObject({ flavor_id: docs[3].id, availability_zone: 'cli-az', provisioning_status: 'ACTIVE' });
    const more = await batch(
      'loadbalancer amphora list --loadbalancer cli-zoned --long -f json',
      'loadbalancer listener create --name cli-zl --protocol HTTP --protocol-port 80 --wait -f json cli-zoned',
      'loadbalancer flavor delete cli-flavor',
      'loadbalancer delete --cascade --wait cli-zoned',
      'loadbalancer flavor delete cli-flavor', 'loadbalancer flavorprofile delete cli-fp2',
      'loadbalancer availabilityzone delete cli-az', 'loadbalancer availabilityzoneprofile delete cli-azp',
      'loadbalancer flavor list -f json', 'loadbalancer availabilityzone list -f json',
    );
    expect(more.docs[0]).toEqual([expect.objectContaining({ cached_zone: 'rack-a', status: 'ALLOCATED' })]);
    expect(more.docs[1].connection_limit).toBe(2000); // the flavor's cap
    expect(more.stderr).toContain('is in use and cannot be modified'); // the flavor while cli-zoned used it
    expect(more.docs.slice(-2)).toEqual([[], []]);
  });

  it('a load balancer of a zone no live agent serves ends ERROR with the reason', async () => {
    const azp = await os('loadbalancer', 'availabilityzoneprofile', 'create', '--name', 'cli-azp-b', '--provider', 'lbaas', '--availability-zone-data', '{"compute_zone": "rack-b"}', '-f', 'json');
    expect(azp.code).toBe(0);
    const { docs, stderr } = await batch(
      'loadbalancer availabilityzone create --name cli-az-b --availabilityzoneprofile cli-azp-b -f json',
      `loadbalancer create --name cli-nowhere --vip-subnet-id ${subnet} --availability-zone cli-az-b -f json`,
    );
    expect([docs.length, stderr]).toEqual([2, '']);
    const lb = await api.waitFor(`/v2/lbaas/loadbalancers/${docs[1].id}`, (b) => b?.loadbalancer?.provisioning_status === 'ERROR', 20_000);
    expect(lb.loadbalancer.availability_zone).toBe('cli-az-b');
    const history = (await api.get(`/v2/lbaas/loadbalancers/${docs[1].id}/history`)).body;
    expect(JSON.stringify(history)).toContain('no live agent of availability zone rack-b serves physical network');
    expect((await os('loadbalancer', 'delete', '--wait', 'cli-nowhere')).code).toBe(0);
  });

  it('deletes bottom-up with --wait, refuses an LB with children, then deletes a whole tree with --cascade', async () => {
    await settled();
    const { stderr } = await batch(
      'loadbalancer healthmonitor delete --wait cli-hm',
      // a pool with members refuses (DELETE_POLICY=strict): they go first
      'loadbalancer pool delete cli-p',
      'loadbalancer member delete --wait cli-p cli-m2',
      'loadbalancer member delete --wait cli-p cli-m1',
      'loadbalancer pool delete --wait cli-p',
      'loadbalancer delete cli-lb',
      'loadbalancer show cli-lb -f json',
      'loadbalancer delete --cascade --wait cli-lb',
    );
    expect(stderr).toContain('pool is using member');
    expect(stderr).toContain(`Cannot delete Load Balancer`);
    expect(stderr).not.toContain('immutable');
    expect(stderr).toContain('it has children');
    expect((await api.get('/v2/lbaas/pools?name=cli-p')).body.pools).toEqual([]);
    expect((await api.get('/v2/lbaas/loadbalancers?name=cli-lb')).body.loadbalancers).toEqual([]);
    expect((await api.get('/v2/lbaas/listeners?name=cli-l')).body.listeners).toEqual([]);
  });
});
