import { InvalidInputError, type ArchiveLimits, type AuditTrail, type JobWorker, type IngestJobService } from '@cbmir/core';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { routes } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { receiveArchiveUpload } from '../archives/archive-upload.ts';
import { routeOptions } from './route-options.ts';

const MB = 1024 * 1024;

export const archiveRoutes =
  (deps: { jobs: IngestJobService; jobWorker: JobWorker; audit: AuditTrail; archiveLimits: ArchiveLimits }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limits = deps.archiveLimits;
    app.route({
      ...routeOptions(routes.uploadArchive, {
        tags: ['ingest'],
        summary: 'Upload an archive of fundus images (.zip, .tar, .tar.gz) to be ingested in the background',
        description: [
          'multipart/form-data with the fields:',
          '- `archive` (required): the archive file. It is streamed to disk, never held in memory; its format is told by its bytes, not its name.',
          '- `labels` (optional): a label file, as a file or a text field. Without it, a label file inside the archive is used.',
          '  Recognised by their header: Kaggle EyePACS `image,level` (trainLabels.csv), APTOS `id_code,diagnosis` (train.csv),',
          '  cbmir `file,grade[,patient_id,eye]`. Names are matched without folder and extension; images without a label are stored with grade unknown.',
          '- `source` (optional): stored as each image’s source (default: the archive name).',
          '',
          'Returns 202 with the queued job; follow it with GET /api/v1/jobs/{id} or the event stream /api/v1/jobs/{id}/events.',
          'Refused up front (4xx, nothing stored): not an archive (415), larger than the upload limit or expanding beyond the total',
          'limit or with too many entries (413), truncated/corrupt or a gzip bomb (422), an archive with no files (422), bad labels (400).',
          'Inside an accepted archive, each bad entry is skipped and reported with its reason (GET /api/v1/jobs/{id}/items?status=failed):',
          'unsafe names (`../`, absolute paths), links, nested archives, files that are not images, entries over the per-entry size or',
          'compression-ratio limit, undecodable images. Entry names are never used as paths: images are stored by content hash.',
          `Limits now: upload ${Math.round(limits.maxUploadBytes / MB)} MB, ${limits.maxEntries} entries, ${Math.round(limits.maxTotalBytes / MB)} MB expanded,`,
          `${Math.round(limits.maxEntryBytes / MB)} MB per entry, compression ratio ${limits.maxCompressionRatio}:1.`,
        ].join('\n'),
      }),
      // The body schema documents the form in OpenAPI; the parts are checked one by one as they stream in.
      validatorCompiler: () => () => true,
      handler: async (request, reply) => {
        const id = randomUUID();
        const path = await deps.jobs.uploadPath(id);
        try {
          const upload = await receiveArchiveUpload(request, { path, maxBytes: limits.maxUploadBytes });
          if (!upload.archive) throw new InvalidInputError('missing_archive', 'no file in the form field "archive"');
          const principal = request.principal;
          const job = await deps.jobs.create({
            id,
            inputPath: path,
            owned: true,
            fileName: upload.archive.fileName,
            source: upload.source,
            labels: upload.labels,
            createdBy: principal ? { id: principal.id, name: principal.name } : null,
            audit: (tx, created) => {
              // The job's stored parameters as core reads them (its REST form), not cast from the JSON column here.
              const job = deps.jobs.toDto(created);
              return deps.audit.recordIn(
                tx,
                request,
                'archive.upload',
                { type: 'job', id: created.id },
                {
                  format: job.format,
                  bytes: upload.archive!.bytes,
                  sha256: upload.archive!.sha256,
                  files: created.total,
                  labelLayout: job.labels?.layout ?? null,
                },
              );
            },
          });
          deps.jobWorker.wake();
          return reply.code(202).send(deps.jobs.toDto(job));
        } catch (error) {
          await rm(path, { force: true });
          throw error;
        }
      },
    });
  };
