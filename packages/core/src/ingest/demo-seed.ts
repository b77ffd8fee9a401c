import type { Logger } from '../logger.ts';
import { generateSyntheticFundus } from '@cbmir/imaging';
import type { IngestService } from './ingest-service.ts';

/**
 * Fills an empty database with synthetic fundus images the project draws itself (never real patients'
 * photos), so a fresh start has something to search. Grades cycle 0-4; two eyes per synthetic patient.
 */
export async function seedDemoImages(ingest: IngestService, count: number, log: Logger): Promise<number> {
  let added = 0;
  const batchSize = 8;
  for (let start = 0; start < count; start += batchSize) {
    const items = await Promise.all(
      Array.from({ length: Math.min(batchSize, count - start) }, async (_, offset) => {
        const i = start + offset;
        const grade = (i % 5) as 0 | 1 | 2 | 3 | 4;
        return {
          fileName: `demo-${String(i).padStart(4, '0')}.jpg`,
          bytes: await generateSyntheticFundus({ seed: 1000 + i, grade }),
          grade,
          eye: i % 2 === 0 ? ('left' as const) : ('right' as const),
          patientRef: `demo-patient-${Math.floor(i / 2)}`,
          source: 'demo',
        };
      }),
    );
    const outcomes = await ingest.ingestBatch(items);
    added += outcomes.filter((o) => o.status === 'added').length;
    log.info(`seeding demo images: ${Math.min(start + batchSize, count)}/${count}`);
  }
  return added;
}
