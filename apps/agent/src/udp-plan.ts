import { createHash } from 'node:crypto';
import type { NftModel } from '@lbaas/nft-config';

/**
 * The UDP half of a plan (pure): the kernel's table for the LB's UDP listeners (libs/nft-config) and the health checker
 * that keeps its maps to the live members. A new structure replaces the table whole (checked first); health changes
 * never come here (the checker rewrites the maps itself).
 */

/** What the host shows of an LB's UDP part. */
export type ObservedUdp = Readonly<{
  /** Digest of the model the table was last built from (the agent's record), null when none. */
  digest: string | null;
  /** The table is in the namespace (a full look asks nft); undefined when not looked at. */
  table?: boolean;
  /** The health checker of the namespace runs. */
  checker: boolean;
}>;

export type UdpAction =
  /** `nft -c` the table, then replace it whole (members the checker sees down left out), record it, start or tell the checker. */
  | { kind: 'WriteNft'; lbId: string; netns: string; model: NftModel; digest: string }
  /** No UDP listener or pool any more: the table and the checker go. */
  | { kind: 'RemoveNft'; lbId: string; netns: string };

export const udpDigest = (model: NftModel): string => createHash('sha256').update(JSON.stringify(model)).digest('hex');

/** What must change for the LB's UDP part; `o` undefined: nothing observed (a new namespace). */
export function planUdp(lbId: string, netns: string, model: NftModel | null, o: ObservedUdp | undefined): UdpAction[] {
  if (model === null) return o && (o.digest !== null || o.table === true || o.checker) ? [{ kind: 'RemoveNft', lbId, netns }] : [];
  const digest = udpDigest(model);
  if (o && o.digest === digest && o.table !== false && o.checker) return [];
  return [{ kind: 'WriteNft', lbId, netns, model, digest }];
}
