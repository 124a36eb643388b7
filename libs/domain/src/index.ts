export * from './domain-error';
export * from './workflow';
export * from './ipv4';
export * from './ip-address';
export * from './ip-range';
export {
  loadBalancer, isPending, INSERT_HEADERS, checkMemberSubnet, MEMBER_DEFAULTS, RESERVED_IPS, isRedirectUrl, l7ValueProblem,
  L7_KEY, memberKey,
} from './load-balancer';
export type {
  LoadBalancer, ListenerState, PoolState, MemberState, MonitorState, Placement, Versions, L7PolicyState,
} from './load-balancer';
export {
  PROVIDER, SUPPORTED_LISTENER_PROTOCOLS, SUPPORTED_POOL_PROTOCOLS, SUPPORTED_MONITOR_TYPES, LISTENER_POOL_PROTOCOLS,
} from './protocol-rules';
export { COOKIE_NAME, URL_PATH, isExpectedCodes, isHostname } from './field-rules';
export { agent } from './agent';
export type { Agent } from './agent';
export { network } from './network';
export type { Network } from './network';
export { subnet } from './subnet';
export type { Subnet } from './subnet';
export * from './placement';
export * from './vip-sweeper';
export * from './failover';
export * from './quota';
export { project } from './project';
export type { Project } from './project';
export * from './placement-target';
export * from './agent-reports';
export { flavorCatalog } from './flavor';
export type { FlavorCatalog } from './flavor';
export { zoneCatalog } from './availability-zone';
export type { ZoneCatalog } from './availability-zone';
export {
  AVAILABILITY_ZONE_CAPABILITIES, FLAVOR_CAPABILITIES, SUPPORTED_TOPOLOGIES, checkProviderName, isZoneName, parseFlavorData,
  parseZoneData,
} from './provider-capabilities';
export type { Capability, FlavorMetadata, ZoneMetadata } from './provider-capabilities';
export { cipherStringProblem } from './tls-rules';
