import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcessFailed, startAppProcess } from './app-process';

/** The process launcher of `lbaasctl up` and the tests, with real child processes. */
describe('startAppProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-app-process-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every byte a process prints right before it exits, and never writes its log after the end', async () => {
    // 4 MB in one go, then exit at once: 'exit' fires while the pipe still holds most of it (this used to end the log
    // file on 'exit' and die with ERR_STREAM_WRITE_AFTER_END on the next chunk).
    const logFile = join(dir, 'burst.log');
    const script = `echo '{"op":"ready"}'; sleep 0.05; head -c ${4 * 1024 * 1024} /dev/zero | tr '\\0' x; echo; exit 3`;
    for (let i = 0; i < 3; i++) {
      const p = await startAppProcess({ name: 'burst', command: ['sh', '-c', script], logFile });
      await p.exited;
      expect(p.exitStatus).toEqual({ code: 3, signal: null });
    }
    await new Promise((r) => setTimeout(r, 200));
    const text = readFileSync(logFile, 'utf8');
    expect(text.split('\n').filter((l) => l.length === 4 * 1024 * 1024)).toHaveLength(3);
  });

  it('reports a command that cannot be started instead of crashing', async () => {
    await expect(startAppProcess({ name: 'nothing', command: [join(dir, 'no-such-binary')], startTimeoutMs: 2000 }))
      .rejects.toThrow(AppProcessFailed);
  });

  it('tells how a process ended: a signal', async () => {
    const p = await startAppProcess({ name: 'sleeper', command: [process.execPath, '-e', `console.log('{"op":"ready"}'); setInterval(() => {}, 1000)`] });
    expect(p.exitStatus).toBeNull();
    await p.stop('SIGKILL');
    expect(p.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
