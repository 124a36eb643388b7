import { parseEventSubject, type Commit } from '@lbaas/contracts';
import type {
  AgentEvent, AvailabilityZoneEvent, DomainEvent, FlavorEvent, LoadBalancerEvent, NetworkEvent, ProjectEvent, SubnetEvent,
} from '@lbaas/events';
import { evolveAgents, initialAgents, type AgentsView } from './agents';
import { evolveLoadBalancers, initialLoadBalancers, type LoadBalancersView } from './load-balancers';
import { evolveNetworks, initialNetworks, type NetworksView } from './networks';
import { evolveOfferings, initialOfferings, type OfferingsView } from './offerings';
import { evolveProjects, initialProjects, type ProjectsView } from './projects';

/** Everything the api (and operators' tools) show: load-balancer trees, networks and subnets, agents. */
export type Catalog = {
  loadBalancers: LoadBalancersView;
  networks: NetworksView;
  agents: AgentsView;
  /** Quota limits set per project. */
  projects: ProjectsView;
  /** Flavors and availability zones, with their profiles. */
  offerings: OfferingsView;
  /** Stream sequence of the last commit folded in. */
  seq: number;
};

export const initialCatalog = (): Catalog => ({
  loadBalancers: initialLoadBalancers(), networks: initialNetworks(), agents: initialAgents(), projects: initialProjects(), offerings: initialOfferings(), seq: 0,
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
      case 'project': evolveProjects(view.projects, event as ProjectEvent); break;
      case 'flavor': case 'az': evolveOfferings(view.offerings, event as FlavorEvent | AvailabilityZoneEvent); break;
    }
  }
  view.seq = commit.seq;
  return view;
}
