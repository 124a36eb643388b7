export * from './logger';
export * from './nats';
export * from './clock';
export * from './tokens';
export * from './config';
export * from './workflow-host';
export * from './secrets';
export * from './nats-identities';
