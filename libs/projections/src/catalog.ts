import { parseEventSubject, type Commit } from '@lbaas/contracts';
import type { AgentEvent, DomainEvent, LoadBalancerEvent, NetworkEvent, SubnetEvent } from '@lbaas/events';
import { evolveAgents, initialAgents, type AgentsView } from './agents';
import { evolveLoadBalancers, initialLoadBalancers, type LoadBalancersView } from './load-balancers';
import { evolveNetworks, initialNetworks, type NetworksView } from './networks';

/** Everything the api (and operators' tools) show: load-balancer trees, networks and subnets, agents. */
export type Catalog = {
  loadBalancers: LoadBalancersView;
  networks: NetworksView;
  agents: AgentsView;
  /** Stream sequence of the last commit folded in. */
  seq: number;
};

export const initialCatalog = (): Catalog => ({
  loadBalancers: initialLoadBalancers(), networks: initialNetworks(), agents: initialAgents(), seq: 0,
});

/** A commit as the projection runner hands it over. */
export type SequencedCommit = Commit & { seq: number; subject: string };

/** Folds one commit (all its events, in order) into the catalog. */
export function evolveCatalog(view: Catalog, commit: SequencedCommit): Catalog {
  const target = parseEventSubject(commit.subject);
  if (!target) return view;
  for (const event of commit.events as readonly DomainEvent[]) {
    switch (target.aggregate) {
      case 'lb': evolveLoadBalancers(view.loadBalancers, event as LoadBalancerEvent, commit.seq); break;
      case 'agent': evolveAgents(view.agents, event as AgentEvent); break;
      case 'network': case 'subnet': evolveNetworks(view.networks, event as NetworkEvent | SubnetEvent); break;
      case 'project': break;
    }
  }
  view.seq = commit.seq;
  return view;
}
