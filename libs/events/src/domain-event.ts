import type { AgentEvent } from './agent';
import type { AvailabilityZoneEvent, FlavorEvent } from './catalogs';
import type { LoadBalancerEvent } from './load-balancer';
import type { NetworkEvent, SubnetEvent } from './network';
import type { ProjectEvent } from './project';

/** Any event of any aggregate. */
export type DomainEvent = LoadBalancerEvent | AgentEvent | NetworkEvent | SubnetEvent | ProjectEvent | FlavorEvent | AvailabilityZoneEvent;
