export * from './subjects';
export * from './ids';
export * from './commit';
