import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cbmir-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const startTime = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'cbmir.lock'), 'utf8')) as { pid: number };

describe('lockDataDir', () => {
  it('refuses a second holder until the first releases', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(/already open in this process/);
    release();
    lockDataDir(dir)();
  });

  it('names the live process that holds the lock', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'cbmir.lock'), JSON.stringify({ pid: process.ppid, started: startTime(process.ppid), boot: bootId() }));
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('takes over a stale lock whose owner is gone', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'cbmir.lock'), '2147483646');
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow();
    release();
  });

  // A server restarted in a container often gets its crashed predecessor's pid; PID 1 is always alive.
  it.each([
    ['a bare pid of this very process', () => String(process.pid)],
    ['a bare pid 1', () => '1'],
    ['this pid with another start time', () => JSON.stringify({ pid: process.pid, started: '1', boot: bootId() })],
    ['pid 1 with another start time', () => JSON.stringify({ pid: 1, started: String(Number(startTime(1)) + 1), boot: bootId() })],
    ["a live process's pid from before the last reboot", () => JSON.stringify({ pid: process.ppid, started: startTime(process.ppid), boot: 'another-boot' })],
  ])('takes over a lock whose pid is alive but is not its owner: %s', (_, content) => {
    const dir = freshDir();
    writeFileSync(join(dir, 'cbmir.lock'), content());
    const release = lockDataDir(dir);
    expect(lockOf(dir).pid).toBe(process.pid);
    release();
  });
});
