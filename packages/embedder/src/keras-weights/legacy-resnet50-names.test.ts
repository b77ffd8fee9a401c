import { describe, expect, it } from 'vitest';
import { hasLegacyResNet50Names, modernResNet50Name } from './legacy-resnet50-names.ts';

describe('legacy ResNet50 layer names', () => {
  it('maps keras_applications/resnet50.py names to keras.applications.resnet names', () => {
    expect(modernResNet50Name('conv1')).toBe('conv1_conv');
    expect(modernResNet50Name('bn_conv1')).toBe('conv1_bn');
    expect(modernResNet50Name('res2a_branch2a')).toBe('conv2_block1_1_conv');
    expect(modernResNet50Name('bn2a_branch1')).toBe('conv2_block1_0_bn');
    expect(modernResNet50Name('res4f_branch2b')).toBe('conv4_block6_2_conv');
    expect(modernResNet50Name('bn5c_branch2c')).toBe('conv5_block3_3_bn');
    expect(modernResNet50Name('fc1000')).toBe('predictions');
    expect(modernResNet50Name('embedding')).toBe('embedding');
  });

  it('recognises a legacy file by its names only', () => {
    expect(hasLegacyResNet50Names(['conv1', 'bn_conv1', 'res2a_branch2a'])).toBe(true);
    expect(hasLegacyResNet50Names(['conv1_conv', 'conv1_bn', 'conv2_block1_1_conv'])).toBe(false);
  });
});
