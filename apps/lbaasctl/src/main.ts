#!/usr/bin/env node
import { up } from './up';

const USAGE = `lbaasctl: operator tool for lbaas

  lbaasctl up        run the whole stack on this machine (nats-server with a local JetStream store,
                     api, scheduler, failover-watcher, two agents, a demo network); Ctrl-C stops it
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': return up(rest, process.env);
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
  (err: unknown) => { process.stderr.write(`lbaasctl: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
