import type { ServerResponse } from 'node:http';
import { IdParams, Job, JobItemPage, JobItemsQuery, JobList, JobListQuery } from '@cbmir/contract';
import { FINISHED_JOB_STATUSES } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditTrail, IngestJobService } from '@cbmir/core';
import { errorResponses } from './error-responses.ts';

/** An event stream re-reads its job at least this often, to see progress made by other processes. */
const EVENT_POLL_MS = 2000;
const KEEPALIVE_MS = 15_000;

const EventStream = Type.String({
  description:
    'text/event-stream. `event: progress` with a Job as data, at once and on every change; `event: end` with the final Job ' +
    'when it completes, fails or is cancelled, then the stream closes. Comment lines keep the connection alive.',
});

export const jobRoutes =
  (deps: { jobs: IngestJobService; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { jobs } = deps;
    const streams = new Set<ServerResponse>();
    // Open event streams would hold the server open: end them when it closes.
    app.addHook('preClose', async () => {
      for (const stream of streams) stream.end();
    });

    app.get(
      '/api/v1/jobs',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['ingest'],
          summary: 'Ingest jobs, newest first, paginated by `before`',
          querystring: JobListQuery,
          response: { 200: JobList, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 20;
        const list = await jobs.list({ status: request.query.status, before: request.query.before, limit });
        return { jobs: list.map(jobs.toDto), nextBefore: list.length === limit ? list[list.length - 1]!.id : null };
      },
    );

    app.get(
      '/api/v1/jobs/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['ingest'],
          summary: 'One job: status, counts (done, added, duplicate, failed, near-duplicates), total, rate and ETA',
          params: IdParams,
          response: { 200: Job, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => jobs.toDto(await jobs.get(request.params.id)),
    );

    app.get(
      '/api/v1/jobs/:id/items',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['ingest'],
          summary: "A job's files and what became of each, in archive order, paginated by `after`",
          description: 'status=failed lists every refused or skipped file with its reason; nearDuplicate=true the flagged near-duplicates.',
          params: IdParams,
          querystring: JobItemsQuery,
          response: { 200: JobItemPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 100;
        const items = await jobs.items(request.params.id, {
          status: request.query.status,
          nearDuplicate: request.query.nearDuplicate,
          after: request.query.after,
          limit,
        });
        return { items: items.map(jobs.toItemDto), nextAfter: items.length === limit ? items[items.length - 1]!.seq : null };
      },
    );

    app.post(
      '/api/v1/jobs/:id/cancel',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['ingest'],
          summary: 'Cancel a queued or running job; images stored so far stay',
          params: IdParams,
          response: { 200: Job, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const job = await jobs.cancel(request.params.id, (tx, cancelled) =>
          deps.audit.recordIn(tx, request, 'job.cancel', { type: 'job', id: cancelled.id }, { done: cancelled.done, total: cancelled.total }),
        );
        return jobs.toDto(job);
      },
    );

    app.get(
      '/api/v1/jobs/:id/events',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['ingest'],
          summary: "A live stream of the job's progress (server-sent events)",
          params: IdParams,
          produces: ['text/event-stream'],
          response: { 200: EventStream, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
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
    );
  };
