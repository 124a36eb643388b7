export * from './free-port';
export * from './nats-server-config';
export * from './nats-server';
export * from './nats-server-per-file';
export * from './app-process';
export * from './netns';
export * from './nats-bootstrap';
export * from './nats-identities-server';
