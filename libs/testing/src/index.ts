export * from './free-port';
export * from './nats-server-config';
export * from './nats-server';
export * from './nats-server-per-file';
// The process launcher is production code (lbaasctl up): it lives in app-shell; tests get it from here too.
export { AppProcessFailed, startAppProcess, type AppProcess, type AppProcessSpec } from '@lbaas/app-shell';
export * from './netns';
export * from './desired-lb';
export * from './decider-spec';
export * from './keystone';
export * from './nats-bootstrap';
export * from './nats-identities-server';
export * from './nats-cluster';
export * from './test-pki';
