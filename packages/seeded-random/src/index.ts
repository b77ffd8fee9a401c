export { createRandom, mixSeed, type Random } from './seeded-random.ts';
