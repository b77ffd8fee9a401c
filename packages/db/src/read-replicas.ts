import type { SqlClient } from './sql-client.ts';

/**
 * Reads that may go to PostgreSQL streaming replicas (DATABASE_READ_URL), with the primary as the fallback
 * whenever no replica is fit: unreachable, failing, or behind by more than maxLagSeconds. A clinician's
 * search never fails because a replica does; the log says when reads move off a replica and back.
 *
 * Lag is measured in WAL, not by the replay timestamp (which grows on an idle primary although the replica
 * is current): every check samples the primary's WAL position, and a replica is fit when it has replayed
 * at least what the primary had written maxLagSeconds ago.
 */
export interface ReadReplicaOptions {
  /** The replicas' clients (pools that connect lazily, so a replica that is down does not stop a start). */
  replicas: { name: string; client: SqlClient }[];
  maxLagSeconds: number;
  /** How often the replicas' positions are checked (ms). */
  checkIntervalMs?: number;
  onWarning: (message: string) => void;
  onInfo?: (message: string) => void;
}

export interface ReplicaStatus {
  name: string;
  /** Taking reads now. */
  fit: boolean;
  /** Why not, when it is not. */
  reason: string | null;
  /** Bytes of WAL it had still to replay at the last check (null: unknown). */
  lagBytes: number | null;
  /** Statements and transactions it has served since this process opened it. */
  reads: number;
}

export interface ReadRouting {
  /** A client whose statements and transactions run on a fit replica, else on the primary. */
  client: SqlClient;
  /** Checks every replica now (the timer does it every checkIntervalMs). */
  check(): Promise<void>;
  status(): ReplicaStatus[];
  close(): Promise<void>;
}

interface Replica extends ReplicaStatus {
  client: SqlClient;
}

/** '16/B374D848' -> a number of bytes (a WAL position). */
export function parseLsn(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

const NOT_CHECKED = 'not checked yet';

export function routeReads(primary: SqlClient, options: ReadReplicaOptions): ReadRouting {
  const replicas: Replica[] = options.replicas.map((r) => ({ ...r, fit: false, reason: NOT_CHECKED, lagBytes: null, reads: 0 }));
  /** The primary's WAL position over the last maxLagSeconds and a little more, oldest first. */
  const samples: { at: number; lsn: bigint }[] = [];
  let next = 0;

  function mark(replica: Replica, fit: boolean, reason: string | null, lagBytes: number | null) {
    const first = replica.reason === NOT_CHECKED;
    if (!fit && (replica.fit || first)) options.onWarning(`read replica ${replica.name}: ${reason}; its reads go to the primary until it recovers`);
    if (fit && !replica.fit && !first) options.onInfo?.(`read replica ${replica.name} is back: it takes reads again`);
    Object.assign(replica, { fit, reason, lagBytes });
  }

  async function check(): Promise<void> {
    const now = Date.now();
    const [row] = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    samples.push({ at: now, lsn: parseLsn(row!.lsn) });
    // The newest sample at least maxLagSeconds old is the position a fit replica must have reached.
    const horizon = now - options.maxLagSeconds * 1000;
    while (samples.length > 1 && samples[1]!.at <= horizon) samples.shift();
    const required = samples[0]!.at <= horizon ? samples[0]!.lsn : null;
    const current = samples[samples.length - 1]!.lsn;
    await Promise.all(
      replicas.map(async (replica) => {
        try {
          const [state] = await replica.client.query<{ standby: boolean; replayed: string | null }>(
            'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
          );
          if (!state?.standby || state.replayed === null) {
            mark(replica, false, 'it is not a streaming replica (pg_is_in_recovery() is false)', null);
            return;
          }
          const replayed = parseLsn(state.replayed);
          const lagBytes = Number(current > replayed ? current - replayed : 0n);
          if (required !== null && replayed < required) {
            mark(replica, false, `it is more than ${options.maxLagSeconds} s behind the primary (${lagBytes} bytes of WAL to replay)`, lagBytes);
          } else {
            mark(replica, true, null, lagBytes);
          }
        } catch (error) {
          mark(replica, false, `unreachable (${(error as Error).message})`, null);
        }
      }),
    );
  }

  /** Round-robin over the fit replicas; a statement that fails there is run on the primary instead. */
  async function onReplica<T>(run: (client: SqlClient) => Promise<T>): Promise<T> {
    const fit = replicas.filter((r) => r.fit);
    if (fit.length === 0) return run(primary);
    const replica = fit[next++ % fit.length]!;
    try {
      const result = await run(replica.client);
      replica.reads++;
      return result;
    } catch (error) {
      mark(replica, false, `a read failed there (${(error as Error).message})`, replica.lagBytes);
      return run(primary);
    }
  }

  const timer = setInterval(
    () => void check().catch((error: Error) => options.onWarning(`read replica check failed: ${error.message}`)),
    options.checkIntervalMs ?? 1000,
  );
  timer.unref();

  return {
    client: {
      kind: primary.kind,
      query: (sql, params) => onReplica((client) => client.query(sql, params)),
      exec: (sql) => onReplica((client) => client.exec(sql)),
      transaction: (fn) => onReplica((client) => client.transaction(fn)),
      // The replicas belong to the routing; the primary to its opener.
      close: async () => {},
    },
    check,
    status: () => replicas.map(({ name, fit, reason, lagBytes, reads }) => ({ name, fit, reason, lagBytes, reads })),
    async close() {
      clearInterval(timer);
      await Promise.all(replicas.map((r) => r.client.close().catch(() => undefined)));
    },
  };
}
