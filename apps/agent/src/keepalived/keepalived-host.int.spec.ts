import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseNetns, netnsRunId, removeNetns, sh } from '@lbaas/testing';
import { renderKeepalived, type KeepalivedInput } from './keepalived-config';
import { KEEPALIVED_GOLDEN, PAIR_SIDE } from './keepalived-config.fixtures';
import { installKeepalivedConfig, KeepalivedRefused, keepalivedPaths, VRRP_CHECK, writeKeepalivedScripts } from './keepalived-host';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED LOUDLY: keepalived-host.int.spec.ts needs root (netns + keepalived)');

/**
 * The rendered configs as the real keepalived reads them (`keepalived -t` inside a namespace with `vip0`, as the agent
 * checks before every use), a refused config kept out of place, and the check script's verdicts on real files.
 */
suite('keepalived config on the real keepalived (netns)', () => {
  const run = netnsRunId();
  const ns = `kt${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-kt-'));
  const p = keepalivedPaths(dir, PAIR_SIDE.lbId);

  beforeAll(async () => {
    mkdirSync(p.dir, { recursive: true });
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['-n', ns, 'link', 'add', 'vip0', 'type', 'veth', 'peer', 'name', 'vip0p']); // no dummy driver on this kernel
    await sh('ip', ['-n', ns, 'link', 'set', 'vip0', 'up']);
  });
  afterAll(async () => {
    await removeNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  // The goldens with this run's paths: keepalived -t refuses a config whose check script does not exist.
  const here = (x: KeepalivedInput): KeepalivedInput => ({
    ...x, checkScript: p.checkScript, notifyScript: p.notifyScript, notifyArg: p.dir, fenceFile: join(dir, 'vrrp.fence'),
    checkArgs: [join(p.dir, 'haproxy.pid'), join(dir, 'lease.json')],
  });

  it.each(Object.keys(KEEPALIVED_GOLDEN))('keepalived -t accepts the %s golden', async (name) => {
    writeKeepalivedScripts(p);
    rmSync(p.cfg, { force: true });
    const text = renderKeepalived(here(KEEPALIVED_GOLDEN[name]));
    expect(await installKeepalivedConfig('keepalived', ns, p, text)).toBe(true);
    expect(readFileSync(p.cfg, 'utf8')).toBe(text);
    expect(await installKeepalivedConfig('keepalived', ns, p, text)).toBe(false); // unchanged
  });

  it('keepalived -t refuses a config whose check script is missing (so the scripts go first)', async () => {
    const err = await installKeepalivedConfig('keepalived', ns, p, renderKeepalived({ ...here(PAIR_SIDE), checkScript: join(dir, 'nope') })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeepalivedRefused);
    expect((err as Error).message).toMatch(/lbaas_check/);
  });

  it('a config keepalived refuses (an interface the namespace lacks) stays out of place, with keepalived\'s words', async () => {
    const good = renderKeepalived(here(PAIR_SIDE));
    await installKeepalivedConfig('keepalived', ns, p, good);
    const bad = renderKeepalived({ ...here(PAIR_SIDE), interface: 'vip9' });
    const err = await installKeepalivedConfig('keepalived', ns, p, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeepalivedRefused);
    expect((err as Error).message).toMatch(/vip9/);
    expect(readFileSync(p.cfg, 'utf8')).toBe(good);
  });

  it('the check script: haproxy alive and the lease held → 0; haproxy gone → 1; lease lapsed or unreadable → 2', async () => {
    const script = join(dir, 'vrrp-check');
    writeFileSync(script, VRRP_CHECK, { mode: 0o755 });
    const pidFile = join(dir, 'haproxy.pid');
    const lease = join(dir, 'lease.json');
    const write = (f: string, t: string) => writeFileSync(f, t);
    const verdict = () => sh(script, [pidFile, lease]).then(() => 0, (e: Error) => Number(/exit (\d+)/.exec(e.message)?.[1]));
    // A real haproxy master to point at (config check mode would exit: a long-lived `haproxy -f` on a free port).
    write(join(dir, 'h.cfg'), `global\n  maxconn 10\ndefaults\n  mode tcp\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\nfrontend f\n  bind ${join(dir, 'f.sock')}\n`);
    const haproxy = spawn('haproxy', ['-W', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      write(pidFile, `${haproxy.pid}\n`);
      write(lease, JSON.stringify({ agentId: 'a', until: Date.now() + 60_000, renewedBy: 1 })); // no final newline, as the agent writes it
      expect(await verdict()).toBe(0);
      write(lease, JSON.stringify({ agentId: 'a', until: Date.now() - 1, renewedBy: 1 }));
      expect(await verdict()).toBe(2);
      write(lease, 'garbage');
      expect(await verdict()).toBe(2);
      rmSync(lease);
      expect(await verdict()).toBe(2);
      write(lease, JSON.stringify({ agentId: 'a', until: Date.now() + 60_000, renewedBy: 1 }));
      write(pidFile, `${process.pid}\n`); // alive, but not haproxy
      expect(await verdict()).toBe(1);
      rmSync(pidFile);
      expect(await verdict()).toBe(1);
    } finally {
      haproxy.kill('SIGKILL');
    }
    expect(existsSync(script)).toBe(true);
  });
});
