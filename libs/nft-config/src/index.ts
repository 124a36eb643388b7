export * from './nft-config';
