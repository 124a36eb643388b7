import type { AvailabilityZoneCommand, AvailabilityZoneEvent, CommandMetadata, FlavorCommand, FlavorEvent } from '@lbaas/events';
import { deciderSpec } from '@lbaas/testing';
import { zoneCatalog } from './availability-zone';
import { flavorCatalog } from './flavor';
import { parseFlavorData, parseZoneData } from './provider-capabilities';

const NOW = '2026-03-01T12:00:00.000Z';
const metadata: CommandMetadata = { commandId: 'cmd-1', now: NOW };
const FP = '1f0c6a52-3e7d-4d3b-9a42-6b0f3c1e2d01';
const FL = '2a1d7b63-4f8e-4e4c-8b53-7c1a4d2f3e02';
const FL2 = '2a1d7b63-4f8e-4e4c-8b53-7c1a4d2f3e03';
const AZP = '3b2e8c74-5a9f-4f5d-9c64-8d2b5e3a4f03';

const fc = (type: FlavorCommand['type'], data: object) => ({ type, data, metadata }) as FlavorCommand;
const fe = (type: FlavorEvent['type'], data: object) => ({ type, v: 1, data: { provider: 'lbaas', ...data, at: NOW } }) as FlavorEvent;
const profile = { flavorProfileId: FP, name: 'p', providerName: 'lbaas', flavorData: '{"loadbalancer_topology": "SINGLE"}' };
const flavor = { flavorId: FL, name: 'small', description: '', enabled: true, flavorProfileId: FP };

describe('flavor catalog (flavors and flavor profiles of the provider)', () => {
  const given = deciderSpec(flavorCatalog);
  const withProfile = [fe('FlavorProfileCreated', profile)];
  const withFlavor = [...withProfile, fe('FlavorCreated', flavor)];
  it('defines a flavor profile', () => given([]).when(fc('CreateFlavorProfile', profile)).then([fe('FlavorProfileCreated', profile)]));
  it('treats a retried create as done', () => given(withProfile).when(fc('CreateFlavorProfile', profile)).then([]));
  it('refuses another provider (Octavia ProviderNotEnabled)', () =>
    given([]).when(fc('CreateFlavorProfile', { ...profile, providerName: 'amphora' })).thenThrows('Invalid', "Provider 'amphora' is not enabled."));
  it('refuses flavor data that is not JSON (Octavia InvalidOption)', () =>
    given([]).when(fc('CreateFlavorProfile', { ...profile, flavorData: '{topology' })).thenThrows('Invalid', '{topology is not a valid option for flavor_data'));
  it('offers a flavor over the profile', () => given(withProfile).when(fc('CreateFlavor', flavor)).then([fe('FlavorCreated', flavor)]));
  it('refuses a flavor over an unknown profile', () =>
    given([]).when(fc('CreateFlavor', flavor)).thenThrows('NotFound', `Flavor profile ${FP} not found.`));
  it('refuses a second flavor of the same name (409)', () =>
    given(withFlavor).when(fc('CreateFlavor', { ...flavor, flavorId: FL2 })).thenThrows('Conflict', 'A flavor of small already exists.'));
  it('renames and disables a flavor', () =>
    given(withFlavor).when(fc('UpdateFlavor', { flavorId: FL, changes: { enabled: false } }))
      .then([fe('FlavorSettingsChanged', { flavorId: FL, changes: { enabled: false } })]));
  it('refuses a rename onto another flavor\'s name', () =>
    given([...withFlavor, fe('FlavorCreated', { ...flavor, flavorId: FL2, name: 'big' })])
      .when(fc('UpdateFlavor', { flavorId: FL2, changes: { name: 'small' } })).thenThrows('Conflict'));
  it('renames a profile in use, but does not change its data', () => {
    given(withFlavor).when(fc('UpdateFlavorProfile', { flavorProfileId: FP, changes: { name: 'q' } }))
      .then([fe('FlavorProfileSettingsChanged', { flavorProfileId: FP, changes: { name: 'q' } })]);
    given(withFlavor).when(fc('UpdateFlavorProfile', { flavorProfileId: FP, changes: { flavorData: '{}' } }))
      .thenThrows('Conflict', `Flavor profile ${FP} is in use and cannot be modified.`);
  });
  it('refuses to delete a profile a flavor uses, then deletes it once the flavor is gone', () => {
    given(withFlavor).when(fc('DeleteFlavorProfile', { flavorProfileId: FP })).thenThrows('Conflict', /in use/);
    given([...withFlavor, fe('FlavorDeleted', { flavorId: FL })]).when(fc('DeleteFlavorProfile', { flavorProfileId: FP }))
      .then([fe('FlavorProfileDeleted', { flavorProfileId: FP })]);
  });
  it('refuses to delete a flavor load balancers use', () =>
    given(withFlavor).when(fc('DeleteFlavor', { flavorId: FL, loadBalancers: 2 })).thenThrows('Conflict', `Flavor ${FL} is in use and cannot be modified.`));
  it('never resurrects a deleted flavor (a retried create after the delete)', () =>
    given([...withFlavor, fe('FlavorDeleted', { flavorId: FL })]).when(fc('CreateFlavor', flavor)).thenThrows('IllegalState'));
});

