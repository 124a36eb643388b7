import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** Connects to NATS and keeps reconnecting forever; connection state changes are logged. */
export async function connectNats(opts: { url: string; name: string; logger: Logger; timeoutMs?: number }): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.url.split(','), name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 250,
    timeout: opts.timeoutMs ?? 5000, pingInterval: 5000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') opts.logger.warn({ op: 'nats', status: s.type, data: String(s.data) }, `nats ${s.type}`);
    }
  })();
  return nc;
}
