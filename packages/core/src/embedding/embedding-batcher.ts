export interface EmbeddingBatcherOptions {
  /** Embeds one batch, in order. Never called again before the previous call has settled. */
  run(images: Float32Array[]): Promise<Float32Array[]>;
  /** Most images in one batch; a single request with more runs as a batch of its own. */
  maxBatch: number;
  /** How long the first request reaching an idle batcher waits for others to join it, in ms. */
  windowMs: number;
  /** Told of every forward pass that succeeded: its size in images and how long it took (metrics). */
  onBatch?: (size: number, ms: number) => void;
}

export interface EmbeddingBatcherStats {
  requests: number;
  batches: number;
  images: number;
  largestBatch: number;
}

export interface EmbeddingBatcher {
  /**
   * Resolves with this request's embeddings, computed in a batch with whatever else arrived meanwhile;
   * `info.batchSize` is then that batch's size in images.
   */
  embed(images: Float32Array[], info?: { batchSize?: number }): Promise<Float32Array[]>;
  /** Resolves once every request submitted so far has settled. */
  drain(): Promise<void>;
  stats(): EmbeddingBatcherStats;
}

interface Waiting {
  images: Float32Array[];
  info: { batchSize?: number } | undefined;
  resolve(embeddings: Float32Array[]): void;
  reject(error: unknown): void;
}

/**
 * Dynamic batching for a single inference engine: concurrent requests are embedded together, so
 * throughput grows with concurrency (one forward pass over 16 images costs far less than 16 passes)
 * while a lone request waits only `windowMs` more than its own forward pass. Requests that arrive while
 * a batch runs form the next batch, which starts as soon as the engine is free. Whole requests go into
 * a batch in arrival order, up to maxBatch images.
 *
 * A failing batch of several requests is retried one request at a time, so a bad input fails only its
 * own request.
 */
export function createEmbeddingBatcher(options: EmbeddingBatcherOptions): EmbeddingBatcher {
  const { maxBatch, windowMs, onBatch } = options;
  const run = async (images: Float32Array[]): Promise<Float32Array[]> => {
    const started = performance.now();
    const embeddings = await options.run(images);
    onBatch?.(images.length, performance.now() - started);
    return embeddings;
  };
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
  if (!(windowMs >= 0)) throw new Error(`windowMs must be >= 0, got ${windowMs}`);

  const queue: Waiting[] = [];
  let queuedImages = 0;
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  const stats: EmbeddingBatcherStats = { requests: 0, batches: 0, images: 0, largestBatch: 0 };
  let idle: { promise: Promise<void>; resolve: () => void } | null = null;

  function schedule(): void {
    if (running || queue.length === 0) return;
    if (queuedImages >= maxBatch) {
      if (timer) clearTimeout(timer);
      timer = null;
      void flush();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        void flush();
      }, windowMs);
    }
  }

  async function flush(): Promise<void> {
    if (running || queue.length === 0) return;
    running = true;
    const batch: Waiting[] = [];
    let size = 0;
    while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.images.length <= maxBatch)) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.images.length;
    }
    queuedImages -= size;
    stats.batches += 1;
    stats.images += size;
    stats.largestBatch = Math.max(stats.largestBatch, size);
    try {
      await runBatch(batch);
    } finally {
      running = false;
      // Whatever queued up meanwhile has waited long enough: start it at once.
      if (queue.length > 0) void flush();
      else if (idle) {
        idle.resolve();
        idle = null;
      }
    }
  }

  async function runBatch(batch: Waiting[]): Promise<void> {
    try {
      const embeddings = await run(batch.flatMap((w) => w.images));
      let offset = 0;
      const size = embeddings.length;
      for (const w of batch) {
        if (w.info) w.info.batchSize = size;
        w.resolve(embeddings.slice(offset, offset + w.images.length));
        offset += w.images.length;
      }
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const w of batch) {
        try {
          const own = await run(w.images);
          if (w.info) w.info.batchSize = own.length;
          w.resolve(own);
        } catch (own) {
          w.reject(own);
        }
      }
    }
  }

  return {
    embed(images, info) {
      stats.requests += 1;
      if (images.length === 0) return Promise.resolve([]);
      return new Promise<Float32Array[]>((resolve, reject) => {
        queue.push({ images, info, resolve, reject });
        queuedImages += images.length;
        schedule();
      });
    },

    drain() {
      if (!running && queue.length === 0) return Promise.resolve();
      if (!idle) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        idle = { promise, resolve };
      }
      return idle.promise;
    },

    stats: () => ({ ...stats }),
  };
}
