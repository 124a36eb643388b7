import { LIMITS } from '@lbaas/events';
import type { FlavorProfileView } from '@lbaas/projections';
import { attributes } from '../http/attributes';
import { jsonText, text } from '../http/rules';

/**
 * A flavor profile's attributes, in Octavia's wire order; `flavor_data` is JSON text checked against the provider's
 * flavor_capabilities by the decider (libs/domain provider-capabilities.ts).
 */
export const FLAVOR_PROFILE = attributes<FlavorProfileView>()('flavorprofile', 'flavor_profile_', (p) => p, [
  { name: 'id', field: 'flavorProfileId', filter: true },
  { name: 'name', rule: text(), create: 'required', update: true, field: 'name', filter: true },
  { name: 'provider_name', rule: text(), create: 'required', update: true, field: 'providerName', filter: true },
  { name: 'flavor_data', rule: jsonText(LIMITS.profileData.maxLength), create: 'required', update: true, field: 'flavorData', filter: true },
]);
