import { EVENT_STREAM } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import { headers, NatsError, type JetStreamClient, type JetStreamManager } from 'nats';
import { ensureEventStream } from './ensure-event-stream';
import { JsErr } from './nats-errors';

/** What the event store relies on from nats-server 2.9 (STYLE.md §10: an ignored feature fails silently, so prove it). */
describe('nats-server behaviour the event store relies on', () => {
  const nats = natsServerPerFile();
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    await ensureEventStream(nats.connection);
    js = nats.connection.jetstream();
    jsm = await nats.connection.jetstreamManager();
  });
  const errCode = (err: unknown) => (err instanceof NatsError ? err.api_error?.err_code : undefined);
  const rejection = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);

  it('runs the nats-server version these facts were proven on', () => {
    expect(nats.connection.info?.version).toMatch(/^2\.9\./);
  });

  it('rejects a stale lastSubjectSequence and a create on an existing subject with err_code 10071', async () => {
    const subject = 'lbaas.evt.lb.occ-1';
    const first = await js.publish(subject, '1', { expect: { lastSubjectSequence: 0 } });
    await js.publish(subject, '2', { expect: { lastSubjectSequence: first.seq } });
    expect(errCode(await rejection(js.publish(subject, '3', { expect: { lastSubjectSequence: first.seq } }))))
      .toBe(JsErr.StreamWrongLastSequence);
    expect(errCode(await rejection(js.publish(subject, '3', { expect: { lastSubjectSequence: 0 } }))))
      .toBe(JsErr.StreamWrongLastSequence);
  });

  it('checks the sequence per subject: appends to other subjects do not conflict', async () => {
    const a = await js.publish('lbaas.evt.lb.occ-a', 'a', { expect: { lastSubjectSequence: 0 } });
    await js.publish('lbaas.evt.lb.occ-b', 'b', { expect: { lastSubjectSequence: 0 } });
    await expect(js.publish('lbaas.evt.lb.occ-a', 'a2', { expect: { lastSubjectSequence: a.seq } })).resolves.toBeDefined();
  });

  it('lets msgID dedupe win over a stale expectation (a retry after a lost ack is safe)', async () => {
    const subject = 'lbaas.evt.lb.dup-1';
    const first = await js.publish(subject, 'x', { msgID: 'dup-1', expect: { lastSubjectSequence: 0 } });
    const again = await js.publish(subject, 'x', { msgID: 'dup-1', expect: { lastSubjectSequence: 0 } });
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
  });

  it('does not remember the msgID of a publish it rejected (handle() retries with the same commitId)', async () => {
    const subject = 'lbaas.evt.lb.dup-2';
    const first = await js.publish(subject, 'x', { expect: { lastSubjectSequence: 0 } });
    await expect(js.publish(subject, 'y', { msgID: 'dup-2', expect: { lastSubjectSequence: 0 } })).rejects.toBeDefined();
    const retried = await js.publish(subject, 'y', { msgID: 'dup-2', expect: { lastSubjectSequence: first.seq } });
    expect(retried.duplicate).toBe(false);
  });

  it('ignores the wildcard Nats-Expected-Last-Subject-Sequence-Subject header (never rely on it on 2.9)', async () => {
    await js.publish('lbaas.evt.lb.wild-1', 'x');
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', '0');
    h.set('Nats-Expected-Last-Subject-Sequence-Subject', 'lbaas.evt.lb.wild-*');
    // Were the header honoured, the expectation (nothing on lbaas.evt.lb.wild-*) would fail.
    const err = await rejection(js.publish('lbaas.evt.lb.wild-2', 'y', { headers: h }));
    expect(err).toBeUndefined();
  });

  it('refuses to delete a message or purge the stream: the store is append-only', async () => {
    const { seq } = await js.publish('lbaas.evt.lb.keep-1', 'x');
    expect(errCode(await rejection(jsm.streams.deleteMessage(EVENT_STREAM, seq)))).toBe(10057);
    expect(errCode(await rejection(jsm.streams.deleteMessage(EVENT_STREAM, seq, false)))).toBe(10057);
    expect(errCode(await rejection(jsm.streams.purge(EVENT_STREAM)))).toBe(10110);
    expect(errCode(await rejection(jsm.streams.purge(EVENT_STREAM, { filter: 'lbaas.evt.lb.keep-1' })))).toBe(10110);
    expect((await jsm.streams.getMessage(EVENT_STREAM, { seq })).seq).toBe(seq);
  });

  it('answers a direct get for an empty subject with 404 instead of blocking', async () => {
    const direct = (jsm as unknown as { direct: { getMessage(s: string, q: object): Promise<unknown> } }).direct;
    const err = await rejection(direct.getMessage(EVENT_STREAM, { last_by_subj: 'lbaas.evt.lb.never' }));
    expect(err).toBeInstanceOf(NatsError);
    expect((err as NatsError).code).toBe('404');
  });
});
