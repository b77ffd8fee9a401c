import { notFound, NotFoundError } from '../errors/domain-error.ts';
import type { FileStore } from '../storage/file-store.ts';
import { access } from 'node:fs/promises';
import type { SearchHistoryEntry as SearchHistoryDto } from '@cbmir/contract';
import type { Database, SearchHistoryEntry, SearchOwner, SearchRegionValue } from '@cbmir/db';
import { contentHash, makeThumbnail, sniffImageFormat } from '@cbmir/imaging';
import type { Principal } from '../auth/principal.ts';
import { promiseLru } from '../cache/promise-lru.ts';
import { thumbnailUrl, type SearchHit } from './search-service.ts';

const CONTENT_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', tiff: 'image/tiff', webp: 'image/webp' };

export const ownerOf = (principal: Principal): SearchOwner => ({ actorType: principal.kind, actorId: principal.id });

const withoutPhotograph = () => new NotFoundError('not_found', 'this search was made with a stored case: it has no uploaded photograph (see its queryImageId)');

const historyUrl = (id: string, what: 'query' | 'thumbnail') => `/api/v1/searches/${id}/${what}`;

/** What was searched and what came back, to keep beside the query. */
export interface SearchOutcome {
  k: number;
  filters: Record<string, string>;
  modelVersionId: string;
  results: SearchHit[];
}

/**
 * "My searches": each caller's own searches, with the query photograph kept (by content hash, under
 * `queries/` in the data directory) so that it can be shown and searched with again. Only its owner can list an
 * entry or read its photograph; for anyone else it does not exist (404).
 */
export function searchHistoryFactory(deps: { db: Database; files: FileStore }) {
  const { db, files } = deps;
  /** Thumbnails being made (or just made), by query hash. */
  const madeThumbnails = promiseLru<Buffer>(64);

  async function exists(path: string): Promise<boolean> {
    return access(files.absolute(path)).then(
      () => true,
      () => false,
    );
  }

  const top = (results: SearchHit[]) => (results[0] ? { imageId: results[0].imageId, distance: results[0].distance, grade: results[0].grade } : null);

  /** A kept file; one that is gone (a data directory restored without it) is a 404 that says so, not a 500. */
  async function readKept(path: string): Promise<Buffer> {
    try {
      return await files.read(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('not_found', 'the photograph of this search is no longer stored');
      throw error;
    }
  }

  async function find(principal: Principal, id: string): Promise<SearchHistoryEntry> {
    const entry = await db.searchHistory.find(ownerOf(principal), id);
    if (!entry) throw notFound('search');
    return entry;
  }

  return {
    /**
     * Keeps an uploaded query (`bytes`: the photograph as searched before any crop, a DICOM file's image rather than
     * the file) and its outcome. The photograph is written once per content hash; its thumbnail at the first request for it.
     */
    async recordImage(principal: Principal, bytes: Uint8Array, region: SearchRegionValue | null, outcome: SearchOutcome): Promise<string> {
      const sha256 = contentHash(bytes);
      const format = sniffImageFormat(bytes)!;
      const original = files.queryPath(sha256, format);
      if (!(await exists(original))) await files.put(original, bytes);
      // The thumbnail is made when it is first asked for: decoding a camera frame again here would hold up the answer.
      return db.searchHistory.add({
        ...ownerOf(principal),
        kind: 'image',
        querySha256: sha256,
        queryFormat: format,
        region,
        k: outcome.k,
        filters: outcome.filters,
        modelVersionId: outcome.modelVersionId,
        results: outcome.results.length,
        top: top(outcome.results),
      });
    },

    /** Keeps a search with a stored case ("search with this case"). */
    recordCase(principal: Principal, imageId: string, outcome: SearchOutcome): Promise<string> {
      return db.searchHistory.add({
        ...ownerOf(principal),
        kind: 'case',
        queryImageId: imageId,
        k: outcome.k,
        filters: outcome.filters,
        modelVersionId: outcome.modelVersionId,
        results: outcome.results.length,
        top: top(outcome.results),
      });
    },

    async list(principal: Principal, page: { limit: number; offset: number }) {
      const { entries, total } = await db.searchHistory.list(ownerOf(principal), page);
      return { searches: entries.map(toDto), total, ...page };
    },

    /** The query photograph of one of the caller's image searches. */
    async queryImage(principal: Principal, id: string): Promise<{ bytes: Buffer; contentType: string }> {
      const entry = await find(principal, id);
      if (entry.kind !== 'image') throw withoutPhotograph();
      return {
        bytes: await readKept(files.queryPath(entry.querySha256!, entry.queryFormat!)),
        contentType: CONTENT_TYPES[entry.queryFormat!] ?? 'application/octet-stream',
      };
    },

    /** The thumbnail of one of the caller's image searches, made from the kept photograph at its first request. */
    async queryThumbnail(principal: Principal, id: string): Promise<Buffer> {
      const entry = await find(principal, id);
      if (entry.kind !== 'image') throw withoutPhotograph();
      const thumbnail = files.queryThumbnailPath(entry.querySha256!);
      if (await exists(thumbnail)) return readKept(thumbnail);
      // The cards of one query photo ask for its thumbnail at once: one decode serves them all.
      return madeThumbnails.get(entry.querySha256!, async () => {
        const made = await makeThumbnail(await readKept(files.queryPath(entry.querySha256!, entry.queryFormat!)));
        await files.put(thumbnail, made);
        return made;
      }).value;
    },
  };
}

function toDto(entry: SearchHistoryEntry): SearchHistoryDto {
  return {
    id: entry.id,
    kind: entry.kind,
    createdAt: entry.createdAt.toISOString(),
    k: entry.k,
    filters: entry.filters,
    region: entry.region,
    results: entry.results,
    top: entry.top ? { ...entry.top, thumbnailUrl: thumbnailUrl(entry.top.imageId) } : null,
    queryImageId: entry.queryImageId,
    queryThumbnailUrl: entry.kind === 'image' ? historyUrl(entry.id, 'thumbnail') : thumbnailUrl(entry.queryImageId!),
    queryUrl: entry.kind === 'image' ? historyUrl(entry.id, 'query') : null,
  };
}

export type SearchHistory = ReturnType<typeof searchHistoryFactory>;
