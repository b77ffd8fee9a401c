import { ConflictError, type AuditTrail } from '@cbmir/core';
import { dumpEmbedded, type Database } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@cbmir/contract';
import { routeOptions } from './route-options.ts';

/**
 * The embedded database is single-process: while the server runs, `cbmir backup` gets its dump from here
 * (admin only, audited). With PostgreSQL the CLI runs pg_dump itself and this answers 409.
 */
export const backupRoutes =
  (deps: { db: Database; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.backupDatabase, {
        tags: ['health'],
        summary: 'A consistent dump of the embedded database (gzipped tar of its data directory), for `cbmir backup`',
      }),
      handler: async (request, reply) => {
        if (deps.db.sql.kind !== 'pglite') {
          throw new ConflictError('not_embedded', 'the server uses PostgreSQL: cbmir backup runs pg_dump against DATABASE_URL itself');
        }
        // Recorded first, so that the backup holds its own audit row.
        await deps.audit.record(request, 'backup.database');
        const dump = await dumpEmbedded(deps.db.sql);
        return reply.type('application/gzip').send(Buffer.from(dump.buffer, dump.byteOffset, dump.byteLength));
      },
    });
  };
