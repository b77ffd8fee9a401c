import { describe, expect, it } from 'vitest';
import { contentHash } from './content-hash.ts';

describe('contentHash', () => {
  it('is the SHA-256 of the bytes, as lowercase hex', () => {
    expect(contentHash(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(contentHash(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the viewed part of a larger buffer', () => {
    const whole = new TextEncoder().encode('xxabcxx');
    expect(contentHash(whole.subarray(2, 5))).toBe(contentHash(new TextEncoder().encode('abc')));
  });
});
