export * from './keys.ts';
export * from './shared.ts';
