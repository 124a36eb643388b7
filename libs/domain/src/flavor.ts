import type {
  CreateFlavor, CreateFlavorProfile, Decider, DeleteFlavor, DeleteFlavorProfile, FlavorCommand, FlavorEvent,
  FlavorProfileSettings, FlavorSettings, UpdateFlavor, UpdateFlavorProfile,
} from '@lbaas/events';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { assertNever, DomainError } from './domain-error';
import { checkBool, checkText, effectiveChanges, isEmpty } from './field-rules';
import { checkProviderName, parseFlavorData } from './provider-capabilities';

/**
 * The flavor aggregate (`lbaas.evt.flavor.<provider>`): every flavor profile and flavor of the provider, so that
 * flavor names are unique and a profile in use is neither changed nor deleted, each decided on one state.
 */
export type FlavorCatalog = Readonly<{
  profiles: ReadonlyMap<string, FlavorProfileSettings>;
  flavors: ReadonlyMap<string, FlavorSettings & { flavorProfileId: string }>;
  /** Ids of deleted profiles and flavors: never reused (a retried create after a delete must not resurrect one). */
  gone: ReadonlySet<string>;
}>;

export const initialState = (): FlavorCatalog => ({ profiles: new Map(), flavors: new Map(), gone: new Set() });

const put = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => new Map(m).set(k, v);
const drop = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  const next = new Map(m);
  next.delete(k);
  return next;
};

export const evolve = (s: FlavorCatalog, e: FlavorEvent): FlavorCatalog => {
  switch (e.type) {
    case 'FlavorProfileCreated': {
      const { provider: _p, flavorProfileId, at: _a, ...settings } = e.data;
      return { ...s, profiles: put(s.profiles, flavorProfileId, settings) };
    }
    case 'FlavorProfileSettingsChanged': {
      const p = s.profiles.get(e.data.flavorProfileId);
      return p ? { ...s, profiles: put(s.profiles, e.data.flavorProfileId, { ...p, ...e.data.changes }) } : s;
    }
    case 'FlavorProfileDeleted':
      return { ...s, profiles: drop(s.profiles, e.data.flavorProfileId), gone: new Set(s.gone).add(e.data.flavorProfileId) };
    case 'FlavorCreated': {
      const { provider: _p, flavorId, at: _a, ...settings } = e.data;
      return { ...s, flavors: put(s.flavors, flavorId, settings) };
    }
    case 'FlavorSettingsChanged': {
      const f = s.flavors.get(e.data.flavorId);
      return f ? { ...s, flavors: put(s.flavors, e.data.flavorId, { ...f, ...e.data.changes }) } : s;
    }
    case 'FlavorDeleted':
      return { ...s, flavors: drop(s.flavors, e.data.flavorId), gone: new Set(s.gone).add(e.data.flavorId) };
    default:
      return assertNever(e);
  }
};

const profileNotFound = (id: string) => new DomainError('NotFound', `Flavor profile ${id} not found.`);
const flavorNotFound = (id: string) => new DomainError('NotFound', `Flavor ${id} not found.`);
/** Octavia's ObjectInUse. */
const inUse = (what: string, id: string) => new DomainError('Conflict', `${what} ${id} is in use and cannot be modified.`);
const reused = () => new DomainError('IllegalState', 'Already an entity with that specified id.');

const checkProfile = (x: FlavorProfileSettings): void => {
  checkText('name', x.name);
  checkText('provider_name', x.providerName);
  checkProviderName(x.providerName);
  parseFlavorData(x.flavorData);
};

const checkFlavor = (s: FlavorCatalog, flavorId: string, x: FlavorSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('enabled', x.enabled);
  for (const [id, f] of s.flavors) {
    if (id !== flavorId && f.name === x.name) throw new DomainError('Conflict', `A flavor of ${x.name} already exists.`);
  }
};

const usersOf = (s: FlavorCatalog, profileId: string): number => [...s.flavors.values()].filter((f) => f.flavorProfileId === profileId).length;

