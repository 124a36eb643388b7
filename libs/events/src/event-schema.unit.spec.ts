import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedEventProblem } from './event-schema';

const dir = join(__dirname, '__samples__');
const sample = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as { type: string; v: number; data: Record<string, unknown> };
const subnet = sample('SubnetCreated.v1.json');

describe('storedEventProblem: what a reader refuses before a decider or a view sees it', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('reads the stored sample %s', (file) => {
    expect(storedEventProblem(sample(file))).toBeNull();
  });

  it('reads a field a newer writer added (readers ignore unknown fields)', () => {
    expect(storedEventProblem({ ...subnet, data: { ...subnet.data, dnsNameservers: ['192.0.2.53'] } })).toBeNull();
  });

  it('passes an event type this code does not know (a newer release wrote it; every reader ignores it)', () => {
    expect(storedEventProblem({ type: 'SubnetRenamed', v: 1, data: { subnetId: 'x' } })).toBeNull();
  });

  it.each([
    ['an unknown version of a known type', { ...subnet, v: 2 }, /unknown event version: SubnetCreated v2/],
    ['version 0', { ...subnet, v: 0 }, /is not a version/],
    ['a string version', { ...subnet, v: '1' }, /is not a version/],
    ['a gateway that is a number', { ...subnet, data: { ...subnet.data, gatewayIp: 17 } }, /gatewayIp: matches no alternative/],
    ['a missing required field', { ...subnet, data: { ...subnet.data, cidr: undefined } }, /cidr: is required/],
    ['an allocation pool of the wrong shape', { ...subnet, data: { ...subnet.data, allocationPools: [{ start: 1 }] } }, /allocationPools\[0\]/],
    ['data that is an array', { ...subnet, data: [] }, /data is not an object/],
    ['no type', { v: 1, data: {} }, /has no type/],
    ['not an object', 'SubnetCreated', /not an object/],
    ['null', null, /not an object/],
    ['an id with NATS wildcards', { ...subnet, data: { ...subnet.data, subnetId: 'lbaas.*.>' } }, /subnetId: "lbaas.\*.>" is not an id/],
    ['an id that is a path', { ...subnet, data: { ...subnet.data, networkId: '../../etc' } }, /networkId: .* is not an id/],
  ])('refuses %s', (_what, event, why) => {
    expect(storedEventProblem(JSON.parse(JSON.stringify(event)))).toMatch(why);
  });
});
