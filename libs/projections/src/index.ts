export * from './load-balancers';
export * from './status';
export * from './networks';
export * from './agents';
export * from './catalog';
export * from './desired-state';
export * from './l7';
