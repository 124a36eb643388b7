import type { Catalog } from '@lbaas/projections';

/** The api's one in-memory view and the runner that feeds it (injected under PROJECTION). */
export type ReadModel = {
  readonly catalog: Catalog;
  /** Resolves once the view has applied stream sequence `seq` (read-your-writes). */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
};
