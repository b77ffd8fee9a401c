// Helpers for tests only (imported as '@cbmir/imaging/testing'): DICOM files built in memory for the tests of
// the upload paths (the API's and the web app's). Production code imports '@cbmir/imaging'.
export { buildTestDicom, TRANSFER_SYNTAX, type TestDicomOptions } from './dicom-test-files.ts';
