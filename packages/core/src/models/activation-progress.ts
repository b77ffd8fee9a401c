import type { Database, StoredModelVersion } from '@cbmir/db';

export interface ActivationProgress {
  versionId: string;
  state: 'active' | 'indexing' | 'inactive' | 'failed';
  embedded: number;
  total: number;
  /** Stored images whose original cannot be read or decoded: left out of indexing (embedMissing). */
  unreadable: number;
  error: string | null;
}

/**
 * Where a version stands, from the database alone (no network loaded): active, being indexed (its
 * activation is requested) or inactive, with its embedded, stored and unreadable image counts. `failure` is
 * the error of an activation of it that failed in this process (ModelActivation keeps them); a process that
 * ran none (the CLI's `models list`) passes none.
 */
export async function activationProgress(db: Database, version: StoredModelVersion, failure: string | null = null): Promise<ActivationProgress> {
  const [embedded, total, unreadable] = await Promise.all([db.embeddings.count(version), db.images.count(), db.images.countUnreadable()]);
  const fresh = (await db.modelVersions.findById(version.id)) ?? version;
  const state = fresh.active ? 'active' : failure !== null ? 'failed' : fresh.activationRequestedAt ? 'indexing' : 'inactive';
  return { versionId: version.id, state, embedded, total, unreadable, error: failure };
}
