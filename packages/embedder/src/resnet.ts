import * as tf from '@tensorflow/tfjs';
import type { Architecture, InputConvention } from './model-spec.ts';
import { SeededInitializers } from './seeded-initializers.ts';

type SymbolicTensor = tf.SymbolicTensor;

interface Stage {
  filters: number;
  blocks: number;
}

interface ResNetConfig {
  block: 'bottleneck' | 'basic';
  /** stages conv2, conv3, ...; each after the first halves the resolution */
  stages: readonly Stage[];
  stem: { filters: number; kernel: number; stride: number; maxPool: boolean };
  /** Keras' ResNet50 convolutions carry biases (its ImageNet weights include them) */
  convBias: boolean;
  /** moving-average momentum of the batch-norm statistics used at inference */
  bnMomentum: number;
}

// Keras' ResNet50 batch-norm settings, so imported ImageNet statistics behave as they did in Keras.
const BN_EPSILON = 1.001e-5;
const KERAS_BN_MOMENTUM = 0.99;

/** The ImageNet ResNets: 64-filter 7x7 stride-2 stem with max pooling, four stages of 64-512 filters. */
const imagenetResNet = (block: ResNetConfig['block'], blocks: number[], convBias: boolean): ResNetConfig => ({
  block,
  stages: [64, 128, 256, 512].map((filters, i) => ({ filters, blocks: blocks[i] ?? 1 })),
  stem: { filters: 64, kernel: 7, stride: 2, maxPool: true },
  convBias,
  bnMomentum: KERAS_BN_MOMENTUM,
});

const RESNET_CONFIGS: Record<Architecture, ResNetConfig> = {
  // Keras' ResNet50 convolutions carry biases: its ImageNet weights include them.
  resnet50: imagenetResNet('bottleneck', [3, 4, 6, 3], true),
  resnet34: imagenetResNet('basic', [3, 4, 6, 3], false),
  resnet18: imagenetResNet('basic', [2, 2, 2, 2], false),
  // Small enough to train on two CPU cores: at 32 px the feature maps are 16, 8 and 4 px wide.
  'resnet-tiny': {
    block: 'basic',
    stages: [16, 32, 64].map((filters) => ({ filters, blocks: 1 })),
    stem: { filters: 16, kernel: 3, stride: 2, maxPool: false },
    convBias: false,
    // Short runs (tests, CPU) take few steps: with 0.99 the inference statistics would still be
    // mostly their initial values after 100 steps.
    bnMomentum: 0.9,
  },
};

export interface ResNetOptions {
  architecture: Architecture;
  inputSize: number;
  seed: number;
  /** default 'unit' */
  inputConvention?: InputConvention;
}

/** The ImageNet channel means Keras' 'caffe' preprocessing subtracts, in its BGR order. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;

/**
 * A fixed (non-trainable) 1x1 convolution from the preprocessed image (RGB, v / 127.5 - 1) to Keras' caffe
 * input: channel c' = 127.5 * x[2 - c'] + 127.5 - mean[c'], i.e. back to 0-255, RGB -> BGR, minus the mean.
 */
function caffeInput(input: SymbolicTensor): SymbolicTensor {
  const layer = tf.layers.conv2d({ name: 'input_caffe', filters: 3, kernelSize: 1, useBias: true, trainable: false });
  const output = layer.apply(input) as SymbolicTensor;
  const kernel = new Float32Array(9);
  for (let out = 0; out < 3; out++) kernel[(2 - out) * 3 + out] = 127.5; // HWIO: [0][0][in][out]
  tf.tidy(() => layer.setWeights([tf.tensor4d(kernel, [1, 1, 3, 3]), tf.tensor1d(CAFFE_MEAN_BGR.map((mean) => 127.5 - mean))]));
  return output;
}

/** Width of the pooled feature vector the backbone outputs (2048 for ResNet-50). */
export function backboneFeatureDim(architecture: Architecture): number {
  const config = RESNET_CONFIGS[architecture];
  const last = config.stages[config.stages.length - 1]?.filters ?? 0;
  return config.block === 'bottleneck' ? last * 4 : last;
}

/**
 * The ResNet backbone up to global average pooling: input [inputSize, inputSize, 3] -> [features].
 * Layer names follow keras.applications.ResNet50 (conv1_conv, conv1_bn, conv2_block1_1_conv, ...,
 * avg_pool) so ImageNet weights exported from Keras can be matched by name; the basic-block
 * networks use the same scheme.
 */
