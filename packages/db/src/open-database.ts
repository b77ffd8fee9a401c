import { join } from 'node:path';
import { apiKeyRepositoryFactory } from './api-key-repository.ts';
import { auditRepositoryFactory } from './audit-repository.ts';
import { embeddingRepositoryFactory } from './embedding-repository.ts';
import { evaluationRepositoryFactory } from './evaluation-repository.ts';
import { imageRepositoryFactory } from './image-repository.ts';
import { jobRepositoryFactory } from './job-repository.ts';
import { migrate } from './migrate.ts';
import { modelVersionRepositoryFactory } from './model-version-repository.ts';
import { openPglite } from './pglite-client.ts';
import { openPostgres } from './postgres-client.ts';
import { routeReads, type ReadRouting, type ReplicaStatus } from './read-replicas.ts';
import { loginFailureRepositoryFactory } from './login-failure-repository.ts';
import { rateLimitRepositoryFactory } from './rate-limit-repository.ts';
import { searchHistoryRepositoryFactory } from './search-history-repository.ts';
import { sessionRepositoryFactory } from './session-repository.ts';
import type { SqlClient } from './sql-client.ts';
import { userRepositoryFactory } from './user-repository.ts';

export interface DatabaseOptions {
  /** postgres://... for a PostgreSQL server; unset for embedded PGlite. */
  databaseUrl?: string | undefined;
  /** Where embedded PGlite keeps its files (dataDir/db); null keeps it in memory. */
  dataDir: string | null;
  /** Told when a PostgreSQL connection drops (the pool replaces it); default: a warning on the console. */
  onConnectionError?: (error: Error) => void;
  /** postgres://... streaming replicas of databaseUrl that take `reads` (see read-replicas.ts). */
  readUrls?: string[] | undefined;
  /** A replica further behind than this takes no reads (default 5 s). */
  maxReadLagSeconds?: number | undefined;
  /** Where replica warnings go (a replica down or lagging, and back); default: the console. */
  onReadReplicaWarning?: (message: string) => void;
}

/** The repositories over one SQL client: the database's own, or one transaction's. */
export interface Repositories {
  images: ReturnType<typeof imageRepositoryFactory>;
  modelVersions: ReturnType<typeof modelVersionRepositoryFactory>;
  embeddings: ReturnType<typeof embeddingRepositoryFactory>;
  users: ReturnType<typeof userRepositoryFactory>;
  sessions: ReturnType<typeof sessionRepositoryFactory>;
  apiKeys: ReturnType<typeof apiKeyRepositoryFactory>;
  audit: ReturnType<typeof auditRepositoryFactory>;
  evaluations: ReturnType<typeof evaluationRepositoryFactory>;
  jobs: ReturnType<typeof jobRepositoryFactory>;
  searchHistory: ReturnType<typeof searchHistoryRepositoryFactory>;
  rateLimits: ReturnType<typeof rateLimitRepositoryFactory>;
  loginFailures: ReturnType<typeof loginFailureRepositoryFactory>;
}

export interface Database extends Repositories {
  /** The SQL client itself: for the database's own tools (backup of the embedded database, benches), never for services. */
  sql: SqlClient;
  /**
   * A unit of work: `fn` gets the repositories bound to one transaction, committed when it returns and
   * rolled back when it throws (e.g. a change and its audit row, together or not at all).
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * The same repositories over the read replicas (DATABASE_READ_URL), for reads that may be a moment behind
   * the primary: k-NN search, lists. Without replicas, or while none is fit, they read the primary. A read
   * that must see a just-written row uses the primary repositories, or falls back to them when a replica
   * has not got it yet.
   */
  reads: Repositories & { sql: SqlClient };
  /** The replicas and whether each takes reads now (empty without DATABASE_READ_URL). */
  readReplicas(): ReplicaStatus[];
  /** Migrations applied by this open (empty when the schema was already current). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export function repositories(sql: SqlClient): Repositories {
  return {
    images: imageRepositoryFactory(sql),
    modelVersions: modelVersionRepositoryFactory(sql),
    embeddings: embeddingRepositoryFactory(sql),
    users: userRepositoryFactory(sql),
    sessions: sessionRepositoryFactory(sql),
    apiKeys: apiKeyRepositoryFactory(sql),
    audit: auditRepositoryFactory(sql),
    evaluations: evaluationRepositoryFactory(sql),
    jobs: jobRepositoryFactory(sql),
    searchHistory: searchHistoryRepositoryFactory(sql),
    rateLimits: rateLimitRepositoryFactory(sql),
    loginFailures: loginFailureRepositoryFactory(sql),
  };
}

/** Opens the configured database, applies pending migrations and builds the repositories. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ((options.readUrls?.length ?? 0) > 0 && !options.databaseUrl) {
    throw new Error('DATABASE_READ_URL needs DATABASE_URL: read replicas are PostgreSQL streaming replicas of it');
  }
  const sql = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.onConnectionError ? { onConnectionError: options.onConnectionError } : {})
    : await openPglite(options.dataDir === null ? null : join(options.dataDir, 'db'));
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrate(sql);
  } catch (error) {
    await sql.close();
    throw error;
  }
  const primary = repositories(sql);
  const routing = await openReadRouting(sql, options);
  return {
    ...primary,
    sql,
    reads: routing ? { ...repositories(routing.client), sql: routing.client } : { ...primary, sql },
    readReplicas: () => routing?.status() ?? [],
    transaction: (fn) => sql.transaction((tx) => fn(repositories(tx))),
    appliedMigrations,
    async close() {
      await routing?.close();
      await sql.close();
    },
  };
}

async function openReadRouting(primary: SqlClient, options: DatabaseOptions): Promise<ReadRouting | null> {
  const urls = options.readUrls ?? [];
  if (urls.length === 0) return null;
  const warn = options.onReadReplicaWarning ?? ((message: string) => console.warn(message));
  const replicas = await Promise.all(
    urls.map(async (url) => ({
      name: new URL(url).host,
      client: await openPostgres(url, {
        lazy: true,
        connectionTimeoutMillis: 2000,
        onConnectionError: (error) => warn(`read replica connection lost: ${error.message}`),
      }),
    })),
  );
  const routing = routeReads(primary, { replicas, maxLagSeconds: options.maxReadLagSeconds ?? 5, onWarning: warn, onInfo: warn });
  await routing.check(); // reads start on the replicas that are fit now, not a second later
  return routing;
}
