import type { ZoneView } from '@lbaas/projections';
import { attributes } from '../http/attributes';
import { bool, text, uuid } from '../http/rules';

/** An availability zone's attributes (API 2.14), keyed by its name, in Octavia's wire order. */
export const AVAILABILITY_ZONE = attributes<ZoneView>()('availability_zone', 'availability_zone_', (z) => z, [
  { name: 'name', rule: text(), create: 'required', field: 'name', filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'enabled', rule: bool, create: true, update: true, field: 'enabled', default: true, filter: true },
  { name: 'availability_zone_profile_id', rule: uuid, create: 'required', field: 'availabilityZoneProfileId', filter: true },
  // Lists page by name (zones have no id): the marker is a name.
  { name: 'id', show: (z) => z.name, hidden: true },
]);
