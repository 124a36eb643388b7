// The renderer moved to libs/projections (the DR drill in lbaasctl renders too); this re-export keeps the agent's imports.
export { expectedCodesRegex, renderHaproxyConfig, RenderError, type RenderOptions } from '@lbaas/projections';
