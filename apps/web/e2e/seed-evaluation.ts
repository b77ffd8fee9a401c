// Stores a retrieval evaluation of the active model over the images already in a data directory, the way
// `cbmir eval` does, so the evaluation page has real metrics, curves and a map to show. The embedded
// database is single-process: call it while no server has the data directory open.
import { type EvaluationImage, loadConfig, openCbmirServices } from '@cbmir/core';

export async function seedEvaluation(env: Record<string, string>, options: { name: string; mapPoints?: number }): Promise<void> {
  const quiet = { info: () => undefined, warn: () => undefined };
  const services = await openCbmirServices(loadConfig(env), quiet);
  try {
    const version = services.runtime.version;
    if (!version) throw new Error('no active model version to evaluate');
    const stored = await services.db.images.list({ limit: 10_000 });
    const images: EvaluationImage[] = stored
      .filter((image) => image.grade !== null)
      .map((image) => ({
        sha256: image.sha256,
        grade: image.grade!,
        patient: image.patientRef,
        eye: image.eye,
        read: async () => new Uint8Array(await services.files.read(image.originalPath)),
      }));
    const source = await services.evaluations.openSource({ kind: 'version', version }, null);
    try {
      await services.evaluations.evaluate({
        source,
        data: { name: options.name, images, unlabelled: stored.length - images.length },
        mapPoints: options.mapPoints ?? 500,
        store: true,
        readSeconds: 0,
      });
    } finally {
      source.dispose();
    }
  } finally {
    await services.close();
  }
}
