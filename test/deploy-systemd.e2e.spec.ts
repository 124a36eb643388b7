import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { canUseNetns, netnsRunId } from '@lbaas/testing';

/**
 * deploy/systemd as an operator installs it: every unit passes `systemd-analyze verify` with its ExecStart paths
 * pointed at this checkout's build (the units say /opt/lbaas), a broken unit fails the same check, the units keep
 * their promises (restart on failure, an environment file each, a dedicated user, ordering after the network and
 * NATS, no capability but the agent's and the watchdog's), the sysusers file creates the users, the environment
 * samples only name variables the apps read, and the agent's capability set is enough for what it does to the host:
 * as an unprivileged user holding exactly those capabilities, a namespace, a veth into it, addresses, a sysctl,
 * nftables, a bind on port 80 and an ARP probe work, and without CAP_SYS_ADMIN the namespace does not.
 */
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const DIR = join(ROOT, 'deploy', 'systemd');
const UNITS = readdirSync(DIR).filter((f) => f.endsWith('.service')).sort();
const analyze = existsSync('/usr/bin/systemd-analyze');
if (!analyze) console.warn('SKIPPED LOUDLY: test/deploy-systemd.e2e.spec.ts needs systemd-analyze (apt-get install systemd; install.sh --tests does)');
const maybe = analyze ? describe : describe.skip;

