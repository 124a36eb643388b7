import { MalformedMessage, SafeNatsRequestDeserializer, SafeNatsResponseDeserializer } from './nats-deserializers';

const enc = (s: string) => new TextEncoder().encode(s);
const req = new SafeNatsRequestDeserializer();
const res = new SafeNatsResponseDeserializer();

describe('the NATS deserializers of the Nest shells never throw on what anybody may publish', () => {
  it('reads Nest requests and plain events as Nest does', () => {
    expect(req.deserialize(enc('{"pattern":"p","data":{"lbId":"x"},"id":"7"}'), { channel: 'c' })).toEqual({ pattern: 'c', data: { lbId: 'x' }, id: '7' });
    expect(req.deserialize(enc('{"agentId":"a1","at":"t"}'), { channel: 'hb' })).toEqual({ pattern: 'hb', data: { agentId: 'a1', at: 't' } });
    expect(req.deserialize(enc('5'), { channel: 'c' })).toEqual({ pattern: 'c', data: 5 });
  });
  it.each([['not JSON', enc('not json')], ['empty', enc('')], ['not UTF-8', new Uint8Array([0xff, 0xfe])], ['half an object', enc('{"pattern":')]])(
    'hands %s to the handler as a MalformedMessage', (_w, bytes) => {
      const m = req.deserialize(bytes, { channel: 'c' });
      expect(m.pattern).toBe('c');
      expect(m.data).toBeInstanceOf(MalformedMessage);
      expect('id' in m).toBe(false); // no reply is owed to garbage
    });
  it('ends a request whose reply is garbage with an error', () => {
    expect(res.deserialize(enc('garbage'))).toMatchObject({ err: 'malformed reply (not UTF-8 JSON)', isDisposed: true });
    expect(res.deserialize(enc('"x"'))).toMatchObject({ err: 'malformed reply (not an object)' });
    expect(res.deserialize(enc('{"id":"1","response":{"ok":true},"isDisposed":true}'))).toEqual({ id: '1', response: { ok: true }, isDisposed: true });
  });
});
