export * from './subjects';
export * from './ids';
export * from './commit';
export * from './jetstream-subjects';
export * from './permissions';
export * from './nats-authorization';
