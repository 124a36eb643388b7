export * from './load-balancers';
export * from './status';
export * from './networks';
export * from './agents';
export * from './catalog';
export * from './desired-state';
export * from './projects';
export * from './l7';
