import { useTinyModelRuntime } from '../models/test-tiny-runtime.ts';
import { DEFAULT_PREPROCESSING, decodeImage, generateSyntheticFundus, makeThumbnail } from '@cbmir/imaging';
import { describe, expect, it } from 'vitest';
import { fileStoreFactory } from '../storage/file-store.ts';
import { ingestServiceFactory } from './ingest-service.ts';

// Ingest decodes each image once (decodeImage, at the working size of the model's preprocessing): the
// thumbnail and the network input come from those pixels. Real model runtime (a tiny network with the
// default preprocessing), real database (PGlite or PostgreSQL), real file store.
const fixture = useTinyModelRuntime('cbmir-ingest-decode-', 'tiny-decode-once');
const { dataDir } = fixture;

describe(`ingest decodes each image once (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('stores a thumbnail made from the decoded pixels and the embedding a query of the same bytes gets', async () => {
    const model = fixture.runtime.active!;
    expect(model.preprocessing.version).toBe(DEFAULT_PREPROCESSING.version); // decodes once (graham-v3 and later)
    const files = fileStoreFactory({ dataDir });
    const ingest = ingestServiceFactory({ db: fixture.db, files, runtime: fixture.runtime });
    const frame = await generateSyntheticFundus({ seed: 31, grade: 2, width: 1600, height: 1200 });
    const [outcome] = await ingest.ingestBatch([{ fileName: 'frame.jpg', bytes: frame, source: 'test' }]);
    expect(outcome).toMatchObject({ status: 'added' });
    const image = (await fixture.db.images.findById((outcome as { imageId: string }).imageId))!;
    expect(image).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });

    // The one decode, at working size, made the thumbnail: not a decode of the file. The working size's short side
    // is 2.2 * scaleRadius or the thumbnail's 256 px, whichever is more (here the thumbnail's: a 64 px network).
    const decoded = await decodeImage(frame, { scaleRadius: model.preprocessing.scaleRadius });
    expect(decoded.pixels).toMatchObject({ width: 341, height: 256 });
    const thumbnail = await files.read(image.thumbnailPath);
    expect(Buffer.compare(thumbnail, await makeThumbnail(decoded))).toBe(0);
    expect(Buffer.compare(thumbnail, await makeThumbnail(frame))).not.toBe(0);

    // The network input from those pixels is the one a query of the same bytes is embedded from.
    const [query] = await fixture.runtime.embedImages([frame], model);
    const stored = await fixture.db.embeddings.find(model.version, image.id);
    expect(Float32Array.from(stored!)).toEqual(query);
  });
});
