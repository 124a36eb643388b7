/** What goes into the generated nats-server config file. */
export type NatsServerConfigOptions = Readonly<{
  /** TCP port on 127.0.0.1; -1 lets the server choose one. */
  port: number;
  /** The JetStream store_dir (absolute). */
  storeDir: string;
  serverName: string;
  /** Client address (default 127.0.0.1). */
  host?: string;
  /** Extra lines appended verbatim (e.g. `max_payload: 2MB`). */
  extra?: string;
}>;

/**
 * Renders a single-node nats-server config: client port bound to 127.0.0.1 (the `-p`/`-js` CLI flags would
 * bind 0.0.0.0), JetStream on with its own store_dir and modest limits so tests never reserve the whole disk.
 */
export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  return [
    `server_name: ${JSON.stringify(o.serverName)}`,
    `host: ${JSON.stringify(o.host ?? '127.0.0.1')}`,
    `port: ${o.port}`,
    // As deploy/nats: one commit (a batch of thousands of members) may be up to 8 MiB (MAX_COMMIT_BYTES).
    'max_payload: 8MB',
    'jetstream {',
    `  store_dir: ${JSON.stringify(o.storeDir)}`,
    '  max_memory_store: 256MB',
    '  max_file_store: 2GB',
    '}',
    o.extra ?? '',
    '',
  ].join('\n');
}
