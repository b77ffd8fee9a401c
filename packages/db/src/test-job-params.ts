import type { IngestJobParams } from './job-repository.ts';

/** The parameters of a job whose input is never read (tests of the job table and the worker, which script the run). */
export const TEST_JOB_PARAMS: IngestJobParams = {
  input: { format: 'zip', path: 'x', owned: false },
  fileName: null,
  source: 'test',
  labels: null,
  skipEntries: [],
};
