import { checkPlacementTarget } from './placement-target';

const ok = { agentId: 'agent-a', registered: true, down: false, adminStateUp: true, physicalNetworks: ['physnet1'] };

describe('checkPlacementTarget: a placement names a live, enabled agent that bridges the network', () => {
  it('accepts a live, enabled agent of the network', () => expect(() => checkPlacementTarget(ok, 'physnet1')).not.toThrow());
  it('refuses an unknown agent', () => expect(() => checkPlacementTarget({ ...ok, registered: false }, 'physnet1')).toThrow(/could not be found/));
  it('refuses an agent that is down', () => expect(() => checkPlacementTarget({ ...ok, down: true }, 'physnet1')).toThrow(/is down/));
  it('refuses a disabled agent', () => expect(() => checkPlacementTarget({ ...ok, adminStateUp: false }, 'physnet1')).toThrow(/disabled/));
  it('refuses an agent without the physical network', () => expect(() => checkPlacementTarget(ok, 'physnet2')).toThrow(/physnet2/));
  it('refuses an agent of another availability zone', () =>
    expect(() => checkPlacementTarget({ ...ok, zone: 'rack-1' }, 'physnet1', 'rack-2')).toThrow(/not in availability zone rack-2/));
  it('accepts an agent of the zone', () => expect(() => checkPlacementTarget({ ...ok, zone: 'rack-2' }, 'physnet1', 'rack-2')).not.toThrow());
});
