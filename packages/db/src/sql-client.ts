/** The one way the repositories talk to a database, whether embedded PGlite or a PostgreSQL server. */
export interface SqlClient {
  readonly kind: 'pglite' | 'postgres';
  /** One parameterised statement ($1, $2, ...); returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn inside BEGIN/COMMIT, rolling back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * Embedded PGlite only: a gzipped tar of its data directory, taken between two statements (crash-consistent:
   * what a committed transaction wrote is in it, an open one's work is rolled back when it is loaded).
   */
  dumpDataDir?(): Promise<Uint8Array>;
}
