export * from './schemas.ts';
export * from './search-filters.ts';
export * from './search-refine-schemas.ts';
export * from './evaluation-schemas.ts';
export * from './explanation-schemas.ts';
export * from './routes.ts';
export * from './client.ts';
