export * from './schemas.ts';
export * from './evaluation-schemas.ts';
export * from './client.ts';