const zc = (type: AvailabilityZoneCommand['type'], data: object) => ({ type, data, metadata }) as AvailabilityZoneCommand;
const ze = (type: AvailabilityZoneEvent['type'], data: object) => ({ type, v: 1, data: { provider: 'lbaas', ...data, at: NOW } }) as AvailabilityZoneEvent;
const zprofile = { availabilityZoneProfileId: AZP, name: 'rack', providerName: 'lbaas', availabilityZoneData: '{"compute_zone": "rack-1"}' };
const zone = { name: 'az1', description: '', enabled: true, availabilityZoneProfileId: AZP };

describe('availability zone catalog', () => {
  const given = deciderSpec(zoneCatalog);
  const withProfile = [ze('AvailabilityZoneProfileCreated', zprofile)];
  const withZone = [...withProfile, ze('AvailabilityZoneCreated', zone)];
  it('defines a profile and a zone over it', () => {
    given([]).when(zc('CreateAvailabilityZoneProfile', zprofile)).then([ze('AvailabilityZoneProfileCreated', zprofile)]);
    given(withProfile).when(zc('CreateAvailabilityZone', zone)).then([ze('AvailabilityZoneCreated', zone)]);
  });
  it('treats the same zone again as done, and another with its name as a conflict', () => {
    given(withZone).when(zc('CreateAvailabilityZone', zone)).then([]);
    given(withZone).when(zc('CreateAvailabilityZone', { ...zone, description: 'other' })).thenThrows('Conflict', 'A availability zone of az1 already exists.');
  });
  it('refuses a zone name with a control character', () =>
    given(withProfile).when(zc('CreateAvailabilityZone', { ...zone, name: 'az\n1' })).thenThrows('Invalid', /name/));
  it('refuses a zone over an unknown profile', () => given([]).when(zc('CreateAvailabilityZone', zone)).thenThrows('NotFound'));
  it('refuses to delete a zone load balancers use, or a profile a zone uses', () => {
    given(withZone).when(zc('DeleteAvailabilityZone', { name: 'az1', loadBalancers: 1 })).thenThrows('Conflict', /in use/);
    given(withZone).when(zc('DeleteAvailabilityZoneProfile', { availabilityZoneProfileId: AZP })).thenThrows('Conflict', /in use/);
  });
  it('offers a deleted zone\'s name again', () =>
    given([...withZone, ze('AvailabilityZoneDeleted', { name: 'az1' })]).when(zc('CreateAvailabilityZone', zone)).then([ze('AvailabilityZoneCreated', zone)]));
  it('does not change the data of a profile in use', () =>
    given(withZone).when(zc('UpdateAvailabilityZoneProfile', { availabilityZoneProfileId: AZP, changes: { availabilityZoneData: '{}' } }))
      .thenThrows('Conflict'));
});

describe('provider capabilities: flavor_data and availability_zone_data', () => {
  it('reads every capability', () => {
    expect(parseFlavorData('{"loadbalancer_topology": "ACTIVE_STANDBY", "max_listeners": 2, "max_listener_connections": 1000}'))
      .toEqual({ topology: 'ACTIVE_STANDBY', maxListeners: 2, maxListenerConnections: 1000 });
    expect(parseFlavorData('{}')).toEqual({ topology: 'SINGLE', maxListeners: null, maxListenerConnections: null });
    expect(parseZoneData('{"compute_zone": "rack-1", "valid_vip_networks": ["E86AB9B7-1A40-4B8D-A21B-2CC1253435EC"]}'))
      .toEqual({ computeZone: 'rack-1', validVipNetworks: ['e86ab9b7-1a40-4b8d-a21b-2cc1253435ec'] });
  });
  it.each([
    ['not JSON', '{', /is not a valid option for flavor_data/],
    ['a JSON list', '[]', /must be a JSON object/],
    ['an unknown key', '{"compute_flavor": "m1.small"}', /'compute_flavor' unexpected/],
    ['an unknown topology', '{"loadbalancer_topology": "ACTIVE_ACTIVE"}', /is not one of \['SINGLE', 'ACTIVE_STANDBY'\]/],
    ['a topology that is not a string', '{"loadbalancer_topology": 1}', /loadbalancer_topology 1/],
    ['zero listeners', '{"max_listeners": 0}', /max_listeners 0 is not an integer/],
    ['a fractional limit', '{"max_listener_connections": 1.5}', /max_listener_connections/],
    ['a limit as a string', '{"max_listener_connections": "100"}', /max_listener_connections/],
    ['a limit above haproxy\'s', '{"max_listener_connections": 1000001}', /from 1 to 1000000/],
    ['text longer than 4096', `{"loadbalancer_topology": "SINGLE", "x": "${'a'.repeat(4100)}"}`, /is not a valid option/],
  ])('refuses flavor data with %s', (_why, text, message) => expect(() => parseFlavorData(text)).toThrow(message));
  it.each([
    ['an unknown key', '{"volume_zone": "x"}', /'volume_zone' unexpected/],
    ['a zone with a newline', '{"compute_zone": "a\\nb"}', /compute_zone/],
    ['networks that are not ids', '{"valid_vip_networks": ["net-1"]}', /valid_vip_networks/],
    ['networks that are not a list', '{"valid_vip_networks": "e86ab9b7-1a40-4b8d-a21b-2cc1253435ec"}', /valid_vip_networks/],
  ])('refuses availability zone data with %s', (_why, text, message) => expect(() => parseZoneData(text)).toThrow(message));
});
