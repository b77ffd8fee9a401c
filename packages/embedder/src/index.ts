export {
  BACKEND_NAMES,
  activeBackendName,
  initBackend,
  parseBackendName,
  type BackendChoice,
  type BackendLoaders,
  type BackendName,
} from './backend.ts';
export {
  ARCHITECTURES,
  DEFAULT_EMBEDDER_SPEC,
  resolveEmbedderSpec,
  type Architecture,
  type EmbedderSpec,
  type InputConvention,
} from './model-spec.ts';
export { CAFFE_MEAN_BGR, backboneFeatureDim, buildResNet, type ResNetOptions } from './resnet.ts';
export {
  DEFAULT_EMBED_BATCH_SIZE,
  buildEmbeddingModel,
  createEmbedder,
  embedderForOutput,
  embeddingPart,
  embedWithModel,
  loadEmbedder,
  type EmbedOptions,
  type Embedder,
  type InferenceEmbedder,
} from './embedding-model.ts';
export { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, exportOnnx, type OnnxExportOptions } from './onnx/export-onnx.ts';
export { loadOnnxEmbedder, onnxRuntimeInstalled, type OnnxEmbedder, type OnnxEmbedderOptions } from './onnx/onnx-embedder.ts';
export { layerEmbedder, layerWidth, representationLayers, resolveLayer } from './layer-embedder.ts';
export { onnxRepresentationOutputs, resolveOnnxOutput } from './onnx/onnx-layers.ts';
export { embeddingDifference, type EmbeddingDifference } from './onnx/embedding-parity.ts';
export { ONNX_FILE_NAME, exportModelDirToOnnx, onnxFileState, writeOnnxModel, type OnnxExportResult } from './onnx/onnx-model-file.ts';
export {
  INFERENCE_ENGINES,
  createServingEmbedder,
  loadServingEmbedder,
  type InferenceEngine,
  type ServingOptions,
} from './onnx/serving-embedder.ts';
export {
  loadKerasWeights,
  saveKerasWeights,
  type LoadKerasWeightsOptions,
  type LoadKerasWeightsResult,
} from './keras-weights/load-keras-weights.ts';
export { writeFileAtomically } from './atomic-file.ts';
export {
  MODEL_FILE_NAMES,
  loadModelDir,
  onnxOnlyError,
  readModelMetadata,
  saveModelDir,
  weightsFormatOf,
  type EmbedderMetadata,
  type WeightsFormat,
} from './model-files.ts';
export { DEFAULT_MARGIN, contrastiveLoss } from './contrastive-loss.ts';
export { createPairSampler, type Pair, type PairItem, type PairSampler, type PairSamplerOptions } from './pair-sampler.ts';
export { createSiameseModel, euclideanDistance, type SiameseModel } from './siamese-model.ts';
export { createSiameseTrainer, type PairBatch, type SiameseTrainer, type SiameseTrainerOptions } from './train-step.ts';
export { trainSiamese, type TrainSiameseOptions, type TrainingProgress, type TrainingResult } from './training-loop.ts';
export { registerWasmTrainingKernels } from './wasm-kernels/index.ts';
export { buildClassifierModel, createSupervisedTrainer, GRADE_CLASSES, SUPERVISED_LAYERS, type SupervisedTrainer } from './supervised-model.ts';
export { benchmarkEmbed, benchmarkTraining, type ThroughputResult, type TrainingBenchmarkResult } from './benchmark.ts';
export { splitByPatient } from './patient-split.ts';
export {
  runTraining,
  type EpochRecord,
  type ModelKind,
  type TrainingItem,
  type TrainingRunOptions,
  type TrainingRunProgress,
  type TrainingRunResult,
  type ValidationMetrics,
} from './training-run.ts';
