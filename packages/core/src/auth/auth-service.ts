import { ConflictError, InvalidInputError, NotFoundError, RateLimitedError } from '../errors/domain-error.ts';
import type { Database, Role, Repositories, StoredApiKey, StoredUser } from '@cbmir/db';
import type { HashingQueue } from './hashing-queue.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import type { Principal } from './principal.ts';
import { newSecretToken, secretDigest } from './secret-token.ts';

export const API_KEY_PREFIX = 'cbmir_';
const MIN_PASSWORD_LENGTH = 10;

function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError('weak_password', `passwords need at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** Writes the audit row of a change inside the change's own transaction: both commit or neither does. */
export type AuditInTransaction<T> = (tx: Repositories, result: T) => Promise<void>;

// A constant hash to verify against when the username is unknown, so timing does not reveal which names exist.
const dummyHash = hashPassword(newSecretToken());

/** Users, sessions and API keys: who may sign in and what a request's credentials prove. */
export function authServiceFactory(deps: { db: Database; throttle: LoginThrottle; hashing: HashingQueue; sessionHours: number }) {
  const { db, throttle, hashing } = deps;
  const hash = (password: string) => hashing.run(() => hashPassword(password));

  return {
    /**
     * A session for the right password; null (a failed attempt, already counted) otherwise. The attempt
     * is counted before the hash, so concurrent guesses cannot all pass the check (429 beyond the limit);
     * hashes queue (503 when the queue is full), so a flood cannot take the thread pool from file reads.
     * `userId` of a failed attempt names the user when the username exists (for the audit trail).
     */
    async login(
      username: string,
      password: string,
      ip: string,
      audit?: AuditInTransaction<StoredUser>,
    ): Promise<{ ok: true; token: string; csrfToken: string; expiresAt: Date; user: StoredUser } | { ok: false; userId: string | null }> {
      const wait = await throttle.reserve(username, ip);
      if (wait > 0) {
        throw new RateLimitedError('too_many_attempts', `too many failed sign-ins; try again in ${Math.ceil(wait / 60_000)} minute(s)`, {
          retryAfterSeconds: Math.ceil(wait / 1000),
        });
      }
      let user: StoredUser | null;
      let ok: boolean;
      try {
        user = await db.users.findByUsername(username);
        const stored = user?.passwordHash ?? (await dummyHash);
        ok = (await hashing.run(() => verifyPassword(password, stored))) && user !== null;
      } catch (error) {
        throttle.release(username, ip); // never checked: does not count
        throw error;
      }
      if (!user || !ok || user.disabled) {
        await throttle.fail(username, ip);
        return { ok: false, userId: user?.id ?? null };
      }
      await throttle.succeed(username, ip);
      const token = newSecretToken();
      const csrfToken = newSecretToken();
      const expiresAt = new Date(Date.now() + deps.sessionHours * 3600_000);
      await db.transaction(async (tx) => {
        await tx.sessions.create({ id: secretDigest(token), userId: user.id, csrfToken, expiresAt });
        await audit?.(tx, user);
      });
      await db.sessions.deleteExpired();
      return { ok: true, token, csrfToken, expiresAt, user };
    },

    async logout(principal: Principal) {
      if (principal.kind === 'user') await db.sessions.delete(principal.sessionId);
    },

    async authenticateSession(token: string): Promise<Principal | null> {
      const session = await db.sessions.findValid(secretDigest(token));
      return session
        ? {
            kind: 'user',
            id: session.userId,
            name: session.username,
            role: session.role,
            sessionId: session.sessionId,
            csrfToken: session.csrfToken,
            expiresAt: session.expiresAt,
          }
        : null;
    },

    async authenticateApiKey(secret: string): Promise<Principal | null> {
      const key = await db.apiKeys.findUsable(secretDigest(secret));
      return key ? { kind: 'api_key', id: key.id, name: key.name, role: key.effectiveRole } : null;
    },

    /** On first start (no user at all) create `admin`; returns the password when it was generated here. */
    async ensureFirstAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword: string | null }> {
      if ((await db.users.count()) > 0) return { created: false, generatedPassword: null };
      const chosen = password ?? newSecretToken(15);
      checkPassword(chosen);
      const created = await db.users.create({ username: 'admin', passwordHash: await hash(chosen), role: 'admin' });
      return { created: created !== null, generatedPassword: created && !password ? chosen : null };
    },

    /** Every user, by username. */
    listUsers(): Promise<StoredUser[]> {
      return db.users.list();
    },

    /** Every API key, newest first, revoked and expired ones included (their secrets are never stored). */
    listApiKeys(): Promise<StoredApiKey[]> {
      return db.apiKeys.list();
    },

    async createUser(input: { username: string; password: string; role: Role }, audit?: AuditInTransaction<StoredUser>): Promise<StoredUser> {
      checkPassword(input.password);
      const passwordHash = await hash(input.password);
      return db.transaction(async (tx) => {
        const user = await tx.users.create({ username: input.username, passwordHash, role: input.role });
        if (!user) throw new ConflictError('username_taken', `a user named "${input.username}" exists already`);
        await audit?.(tx, user);
        return user;
      });
    },

    /** Changes a user; a new password, a role change or disabling ends the user's sessions. */
    async updateUser(
      id: string,
      changes: { password?: string | undefined; role?: Role | undefined; disabled?: boolean | undefined },
      audit?: AuditInTransaction<StoredUser>,
    ): Promise<StoredUser> {
      if (changes.password !== undefined) checkPassword(changes.password);
      const passwordHash = changes.password !== undefined ? await hash(changes.password) : undefined;
      return db.transaction(async (tx) => {
        const result = await tx.users.update(id, {
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          ...(changes.role !== undefined ? { role: changes.role } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
        });
        if (result.status === 'not-found') throw new NotFoundError('not_found', 'user not found');
        if (result.status === 'last-admin') {
          throw new ConflictError('last_admin', 'this is the only enabled admin: make another user admin before demoting or disabling this one');
        }
        await tx.sessions.deleteForUser(id);
        await audit?.(tx, result.user);
        return result.user;
      });
    },

    /** A new key; the secret is returned once and only its digest is kept. */
    async createApiKey(
      input: { name: string; role: Role; expiresAt: Date | null; createdBy: string | null },
      audit?: AuditInTransaction<StoredApiKey>,
    ): Promise<{ key: StoredApiKey; secret: string }> {
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
        throw new InvalidInputError('invalid_expiry', 'expiresAt must be in the future');
      }
      const secret = `${API_KEY_PREFIX}${newSecretToken()}`;
      const key = await db.transaction(async (tx) => {
        const created = await tx.apiKeys.create({ ...input, prefix: secret.slice(0, 12), keyHash: secretDigest(secret) });
        await audit?.(tx, created);
        return created;
      });
      return { key, secret };
    },

    async revokeApiKey(id: string, audit?: AuditInTransaction<StoredApiKey>): Promise<StoredApiKey> {
      return db.transaction(async (tx) => {
        const key = await tx.apiKeys.revoke(id);
        if (!key) throw new NotFoundError('not_found', 'API key not found');
        await audit?.(tx, key);
        return key;
      });
    },
  };
}

export type AuthService = ReturnType<typeof authServiceFactory>;
