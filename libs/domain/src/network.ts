import type { CreateNetwork, Decider, DeleteNetwork, NetworkCommand, NetworkEvent } from '@lbaas/events';
import { assertNever, DomainError } from './domain-error';
import { checkText } from './field-rules';

/** The network aggregate's state (`lbaas.evt.network.<networkId>`). */
export type Network =
  | Readonly<{ status: 'none' }>
  | Readonly<{ status: 'live'; networkId: string; physicalNetwork: string }>
  | Readonly<{ status: 'deleted'; networkId: string }>;

export const initialState = (): Network => ({ status: 'none' });

export const evolve = (s: Network, e: NetworkEvent): Network => {
  switch (e.type) {
    case 'NetworkCreated': return { status: 'live', networkId: e.data.networkId, physicalNetwork: e.data.physicalNetwork };
    case 'NetworkDeleted': return { status: 'deleted', networkId: e.data.networkId };
    default: return assertNever(e);
  }
};

export const decide = (c: NetworkCommand, s: Network): NetworkEvent[] => {
  switch (c.type) {
    case 'CreateNetwork': return create(c, s);
    case 'DeleteNetwork': return remove(c, s);
    default: return assertNever(c);
  }
};

const create = ({ data, metadata }: CreateNetwork, s: Network): NetworkEvent[] => {
  if (s.status === 'live') return []; // the same request, retried
  if (s.status === 'deleted') throw new DomainError('IllegalState', `Network ${data.networkId} was deleted; its id cannot be reused.`);
  checkText('name', data.name);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(data.physicalNetwork)) {
    throw new DomainError('Invalid', `Invalid input for provider:physical_network. Reason: '${data.physicalNetwork}' is not a valid physical network name.`);
  }
  // Neutron's flat type driver: a flat network is the whole physical network, so a second one would share its layer 2.
  if ((data.networksOnPhysicalNetwork ?? []).some((id) => id !== data.networkId)) {
    throw new DomainError('Conflict', `Unable to create the flat network. Physical network ${data.physicalNetwork} is in use.`);
  }
  const { networkId, projectId, name, physicalNetwork, shared } = data;
  return [{ type: 'NetworkCreated', v: 1, data: { networkId, projectId, name, physicalNetwork, networkType: 'flat', shared, at: metadata.now } }];
};

const remove = ({ data, metadata }: DeleteNetwork, s: Network): NetworkEvent[] => {
  if (s.status !== 'live') throw new DomainError('NotFound', `Network ${data.networkId} could not be found.`);
  if (data.subnetCount > 0) {
    throw new DomainError('Conflict',
      `Unable to complete operation on network ${data.networkId}. There are one or more ports still in use on the network.`);
  }
  return [{ type: 'NetworkDeleted', v: 1, data: { networkId: data.networkId, at: metadata.now } }];
};

/** The network aggregate as a decider. */
export const network = { decide, evolve, initialState } satisfies Decider<Network, NetworkCommand, NetworkEvent>;
