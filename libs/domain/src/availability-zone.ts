import type {
  AvailabilityZoneCommand, AvailabilityZoneEvent, AvailabilityZoneProfileSettings, AvailabilityZoneSettings,
  CreateAvailabilityZone, CreateAvailabilityZoneProfile, Decider, DeleteAvailabilityZone, DeleteAvailabilityZoneProfile,
  UpdateAvailabilityZone, UpdateAvailabilityZoneProfile,
} from '@lbaas/events';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { assertNever, DomainError } from './domain-error';
import { checkBool, checkText, effectiveChanges, invalidField, isEmpty } from './field-rules';
import { checkProviderName, isZoneName, parseZoneData } from './provider-capabilities';

/**
 * The availability-zone aggregate (`lbaas.evt.az.<provider>`): every zone (keyed by its name, as Octavia's API keys
 * them) and zone profile of the provider, so a name is taken once and a profile in use stays as it is.
 */
export type ZoneCatalog = Readonly<{
  profiles: ReadonlyMap<string, AvailabilityZoneProfileSettings>;
  zones: ReadonlyMap<string, AvailabilityZoneSettings & { availabilityZoneProfileId: string }>;
  /** Ids of deleted profiles (never reused); a deleted zone's name may be offered again. */
  goneProfiles: ReadonlySet<string>;
}>;

export const initialState = (): ZoneCatalog => ({ profiles: new Map(), zones: new Map(), goneProfiles: new Set() });

const put = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => new Map(m).set(k, v);
const drop = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  const next = new Map(m);
  next.delete(k);
  return next;
};

export const evolve = (s: ZoneCatalog, e: AvailabilityZoneEvent): ZoneCatalog => {
  switch (e.type) {
    case 'AvailabilityZoneProfileCreated': {
      const { provider: _p, availabilityZoneProfileId, at: _a, ...settings } = e.data;
      return { ...s, profiles: put(s.profiles, availabilityZoneProfileId, settings) };
    }
    case 'AvailabilityZoneProfileSettingsChanged': {
      const p = s.profiles.get(e.data.availabilityZoneProfileId);
      return p ? { ...s, profiles: put(s.profiles, e.data.availabilityZoneProfileId, { ...p, ...e.data.changes }) } : s;
    }
    case 'AvailabilityZoneProfileDeleted':
      return {
        ...s, profiles: drop(s.profiles, e.data.availabilityZoneProfileId),
        goneProfiles: new Set(s.goneProfiles).add(e.data.availabilityZoneProfileId),
      };
    case 'AvailabilityZoneCreated': {
      const { provider: _p, name, at: _a, ...settings } = e.data;
      return { ...s, zones: put(s.zones, name, settings) };
    }
    case 'AvailabilityZoneSettingsChanged': {
      const z = s.zones.get(e.data.name);
      return z ? { ...s, zones: put(s.zones, e.data.name, { ...z, ...e.data.changes }) } : s;
    }
    case 'AvailabilityZoneDeleted':
      return { ...s, zones: drop(s.zones, e.data.name) };
    default:
      return assertNever(e);
  }
};

const profileNotFound = (id: string) => new DomainError('NotFound', `Availability Zone Profile ${id} not found.`);
const zoneNotFound = (name: string) => new DomainError('NotFound', `Availability Zone ${name} not found.`);
const inUse = (what: string, id: string) => new DomainError('Conflict', `${what} ${id} is in use and cannot be modified.`);

const checkProfile = (x: AvailabilityZoneProfileSettings): void => {
  checkText('name', x.name);
  checkText('provider_name', x.providerName);
  checkProviderName(x.providerName);
  parseZoneData(x.availabilityZoneData);
};

const usersOf = (s: ZoneCatalog, profileId: string): number =>
  [...s.zones.values()].filter((z) => z.availabilityZoneProfileId === profileId).length;

const createProfile = ({ data, metadata }: CreateAvailabilityZoneProfile, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  if (s.profiles.has(data.availabilityZoneProfileId)) return [];
  if (s.goneProfiles.has(data.availabilityZoneProfileId)) throw new DomainError('IllegalState', 'Already an entity with that specified id.');
  checkProfile(data);
  return [{ type: 'AvailabilityZoneProfileCreated', v: 1, data: { provider: PROVIDER_CATALOG, ...data, at: metadata.now } }];
};

