import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LATEST_EVENT_VERSIONS, UnknownEventVersion, upcast } from './upcasters';

const dir = join(__dirname, '__samples__');
const samples = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, event: JSON.parse(readFileSync(join(dir, file), 'utf8')) as { type: string; v: number; data: unknown } }));

describe('upcast', () => {
  it.each(samples)('brings the stored sample $file to the latest shape of its type', ({ file, event }) => {
    expect(file).toBe(`${event.type}.v${event.v}.json`);
    const latest = upcast(event);
    expect(latest.type).toBe(event.type);
    expect(latest.v).toBe(LATEST_EVENT_VERSIONS[latest.type]);
    if (event.v === latest.v) expect(latest).toEqual(event); // v1 is the latest today: identity
  });

  it('has a stored sample for every version of every event type', () => {
    const stored = new Set(samples.map((s) => s.file));
    const missing = Object.entries(LATEST_EVENT_VERSIONS).flatMap(([type, latest]) =>
      Array.from({ length: latest }, (_, i) => `${type}.v${i + 1}.json`).filter((f) => !stored.has(f)));
    expect(missing).toEqual([]);
  });

  it('refuses an unknown event type', () => {
    expect(() => upcast({ type: 'ListenerAdded', v: 1, data: {} })).toThrow(UnknownEventVersion);
  });

  it('refuses a version newer than this code knows', () => {
    expect(() => upcast({ type: 'ListenerCreated', v: 2, data: {} })).toThrow('unknown event version: ListenerCreated v2');
  });

  it('refuses a version that is not a positive integer', () => {
    expect(() => upcast({ type: 'ListenerCreated', v: 0, data: {} })).toThrow(UnknownEventVersion);
  });

  it('does not treat inherited object keys as event types', () => {
    expect(() => upcast({ type: 'toString', v: 1, data: {} })).toThrow(UnknownEventVersion);
  });
});
