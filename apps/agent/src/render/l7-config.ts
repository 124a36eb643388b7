// The L7 renderer moved to libs/projections with the rest of the renderer (the DR drill renders too).
export { renderAllowedCidrs, renderL7 } from '@lbaas/projections';
