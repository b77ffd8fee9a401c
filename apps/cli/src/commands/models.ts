import { type CbmirServices, type CbmirStore, activationProgress } from '@cbmir/core';
import type { StoredModelVersion } from '@cbmir/db';
import { createProgress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

export async function findVersion(services: CbmirServices, idOrName: string): Promise<StoredModelVersion> {
  const version = await services.models.find(idOrName);
  if (!version) throw new UsageError(`no model version with id or name "${idOrName}" (see: pnpm cbmir models list)`);
  return version;
}

/** `cbmir models list`: one line per version, the active one marked; from the database alone. */
export async function listModels(store: CbmirStore): Promise<string> {
  const rows = await Promise.all(
    (await store.models.list()).map(async (version) => {
      const progress = await activationProgress(store.db, version);
      const indexing = progress.state === 'indexing' ? `indexing ${progress.embedded}/${progress.total}` : progress.state;
      const state = progress.unreadable > 0 ? `${indexing} (${progress.unreadable} unreadable)` : indexing;
      const metrics = version.metrics as { validation?: { map?: number; mrr?: number } } | null;
      const map = metrics?.validation?.map !== undefined ? `val MAP ${metrics.validation.map.toFixed(3)}` : '';
      return [
        version.active ? '*' : ' ',
        version.name,
        version.id,
        `${version.architecture}@${version.inputSize}px`,
        `${version.embeddingDim}-d`,
        version.trained ? 'trained' : 'untrained',
        state,
        map,
        version.createdAt.toISOString().slice(0, 16),
      ];
    }),
  );
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `cbmir models register <dir> [--name]` */
export async function registerModel(store: CbmirStore, dir: string, name?: string): Promise<string> {
  const version = await store.models.register(dir, {
    name,
    audit: (tx, created) =>
      store.audit.recordSystemIn(tx, {
        action: 'model.register',
        targetType: 'model_version',
        targetId: created.id,
        details: { name: created.name, via: 'cli' },
      }),
  });
  return (
    `registered ${version.name} (${version.id}): ${version.architecture}, ${version.inputSize} px, ${version.embeddingDim}-d\n` +
    `activate it with: pnpm cbmir models activate ${version.name}`
  );
}

/** `cbmir models activate <id|name>`: embeds every image under the version, then switches atomically. */
export async function activateModel(services: CbmirServices, idOrName: string): Promise<string> {
  const version = await findVersion(services, idOrName);
  if (version.active) return `${version.name} is already active`;
  const total = await services.images.count();
  const progress = createProgress(`indexing ${version.name}`, total);
  await services.activation.activateNow(
    version.id,
    (embedded) => progress.update(embedded, 'the current version serves meanwhile'),
    (tx, requested) =>
      services.audit.recordSystemIn(tx, {
        action: 'model.activate',
        targetType: 'model_version',
        targetId: requested.id,
        details: { name: requested.name, via: 'cli' },
      }),
  );
  progress.stop();
  return `${version.name} is active: ${await services.db.embeddings.count(version)} images indexed`;
}
