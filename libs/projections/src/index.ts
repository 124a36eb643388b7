export * from './load-balancers';
export * from './status';
export * from './networks';
export * from './agents';
export * from './catalog';
export * from './desired-state';
export * from './haproxy-config';
export * from './catalog-codec';
