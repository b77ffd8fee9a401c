import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explanationServiceFactory, loadConfig, openCbmirServices } from '@cbmir/core';
import { generateSyntheticFundus } from '@cbmir/imaging';

export interface ExplainBenchRow {
  /** 'untrained' (the seeded ResNet-50) or the model directory */
  model: string;
  architecture: string;
  inputSize: number;
  engine: string | null;
  forwardPasses: number;
  /** Median over the timed runs: one occlusion map, request to response, in the service */
  medianMs: number;
  minMs: number;
  msPerImage: number;
  /** The same request again: served from the cache */
  cachedMs: number;
}

export const EXPLAIN_BENCH_USAGE = `  bench explain [--models untrained,models/default] [--runs 3] [--json]
      Time of one similarity explanation (occlusion map: 7x7 cells + the original = 50 images embedded) through
      the explanation service and the serving engine, for the seeded untrained ResNet-50 at 224 px and the model
      directories given; synthetic query and case, a throwaway data directory; then the same request cached.`;

/**
 * `pnpm bench explain`: for each model, a throwaway data directory with two synthetic cases, then occlusion
 * maps of fresh synthetic queries against one of them (different queries, so no run is served from the cache).
 */
export async function benchExplain(options: { models: string[]; runs: number; log: (message: string) => void }): Promise<ExplainBenchRow[]> {
  const rows: ExplainBenchRow[] = [];
  for (const model of options.models) {
    const dataDir = await mkdtemp(join(tmpdir(), 'cbmir-bench-explain-'));
    try {
      const { DATABASE_URL: _ignored, ...env } = process.env;
      const config = loadConfig({ ...env, CBMIR_DATA_DIR: dataDir, CBMIR_DEMO_IMAGES: '0', CBMIR_DEFAULT_MODEL: model });
      const quiet = { info: () => {}, warn: (m: string) => options.log(`warning: ${m}`) };
      options.log(`${model}: loading the model`);
      const services = await openCbmirServices(config, quiet);
      try {
        const cases = await services.ingest.ingestBatch(
          await Promise.all(
            [0, 1].map(async (i) => ({
              fileName: `case-${i}.jpg`,
              bytes: await generateSyntheticFundus({ seed: 70_000 + i, grade: 2 }),
              grade: 2,
              eye: null,
              patientRef: null,
              source: 'bench',
            })),
          ),
        );
        const caseId = cases.map((outcome) => ('imageId' in outcome ? outcome.imageId : null)).find((id) => id)!;
        const explanations = explanationServiceFactory(services);
        const queries = await Promise.all(Array.from({ length: options.runs + 1 }, (_, i) => generateSyntheticFundus({ seed: 71_000 + i, grade: 3 })));
        const times: number[] = [];
        let forwardPasses = 0;
        for (const [i, query] of queries.entries()) {
          const started = performance.now();
          const map = await explanations.explainUpload(query, caseId, 'query');
          const ms = performance.now() - started;
          forwardPasses = map.forwardPasses;
          // The first run warms the engine (kernels, memory arenas): not timed.
          if (i > 0) times.push(ms);
          options.log(`${model}: map ${i + 1}/${queries.length}: ${ms.toFixed(0)} ms${i === 0 ? ' (warm-up)' : ''}`);
        }
        const started = performance.now();
        const again = await explanations.explainUpload(queries.at(-1)!, caseId, 'query');
        const cachedMs = performance.now() - started;
        if (!again.cached) throw new Error('the repeated explanation was not served from the cache');
        const sorted = [...times].sort((a, b) => a - b);
        const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
        const version = services.runtime.version!;
        rows.push({
          model,
          architecture: version.architecture,
          inputSize: version.inputSize,
          engine: services.runtime.backend,
          forwardPasses,
          medianMs: median,
          minMs: sorted[0]!,
          msPerImage: median / forwardPasses,
          cachedMs,
        });
      } finally {
        await services.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function formatExplainBench(rows: ExplainBenchRow[]): string {
  const header = ['model', 'architecture', 'input', 'engine', 'images', 'median ms', 'min ms', 'ms/image', 'cached ms'];
  const lines = rows.map((row) => [
    row.model,
    row.architecture,
    `${row.inputSize} px`,
    row.engine ?? '',
    String(row.forwardPasses),
    row.medianMs.toFixed(0),
    row.minMs.toFixed(0),
    row.msPerImage.toFixed(1),
    row.cachedMs.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}
