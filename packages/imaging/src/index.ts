// The first steps of the data path: image -> (validate, thumbnail) -> preprocess -> embed.
export { ImageValidationError, isImageValidationError, type ImageErrorCode } from './image-error.ts';
export { SUPPORTED_IMAGE_FORMATS, sniffImageFormat, type ImageFormat } from './image-format.ts';
export { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
export { readImageHeader, type ImageHeader } from './image-input.ts';
export { decodeImage, type DecodedImage } from './decode-image.ts';
export { ContentHashStream, contentHash } from './content-hash.ts';
export { MIN_REGION_SIDE, RegionError, assertValidRegion, cropToRegion, regionPixels, type ImageRegion, type PixelBox } from './crop-region.ts';
export { DEFAULT_THUMBNAIL_SIZE, makeThumbnail } from './thumbnail.ts';
export { findFundusDisc, locateFundusDisc, type FundusDisc } from './fundus-disc.ts';
export {
  DEFAULT_PREPROCESSING,
  GRAHAM_SCALE_RADIUS,
  PREPROCESSED_BACKGROUND,
  PREPROCESSING_VERSIONS,
  TRAINING_PREPROCESSING_VERSIONS,
  UnsupportedPreprocessingError,
  assertValidPreprocessing,
  preprocessFundus,
  preprocessingForInputSize,
  resolvePreprocessing,
  type FundusPreprocessing,
  type PreprocessedImage,
  type TrainingPreprocessingVersion,
} from './fundus-preprocess.ts';
export { keptRegion, preprocessedToPng, type KeptRegion } from './preprocessed-view.ts';
export type { RawRgbImage } from './raw-image.ts';
export {
  DEFAULT_SYNTHETIC_SIZE,
  generateSyntheticFundus,
  syntheticFundusGeometry,
  type FundusGrade,
  type SyntheticFundusGeometry,
  type SyntheticFundusOptions,
} from './synthetic-fundus.ts';
export * from './augmentation.ts';
export { isDicom, patientRefOf, unwrapDicom, type DicomAttributes, type UnwrappedImage } from './dicom.ts';
