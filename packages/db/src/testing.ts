// Helpers for tests only (imported as '@cbmir/db/testing'); production code imports '@cbmir/db'.
export { createTestDatabase, withReplicaReplayPaused } from './test-database.ts';
