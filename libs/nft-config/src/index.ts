export * from './nft-config';
export * from './fence';
