import type { DomainEvent } from './domain-event';

/** Thrown when a stored event has a type we do not know, or a schema version newer than this code (or with no upcaster). */
export class UnknownEventVersion extends Error {
  constructor(readonly type: string, readonly v: number) {
    super(`unknown event version: ${type} v${v}`);
    this.name = 'UnknownEventVersion';
  }
}

/** The latest schema version of every event type: what deciders and views see after `upcast`. */
export const LATEST_EVENT_VERSIONS: Readonly<Record<DomainEvent['type'], number>> = {
  LoadBalancerCreated: 1, LoadBalancerSettingsChanged: 1, LoadBalancerDeleted: 1, LoadBalancerPlaced: 1,
  LoadBalancerPlacementFailed: 1, LoadBalancerHandoverPrepared: 1, LoadBalancerHandoverReleased: 1, LoadBalancerHandoverDrained: 1,
  ListenerCreated: 1, ListenerSettingsChanged: 1, ListenerDeleted: 1,
  PoolCreated: 1, PoolSettingsChanged: 1, PoolDeleted: 1, MemberCreated: 1, MemberSettingsChanged: 1, MemberDeleted: 1,
  HealthMonitorCreated: 1, HealthMonitorSettingsChanged: 1, HealthMonitorDeleted: 1,
  DesiredStateApplied: 1, DesiredStateRejected: 1, MemberOperatingStatusChanged: 1,
  L7PolicyCreated: 1, L7PolicySettingsChanged: 1, L7PolicyDeleted: 1, L7RuleCreated: 1, L7RuleSettingsChanged: 1, L7RuleDeleted: 1,
  AgentRegistered: 1, AgentDeclaredDown: 1, AgentDeclaredUp: 1, AgentAdminStateChanged: 1,
  NetworkCreated: 1, NetworkDeleted: 1,
  SubnetCreated: 1, SubnetDeleted: 1, VipAllocated: 1, VipReleased: 1,
  ProjectQuotaSet: 1, ProjectQuotaReset: 1,
  FlavorProfileCreated: 1, FlavorProfileSettingsChanged: 1, FlavorProfileDeleted: 1,
  FlavorCreated: 1, FlavorSettingsChanged: 1, FlavorDeleted: 1,
  AvailabilityZoneProfileCreated: 1, AvailabilityZoneProfileSettingsChanged: 1, AvailabilityZoneProfileDeleted: 1,
  AvailabilityZoneCreated: 1, AvailabilityZoneSettingsChanged: 1, AvailabilityZoneDeleted: 1,
};

/** A stored event as read, of any version. */
export type StoredEvent = Readonly<{ type: string; v: number; data: unknown }>;

/**
 * Upcasters by `<type>@<v>`: each turns version v into v+1. None yet (every event is at v1).
 * A rename, removal or change of meaning bumps `v` and adds one entry here plus a stored sample.
 */
const UPCASTERS: Readonly<Record<string, (data: unknown) => unknown>> = {};

const isKnownType = (type: string): type is DomainEvent['type'] => Object.prototype.hasOwnProperty.call(LATEST_EVENT_VERSIONS, type);

/** Brings a stored event to the latest shape of its type; throws UnknownEventVersion when that is impossible. */
export const upcast = (event: StoredEvent): DomainEvent => {
  if (!isKnownType(event.type) || !Number.isInteger(event.v) || event.v < 1) throw new UnknownEventVersion(event.type, event.v);
  const latest = LATEST_EVENT_VERSIONS[event.type];
  if (event.v > latest) throw new UnknownEventVersion(event.type, event.v);
  let { v, data } = event;
  while (v < latest) {
    const up = UPCASTERS[`${event.type}@${v}`];
    if (!up) throw new UnknownEventVersion(event.type, v);
    data = up(data);
    v += 1;
  }
  return { type: event.type, v, data } as DomainEvent;
};
