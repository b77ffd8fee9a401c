import { DomainError, InvalidInputError, type ModelRegistry, type AuditTrail, type ModelActivation } from '@cbmir/core';
import { routes } from '@cbmir/contract';
import type { StoredModelVersion } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toModelVersionDto } from './dto.ts';
import { routeOptions } from './route-options.ts';

export const modelRoutes =
  (deps: { models: ModelRegistry; activation: ModelActivation; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    async function detail(version: StoredModelVersion) {
      const { versionId: _id, ...activation } = await deps.activation.progress(version);
      return { model: toModelVersionDto(version), metrics: version.metrics, activation };
    }

    app.route({
      ...routeOptions(routes.models, {
        tags: ['models'],
        summary: 'Model versions, newest first, with their indexing state',
      }),
      handler: async () => ({ models: await Promise.all((await deps.models.list()).map(detail)) }),
    });

    app.route({
      ...routeOptions(routes.model, {
        tags: ['models'],
        summary: 'One model version with its metrics and indexing progress',
      }),
      handler: async (request) => {
        return detail(await deps.models.get(request.params.id));
      },
    });

    app.route({
      ...routeOptions(routes.registerModel, {
        tags: ['models'],
        summary: 'Register a trained model directory that is on the server (as `cbmir models register` does)',
      }),
      handler: async (request, reply) => {
        const version = await deps.models
          .register(request.body.path, {
            name: request.body.name,
            audit: (tx, created) =>
              deps.audit.recordIn(
                tx,
                request,
                'model.register',
                { type: 'model_version', id: created.id },
                { name: created.name, architecture: created.architecture },
              ),
          })
          .catch((error: unknown) => {
            // The registry's reason names the path and quotes its files: fine for the CLI's user on the server,
            // but over HTTP it would tell a caller which server paths exist and what they hold. It goes to the log.
            if (error instanceof DomainError && error.code === 'invalid_model') {
              request.log.warn(`model registration refused: ${error.message}`);
              throw new InvalidInputError(
                'invalid_model',
                `${request.body.path} is not a saved cbmir model directory readable by the server (details in the server log)`,
              );
            }
            throw error;
          });
        return reply.code(201).send(await detail(version));
      },
    });

    app.route({
      ...routeOptions(routes.activateModel, {
        tags: ['models'],
        summary: 'Activate a version: re-embeds every image in the background; search switches when complete',
      }),
      handler: async (request, reply) => {
        const version = await deps.activation.request(request.params.id, (tx, requested) =>
          deps.audit.recordIn(tx, request, 'model.activate', { type: 'model_version', id: requested.id }, { name: requested.name }),
        );
        return reply.code(202).send(await detail(version));
      },
    });
  };
