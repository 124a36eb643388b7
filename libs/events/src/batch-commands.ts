import type { Command } from './event';
import type { CreateHealthMonitor, CreateListener, CreateLoadBalancer, CreateMember, CreatePool } from './commands';
import type { MemberSettings } from './load-balancer';

/** One child of a graph create, in the order it is built (listeners, then pools, members, monitors). */
export type GraphStep =
  | Readonly<{ type: 'CreateListener'; data: CreateListener['data'] }>
  | Readonly<{ type: 'CreatePool'; data: CreatePool['data'] }>
  | Readonly<{ type: 'CreateMember'; data: CreateMember['data'] }>
  | Readonly<{ type: 'CreateHealthMonitor'; data: CreateHealthMonitor['data'] }>;

/** Octavia's single-call create: a load balancer and its whole tree, decided and stored as one commit. */
export type CreateLoadBalancerGraph = Command<'CreateLoadBalancerGraph', {
  loadBalancer: CreateLoadBalancer['data']; steps: readonly GraphStep[];
}>;

/** One member of a batch update: matched to an existing member by address and port, else created with `memberId`. */
export type BatchMember = Readonly<{
  memberId: string; address: string; protocolPort: number; subnetId: string | null;
  /** Only the attributes the request named (a matched member keeps the others). */
  settings: Partial<MemberSettings>;
}>;

/**
 * Octavia's batch member update (PUT /pools/{id}/members): the pool's members become `members` (matched by address and
 * port); with `additiveOnly` members not named are kept, otherwise they are deleted. One commit.
 */
export type BatchUpdateMembers = Command<'BatchUpdateMembers', {
  lbId: string; poolId: string; additiveOnly: boolean; members: readonly BatchMember[];
}>;
