/**
 * The catalogue of event types and versions for auditors and external consumers, generated from the TypeScript
 * types in libs/events/src (the contract itself): one JSON Schema per event version in docs/events/schemas/ and
 * docs/events.md. `node bench/run.js libs/events/tools/event-catalogue.ts --write` regenerates both; the unit test
 * event-catalogue.unit.spec.ts fails when they are stale or when a stored sample does not match its schema.
 * Each event's subject is its aggregate's, built by libs/contracts (this tool is not part of the lib: it may import it).
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { subjects, type Aggregate } from '@lbaas/contracts';
import ts from 'typescript';
import { schemaProblems, type JsonSchema } from '../src/event-schema';

const SRC = resolve(__dirname, '../src');
const ROOT = resolve(__dirname, '../../..');
export const SCHEMA_DIR = join(ROOT, 'docs/events/schemas');
export const DOC = join(ROOT, 'docs/events.md');
export const SCHEMA_MODULE = join(SRC, 'event-schemas.generated.ts');

export type { JsonSchema };
export type CatalogueEntry = { type: string; v: number; aggregate: Aggregate; subject: string; doc: string; schema: JsonSchema };

/** Each aggregate's event union in libs/events (the events an aggregate's stream holds) and the name of its id. */
const AGGREGATES: Record<Aggregate, { events: string; id: string }> = {
  lb: { events: 'LoadBalancerEvent', id: 'lbId' },
  agent: { events: 'AgentEvent', id: 'agentId' },
  network: { events: 'NetworkEvent', id: 'networkId' },
  subnet: { events: 'SubnetEvent', id: 'subnetId' },
  project: { events: 'ProjectEvent', id: 'projectId' },
  flavor: { events: 'FlavorEvent', id: 'provider' },
  az: { events: 'AvailabilityZoneEvent', id: 'provider' },
};

/** `lbaas.evt.<aggregate>.<id name>`: libs/contracts' subject of every instance, its wildcard named. */
export function subjectOf(aggregate: Aggregate): string {
  const all = subjects.allOf(aggregate);
  if (!all.endsWith('.*')) throw new Error(`unexpected subject pattern from libs/contracts: ${all}`);
  return `${all.slice(0, -1)}<${AGGREGATES[aggregate].id}>`;
}

/** Event type → the aggregate whose event union holds it (exactly one, or the catalogue cannot be built). */
function aggregatesByType(program: ts.Program, checker: ts.TypeChecker, files: readonly string[]): Map<string, Aggregate> {
  const unions = new Map<string, ts.Type>();
  for (const f of files) {
    for (const st of program.getSourceFile(join(SRC, f))!.statements) {
      if (ts.isTypeAliasDeclaration(st)) unions.set(st.name.text, checker.getTypeAtLocation(st.name));
    }
  }
  const out = new Map<string, Aggregate>();
  for (const [aggregate, { events }] of Object.entries(AGGREGATES) as [Aggregate, { events: string }][]) {
    const union = unions.get(events);
    if (!union) throw new Error(`libs/events has no type ${events} (the events of aggregate ${aggregate})`);
    for (const member of union.isUnion() ? union.types : [union]) {
      const typeProp = checker.getPropertyOfType(member, 'type');
      const literal = typeProp && checker.getTypeOfSymbol(typeProp);
      if (!literal?.isStringLiteral()) throw new Error(`${events}: a member without a literal \`type\``);
      const seen = out.get(literal.value);
      if (seen && seen !== aggregate) throw new Error(`${literal.value} is an event of both ${seen} and ${aggregate}`);
      out.set(literal.value, aggregate);
    }
  }
  return out;
}

