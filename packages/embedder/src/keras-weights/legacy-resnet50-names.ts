/**
 * The first keras.applications ResNet50 (keras_applications/resnet50.py, Keras <= 2.2.4) named its
 * layers after the Caffe release: conv1, bn_conv1, res2a_branch2a, bn2a_branch2a, ..., res2a_branch1
 * (the projection shortcut), fc1000. Its weights (fchollet/deep-learning-models v0.2) carry the very
 * file name of today's keras.applications.resnet weights, which use conv1_conv, conv1_bn,
 * conv2_block1_1_conv, ..., conv2_block1_0_conv, predictions -- the names resnet.ts builds. Both hold
 * ResNet-50 with conv biases and the same weight shapes, so a legacy file loads once renamed.
 */

const LEGACY_BLOCK_LAYER = /^(res|bn)(\d)([a-z])_branch(1|2a|2b|2c)$/;
const BRANCH_TO_INDEX: Record<string, string> = { '1': '0', '2a': '1', '2b': '2', '2c': '3' };
const LEGACY_STEM: Record<string, string> = { conv1: 'conv1_conv', bn_conv1: 'conv1_bn', fc1000: 'predictions' };

/** True when these (weighted) layer names are the legacy ResNet50 scheme. */
export function hasLegacyResNet50Names(names: readonly string[]): boolean {
  return names.includes('bn_conv1') || names.some((n) => LEGACY_BLOCK_LAYER.test(n));
}

/** bn3b_branch2c -> conv3_block2_3_bn, res4a_branch1 -> conv4_block1_0_conv, conv1 -> conv1_conv; other names unchanged. */
export function modernResNet50Name(legacy: string): string {
  const stem = LEGACY_STEM[legacy];
  if (stem) return stem;
  const match = LEGACY_BLOCK_LAYER.exec(legacy);
  if (!match) return legacy;
  const [, kind, stage, letter, branch] = match as unknown as [string, string, string, string, string];
  const block = letter.charCodeAt(0) - 'a'.charCodeAt(0) + 1;
  return `conv${stage}_block${block}_${BRANCH_TO_INDEX[branch]}_${kind === 'res' ? 'conv' : 'bn'}`;
}
