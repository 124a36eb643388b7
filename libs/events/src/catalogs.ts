import type { Command, Event } from './event';

/**
 * Flavors and availability zones: what an operator offers and where load balancers may run. Each family is one
 * aggregate per provider (`lbaas.evt.flavor.<provider>`, `lbaas.evt.az.<provider>`; this control plane is the one
 * provider, `lbaas`), so names stay unique and a profile in use cannot be deleted, decided in one place. Every event
 * carries `provider`, its aggregate's instance (PROVIDER_CATALOG), as every event carries its aggregate's id.
 */

/** The attributes of a flavor profile PUT may change. `flavorData` is the JSON text as given (Octavia stores it so). */
export type FlavorProfileSettings = Readonly<{ name: string; providerName: string; flavorData: string }>;
/** The attributes of a flavor PUT may change. */
export type FlavorSettings = Readonly<{ name: string; description: string; enabled: boolean }>;

/** An operator defined a flavor profile: provider-specific settings in JSON. Written by the api. */
export type FlavorProfileCreated = Event<'FlavorProfileCreated', 1, FlavorProfileSettings & { provider: string; flavorProfileId: string; at: string }>;
/** Some settings of a flavor profile changed (its data only while no flavor uses it). Written by the api. */
export type FlavorProfileSettingsChanged = Event<'FlavorProfileSettingsChanged', 1, {
  provider: string; flavorProfileId: string; changes: Partial<FlavorProfileSettings>; at: string;
}>;
/** A flavor profile no flavor used was removed. Written by the api. */
export type FlavorProfileDeleted = Event<'FlavorProfileDeleted', 1, { provider: string; flavorProfileId: string; at: string }>;
/** An operator offered a flavor (a name for tenants over a flavor profile). Written by the api. */
export type FlavorCreated = Event<'FlavorCreated', 1, FlavorSettings & { provider: string; flavorId: string; flavorProfileId: string; at: string }>;
/** Some settings of a flavor changed. Written by the api. */
export type FlavorSettingsChanged = Event<'FlavorSettingsChanged', 1, { provider: string; flavorId: string; changes: Partial<FlavorSettings>; at: string }>;
/** A flavor no load balancer used was removed. Written by the api. */
export type FlavorDeleted = Event<'FlavorDeleted', 1, { provider: string; flavorId: string; at: string }>;

/** Every event of the flavor aggregate (`lbaas.evt.flavor.<provider>`). */
export type FlavorEvent =
  | FlavorProfileCreated | FlavorProfileSettingsChanged | FlavorProfileDeleted | FlavorCreated | FlavorSettingsChanged | FlavorDeleted;

/** The attributes of an availability zone profile PUT may change; `availabilityZoneData` is JSON text as given. */
export type AvailabilityZoneProfileSettings = Readonly<{ name: string; providerName: string; availabilityZoneData: string }>;
/** The attributes of an availability zone PUT may change. */
export type AvailabilityZoneSettings = Readonly<{ description: string; enabled: boolean }>;

/** An operator defined an availability zone profile (which agents' zone, which VIP networks). Written by the api. */
export type AvailabilityZoneProfileCreated = Event<'AvailabilityZoneProfileCreated', 1, AvailabilityZoneProfileSettings & {
  provider: string; availabilityZoneProfileId: string; at: string;
}>;
/** Some settings of an availability zone profile changed (its data only while no zone uses it). Written by the api. */
export type AvailabilityZoneProfileSettingsChanged = Event<'AvailabilityZoneProfileSettingsChanged', 1, {
  provider: string; availabilityZoneProfileId: string; changes: Partial<AvailabilityZoneProfileSettings>; at: string;
}>;
/** An availability zone profile no zone used was removed. Written by the api. */
export type AvailabilityZoneProfileDeleted = Event<'AvailabilityZoneProfileDeleted', 1, { provider: string; availabilityZoneProfileId: string; at: string }>;
/** An operator offered an availability zone, known by its name. Written by the api. */
export type AvailabilityZoneCreated = Event<'AvailabilityZoneCreated', 1, AvailabilityZoneSettings & {
  provider: string; name: string; availabilityZoneProfileId: string; at: string;
}>;
/** Some settings of an availability zone changed. Written by the api. */
export type AvailabilityZoneSettingsChanged = Event<'AvailabilityZoneSettingsChanged', 1, {
  provider: string; name: string; changes: Partial<AvailabilityZoneSettings>; at: string;
}>;
/** An availability zone was removed (load balancers created in it keep the zone they were placed by). Written by the api. */
export type AvailabilityZoneDeleted = Event<'AvailabilityZoneDeleted', 1, { provider: string; name: string; at: string }>;

