import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmbeddingBatcher } from './embedding-batcher.ts';

/** An "image" whose embedding is [its value * 2]: enough to see that every request gets its own rows back. */
const image = (value: number) => Float32Array.of(value);
const values = (embeddings: Float32Array[]) => embeddings.map((e) => e[0]);

function fakeEngine(options: { msPerBatch?: number; failOn?: number } = {}) {
  const batches: number[][] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  return {
    batches,
    maxConcurrent: () => maxConcurrent,
    async run(images: Float32Array[]): Promise<Float32Array[]> {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      batches.push(images.map((i) => i[0]!));
      try {
        await new Promise((resolve) => setTimeout(resolve, options.msPerBatch ?? 20));
        if (images.some((i) => i[0] === options.failOn)) throw new Error(`cannot embed ${options.failOn}`);
        return images.map((i) => Float32Array.of(i[0]! * 2));
      } finally {
        concurrent -= 1;
      }
    },
  };
}

describe('createEmbeddingBatcher', () => {
  afterEach(() => vi.useRealTimers());

  it('embeds concurrent requests together in one batch, each getting its own embeddings in order', async () => {
    const engine = fakeEngine();
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 5 });
    const info: { batchSize?: number } = {};
    const results = await Promise.all([batcher.embed([image(1)]), batcher.embed([image(2), image(3)], info), batcher.embed([image(4)])]);
    expect(results.map(values)).toEqual([[2], [4, 6], [8]]);
    expect(info.batchSize).toBe(4);
    expect(engine.batches).toEqual([[1, 2, 3, 4]]);
    expect(batcher.stats()).toEqual({ requests: 3, batches: 1, images: 4, largestBatch: 4 });
  });

  it('waits only the window for company: a lone request costs the window plus one batch', async () => {
    vi.useFakeTimers();
    const engine = fakeEngine({ msPerBatch: 50 });
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 8 });
    let done = false;
    const pending = batcher.embed([image(1)]).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(7);
    expect(engine.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(engine.batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(done).toBe(true);
  });

  it('with no window (the server default) starts a lone request at once, and batches what arrives while the engine is busy', async () => {
    vi.useFakeTimers();
    const engine = fakeEngine({ msPerBatch: 50 });
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 0 });
    const first = batcher.embed([image(1)]);
    await vi.advanceTimersByTimeAsync(1);
    expect(engine.batches).toEqual([[1]]);
    const later = [batcher.embed([image(2)]), batcher.embed([image(3)])];
    await vi.advanceTimersByTimeAsync(20);
    const last = batcher.embed([image(4)]);
    await vi.advanceTimersByTimeAsync(30);
    expect(engine.batches).toEqual([[1], [2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(50);
    expect((await Promise.all([first, ...later, last])).map(values)).toEqual([[2], [4], [6], [8]]);
  });

  it('starts a full batch at once, without waiting for the window', async () => {
    vi.useFakeTimers();
    const engine = fakeEngine();
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 4, windowMs: 1000 });
    void batcher.embed([image(1), image(2)]);
    void batcher.embed([image(3), image(4)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('bounds batches at maxBatch whole requests; a larger request runs alone', async () => {
    const engine = fakeEngine();
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 3, windowMs: 1 });
    const results = await Promise.all([
      batcher.embed([image(1), image(2)]),
      batcher.embed([image(3), image(4)]),
      batcher.embed([image(5), image(6), image(7), image(8)]),
      batcher.embed([image(9)]),
    ]);
    expect(results.map(values)).toEqual([[2, 4], [6, 8], [10, 12, 14, 16], [18]]);
    expect(engine.batches).toEqual([[1, 2], [3, 4], [5, 6, 7, 8], [9]]);
  });

  it('never runs two batches at once; requests arriving during a batch form the next one', async () => {
    const engine = fakeEngine({ msPerBatch: 30 });
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 2 });
    const first = batcher.embed([image(1)]);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the first batch is running now
    const later = [batcher.embed([image(2)]), batcher.embed([image(3)]), batcher.embed([image(4)])];
    await Promise.all([first, ...later]);
    expect(engine.batches).toEqual([[1], [2, 3, 4]]);
    expect(engine.maxConcurrent()).toBe(1);
  });

  it('fails only the request with the bad input when a shared batch fails', async () => {
    const engine = fakeEngine({ failOn: 3 });
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 2 });
    const [a, b, c] = await Promise.allSettled([batcher.embed([image(1)]), batcher.embed([image(3)]), batcher.embed([image(5)])]);
    expect(a).toEqual({ status: 'fulfilled', value: [Float32Array.of(2)] });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('cannot embed 3') });
    expect(c).toEqual({ status: 'fulfilled', value: [Float32Array.of(10)] });
  });

  it('answers an empty request without running a batch, and drain() waits for work in flight', async () => {
    const engine = fakeEngine({ msPerBatch: 20 });
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 2 });
    expect(await batcher.embed([])).toEqual([]);
    await batcher.drain();
    let finished = false;
    void batcher.embed([image(7)]).then(() => (finished = true));
    await batcher.drain();
    expect(finished).toBe(true);
    expect(engine.batches).toEqual([[7]]);
  });

  it('tells onBatch the size of every forward pass that succeeded (the failed batch and request are not counted)', async () => {
    const engine = fakeEngine({ failOn: 3 });
    const seen: { size: number; ms: number }[] = [];
    const batcher = createEmbeddingBatcher({ run: engine.run, maxBatch: 16, windowMs: 5, onBatch: (size, ms) => seen.push({ size, ms }) });
    await Promise.all([batcher.embed([image(1), image(2)]), batcher.embed([image(4)])]);
    expect(seen.map((b) => b.size)).toEqual([3]);
    const settled = await Promise.allSettled([batcher.embed([image(3)]), batcher.embed([image(5), image(6)])]);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    // The batch of 3 failed; retried one request at a time, only [5, 6] succeeded.
    expect(seen.map((b) => b.size)).toEqual([3, 2]);
    expect(seen.every((b) => b.ms > 0)).toBe(true);
  });

  it('rejects nonsensical settings', () => {
    const run = async (images: Float32Array[]) => images;
    expect(() => createEmbeddingBatcher({ run, maxBatch: 0, windowMs: 5 })).toThrow(/maxBatch/);
    expect(() => createEmbeddingBatcher({ run, maxBatch: 4, windowMs: -1 })).toThrow(/windowMs/);
  });
});