const createProfile = ({ data, metadata }: CreateFlavorProfile, s: FlavorCatalog): FlavorEvent[] => {
  if (s.profiles.has(data.flavorProfileId)) return [];
  if (s.gone.has(data.flavorProfileId)) throw reused();
  checkProfile(data);
  return [{ type: 'FlavorProfileCreated', v: 1, data: { provider: PROVIDER_CATALOG, ...data, at: metadata.now } }];
};

const updateProfile = ({ data, metadata }: UpdateFlavorProfile, s: FlavorCatalog): FlavorEvent[] => {
  const profile = s.profiles.get(data.flavorProfileId);
  if (!profile) throw profileNotFound(data.flavorProfileId);
  const changes = effectiveChanges(profile, data.changes);
  if (isEmpty(changes)) return [];
  checkProfile({ ...profile, ...changes });
  // Octavia: a profile's data and provider stay as they are while a flavor uses it.
  if ((changes.flavorData !== undefined || changes.providerName !== undefined) && usersOf(s, data.flavorProfileId) > 0) {
    throw inUse('Flavor profile', data.flavorProfileId);
  }
  return [{ type: 'FlavorProfileSettingsChanged', v: 1, data: { provider: PROVIDER_CATALOG, flavorProfileId: data.flavorProfileId, changes, at: metadata.now } }];
};

const deleteProfile = ({ data, metadata }: DeleteFlavorProfile, s: FlavorCatalog): FlavorEvent[] => {
  if (!s.profiles.has(data.flavorProfileId)) throw profileNotFound(data.flavorProfileId);
  if (usersOf(s, data.flavorProfileId) > 0) throw inUse('Flavor profile', data.flavorProfileId);
  return [{ type: 'FlavorProfileDeleted', v: 1, data: { provider: PROVIDER_CATALOG, flavorProfileId: data.flavorProfileId, at: metadata.now } }];
};

const createFlavor = ({ data, metadata }: CreateFlavor, s: FlavorCatalog): FlavorEvent[] => {
  if (s.flavors.has(data.flavorId)) return [];
  if (s.gone.has(data.flavorId)) throw reused();
  checkFlavor(s, data.flavorId, data);
  if (!s.profiles.has(data.flavorProfileId)) throw profileNotFound(data.flavorProfileId);
  return [{ type: 'FlavorCreated', v: 1, data: { provider: PROVIDER_CATALOG, ...data, at: metadata.now } }];
};

const updateFlavor = ({ data, metadata }: UpdateFlavor, s: FlavorCatalog): FlavorEvent[] => {
  const flavor = s.flavors.get(data.flavorId);
  if (!flavor) throw flavorNotFound(data.flavorId);
  const { flavorProfileId: _p, ...settings } = flavor;
  const changes = effectiveChanges(settings, data.changes);
  if (isEmpty(changes)) return [];
  checkFlavor(s, data.flavorId, { ...settings, ...changes });
  return [{ type: 'FlavorSettingsChanged', v: 1, data: { provider: PROVIDER_CATALOG, flavorId: data.flavorId, changes, at: metadata.now } }];
};

const deleteFlavor = ({ data, metadata }: DeleteFlavor, s: FlavorCatalog): FlavorEvent[] => {
  if (!s.flavors.has(data.flavorId)) throw flavorNotFound(data.flavorId);
  if (data.loadBalancers > 0) throw inUse('Flavor', data.flavorId);
  return [{ type: 'FlavorDeleted', v: 1, data: { provider: PROVIDER_CATALOG, flavorId: data.flavorId, at: metadata.now } }];
};

export const decide = (c: FlavorCommand, s: FlavorCatalog): FlavorEvent[] => {
  switch (c.type) {
    case 'CreateFlavorProfile': return createProfile(c, s);
    case 'UpdateFlavorProfile': return updateProfile(c, s);
    case 'DeleteFlavorProfile': return deleteProfile(c, s);
    case 'CreateFlavor': return createFlavor(c, s);
    case 'UpdateFlavor': return updateFlavor(c, s);
    case 'DeleteFlavor': return deleteFlavor(c, s);
    default: return assertNever(c);
  }
};

/** The flavor aggregate as a decider. */
export const flavorCatalog = { decide, evolve, initialState } satisfies Decider<FlavorCatalog, FlavorCommand, FlavorEvent>;
