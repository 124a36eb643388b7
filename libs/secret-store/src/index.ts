export * from './secret-store';
