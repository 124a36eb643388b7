export * from './logger';
export * from './nats';
export * from './clock';
export * from './tokens';
export * from './config';
export * from './app-process';
export * from './nats-identities';