/** Every `export type X = Event<'X', N, {...}>` in libs/events/src, with its TSDoc and a JSON Schema of the whole event. */
export function buildCatalogue(): CatalogueEntry[] {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.includes('.spec.') && !f.includes('.fixtures.') && !f.includes('.generated.'));
  const program = ts.createProgram(files.map((f) => join(SRC, f)), { strict: true, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const aggregateOf = aggregatesByType(program, checker, files);
  const out: CatalogueEntry[] = [];
  for (const f of files) {
    const sf = program.getSourceFile(join(SRC, f))!;
    for (const st of sf.statements) {
      if (!ts.isTypeAliasDeclaration(st) || !ts.isTypeReferenceNode(st.type) || st.type.typeName.getText(sf) !== 'Event') continue;
      const [typeArg, vArg, dataArg] = st.type.typeArguments ?? [];
      const type = typeArg.getText(sf).replace(/'/g, '');
      const v = Number(vArg.getText(sf));
      const doc = ts.getJSDocCommentsAndTags(st).map((d) => (typeof d.comment === 'string' ? d.comment : '')).join(' ').replace(/\s+/g, ' ').trim();
      const data = toSchema(checker, checker.getTypeFromTypeNode(dataArg));
      const aggregate = aggregateOf.get(type);
      if (!aggregate) throw new Error(`${type} (${f}) is in no aggregate's event union: which stream holds it?`);
      out.push({
        type, v, aggregate, subject: subjectOf(aggregate), doc,
        schema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `lbaas/events/${type}.v${v}.schema.json`, title: `${type} v${v}`,
          description: doc, type: 'object', additionalProperties: false, required: ['type', 'v', 'data'],
          properties: { type: { const: type }, v: { const: v }, data },
        },
      });
    }
  }
  return out.sort((a, b) => (a.type + a.v).localeCompare(b.type + b.v));
}

function toSchema(checker: ts.TypeChecker, t: ts.Type): JsonSchema {
  if (t.isUnion()) {
    const nonNull = t.types.filter((p) => !(p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const hasNull = t.types.some((p) => p.flags & ts.TypeFlags.Null);
    let inner: JsonSchema;
    if (nonNull.every((p) => p.isStringLiteral())) inner = { type: 'string', enum: nonNull.map((p) => (p as ts.StringLiteralType).value) };
    else if (nonNull.every((p) => p.flags & ts.TypeFlags.BooleanLiteral)) inner = { type: 'boolean' };
    else if (nonNull.length === 1) inner = toSchema(checker, nonNull[0]);
    else inner = { anyOf: nonNull.map((p) => toSchema(checker, p)) };
    return hasNull ? { anyOf: [inner, { type: 'null' }] } : inner;
  }
  if (t.flags & ts.TypeFlags.String) return { type: 'string' };
  if (t.flags & ts.TypeFlags.Number) return { type: 'number' };
  if (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
  if (t.isStringLiteral()) return { const: t.value };
  if (t.isNumberLiteral()) return { const: t.value };
  if (t.flags & ts.TypeFlags.Null) return { type: 'null' };
  if (checker.isArrayType(t) || checker.isTupleType(t)) {
    const [item] = checker.getTypeArguments(t as ts.TypeReference);
    return { type: 'array', items: toSchema(checker, item) };
  }
  const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
  const props = checker.getPropertiesOfType(t);
  if (index && props.length === 0) return { type: 'object', additionalProperties: toSchema(checker, index.type) };
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const p of props) {
    const pt = checker.getTypeOfSymbol(p);
    properties[p.name] = toSchema(checker, pt);
    if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.name);
  }
  return { type: 'object', additionalProperties: false, required, properties };
}

/** The catalogue's strict check (no field the schema does not name): libs/events' own validator. */
export const validate = (schema: JsonSchema, value: unknown, at = '$'): string[] => schemaProblems(schema, value, { extra: 'refuse' }, at);

/** libs/events/src/event-schemas.generated.ts: each version's data schema, which every reader checks events against. */
export function renderSchemaModule(entries: readonly CatalogueEntry[]): string {
  const lines = [
    '// generated by `node bench/run.js libs/events/tools/event-catalogue.ts --write` from the types in this folder; do not edit',
    '',
    '/** The JSON Schema of the `data` of every event version (`<type>.v<v>`), as docs/events/schemas holds it. */',
    'export const EVENT_DATA_SCHEMAS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {',
    ...entries.map((e) => `  ${JSON.stringify(`${e.type}.v${e.v}`)}: ${JSON.stringify((e.schema.properties as { data: JsonSchema }).data)},`),
    '};',
    '',
  ];
  return lines.join('\n');
}

/** docs/events.md from the catalogue. */
export function renderDoc(entries: readonly CatalogueEntry[]): string {
  const lines = [
    '# Event catalogue',
    '',
    '<!-- generated by `node bench/run.js libs/events/tools/event-catalogue.ts --write`; do not edit -->',
    '',
    'Every change in lbaas is a **commit** in the JetStream stream `LBAAS_EVENTS` (subjects `lbaas.evt.>`), one',
    'message per decision: `{ commitId, at, actor, events: [{ type, v, data }] }`. The message id (`Nats-Msg-Id`)',
    'is the commit id. `actor` says who decided (`kind` user|service, `projectId`, `userId`, `roles`), from where',
    '(`requestId`, `clientAddress` as the API saw it), and why (`operation`, e.g. `POST /v2/lbaas/listeners`);',
    '`service` names the app (`api`, `scheduler:<host>`, `agent:<id>`, ...). Events carry ids and settings, never secrets.',
    '',
    '`v` is the schema version of `data`. An added optional field keeps `v` (readers ignore unknown fields); a',
    'rename, removal or change of meaning bumps `v`, and lbaas upcasts old versions on every read, so old history',
    'replays forever. Each version has a JSON Schema in [`docs/events/schemas/`](events/schemas/) and a stored',
    'sample in `libs/events/src/__samples__/`; a unit test checks every sample against its schema.',
    '',
    'Two subjects hold the stream\'s own facts, written by the operator only (`lbaasctl`), in the same commit shape:',
    '`lbaas.evt.stream.genesis` (message 1, `EventStreamCreated { streamId, createdAt }`: the stream\'s identity) and',
    '`lbaas.evt.stream.restored` (`EventStreamRestored { streamId, restoredAt, backupCreatedAt, lastSeq }` after a DR',
    'restore). No view folds them; agents read them to tell their stream from another one.',
    '',
    'Every reader checks each event against the schema of its version (extra fields are ignored), and refuses ids that',
    'are not subject tokens and events about another aggregate than the subject they are on: such a commit is skipped',
    'and reported (`commit.unreadable`), never folded.',
    '',
    '## Consuming the stream',
    '',
    'An external consumer (an auditor) creates its own **durable consumer** on `LBAAS_EVENTS` and acks what it',
    'has stored; it resumes where it stopped. From the beginning: `deliver_policy: all`; from a time:',
    '`deliver_policy: by_start_time, opt_start_time: <ISO time>` (the time the stream stored the message; after a',
    '`lbaasctl dr import` that is the import time: filter on the commit\'s `at` for the decision time, as',
    '`lbaasctl events --from` does); from a sequence: `by_start_sequence`. A',
    'runnable example is [`docs/examples/audit-consumer.js`](examples/audit-consumer.js):',
    '',
    '```bash',
    'node docs/examples/audit-consumer.js --nats nats://127.0.0.1:4222 --durable auditor [--since 2026-11-25T00:00:00Z]',
    '```',
    '',
    'or, for people, `lbaasctl events` (filters, `--follow`, `--json`) and `GET /v2/lbaas/loadbalancers/{id}/history`.',
    '',
    '## Event types',
    '',
    '| type | v | subject | meaning |',
    '|---|---|---|---|',
    ...entries.map((e) => `| \`${e.type}\` | ${e.v} | \`${e.subject}\` | ${e.doc.replace(/\|/g, '\\|')} |`),
    '',
    '## Fields',
    '',
  ];
  for (const e of entries) {
    const data = (e.schema.properties as { data: { properties: Record<string, JsonSchema>; required: string[] } }).data;
    lines.push(`### ${e.type} v${e.v}`, '', e.doc, '', '| field | type | required |', '|---|---|---|');
    for (const [k, s] of Object.entries(data.properties)) lines.push(`| \`${k}\` | ${describe(s)} | ${data.required.includes(k) ? 'yes' : 'no'} |`);
    lines.push('', `Schema: [\`${e.type}.v${e.v}.schema.json\`](events/schemas/${e.type}.v${e.v}.schema.json)`, '');
  }
  return lines.join('\n');
}

function describe(s: JsonSchema): string {
  const x = s as { type?: string | string[]; enum?: string[]; const?: unknown; anyOf?: JsonSchema[]; items?: JsonSchema };
  if (x.enum) return x.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (x.anyOf) return x.anyOf.map(describe).join(' \\| ');
  if (x.type === 'array') return `array of ${describe(x.items ?? {})}`;
  if ('const' in x) return `\`${JSON.stringify(x.const)}\``;
  return Array.isArray(x.type) ? x.type.join(' \\| ') : x.type ?? 'any';
}

/** The files the catalogue consists of: path → content. */
export function catalogueFiles(): Map<string, string> {
  const entries = buildCatalogue();
  const files = new Map<string, string>();
  for (const e of entries) files.set(join(SCHEMA_DIR, `${e.type}.v${e.v}.schema.json`), JSON.stringify(e.schema, null, 2) + '\n');
  files.set(DOC, renderDoc(entries));
  files.set(SCHEMA_MODULE, renderSchemaModule(entries));
  return files;
}

if (require.main === module || process.argv.includes('--write')) {
  if (process.argv.includes('--write')) {
    mkdirSync(SCHEMA_DIR, { recursive: true });
    for (const [path, content] of catalogueFiles()) writeFileSync(path, content);
    console.log(`wrote ${DOC} and ${SCHEMA_DIR}`);
  }
}
export { readFileSync };
