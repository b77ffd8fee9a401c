import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Who holds a lock: a pid alone is not enough, since pids are reused (a restarted container's server
 * often gets its crashed predecessor's pid, and PID 1 is always alive). */
interface LockOwner {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
  started: string | null;
  /** The kernel's boot id: a lock from before a reboot is stale whatever its pid. */
  boot: string | null;
}

/** The embedded database is open elsewhere: in a running server, or already in this process. */
export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

/** Directories this process holds (a second open in the same process is a bug, reported as such). */
const heldHere = new Set<string>();

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function startTime(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) return null;
  // Field 2 (the command name) may hold spaces and parentheses: count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

const bootId = () => readOrNull('/proc/sys/kernel/random/boot_id');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return Number.isInteger(owner.pid) ? { pid: owner.pid!, started: owner.started ?? null, boot: owner.boot ?? null } : null;
  } catch {
    return null;
  }
}

/** Is the process that wrote this lock still running? */
function ownerIsRunning(owner: LockOwner): boolean {
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return false;
  if (!isAlive(owner.pid)) return false;
  // Same pid, different start time: a new process that got the old one's pid.
  if (owner.started !== null) return startTime(owner.pid) === owner.started;
  // Written where there is no /proc: the pid is all there is to go on.
  return startTime(owner.pid) === null;
}

/**
 * PGlite is a single-process database: two processes opening the same directory corrupt it. The lock file
 * names its owner by pid, process start time and boot id; a lock whose owner is gone -- dead, rebooted, or
 * its pid now someone else's -- is taken over. A lock holding a bare pid (older versions) cannot be
 * verified and is taken over too. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'cbmir.lock');
  const key = resolve(dir);
  if (heldHere.has(key)) throw new DataDirInUseError(`the embedded database in ${dir} is already open in this process`);
  const me: LockOwner = { pid: process.pid, started: startTime(process.pid), boot: bootId() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      heldHere.add(key);
      return () => {
        heldHere.delete(key);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = parseOwner(readOrNull(path) ?? '');
      // Our own pid and start time but not held here: left by this very process (a release that never ran).
      const mine = owner?.pid === me.pid && owner.started === me.started && owner.boot === me.boot;
      if (owner && !mine && ownerIsRunning(owner)) {
        throw new DataDirInUseError(
          `the embedded database in ${dir} is in use by process ${owner.pid} (a running cbmir server?). ` +
            'Stop it first, or point both at a PostgreSQL server with DATABASE_URL.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock ${path}`);
}
