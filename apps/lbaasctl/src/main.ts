#!/usr/bin/env node
import { UsageError } from './args';
import { dr, snapshot } from './dr';
import { events, state } from './history';
import { bootstrap, identities } from './nats-admin';
import { status } from './status';
import { up } from './up';

const USAGE = `lbaasctl: operator tool for lbaas

  lbaasctl up        run the whole stack on this machine (nats-server with a local JetStream store and one NATS
                     identity per app, api, scheduler, failover-watcher, two agents, a demo network), supervised:
                     a process that crashes is restarted with backoff; Ctrl-C stops it all and cleans up
      [--keystone]   also a local Keystone (Debian's): the api validates tokens with it, lbaas is in its
                     catalog, and <home>/openrc-demo-a, -demo-b, -admin hold credentials for the openstack CLI
  lbaasctl status [--home D] [--api URL] [--json]
                     the embedded stack's processes (pid, restarts, uptime, ready, lag) and agents (alive, LBs
                     hosted); the event stream's identity, length, replicas and leader; the secrets bucket and
                     snapshot store

  lbaasctl events    tail and export the history (auditing)
      [--project P] [--lb ID (a load balancer's tree, or one child)] [--type T[,T...]]
      [--from seq|time] [--to seq|time] (time: ISO-8601, or -30m / -2h / -1d)  [--follow] [--json]
  lbaasctl state --at <seq|time> [--lb ID] [--project P] [--json]
                     the load-balancer trees as they were at that point of the history
  lbaasctl dr drill [--json]        replay everything, render what every agent should run, ask every agent what it
                                    runs, report drift per load balancer, agents that refuse the stream and unreadable
                                    commits (exit 0 clean, 3 drift)
  lbaasctl dr export [--file F]     write the whole stream and the sealed secrets to a backup file (HMAC-signed)
  lbaasctl dr restore --file F      the whole restore: on the embedded stack (stopped) nats-server alone, bootstrap,
                                    import; with --nats into a running empty NATS. Then start the stack
  lbaasctl dr import --file F       import a backup into an empty store (what restore does after its bootstrap)
  lbaasctl snapshot                 store a Catalog snapshot, HMAC-signed (api and agent restarts replay only what came after)
  lbaasctl identities --dir D --agents a1,a2 [--auditor-durables x]
                                    write one NATS nkey identity per role and agent (seeds 0600) and the
                                    nats-server authorization include, from the permission table
  lbaasctl bootstrap [--replicas N] create the event stream, secrets bucket and snapshot store (operator only;
                                    the apps wait for them)

  Every command but up and identities takes --nats <url> (default NATS_URL, else nats://127.0.0.1:4222) and --quiet
  (no progress); credentials and TLS come from NATS_NKEY_SEED_FILE / NATS_CREDS_FILE / NATS_USER + NATS_PASSWORD_FILE
  and NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE (the operator identity), else from the embedded home
  (LBAAS_HOME, default .lbaas: identities/operator.nk). Snapshots and backups need the operator's MAC key:
  --mac-key-file F, else LBAAS_MAC_KEY_FILE, else .lbaas/mac.key.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': return up(rest, process.env);
    case 'status': return status(rest, process.env);
    case 'events': return events(rest, process.env);
    case 'state': return state(rest, process.env);
    case 'dr': return dr(rest, process.env);
    case 'snapshot': return snapshot(rest, process.env);
    case 'identities': return identities(rest, process.env);
    case 'bootstrap': return bootstrap(rest, process.env);
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(USAGE);
      return cmd ? 0 : 2;
    default:
      process.stderr.write(`lbaasctl: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) { process.stderr.write(`lbaasctl: ${err.message}\n\n${USAGE}`); process.exitCode = 2; return; }
    process.stderr.write(`lbaasctl: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
