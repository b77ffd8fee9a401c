/** Bounds that keep a hostile or broken archive from exhausting disk, memory or time. */
export interface ArchiveLimits {
  /** Largest archive file accepted (bytes as uploaded, i.e. compressed). */
  maxUploadBytes: number;
  /** Most entries (files, folders, links) in one archive. */
  maxEntries: number;
  /** Most bytes all entries may expand to together. */
  maxTotalBytes: number;
  /** Largest single entry; one entry at a time is held in memory, so this also bounds memory per entry. */
  maxEntryBytes: number;
  /** Highest expansion ratio (uncompressed / compressed) of an entry, or of a whole .tar.gz. */
  maxCompressionRatio: number;
}

const MB = 1024 * 1024;

/**
 * Sized for real fundus datasets: Kaggle EyePACS is about 35,000 JPEGs (~35 GB, 2-6 MB each, the largest
 * under 20 MB), APTOS 3,700 PNGs. JPEG and PNG do not compress further, so even a ratio of 100 is
 * generous; a zip bomb's entries reach 1000 and more.
 */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxUploadBytes: 20_480 * MB,
  maxEntries: 200_000,
  maxTotalBytes: 102_400 * MB,
  maxEntryBytes: 100 * MB,
  maxCompressionRatio: 100,
});

/** Entries smaller than this are never refused for their ratio: a small file cannot be a bomb. */
export const RATIO_CHECK_MIN_BYTES = 1 * MB;
/** Label files are read whole; EyePACS' trainLabels.csv is about 0.5 MB. */
export const MAX_LABEL_FILE_BYTES = 16 * MB;
