import type { ServerResponse } from 'node:http';
import { routes } from '@cbmir/contract';
import { FINISHED_JOB_STATUSES } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail, IngestJobService } from '@cbmir/core';
import { routeOptions } from './route-options.ts';

/** An event stream re-reads its job at least this often, to see progress made by other processes. */
const EVENT_POLL_MS = 2000;
const KEEPALIVE_MS = 15_000;

export const jobRoutes =
  (deps: { jobs: IngestJobService; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { jobs } = deps;
    const streams = new Set<ServerResponse>();
    // Open event streams would hold the server open: end them when it closes.
    app.addHook('preClose', async () => {
      for (const stream of streams) stream.end();
    });

    app.route({
      ...routeOptions(routes.jobs, {
        tags: ['ingest'],
        summary: 'Ingest jobs, newest first, paginated by `before`',
      }),
      handler: async (request) => {
        const limit = request.query.limit ?? 20;
        const list = await jobs.list({ status: request.query.status, before: request.query.before, limit });
        return { jobs: list.map(jobs.toDto), nextBefore: list.length === limit ? list[list.length - 1]!.id : null };
      },
    });

    app.route({
      ...routeOptions(routes.job, {
        tags: ['ingest'],
        summary: 'One job: status, counts (done, added, duplicate, failed, near-duplicates), total, rate and ETA',
      }),
      handler: async (request) => jobs.toDto(await jobs.get(request.params.id)),
    });

    app.route({
      ...routeOptions(routes.jobItems, {
        tags: ['ingest'],
        summary: "A job's files and what became of each, in archive order, paginated by `after`",
        description: 'status=failed lists every refused or skipped file with its reason; nearDuplicate=true the flagged near-duplicates.',
      }),
      handler: async (request) => {
        const limit = request.query.limit ?? 100;
        const items = await jobs.items(request.params.id, {
          status: request.query.status,
          nearDuplicate: request.query.nearDuplicate,
          after: request.query.after,
          limit,
        });
        return { items: items.map(jobs.toItemDto), nextAfter: items.length === limit ? items[items.length - 1]!.seq : null };
      },
    });

    app.route({
      ...routeOptions(routes.cancelJob, {
        tags: ['ingest'],
        summary: 'Cancel a queued or running job; images stored so far stay',
      }),
      handler: async (request) => {
        const job = await jobs.cancel(request.params.id, (tx, cancelled) =>
          deps.audit.recordIn(tx, request, 'job.cancel', { type: 'job', id: cancelled.id }, { done: cancelled.done, total: cancelled.total }),
        );
        return jobs.toDto(job);
      },
    });

    app.route({
      ...routeOptions(routes.jobEvents, {
        tags: ['ingest'],
        summary: "A live stream of the job's progress (server-sent events)",
      }),
      handler: async (request, reply) => {
        const id = request.params.id;
        await jobs.get(id); // 404 as JSON, before the stream starts
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        streams.add(raw);
        let last = '';
        let closed = false;
        let sending: Promise<void> | null = null;
        let again = false;

        const close = () => {
          if (closed) return;
          closed = true;
          unsubscribe();
          clearInterval(poll);
          clearInterval(keepalive);
          streams.delete(raw);
          if (!raw.writableEnded) raw.end();
        };
        const send = async () => {
          const job = jobs.toDto(await jobs.get(id));
          if (closed) return;
          const finished = FINISHED_JOB_STATUSES.includes(job.status);
          // rate and ETA drift with the clock: only counts and status make a new event.
          const key = JSON.stringify({ ...job, rate: null, etaSeconds: null });
          if (key !== last || finished) {
            last = key;
            raw.write(`event: ${finished ? 'end' : 'progress'}\ndata: ${JSON.stringify(job)}\n\n`);
          }
          if (finished) close();
        };
        // One read at a time; a change during a read triggers one more.
        const update = () => {
          if (closed) return;
          if (sending) {
            again = true;
            return;
          }
          sending = send()
            .catch(() => close())
            .finally(() => {
              sending = null;
              if (again) {
                again = false;
                update();
              }
            });
        };
        const unsubscribe = jobs.onChange(id, update);
        const poll = setInterval(update, EVENT_POLL_MS);
        const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
        request.raw.on('close', close);
        raw.on('close', close);
        update();
      },
    });
  };
