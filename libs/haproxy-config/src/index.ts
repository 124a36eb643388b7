export * from './render-error';
export * from './haproxy-config';
export * from './l7-config';
export * from './tls-config';
