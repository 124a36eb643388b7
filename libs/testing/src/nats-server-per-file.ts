import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServer, type NatsServerOptions } from './nats-server';

/** The server of one test file and a client connected to it; valid between beforeAll and afterAll. */
export interface NatsServerPerFile {
  readonly url: string;
  readonly server: NatsServer;
  /** Reconnects forever (100 ms apart), so tests can restart the server under it. */
  readonly connection: NatsConnection;
  /** Opens another connection to the same server (closed in afterAll). */
  connect(opts?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /**
   * Restarts the server (see NatsServer.restart) and resolves once every connection of this file answers JetStream
   * requests again. A request sent in the instant of reconnecting can be lost by the client; this waits past that.
   */
  restartServer(opts?: Parameters<NatsServer['restart']>[0]): Promise<void>;
  /** Resolves once every connection of this file answers JetStream requests (e.g. after a restart begun elsewhere). */
  reconnected(timeoutMs?: number): Promise<void>;
}

/**
 * Registers jest `beforeAll`/`afterAll` hooks that start one real nats-server (JetStream, temp store dir) for
 * the calling test file and stop it afterwards. Call it at the top of a `describe` or of the file.
 */
export function natsServerPerFile(opts: NatsServerOptions = {}): NatsServerPerFile {
  let server: NatsServer | undefined;
  let main: NatsConnection | undefined;
  const extra: NatsConnection[] = [];
  const open = (o: Partial<ConnectionOptions> = {}) =>
    connect({ servers: need(server, 'server').url, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...o });

  beforeAll(async () => {
    server = await startNatsServer(opts);
    main = await open({ name: 'test' });
  }, 30_000);

  afterAll(async () => {
    for (const nc of [main, ...extra]) await nc?.close().catch(() => undefined);
    await server?.stop();
  }, 30_000);

  const reconnected = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (const nc of [need(main, 'connection'), ...extra]) {
      for (;;) {
        try {
          await nc.flush();
          await (await nc.jetstreamManager({ timeout: 1_000 })).getAccountInfo();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error('connections did not reconnect to nats-server in time', { cause: err });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };

  return {
    get url() {
      return need(server, 'server').url;
    },
    get server() {
      return need(server, 'server');
    },
    get connection() {
      return need(main, 'connection');
    },
    reconnected,
    async restartServer(o) {
      await need(server, 'server').restart(o);
      await reconnected();
    },
    async connect(o) {
      const nc = await open(o);
      extra.push(nc);
      return nc;
    },
  };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`natsServerPerFile: the ${what} is only available inside tests (after beforeAll)`);
  return value;
}
