import { bootstrapEventStore } from '@lbaas/event-store';
import { connect, type ConnectionOptions } from 'nats';

/**
 * The operator's bootstrap on a test server (the event stream, secrets bucket and snapshot store), so apps started
 * afterwards find what they wait for. `options` carry the operator's credentials on a server with identities.
 */
export async function bootstrapNats(url: string, opts: { replicas?: number; options?: Partial<ConnectionOptions> } = {}): Promise<void> {
  const nc = await connect({ servers: url.split(','), ...opts.options });
  try {
    await bootstrapEventStore(nc, { replicas: opts.replicas });
  } finally {
    await nc.close();
  }
}
