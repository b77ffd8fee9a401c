export {
  ConflictError,
  DOMAIN_ERRORS,
  DomainError,
  ForbiddenError,
  InsufficientStorageError,
  InvalidInputError,
  NotFoundError,
  notFound,
  RateLimitedError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaError,
  type DomainErrorKind,
  type DomainErrorOptions,
} from './errors/domain-error.ts';
export { detectLabelLayout, labelKey, LabelFileError, parseLabelFile, type ImageLabel, type LabelFile, type LabelLayout } from './labels/label-file.ts';
export { activationProgress, type ActivationProgress } from './models/activation-progress.ts';
export type { Logger } from './logger.ts';
export { modelRegistryFactory, versionModelDir, type ModelRegistry } from './models/model-registry.ts';
export { fileStoreFactory, type FileStore } from './storage/file-store.ts';
