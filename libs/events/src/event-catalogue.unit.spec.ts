import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseEventSubject } from '@lbaas/contracts';
import { buildCatalogue, catalogueFiles, SCHEMA_DIR, validate, type JsonSchema } from '../tools/event-catalogue';
import { LATEST_EVENT_VERSIONS } from './upcasters';

/** CI's check of the event catalogue: a JSON Schema per event version, every stored sample valid, docs up to date. */
const samplesDir = join(__dirname, '__samples__');
const samples = readdirSync(samplesDir).filter((f) => f.endsWith('.json'));
const schema = (file: string): JsonSchema => JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'));

describe('event catalogue', () => {
  it('has a JSON Schema for every version of every event type', () => {
    const missing = Object.entries(LATEST_EVENT_VERSIONS).flatMap(([type, latest]) =>
      Array.from({ length: latest }, (_, i) => `${type}.v${i + 1}.schema.json`).filter((f) => !existsSync(join(SCHEMA_DIR, f))));
    expect(missing).toEqual([]);
  });

  it.each(samples)('the stored sample %s matches its schema', (file) => {
    const sample = JSON.parse(readFileSync(join(samplesDir, file), 'utf8'));
    expect(validate(schema(basename(file, '.json') + '.schema.json'), sample)).toEqual([]);
  });

  it('rejects what does not match (the check has teeth)', () => {
    const s = schema('MemberCreated.v1.schema.json');
    const sample = JSON.parse(readFileSync(join(samplesDir, 'MemberCreated.v1.json'), 'utf8'));
    expect(validate(s, { ...sample, v: 2 })).toEqual(['$.v: must be 1']);
    expect(validate(s, { ...sample, data: { ...sample.data, weight: '1', secret: 'x' } })).toEqual(['$.data.weight: is string, must be number', '$.data.secret: is not in the schema']);
    const { address: _gone, ...rest } = sample.data;
    expect(validate(s, { ...sample, data: rest })).toEqual(['$.data.address: is required']);
  });

  it("documents each event on its aggregate's subject, as libs/contracts builds and parses it", () => {
    const entries = buildCatalogue();
    expect(entries.map((e) => e.type).sort()).toEqual(Object.keys(LATEST_EVENT_VERSIONS).sort());
    for (const e of entries) expect(parseEventSubject(e.subject.replace(/<[A-Za-z]+>$/, 'an-id'))).toEqual({ aggregate: e.aggregate, id: 'an-id' });
    const subjectOf = (type: string) => entries.find((e) => e.type === type)?.subject;
    expect(subjectOf('ProjectQuotaSet')).toBe('lbaas.evt.project.<projectId>');
    expect(subjectOf('L7RuleCreated')).toBe('lbaas.evt.lb.<lbId>');
    expect(subjectOf('VipAllocated')).toBe('lbaas.evt.subnet.<subnetId>');
  });

  it('is up to date with libs/events (regenerate: node bench/run.js libs/events/tools/event-catalogue.ts --write)', () => {
    const stale = [...catalogueFiles()].filter(([path, content]) => !existsSync(path) || readFileSync(path, 'utf8') !== content).map(([p]) => basename(p));
    expect(stale).toEqual([]);
  });
});
