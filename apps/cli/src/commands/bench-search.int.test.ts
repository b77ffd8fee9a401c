import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_ADMIN_PASSWORD } from '@cbmir/api/test-server';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { bench } from './bench.ts';
import { benchSearch, formatSearchBench, parsePhotoSize } from './bench-search.ts';

const dir = mkdtempSync(join(tmpdir(), 'cbmir-bench-search-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  target = await createTestDatabase();
  server = await startTestServer({
    DATABASE_URL: target.databaseUrl,
    CBMIR_DATA_DIR: join(dir, 'data'),
    CBMIR_DEMO_IMAGES: '6',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_SEARCH_RATE_LIMIT: '100000',
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe(`bench search (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('sends camera-sized photographs and reports latency beside the server-side embed time, and their ratio', async () => {
    const result = await benchSearch({
      url: server.url,
      password: TEST_ADMIN_PASSWORD,
      concurrency: [1, 2],
      requests: 3,
      maxSeconds: 60,
      queries: parsePhotoSize('1600x1066'),
      log: () => {},
    });
    expect(result.levels.map((l) => [l.concurrency, l.requests, l.errors])).toEqual([
      [1, 3, 0],
      [2, 3, 0],
    ]);
    for (const level of result.levels) {
      expect(level.embedMs!.p50).toBeGreaterThan(0);
      expect(level.preprocessMs!.p50).toBeGreaterThan(0);
      expect(level.latencyMs.p50).toBeGreaterThanOrEqual(level.embedMs!.p50);
    }
    const table = formatSearchBench(result);
    expect(table).toContain('p50/embed');
    const ratio = (result.levels[0]!.latencyMs.p50 / result.levels[0]!.embedMs!.p50).toFixed(2);
    expect(table).toContain(`${ratio}x`);
  }, 120_000);

  it('sends a given photograph as every query', async () => {
    const photo = await generateSyntheticFundus({ seed: 7, grade: 3, width: 900, height: 600 });
    const result = await benchSearch({
      url: server.url,
      password: TEST_ADMIN_PASSWORD,
      concurrency: [1],
      requests: 2,
      maxSeconds: 60,
      queries: { photo },
      log: () => {},
    });
    expect(result.levels[0]).toMatchObject({ requests: 2, errors: 0 });
  }, 120_000);

  it('a burst beyond the search queue is shed with 503 and Retry-After, every request answered, and the server memory reported', async () => {
    // The test server queues 16 searches beyond 2 running: 40 at once cannot all wait.
    const result = await benchSearch({
      url: server.url,
      password: TEST_ADMIN_PASSWORD,
      concurrency: [1],
      requests: 1,
      maxSeconds: 60,
      queries: parsePhotoSize('1600x1066'),
      burst: 40,
      log: () => {},
    });
    const burst = result.burst!;
    expect(burst.ok + burst.rateLimited + burst.busy).toBe(40);
    expect(burst.busy + burst.rateLimited).toBeGreaterThan(0);
    expect(burst.withRetryAfter).toBe(burst.busy + burst.rateLimited);
    expect([burst.serverErrors, burst.networkErrors, burst.otherClientErrors]).toEqual([0, 0, 0]);
    expect(burst.rssAfterBytes).toBeGreaterThan(0);
    expect(burst.peakRssBytes).toBeGreaterThanOrEqual(burst.rssAfterBytes!);
    expect(formatSearchBench(result)).toMatch(new RegExp(`burst: 40 requests at once.*${burst.ok} ok, ${burst.rateLimited} 429, ${burst.busy} 503`));
  }, 180_000);

  it('refuses a --photo that is not an image, a bad --photo-size, and both at once, before any request', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a photograph');
    await expect(bench(['search', '--url', server.url, '--photo', text], () => {})).rejects.toThrow(/--photo .*notes\.txt: Not a supported image/);
    await expect(bench(['search', '--photo', join(dir, 'missing.jpg')], () => {})).rejects.toThrow(/--photo: cannot read/);
    expect(() => parsePhotoSize('10x10')).toThrow(UsageError);
    expect(() => parsePhotoSize('3872by2592')).toThrow(/WIDTHxHEIGHT/);
    expect(parsePhotoSize('3872x2592')).toEqual({ width: 3872, height: 2592 });
    await expect(bench(['search', '--photo', text, '--photo-size', '800x600'], () => {})).rejects.toThrow(/give one/);
  });
});
