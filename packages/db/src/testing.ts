// Helpers for tests only (imported as '@cbmir/db/testing'); production code imports '@cbmir/db'.
export { createTestDatabase, openTestDatabase } from './test-database.ts';
export { TEST_JOB_PARAMS } from './test-job-params.ts';
export { useTestDatabase } from './test-database-hooks.ts';
export { testImageRow } from './test-image-row.ts';
export { queryTestReplica, replicaOfTestDatabase, withReplicaReplayPaused } from './test-replica.ts';
export { until } from './test-waiting.ts';
