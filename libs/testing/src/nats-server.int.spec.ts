import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from 'nats';
import { freePort } from './free-port';
import { startNatsServer } from './nats-server';

/** Local addresses of listening TCP sockets on `port`, from /proc (hex, e.g. 0100007F = 127.0.0.1). */
const listeners = (port: number) =>
  readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`))
    .map((f) => f[1].split(':')[0]);

describe('startNatsServer', () => {
  it('runs JetStream on 127.0.0.1 only, keeps its store across restart and removes it on stop', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      expect(listeners(server.port)).toEqual(['0100007F']);
      let nc = await connect({ servers: server.url });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
      await nc.jetstream().publish('t.1', 'kept');
      await nc.close();
      const pid = server.pid;
      await server.restart({ signal: 'SIGKILL' });
      expect(server.pid).not.toBe(pid);
      nc = await connect({ servers: server.url });
      expect((await (await nc.jetstreamManager()).streams.info('T')).state.messages).toBe(1);
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(existsSync(server.storeDir)).toBe(false);
    await server.stop();
  });

  it('fails with the server log when nats-server cannot start', async () => {
    await expect(startNatsServer({ extraConfig: 'this is { not valid' })).rejects.toThrow(/exited|not ready/);
  });
});

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
