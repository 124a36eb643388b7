import { agent } from './agent';
import {
  adminStateChanged, AGENT_ID, agentRegistered, declareDown, declaredDown, declaredUp, declareUp, registerAgent, setAdminState,
} from './agent.fixtures';
import { deciderSpec } from '@lbaas/testing';

const given = deciderSpec(agent);
const NOT_FOUND = `Agent ${AGENT_ID} could not be found.`;

describe('Agent', () => {
  it('registers an agent', () => given([]).when(registerAgent()).then([agentRegistered()]));
  it('treats the same registration again as done', () => given([agentRegistered()]).when(registerAgent()).then([]));
  it('registers again when the bridge mappings change', () => {
    const bridgeMappings = { physnet1: 'br-ex', physnet2: 'br-2' };
    given([agentRegistered()]).when(registerAgent({ bridgeMappings })).then([agentRegistered({ bridgeMappings })]);
  });
  it('registers again when the host changes', () =>
    given([agentRegistered()]).when(registerAgent({ host: 'node-2' })).then([agentRegistered({ host: 'node-2' })]));
  it.each(['Agent_A', 'a.b', '', 'x'.repeat(25)])('refuses agent id %p', (agentId) =>
    given([]).when(registerAgent({ agentId })).thenThrows('Invalid', /agent id/));
  it('registers its availability zone and management address', () =>
    given([]).when(registerAgent({ availabilityZone: 'rack-1', managementAddress: '192.0.2.21' }))
      .then([agentRegistered({ availabilityZone: 'rack-1', managementAddress: '192.0.2.21' })]));
  it('registers again when the zone changes', () =>
    given([agentRegistered({ availabilityZone: 'rack-1' })]).when(registerAgent({ availabilityZone: 'rack-2' }))
      .then([agentRegistered({ availabilityZone: 'rack-2' })]));
  it('treats a registration without the optional fields as the same as one with nulls', () =>
    given([agentRegistered()]).when(registerAgent({ availabilityZone: null, managementAddress: null })).then([]));
  it.each([['a newline', 'rack\n1'], ['an empty name', ''], ['spaces around', ' rack ']])('refuses a zone with %s', (_why, zone) =>
    given([]).when(registerAgent({ availabilityZone: zone })).thenThrows('Invalid', /availability zone/));
  it('refuses a management address that is not an IP', () =>
    given([]).when(registerAgent({ managementAddress: 'host; rm -rf' })).thenThrows('Invalid', /management address/));
  it('refuses a registration without host', () => given([]).when(registerAgent({ host: '' })).thenThrows('Invalid'));
  it('refuses a lease that is not a positive integer', () => given([]).when(registerAgent({ leaseMs: 0 })).thenThrows('Invalid'));
  it('declares a live agent down', () =>
    given([agentRegistered()]).when(declareDown('2026-03-01T11:59:00.000Z')).then([declaredDown('2026-03-01T11:59:00.000Z')]));
  it('treats declaring a down agent down as done', () => given([agentRegistered(), declaredDown()]).when(declareDown()).then([]));
  it('declares a down agent up', () => given([agentRegistered(), declaredDown()]).when(declareUp()).then([declaredUp()]));
  it('treats declaring a live agent up as done', () => given([agentRegistered()]).when(declareUp()).then([]));
  it('keeps a down agent down when it registers again', () =>
    given([agentRegistered(), declaredDown(), agentRegistered({ host: 'node-2' })]).when(declareUp()).then([declaredUp()]));
  it('disables an agent', () => given([agentRegistered()]).when(setAdminState(false)).then([adminStateChanged(false)]));
  it('treats the same admin state as done', () => given([agentRegistered()]).when(setAdminState(true)).then([]));
  it('enables a disabled agent', () =>
    given([agentRegistered(), adminStateChanged(false)]).when(setAdminState(true)).then([adminStateChanged(true)]));
  it.each([
    ['DeclareAgentDown', declareDown()], ['DeclareAgentUp', declareUp()], ['SetAgentAdminState', setAdminState(false)],
  ])('answers NotFound to %s for an unknown agent', (_what, command) => given([]).when(command).thenThrows('NotFound', NOT_FOUND));
});
