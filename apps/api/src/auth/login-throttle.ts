/**
 * Failed-login throttling, in memory (a restart forgets, which is acceptable for slowing down password
 * guessing on one server):
 * - per username and address: after `maxFailures` failures within `windowMs`, further attempts wait;
 * - per address, whatever the username: after `maxAddressFailures` failures within `windowMs` (varying the
 *   username must not dodge the limit).
 *
 * An attempt is counted as a failure when it starts (`reserve`), before the slow password hash, and given
 * back on success: `reserve` checks and counts in one synchronous step, so concurrent attempts cannot all
 * pass the check before any of them is counted.
 */
export function loginThrottleFactory(
  options: { maxFailures?: number; maxAddressFailures?: number; windowMs?: number; now?: () => number } = {},
) {
  const maxFailures = options.maxFailures ?? 5;
  const maxAddressFailures = options.maxAddressFailures ?? 30;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();

  const userKey = (username: string, ip: string) => `u\n${username}\n${ip}`;
  const addressKey = (ip: string) => `a\n${ip}`;
  const recent = (key: string) => (failures.get(key) ?? []).filter((t) => now() - t < windowMs);

  function waitMs(key: string, max: number): number {
    const times = recent(key);
    if (times.length < max) return 0;
    return windowMs - (now() - times[times.length - max]!);
  }

  function add(key: string) {
    failures.set(key, [...recent(key), now()]);
    if (failures.size > 10_000) for (const [k] of failures) if (recent(k).length === 0) failures.delete(k);
  }

  function removeOne(key: string) {
    const times = recent(key);
    times.pop();
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
  }

  return {
    /** Milliseconds to wait before another attempt is allowed; 0 when allowed now. Counts nothing. */
    retryAfterMs(username: string, ip: string): number {
      return Math.max(waitMs(userKey(username, ip), maxFailures), waitMs(addressKey(ip), maxAddressFailures));
    },
    /**
     * Counts an attempt as failed before it is checked. Returns 0 when the attempt may go on, else the
     * milliseconds to wait (and counts nothing).
     */
    reserve(username: string, ip: string): number {
      const wait = this.retryAfterMs(username, ip);
      if (wait > 0) return wait;
      add(userKey(username, ip));
      add(addressKey(ip));
      return 0;
    },
    /** A failure that was not reserved (tests, callers that check afterwards). */
    recordFailure(username: string, ip: string) {
      add(userKey(username, ip));
      add(addressKey(ip));
    },
    /** The reserved attempt was never checked (the server was too busy): it does not count. */
    release(username: string, ip: string) {
      removeOne(userKey(username, ip));
      removeOne(addressKey(ip));
    },
    /** A successful sign-in forgets the username's failures and gives the address its attempt back. */
    recordSuccess(username: string, ip: string) {
      failures.delete(userKey(username, ip));
      removeOne(addressKey(ip));
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottleFactory>;
