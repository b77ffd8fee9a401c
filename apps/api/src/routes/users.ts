import { routes } from '@cbmir/contract';
import type { StoredUser } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail, AuthService } from '@cbmir/core';
import { routeOptions } from './route-options.ts';

const toUserDto = (user: StoredUser) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  disabled: user.disabled,
  createdAt: user.createdAt.toISOString(),
});

export const userRoutes =
  (deps: { auth: AuthService; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.users, { tags: ['users'], summary: 'All users' }),
      handler: async () => ({ users: (await deps.auth.listUsers()).map(toUserDto) }),
    });

    app.route({
      ...routeOptions(routes.createUser, { tags: ['users'], summary: 'Create a user' }),
      handler: async (request, reply) => {
        const user = await deps.auth.createUser(request.body, (tx, created) =>
          deps.audit.recordIn(tx, request, 'user.create', { type: 'user', id: created.id }, { username: created.username, role: created.role }),
        );
        return reply.code(201).send(toUserDto(user));
      },
    });

    app.route({
      ...routeOptions(routes.updateUser, { tags: ['users'], summary: "Reset a user's password, change the role, or disable the user (ends their sessions)" }),
      handler: async (request) => {
        const user = await deps.auth.updateUser(request.params.id, request.body, (tx, updated) =>
          deps.audit.recordIn(
            tx,
            request,
            'user.update',
            { type: 'user', id: updated.id },
            {
              passwordReset: request.body.password !== undefined,
              ...(request.body.role !== undefined ? { role: request.body.role } : {}),
              ...(request.body.disabled !== undefined ? { disabled: request.body.disabled } : {}),
            },
          ),
        );
        return toUserDto(user);
      },
    });
  };