/** A unit file as sections of key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { current = new Map(); sections.set(s[1], current); continue; }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit line: ${line}`);
    current.set(kv[1], [...current.get(kv[1]) ?? [], kv[2]]);
  }
  return sections;
}
const unit = (name: string) => parseUnit(readFileSync(join(DIR, name), 'utf8'));
const get = (u: ReturnType<typeof parseUnit>, section: string, key: string) => u.get(section)?.get(key) ?? [];
const one = (u: ReturnType<typeof parseUnit>, section: string, key: string) => get(u, section, key).join(' ');

/** Copies the units into a temp dir with /opt/lbaas → this checkout, plus the template's instance lbaas-nats@1. */
function installUnits(edit: (name: string, text: string) => string = (_n, t) => t): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-units-'));
  for (const f of UNITS) writeFileSync(join(dir, f), edit(f, readFileSync(join(DIR, f), 'utf8').replaceAll('/opt/lbaas/', `${ROOT}/`)));
  symlinkSync(join(dir, 'lbaas-nats@.service'), join(dir, 'lbaas-nats@1.service'));
  return { dir, files: UNITS.filter((f) => !f.includes('@.')).map((f) => join(dir, f)).concat(join(dir, 'lbaas-nats@1.service')) };
}
async function verify(files: string[]): Promise<{ code: number; out: string }> {
  const r = await run('systemd-analyze', ['verify', '--man=no', ...files]).then(
    (x) => ({ code: 0, out: `${x.stdout}${x.stderr}` }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  return { code: r.code, out: r.out.trim() };
}

const APPS = { 'lbaas-api.service': 'api', 'lbaas-scheduler.service': 'scheduler', 'lbaas-failover-watcher.service': 'failover-watcher', 'lbaas-agent.service': 'agent' } as const;
const AGENT_CAPS = ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_NICE'];

maybe('deploy/systemd', () => {
  const temps: string[] = [];
  afterAll(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

  it('has a unit per app, the lease watchdog and nats-server (cluster template and single node)', () => {
    expect(UNITS).toEqual([
      'lbaas-agent.service', 'lbaas-api.service', 'lbaas-failover-watcher.service', 'lbaas-lease-watchdog.service',
      'lbaas-nats.service', 'lbaas-nats@.service', 'lbaas-scheduler.service',
    ]);
    // (verify checks the binary, /usr/bin/node, not the script it is given: these must exist after the build)
    for (const f of Object.keys(APPS)) expect([f, existsSync(join(ROOT, 'apps', APPS[f as keyof typeof APPS], 'dist', 'main.js'))]).toEqual([f, true]);
  });

  it('every unit passes systemd-analyze verify (ExecStart on this checkout\'s build)', async () => {
    const { dir, files } = installUnits();
    temps.push(dir);
    expect(await verify(files)).toEqual({ code: 0, out: '' });
    // how exposed each one is, by systemd's own measure (printed; the agent needs its capabilities)
    const scores = files.map((f) => {
      const r = spawnSync('systemd-analyze', ['security', '--offline=yes', f], { encoding: 'utf8' });
      return `${f.split('/').pop()}: ${/exposure level for \S+: ([\d.]+ \w+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?'}`;
    });
    console.log(`systemd-analyze security --offline: ${scores.join(', ')}`);
  });

  it.each([
    ['an ExecStart binary that does not exist', 'lbaas-api.service', (t: string) => t.replace('/usr/bin/node ', '/usr/bin/node-missing '), /not executable|No such file/],
    ['a misspelled directive', 'lbaas-agent.service', (t: string) => t.replace('Restart=on-failure', 'Restrat=on-failure'), /Unknown key/],
    ['a bad value', 'lbaas-nats@.service', (t: string) => t.replace('KillSignal=SIGUSR2', 'KillSignal=SIGNOPE'), /KillSignal|Failed to parse/i],
    ['a section that does not exist', 'lbaas-scheduler.service', (t: string) => t.replace('[Install]', '[Instal]'), /Unknown section|Instal/],
  ])('a broken unit fails the check: %s', async (_what, target, edit, expected) => {
    const { dir, files } = installUnits((name, text) => (name === target ? edit(text) : text));
    temps.push(dir);
    const r = await verify(files);
    expect(r.out).toMatch(expected);
  });

  it('keeps its promises: restart on failure, an environment file, a dedicated user, after the network and NATS', () => {
    for (const [f, app] of Object.entries(APPS)) {
      const u = unit(f);
      expect([f, one(u, 'Service', 'Restart'), one(u, 'Service', 'EnvironmentFile')]).toEqual([f, 'on-failure', `/etc/lbaas/${app}.env`]);
      expect([f, one(u, 'Service', 'User')]).toEqual([f, app === 'agent' ? 'lbaas-agent' : 'lbaas']);
      expect(one(u, 'Unit', 'Wants')).toContain('network-online.target');
      expect(one(u, 'Unit', 'After').split(/\s+/)).toEqual(expect.arrayContaining(['network-online.target', 'lbaas-nats@1.service', 'lbaas-nats.service']));
      expect(one(u, 'Service', 'ExecStart')).toBe(`/usr/bin/node /opt/lbaas/apps/${app}/dist/main.js`);
      expect(one(u, 'Service', 'LoadCredential')).toContain('nats.nk:/etc/lbaas/identities/');
      if (app !== 'agent') expect([f, get(u, 'Service', 'CapabilityBoundingSet'), one(u, 'Service', 'AmbientCapabilities')]).toEqual([f, [''], '']);
    }
    for (const f of ['lbaas-nats.service', 'lbaas-nats@.service']) {
      const u = unit(f);
      expect([f, one(u, 'Service', 'User'), one(u, 'Service', 'Restart'), one(u, 'Service', 'KillSignal')]).toEqual([f, 'lbaas-nats', 'on-failure', 'SIGUSR2']);
      expect(one(u, 'Service', 'EnvironmentFile')).toMatch(/^-\/etc\/lbaas\/nats(-%i)?\.env$/);
      expect(get(u, 'Service', 'CapabilityBoundingSet')).toEqual(['']);
    }
    expect(one(unit('lbaas-nats@.service'), 'Service', 'StateDirectory')).toBe('lbaas/nats-%i'); // deploy/nats: /var/lib/lbaas/nats-N
    const agent = unit('lbaas-agent.service');
    expect(one(agent, 'Service', 'AmbientCapabilities').split(/\s+/).sort()).toEqual([...AGENT_CAPS].sort());
    expect(one(agent, 'Service', 'CapabilityBoundingSet').split(/\s+/).sort()).toEqual([...AGENT_CAPS].sort());
    expect(one(agent, 'Service', 'KillMode')).toBe('process'); // haproxy outlives an agent restart
    expect(one(agent, 'Service', 'RuntimeDirectoryPreserve')).toBe('yes');
    expect(one(agent, 'Service', 'Environment')).toContain('LEASE_WATCHDOG=false');
    const dog = unit('lbaas-lease-watchdog.service');
    expect([one(dog, 'Service', 'User'), one(dog, 'Service', 'Restart')]).toEqual(['lbaas-agent', 'always']);
    expect(one(dog, 'Service', 'AmbientCapabilities').split(/\s+/).sort()).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
    expect(one(dog, 'Service', 'ExecStart')).toContain('/opt/lbaas/apps/agent/dist/watchdog.js /var/lib/lbaas/agent');
    expect(existsSync(join(ROOT, 'apps', 'agent', 'dist', 'watchdog.js'))).toBe(true);
  });

  it('the sysusers file creates the three users (systemd-sysusers into a temp root)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lbaas-sysusers-'));
    temps.push(root);
    mkdirSync(join(root, 'usr/lib/sysusers.d'), { recursive: true });
    mkdirSync(join(root, 'etc'));
    cpSync(join(DIR, 'lbaas.sysusers.conf'), join(root, 'usr/lib/sysusers.d/lbaas.conf'));
    await run('systemd-sysusers', [`--root=${root}`]);
    const users = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(':')[0]).sort();
    expect(users).toEqual(['lbaas', 'lbaas-agent', 'lbaas-nats']);
  });

  it('the environment samples name only variables the apps read', () => {
    const sources = (app: string) => [join(ROOT, 'apps', app, 'src'), join(ROOT, 'libs', 'app-shell', 'src'), join(ROOT, 'libs', 'secret-store', 'src')]
      .flatMap((d) => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.includes('.spec.'))
        .map((e) => readFileSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name), 'utf8'))).join('\n');
    for (const [file, app] of [['api.env', 'api'], ['scheduler.env', 'scheduler'], ['failover-watcher.env', 'failover-watcher'], ['agent.env', 'agent']]) {
      const text = sources(app);
      const keys = readFileSync(join(DIR, 'env', file), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]);
      expect(keys.length).toBeGreaterThan(3);
      expect([file, keys.filter((k) => !text.includes(`'${k}'`) && !text.includes(`env.${k}`))]).toEqual([file, []]);
    }
  });

  const root = canUseNetns();
  (root ? it : it.skip)('the agent\'s capabilities suffice for its host work, as an unprivileged user (setpriv), and CAP_SYS_ADMIN is needed', async () => {
    const id = netnsRunId();
    const ns = `capq${id}`;
    const [a, b] = [`vq${id}`, `wq${id}`];
    const as = (caps: string[]) => (cmd: string[]) => {
      const c = caps.map((x) => `+${x.replace(/^CAP_/, '').toLowerCase()}`).join(',');
      const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', `--inh-caps=${c}`, `--ambient-caps=${c}`, ...cmd], { encoding: 'utf8' });
      if (r.error) throw r.error;
      return r.status === 0 ? 'ok' : `exit ${r.status}: ${r.stderr.trim()}`;
    };
    const caps = one(unit('lbaas-agent.service'), 'Service', 'AmbientCapabilities').split(/\s+/);
    const agent = as(caps);
    const inNs = (cmd: string[]) => ['nsenter', `--net=/run/netns/${ns}`, ...cmd];
    try {
      expect(as(caps.filter((c) => c !== 'CAP_SYS_ADMIN'))(['ip', 'netns', 'add', ns])).not.toBe('ok');
      const steps: [string, string[]][] = [
        ['namespace', ['ip', 'netns', 'add', ns]],
        ['veth pair', ['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]],
        ['into the namespace', ['ip', 'link', 'set', b, 'netns', ns]],
        ['address', ['ip', '-n', ns, 'addr', 'add', '10.251.7.2/24', 'dev', b]],
        ['link up', ['ip', '-n', ns, 'link', 'set', b, 'up']],
        ['sysctl in the namespace', inNs(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind'])],
        ['nftables in the namespace', inNs(['nft', 'add', 'table', 'inet', `t${id}`])],
        ['bind port 80', inNs(['python3', '-c', 'import socket; socket.socket().bind(("10.251.7.2", 80))'])],
        ['ARP probe', inNs(['arping', '-c', '1', '-w', '1', '-U', '-I', b, '10.251.7.2'])],
        // A new LB's haproxy starts niced and gets the agent's priority back once it serves (docs/scale.md).
        ['priority back after a niced start', ['python3', '-c', 'import os; os.nice(10); os.setpriority(os.PRIO_PROCESS, 0, 0)']],
        ['namespace deleted', ['ip', 'netns', 'del', ns]],
      ];
      expect(steps.map(([what, cmd]) => [what, agent(cmd)])).toEqual(steps.map(([what]) => [what, 'ok']));
    } finally {
      await run('ip', ['link', 'del', a]).catch(() => undefined);
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
  });
});
