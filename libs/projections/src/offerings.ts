import type { AvailabilityZoneEvent, FlavorEvent } from '@lbaas/events';

/** A flavor profile as the api shows it (flavor_data is the JSON text as given). */
export type FlavorProfileView = { flavorProfileId: string; name: string; providerName: string; flavorData: string };
/** A flavor. */
export type FlavorView = { flavorId: string; name: string; description: string; enabled: boolean; flavorProfileId: string };
/** An availability zone profile. */
export type ZoneProfileView = { availabilityZoneProfileId: string; name: string; providerName: string; availabilityZoneData: string };
/** An availability zone, keyed by its name. */
export type ZoneView = { name: string; description: string; enabled: boolean; availabilityZoneProfileId: string };

/** What the provider offers: flavors and availability zones with their profiles, in creation order. */
export type OfferingsView = {
  flavorProfiles: Map<string, FlavorProfileView>;
  flavors: Map<string, FlavorView>;
  zoneProfiles: Map<string, ZoneProfileView>;
  zones: Map<string, ZoneView>;
};

export const initialOfferings = (): OfferingsView => ({ flavorProfiles: new Map(), flavors: new Map(), zoneProfiles: new Map(), zones: new Map() });

const patch = <T extends object>(m: Map<string, T>, id: string, changes: Partial<T>): void => {
  const x = m.get(id);
  if (x) Object.assign(x, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)));
};

/** Folds one flavor or availability-zone event into the view (in place; deterministic, no I/O). */
export function evolveOfferings(view: OfferingsView, event: FlavorEvent | AvailabilityZoneEvent): OfferingsView {
  switch (event.type) {
    case 'FlavorProfileCreated': {
      const { at: _a, provider: _p, ...rest } = event.data;
      view.flavorProfiles.set(rest.flavorProfileId, { ...rest });
      break;
    }
    case 'FlavorProfileSettingsChanged': patch(view.flavorProfiles, event.data.flavorProfileId, event.data.changes); break;
    case 'FlavorProfileDeleted': view.flavorProfiles.delete(event.data.flavorProfileId); break;
    case 'FlavorCreated': {
      const { at: _a, provider: _p, ...rest } = event.data;
      view.flavors.set(rest.flavorId, { ...rest });
      break;
    }
    case 'FlavorSettingsChanged': patch(view.flavors, event.data.flavorId, event.data.changes); break;
    case 'FlavorDeleted': view.flavors.delete(event.data.flavorId); break;
    case 'AvailabilityZoneProfileCreated': {
      const { at: _a, provider: _p, ...rest } = event.data;
      view.zoneProfiles.set(rest.availabilityZoneProfileId, { ...rest });
      break;
    }
    case 'AvailabilityZoneProfileSettingsChanged': patch(view.zoneProfiles, event.data.availabilityZoneProfileId, event.data.changes); break;
    case 'AvailabilityZoneProfileDeleted': view.zoneProfiles.delete(event.data.availabilityZoneProfileId); break;
    case 'AvailabilityZoneCreated': {
      const { at: _a, provider: _p, ...rest } = event.data;
      view.zones.set(rest.name, { ...rest });
      break;
    }
    case 'AvailabilityZoneSettingsChanged': patch(view.zones, event.data.name, event.data.changes); break;
    case 'AvailabilityZoneDeleted': view.zones.delete(event.data.name); break;
  }
  return view;
}