export function buildResNet(options: ResNetOptions): tf.LayersModel {
  const config = RESNET_CONFIGS[options.architecture];
  const init = new SeededInitializers(options.seed);
  const layers = new LayerFactory(init, config.convBias, config.bnMomentum);

  const input = tf.input({ shape: [options.inputSize, options.inputSize, 3], name: 'input_image' });
  const { filters, kernel, stride, maxPool } = config.stem;
  const stemPad = (kernel - 1) / 2;
  const image = options.inputConvention === 'caffe' ? caffeInput(input) : input;
  let x = tf.layers.zeroPadding2d({ padding: stemPad, name: 'conv1_pad' }).apply(image) as SymbolicTensor;
  x = layers.conv('conv1_conv', filters, kernel, stride, 'valid').apply(x) as SymbolicTensor;
  x = layers.batchNorm('conv1_bn').apply(x) as SymbolicTensor;
  x = layers.relu('conv1_relu').apply(x) as SymbolicTensor;
  if (maxPool) {
    x = tf.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(x) as SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x) as SymbolicTensor;
  }

  let channels = filters;
  config.stages.forEach((stage, i) => {
    for (let b = 1; b <= stage.blocks; b++) {
      const name = `conv${i + 2}_block${b}`;
      const blockStride = b === 1 && i > 0 ? 2 : 1;
      if (config.block === 'bottleneck') {
        x = bottleneckBlock(layers, x, name, stage.filters, blockStride, b === 1);
        channels = stage.filters * 4;
      } else {
        x = basicBlock(layers, x, name, stage.filters, blockStride, blockStride !== 1 || channels !== stage.filters);
        channels = stage.filters;
      }
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: pooled, name: options.architecture.replace('-', '_') });
}

/** keras.applications.resnet.block1: 1x1 (stride) -> 3x3 -> 1x1 x4, projection shortcut when asked. */
function bottleneckBlock(layers: LayerFactory, input: SymbolicTensor, name: string, filters: number, stride: number, projectShortcut: boolean): SymbolicTensor {
  let shortcut = input;
  if (projectShortcut) {
    shortcut = layers.conv(`${name}_0_conv`, 4 * filters, 1, stride).apply(input) as SymbolicTensor;
    shortcut = layers.batchNorm(`${name}_0_bn`).apply(shortcut) as SymbolicTensor;
  }
  let x = layers.conv(`${name}_1_conv`, filters, 1, stride).apply(input) as SymbolicTensor;
  x = layers.batchNorm(`${name}_1_bn`).apply(x) as SymbolicTensor;
  x = layers.relu(`${name}_1_relu`).apply(x) as SymbolicTensor;
  x = layers.conv(`${name}_2_conv`, filters, 3, 1, 'same').apply(x) as SymbolicTensor;
  x = layers.batchNorm(`${name}_2_bn`).apply(x) as SymbolicTensor;
  x = layers.relu(`${name}_2_relu`).apply(x) as SymbolicTensor;
  x = layers.conv(`${name}_3_conv`, 4 * filters, 1, 1).apply(x) as SymbolicTensor;
  x = layers.batchNorm(`${name}_3_bn`).apply(x) as SymbolicTensor;
  x = tf.layers.add({ name: `${name}_add` }).apply([shortcut, x]) as SymbolicTensor;
  return layers.relu(`${name}_out`).apply(x) as SymbolicTensor;
}

/** The two-3x3 block of ResNet-18/34, named in the same scheme as the bottleneck block. */
function basicBlock(layers: LayerFactory, input: SymbolicTensor, name: string, filters: number, stride: number, projectShortcut: boolean): SymbolicTensor {
  let shortcut = input;
  if (projectShortcut) {
    shortcut = layers.conv(`${name}_0_conv`, filters, 1, stride).apply(input) as SymbolicTensor;
    shortcut = layers.batchNorm(`${name}_0_bn`).apply(shortcut) as SymbolicTensor;
  }
  // Explicit padding before a strided 3x3 keeps the sampling grid symmetric (as torchvision does),
  // where 'same' would pad only the bottom/right edge.
  let x = input;
  if (stride !== 1) x = tf.layers.zeroPadding2d({ padding: 1, name: `${name}_1_pad` }).apply(x) as SymbolicTensor;
  x = layers.conv(`${name}_1_conv`, filters, 3, stride, stride !== 1 ? 'valid' : 'same').apply(x) as SymbolicTensor;
  x = layers.batchNorm(`${name}_1_bn`).apply(x) as SymbolicTensor;
  x = layers.relu(`${name}_1_relu`).apply(x) as SymbolicTensor;
  x = layers.conv(`${name}_2_conv`, filters, 3, 1, 'same').apply(x) as SymbolicTensor;
  x = layers.batchNorm(`${name}_2_bn`).apply(x) as SymbolicTensor;
  x = tf.layers.add({ name: `${name}_add` }).apply([shortcut, x]) as SymbolicTensor;
  return layers.relu(`${name}_out`).apply(x) as SymbolicTensor;
}

class LayerFactory {
  constructor(
    private readonly init: SeededInitializers,
    private readonly convBias: boolean,
    private readonly bnMomentum: number,
  ) {}

  conv(name: string, filters: number, kernelSize: number, strides: number, padding: 'valid' | 'same' = 'valid'): tf.layers.Layer {
    return tf.layers.conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding,
      useBias: this.convBias,
      kernelInitializer: this.init.heNormal(name),
      biasInitializer: 'zeros',
    });
  }

  batchNorm(name: string): tf.layers.Layer {
    return tf.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON, momentum: this.bnMomentum });
  }

  relu(name: string): tf.layers.Layer {
    return tf.layers.activation({ name, activation: 'relu' });
  }
}
