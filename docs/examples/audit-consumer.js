#!/usr/bin/env node
// An external audit consumer of lbaas's event stream (runnable: `node docs/examples/audit-consumer.js --help`).
// It owns a durable pull consumer on LBAAS_EVENTS, so it resumes where it stopped after a restart, and acks a
// commit only once it has written it out (here: one JSON line per event on stdout, to pipe into any log store).
//   node docs/examples/audit-consumer.js --nats nats://127.0.0.1:4222 --durable auditor [--since ISO-time | --from-seq N] [--exit-when-idle]
// Needs only the `nats` npm package (the repo's node_modules has it). On a NATS with identities it connects as the
// `auditor` identity, which may only use its own durable consumers (`lbaasctl identities --auditor-durables ...`):
//   NATS_NKEY_SEED_FILE=<dir>/auditor.nk (or NATS_CREDS_FILE, or NATS_USER + NATS_PASSWORD_FILE),
//   NATS_TLS_CA_FILE / NATS_TLS_CERT_FILE / NATS_TLS_KEY_FILE for TLS. Secrets are read from files, never from a URL.
const { readFileSync } = require('node:fs');
const { AckPolicy, DeliverPolicy, connect, credsAuthenticator, nkeyAuthenticator, StringCodec, usernamePasswordAuthenticator } = require('nats');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return acc;
}, []));
if (args.help) {
  console.log('usage: audit-consumer.js --nats URL --durable NAME [--since ISO-time | --from-seq N] [--exit-when-idle]');
  process.exit(0);
}

/** Credentials and TLS from the same variables the lbaas apps read. */
function natsOptions(env) {
  const servers = (args.nats || env.NATS_URL || 'nats://127.0.0.1:4222').split(',');
  if (servers.some((s) => s.includes('@'))) throw new Error('credentials are never read from a NATS URL: use NATS_NKEY_SEED_FILE, NATS_CREDS_FILE or NATS_USER + NATS_PASSWORD_FILE');
  const o = { servers, inboxPrefix: env.NATS_INBOX_PREFIX || '_INBOX_auditor' };
  if (env.NATS_CREDS_FILE) o.authenticator = credsAuthenticator(() => readFileSync(env.NATS_CREDS_FILE));
  else if (env.NATS_NKEY_SEED_FILE) o.authenticator = nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(env.NATS_NKEY_SEED_FILE, 'utf8').trim()));
  else if (env.NATS_USER) o.authenticator = usernamePasswordAuthenticator(env.NATS_USER, () => readFileSync(env.NATS_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, ''));
  if (env.NATS_TLS_CA_FILE || env.NATS_TLS_CERT_FILE) o.tls = { caFile: env.NATS_TLS_CA_FILE, certFile: env.NATS_TLS_CERT_FILE, keyFile: env.NATS_TLS_KEY_FILE };
  return o;
}

async function main() {
  const durable = args.durable || 'auditor';
  const nc = await connect({ ...natsOptions(process.env), name: `audit:${durable}` });
  // No account-info call (checkAPI): the auditor identity may touch its own consumers and nothing else.
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  // Where a new consumer starts: the beginning (default), a time, or a sequence. An existing one resumes.
  const start = args.since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(args.since).toISOString() }
    : args['from-seq'] ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(args['from-seq']) }
      : { deliver_policy: DeliverPolicy.All };
  const existing = await jsm.consumers.info('LBAAS_EVENTS', durable).catch(() => undefined);
  if (!existing) await jsm.consumers.add('LBAAS_EVENTS', { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: 'lbaas.evt.>', ...start });
  const consumer = await nc.jetstream().consumers.get('LBAAS_EVENTS', durable);
  const sc = StringCodec();
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      const commit = JSON.parse(sc.decode(m.data));
      for (const e of commit.events) {
        process.stdout.write(JSON.stringify({
          seq: m.seq, subject: m.subject, at: commit.at, commitId: commit.commitId, actor: commit.actor, type: e.type, v: e.v, data: e.data,
        }) + '\n');
      }
      m.ack(); // only after it is written out: at-least-once delivery to the audit log
    }
    if (n === 0 && args['exit-when-idle']) break;
  }
  await nc.drain();
}

main().catch((err) => { console.error(`audit-consumer: ${err.message}`); process.exit(1); });
