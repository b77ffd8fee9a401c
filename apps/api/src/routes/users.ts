import { CreateUserBody, IdParams, UpdateUserBody, User, UserList } from '@cbmir/contract';
import type { StoredUser } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail, AuthService } from '@cbmir/core';
import type { Database } from '@cbmir/db';
import { errorResponses } from './error-responses.ts';

const toUserDto = (user: StoredUser) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  disabled: user.disabled,
  createdAt: user.createdAt.toISOString(),
});

export const userRoutes =
  (deps: { db: Database; auth: AuthService; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/users',
      { config: { access: 'admin' }, schema: { tags: ['users'], summary: 'All users', response: { 200: UserList, ...errorResponses(401, 403) } } },
      async () => ({ users: (await deps.db.users.list()).map(toUserDto) }),
    );

    app.post(
      '/api/v1/users',
      {
        config: { access: 'admin' },
        schema: { tags: ['users'], summary: 'Create a user', body: CreateUserBody, response: { 201: User, ...errorResponses(400, 401, 403, 409) } },
      },
      async (request, reply) => {
        const user = await deps.auth.createUser(request.body, (tx, created) =>
          deps.audit.recordIn(tx, request, 'user.create', { type: 'user', id: created.id }, { username: created.username, role: created.role }),
        );
        return reply.code(201).send(toUserDto(user));
      },
    );

    app.patch(
      '/api/v1/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: "Reset a user's password, change the role, or disable the user (ends their sessions)",
          params: IdParams,
          body: UpdateUserBody,
          response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
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
    );
  };
