import type { FlavorView } from '@lbaas/projections';
import { attributes } from '../http/attributes';
import { bool, text, uuid } from '../http/rules';

/** A flavor's attributes (API 2.6), in Octavia's wire order: a name tenants pick over an operator's flavor profile. */
export const FLAVOR = attributes<FlavorView>()('flavor', 'flavor_', (f) => f, [
  { name: 'id', field: 'flavorId', filter: true },
  { name: 'name', rule: text(), create: 'required', update: true, field: 'name', filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'enabled', rule: bool, create: true, update: true, field: 'enabled', default: true, filter: true },
  { name: 'flavor_profile_id', rule: uuid, create: 'required', field: 'flavorProfileId', filter: true },
]);
