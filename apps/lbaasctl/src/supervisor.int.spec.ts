import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor, type SupervisorStatus } from './supervisor';

/** The supervisor of `lbaasctl up` with real child processes. */
const ready = `console.log('{"op":"ready"}');`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Supervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-supervisor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts a process killed with SIGKILL, says so, and counts it in the status file', async () => {
    const lines: string[] = [];
    const statusFile = join(dir, 'a.json');
    const sup = new Supervisor({ say: (l) => lines.push(l), statusFile, restartDelayMs: 100 });
    const first = await sup.add({ role: 'demo', metricsPort: 9999, spec: { name: 'demo', command: [process.execPath, '-e', `${ready} setInterval(() => {}, 1000)`] } });
    process.kill(first.pid as number, 'SIGKILL');
    for (let i = 0; i < 100 && sup.status()[0].restarts === 0; i++) await sleep(50);
    for (let i = 0; i < 100 && !sup.status()[0].running; i++) await sleep(50);
    const [s] = sup.status();
    expect(s).toMatchObject({ name: 'demo', role: 'demo', running: true, restarts: 1, lastExit: { signal: 'SIGKILL', code: null }, metricsPort: 9999 });
    expect(s.pid).not.toBe(first.pid);
    expect(lines.join('\n')).toMatch(/demo exited \(signal SIGKILL\) after [\d.]+ s; restarting it in 0\.1 s \(restart #1/);
    expect(lines.join('\n')).toMatch(/demo restarted \(pid \d+, restart #1\)/);
    const file = JSON.parse(readFileSync(statusFile, 'utf8')) as SupervisorStatus;
    expect(file.processes[0]).toMatchObject({ restarts: 1, running: true, pid: s.pid });
    await sup.stopAll();
    expect(sup.status()[0].running).toBe(false);
    await sleep(300);
    expect(sup.status()[0]).toMatchObject({ running: false, restarts: 1 }); // never restarted after stopAll
  });

  it('backs off a crash loop: each delay doubles, up to the maximum', async () => {
    const lines: string[] = [];
    const sup = new Supervisor({ say: (l) => lines.push(l), restartDelayMs: 100, maxDelayMs: 400 });
    await sup.add({ role: 'crash', spec: { name: 'crash', command: [process.execPath, '-e', `${ready} setTimeout(() => process.exit(7), 20)`] } });
    for (let i = 0; i < 200 && sup.status()[0].restarts < 5; i++) await sleep(25);
    await sup.stopAll();
    const delays = lines.filter((l) => l.includes('restarting it in')).map((l) => Number(/in ([\d.]+) s/.exec(l)?.[1]));
    expect(delays.slice(0, 5)).toEqual([0.1, 0.2, 0.4, 0.4, 0.4]);
    expect(lines[0]).toMatch(/crash exited \(code 7\)/);
  });

  it('keeps trying when a restart itself fails, without stopping the others', async () => {
    const lines: string[] = [];
    const marker = join(dir, 'fail-once');
    // The second start fails (no ready line, exits 2) until the marker file is gone; then it starts fine.
    const script = `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(marker)})) process.exit(2); ${ready} fs.writeFileSync(${JSON.stringify(marker)}, ''); setTimeout(() => process.exit(1), 50);`;
    const sup = new Supervisor({ say: (l) => lines.push(l), restartDelayMs: 50, maxDelayMs: 100 });
    await sup.add({ role: 'flaky', spec: { name: 'flaky', command: [process.execPath, '-e', script], startTimeoutMs: 2_000 } });
    await sup.add({ role: 'steady', spec: { name: 'steady', command: [process.execPath, '-e', `${ready} setInterval(() => {}, 1000)`] } });
    for (let i = 0; i < 100 && !lines.some((l) => l.includes('did not start again')); i++) await sleep(25);
    rmSync(marker, { force: true });
    for (let i = 0; i < 200 && !lines.some((l) => /flaky restarted/.test(l)); i++) await sleep(25);
    expect(lines.some((l) => /flaky did not start again \(flaky exited \(code 2/.test(l))).toBe(true);
    expect(lines.some((l) => /flaky restarted/.test(l))).toBe(true);
    expect(sup.status().find((p) => p.name === 'steady')).toMatchObject({ running: true, restarts: 0 });
    await sup.stopAll();
  });
});
