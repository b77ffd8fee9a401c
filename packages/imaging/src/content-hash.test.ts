import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ContentHashStream, contentHash } from './content-hash.ts';

describe('contentHash', () => {
  it('is the SHA-256 of the bytes, as lowercase hex', () => {
    expect(contentHash(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the viewed part of a larger buffer', () => {
    const whole = new TextEncoder().encode('xxabcxx');
    expect(contentHash(whole.subarray(2, 5))).toBe(contentHash(new TextEncoder().encode('abc')));
  });
});

describe('ContentHashStream', () => {
  it('passes the bytes through unchanged and gives their contentHash and count', async () => {
    const chunks = [Buffer.from('ab'), Buffer.alloc(70_000, 7), Buffer.from('c')];
    const received: Buffer[] = [];
    const hashing = new ContentHashStream();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        done();
      },
    });
    await pipeline(Readable.from(chunks), hashing, sink);
    const whole = Buffer.concat(chunks);
    expect(Buffer.concat(received).equals(whole)).toBe(true);
    expect(hashing.result()).toEqual({ sha256: contentHash(whole), bytes: whole.length });
  });
});