/** Every event of the availability-zone aggregate (`lbaas.evt.az.<provider>`). */
export type AvailabilityZoneEvent =
  | AvailabilityZoneProfileCreated | AvailabilityZoneProfileSettingsChanged | AvailabilityZoneProfileDeleted
  | AvailabilityZoneCreated | AvailabilityZoneSettingsChanged | AvailabilityZoneDeleted;

// ---- commands

/** Define a flavor profile. */
export type CreateFlavorProfile = Command<'CreateFlavorProfile', FlavorProfileSettings & { flavorProfileId: string }>;
/** Change a flavor profile. */
export type UpdateFlavorProfile = Command<'UpdateFlavorProfile', { flavorProfileId: string; changes: Partial<FlavorProfileSettings> }>;
/** Remove a flavor profile (refused while a flavor uses it). */
export type DeleteFlavorProfile = Command<'DeleteFlavorProfile', { flavorProfileId: string }>;
/** Offer a flavor over an existing profile. */
export type CreateFlavor = Command<'CreateFlavor', FlavorSettings & { flavorId: string; flavorProfileId: string }>;
/** Change a flavor. */
export type UpdateFlavor = Command<'UpdateFlavor', { flavorId: string; changes: Partial<FlavorSettings> }>;
/**
 * Remove a flavor; `loadBalancers` is how many live load balancers the caller's view shows using it (must be 0: the
 * load balancers are other aggregates).
 */
export type DeleteFlavor = Command<'DeleteFlavor', { flavorId: string; loadBalancers: number }>;
/** Every command the flavor decider takes. */
export type FlavorCommand = CreateFlavorProfile | UpdateFlavorProfile | DeleteFlavorProfile | CreateFlavor | UpdateFlavor | DeleteFlavor;

/** Define an availability zone profile. */
export type CreateAvailabilityZoneProfile = Command<'CreateAvailabilityZoneProfile', AvailabilityZoneProfileSettings & {
  availabilityZoneProfileId: string;
}>;
/** Change an availability zone profile. */
export type UpdateAvailabilityZoneProfile = Command<'UpdateAvailabilityZoneProfile', {
  availabilityZoneProfileId: string; changes: Partial<AvailabilityZoneProfileSettings>;
}>;
/** Remove an availability zone profile (refused while a zone uses it). */
export type DeleteAvailabilityZoneProfile = Command<'DeleteAvailabilityZoneProfile', { availabilityZoneProfileId: string }>;
/** Offer an availability zone over an existing profile. */
export type CreateAvailabilityZone = Command<'CreateAvailabilityZone', AvailabilityZoneSettings & { name: string; availabilityZoneProfileId: string }>;
/** Change an availability zone. */
export type UpdateAvailabilityZone = Command<'UpdateAvailabilityZone', { name: string; changes: Partial<AvailabilityZoneSettings> }>;
/** Remove an availability zone; `loadBalancers` as for DeleteFlavor. */
export type DeleteAvailabilityZone = Command<'DeleteAvailabilityZone', { name: string; loadBalancers: number }>;
/** Every command the availability-zone decider takes. */
export type AvailabilityZoneCommand =
  | CreateAvailabilityZoneProfile | UpdateAvailabilityZoneProfile | DeleteAvailabilityZoneProfile
  | CreateAvailabilityZone | UpdateAvailabilityZone | DeleteAvailabilityZone;
