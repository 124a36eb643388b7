import { join } from 'node:path';
import { renderFenceGrant, renderFencePort, renderFenceRemoval, renderFenceRenewal, renderFenceRevoke, renderFenceTable } from './fence';

/** The fence's goldens (a subdirectory: the renewal and port files need the table loaded before `nft -c` can read them). */
export const FENCE_GOLDEN = join(__dirname, '__golden__', 'fence');
export const FENCE_GOLDEN_CASES: Record<string, () => string> = {
  'table-three-ports': () => renderFenceTable('agent-a', ['vl0b1c2d3e4f5a6', 'vl0a1b2c3d4e5f6', 'vl0b1c2d3e4f5a6', 'vlffeeddccbbaa9']),
  'table-no-ports': () => renderFenceTable('agent-a', []),
  'renewal': () => renderFenceRenewal('agent-a', 1432),
  'grant': () => renderFenceGrant('agent-a', 1500),
  'revoke': () => renderFenceRevoke('agent-a'),
  'port-add': () => renderFencePort('agent-a', 'add', 'vl0c1d2e3f4a5b6'),
  'port-delete': () => renderFencePort('agent-a', 'delete', 'vl0c1d2e3f4a5b6'),
  'removal': () => renderFenceRemoval('agent-a'),
};
