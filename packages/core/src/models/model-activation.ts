import { activationProgress, type ActivationProgress } from './activation-progress.ts';
import { ConflictError, notFound } from '../errors/domain-error.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { Logger } from '../logger.ts';
import type { Database, Repositories, StoredModelVersion } from '@cbmir/db';
import { embedMissing } from './embed-missing.ts';
import type { ModelRuntime } from './model-runtime.ts';

/**
 * Activating a version re-embeds every stored image under it in the background; the previous version keeps
 * serving meanwhile, and search switches atomically only when the new index is complete. The request is
 * stored (activation_requested_at), so a restarted server resumes it.
 */
export function modelActivationFactory(deps: {
  db: Database;
  files: FileStore;
  runtime: ModelRuntime;
  log: Logger;
  /** false in an API-only process (CBMIR_ROLE=api): a request is recorded, and a worker process runs it. */
  runInProcess?: boolean;
}) {
  const { db, runtime, log } = deps;
  const running = new Map<string, Promise<void>>();
  const failures = new Map<string, string>();
  const stopping = new AbortController();

  async function run(version: StoredModelVersion, onProgress?: (embedded: number, total: number) => void): Promise<void> {
    failures.delete(version.id);
    const model = await runtime.load(version);
    try {
      const total = await db.images.count();
      log.info(`activating ${version.name}: embedding ${total} images (the current version serves meanwhile)`);
      await embedMissing(deps, model, {
        signal: stopping.signal,
        onProgress: async () => onProgress?.(await db.embeddings.count(version), await db.images.count()),
      });
      // Stopped (server shutdown): the request stays recorded and the next start resumes it.
      if (stopping.signal.aborted) return void model.embedder.dispose();
      await db.modelVersions.activate(version.id);
      model.version = (await db.modelVersions.findById(version.id))!; // now with active = true
      await runtime.switchTo(model);
      // Images ingested between the last pass and the switch were embedded by the old version only.
      await embedMissing(deps, model);
      log.info(`activated ${version.name}`);
    } catch (error) {
      if (runtime.active !== model) model.embedder.dispose();
      throw error;
    }
  }

  function start(version: StoredModelVersion): Promise<void> {
    let job = running.get(version.id);
    if (!job) {
      job = run(version)
        .catch((error: Error) => {
          failures.set(version.id, error.message);
          log.warn(`activating ${version.name} failed: ${error.message}`);
        })
        .finally(() => running.delete(version.id));
      running.set(version.id, job);
    }
    return job;
  }

  return {
    /** Asks for a version to go live; returns at once, the indexing runs in the background. */
    /** `audit` writes the request's audit row in the transaction that records the request. */
    async request(id: string, audit?: (tx: Repositories, version: StoredModelVersion) => Promise<void>): Promise<StoredModelVersion> {
      const version = await db.modelVersions.findById(id);
      if (!version) throw notFound('model version');
      if (version.active) return version;
      const pending = await db.transaction(async (tx) => {
        const requested = await tx.modelVersions.requestActivation(id);
        if (requested) await audit?.(tx, requested);
        return requested;
      });
      if (!pending) throw new ConflictError('conflict', 'the model version became active meanwhile');
      if (deps.runInProcess !== false) void start(pending);
      return pending;
    },

    /** Activates in the foreground (the CLI), reporting progress. */
    async activateNow(
      id: string,
      onProgress?: (embedded: number, total: number) => void,
      audit?: (tx: Repositories, version: StoredModelVersion) => Promise<void>,
    ): Promise<StoredModelVersion> {
      const version = await db.modelVersions.findById(id);
      if (!version) throw notFound('model version');
      if (!version.active) {
        await db.transaction(async (tx) => {
          const requested = await tx.modelVersions.requestActivation(id);
          if (requested) await audit?.(tx, requested);
        });
        await run(version, onProgress);
      }
      return (await db.modelVersions.findById(id))!;
    },

    /**
     * At start: resume activations that a stopped server left unfinished. A worker process also calls it
     * every few seconds to take up activations that API processes recorded.
     */
    async resumePending(): Promise<void> {
      for (const version of await db.modelVersions.findPendingActivations()) {
        if (running.has(version.id) || failures.has(version.id)) continue; // a failure is retried at the next start
        log.info(`taking up the activation of ${version.name}`);
        void start(version);
      }
    },

    /** activationProgress, with the failure of this process's activation of the version, if any. */
    progress(version: StoredModelVersion): Promise<ActivationProgress> {
      return activationProgress(db, version, failures.get(version.id) ?? null);
    },

    /** Waits for background activations to finish (tests). */
    async settled(): Promise<void> {
      await Promise.all(running.values());
    },

    /** Stops background activations after their current batch (shutdown); they resume at the next start. */
    async stop(): Promise<void> {
      stopping.abort();
      await Promise.all(running.values());
    },
  };
}

export type ModelActivation = ReturnType<typeof modelActivationFactory>;
