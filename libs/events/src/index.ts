export * from './event';
export * from './values';
export * from './load-balancer';
export * from './l7';
export * from './agent';
export * from './network';
export * from './project';

import type { AgentEvent } from './agent';
import type { LoadBalancerEvent } from './load-balancer';
import type { NetworkEvent, SubnetEvent } from './network';
import type { ProjectEvent } from './project';

/** Any event of any aggregate. */
export type DomainEvent = LoadBalancerEvent | AgentEvent | NetworkEvent | SubnetEvent | ProjectEvent;
export * from './upcasters';
export * from './commands';
