import { deciderSpec } from '@lbaas/testing';
import { network } from './network';
import { createNetwork, deleteNetwork, NETWORK, networkCreated, networkDeleted } from './network.fixtures';

const given = deciderSpec(network);

describe('Network', () => {
  it('creates a flat network', () => given([]).when(createNetwork()).then([networkCreated()]));
  it('treats a retried create as done', () => given([networkCreated()]).when(createNetwork()).then([]));
  it('refuses to reuse a deleted id', () => given([networkCreated(), networkDeleted()]).when(createNetwork()).thenThrows('IllegalState'));
  it('refuses a physical network name that is not a plain token', () =>
    given([]).when(createNetwork({ physicalNetwork: 'phys net' })).thenThrows('Invalid', /physical_network/));
  it('refuses a second flat network on a physical network that has one (Neutron\'s FlatNetworkInUse)', () =>
    given([]).when(createNetwork({ networksOnPhysicalNetwork: ['another-network'] }))
      .thenThrows('Conflict', 'Unable to create the flat network. Physical network physnet1 is in use.'));
  it('creates a flat network on a physical network nobody uses, and retries it', () => {
    given([]).when(createNetwork({ networksOnPhysicalNetwork: [] })).then([networkCreated()]);
    given([]).when(createNetwork({ networksOnPhysicalNetwork: [NETWORK] })).then([networkCreated()]);
  });
  it('refuses control characters in the name', () => given([]).when(createNetwork({ name: 'a\rb' })).thenThrows('Invalid', /name/));
  it('deletes a network without subnets', () => given([networkCreated()]).when(deleteNetwork()).then([networkDeleted()]));
  it('refuses to delete a network with subnets (Neutron message)', () =>
    given([networkCreated()]).when(deleteNetwork(1)).thenThrows('Conflict',
      `Unable to complete operation on network ${NETWORK}. There are one or more ports still in use on the network.`));
  it('answers NotFound for an unknown network', () =>
    given([]).when(deleteNetwork()).thenThrows('NotFound', `Network ${NETWORK} could not be found.`));
});