const updateProfile = ({ data, metadata }: UpdateAvailabilityZoneProfile, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  const id = data.availabilityZoneProfileId;
  const profile = s.profiles.get(id);
  if (!profile) throw profileNotFound(id);
  const changes = effectiveChanges(profile, data.changes);
  if (isEmpty(changes)) return [];
  checkProfile({ ...profile, ...changes });
  if ((changes.availabilityZoneData !== undefined || changes.providerName !== undefined) && usersOf(s, id) > 0) {
    throw inUse('Availability Zone Profile', id);
  }
  return [{ type: 'AvailabilityZoneProfileSettingsChanged', v: 1, data: { provider: PROVIDER_CATALOG, availabilityZoneProfileId: id, changes, at: metadata.now } }];
};

const deleteProfile = ({ data, metadata }: DeleteAvailabilityZoneProfile, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  const id = data.availabilityZoneProfileId;
  if (!s.profiles.has(id)) throw profileNotFound(id);
  if (usersOf(s, id) > 0) throw inUse('Availability Zone Profile', id);
  return [{ type: 'AvailabilityZoneProfileDeleted', v: 1, data: { provider: PROVIDER_CATALOG, availabilityZoneProfileId: id, at: metadata.now } }];
};

const checkZone = (x: AvailabilityZoneSettings): void => {
  checkText('description', x.description);
  checkBool('enabled', x.enabled);
};

const createZone = ({ data, metadata }: CreateAvailabilityZone, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  if (!isZoneName(data.name)) throw invalidField('name', data.name, 'Value should be 1 to 255 printable characters');
  const existing = s.zones.get(data.name);
  if (existing) {
    if (existing.availabilityZoneProfileId === data.availabilityZoneProfileId && existing.description === data.description
      && existing.enabled === data.enabled) return []; // the same request, retried
    throw new DomainError('Conflict', `A availability zone of ${data.name} already exists.`);
  }
  checkZone(data);
  if (!s.profiles.has(data.availabilityZoneProfileId)) throw profileNotFound(data.availabilityZoneProfileId);
  return [{ type: 'AvailabilityZoneCreated', v: 1, data: { provider: PROVIDER_CATALOG, ...data, at: metadata.now } }];
};

const updateZone = ({ data, metadata }: UpdateAvailabilityZone, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  const zone = s.zones.get(data.name);
  if (!zone) throw zoneNotFound(data.name);
  const { availabilityZoneProfileId: _p, ...settings } = zone;
  const changes = effectiveChanges(settings, data.changes);
  if (isEmpty(changes)) return [];
  checkZone({ ...settings, ...changes });
  return [{ type: 'AvailabilityZoneSettingsChanged', v: 1, data: { provider: PROVIDER_CATALOG, name: data.name, changes, at: metadata.now } }];
};

const deleteZone = ({ data, metadata }: DeleteAvailabilityZone, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  if (!s.zones.has(data.name)) throw zoneNotFound(data.name);
  if (data.loadBalancers > 0) throw inUse('Availability Zone', data.name);
  return [{ type: 'AvailabilityZoneDeleted', v: 1, data: { provider: PROVIDER_CATALOG, name: data.name, at: metadata.now } }];
};

export const decide = (c: AvailabilityZoneCommand, s: ZoneCatalog): AvailabilityZoneEvent[] => {
  switch (c.type) {
    case 'CreateAvailabilityZoneProfile': return createProfile(c, s);
    case 'UpdateAvailabilityZoneProfile': return updateProfile(c, s);
    case 'DeleteAvailabilityZoneProfile': return deleteProfile(c, s);
    case 'CreateAvailabilityZone': return createZone(c, s);
    case 'UpdateAvailabilityZone': return updateZone(c, s);
    case 'DeleteAvailabilityZone': return deleteZone(c, s);
    default: return assertNever(c);
  }
};

/** The availability-zone aggregate as a decider. */
export const zoneCatalog = { decide, evolve, initialState } satisfies Decider<ZoneCatalog, AvailabilityZoneCommand, AvailabilityZoneEvent>;
