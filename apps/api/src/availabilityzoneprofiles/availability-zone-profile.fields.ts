import { LIMITS } from '@lbaas/events';
import type { ZoneProfileView } from '@lbaas/projections';
import { attributes } from '../http/attributes';
import { jsonText, text } from '../http/rules';

/** An availability zone profile's attributes; `availability_zone_data` is JSON checked against the provider's capabilities. */
export const AVAILABILITY_ZONE_PROFILE = attributes<ZoneProfileView>()('availability_zone_profile', 'availability_zone_profile_', (p) => p, [
  { name: 'id', field: 'availabilityZoneProfileId', filter: true },
  { name: 'name', rule: text(), create: 'required', update: true, field: 'name', filter: true },
  { name: 'provider_name', rule: text(), create: 'required', update: true, field: 'providerName', filter: true },
  { name: 'availability_zone_data', rule: jsonText(LIMITS.profileData.maxLength), create: 'required', update: true, field: 'availabilityZoneData', filter: true },
]);
