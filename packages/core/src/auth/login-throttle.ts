/** Failed sign-ins kept where every API process sees them (the database's login_failures); see below. */
export interface SharedFailureLog {
  since(keys: string[], since: number): Promise<Map<string, number[]>>;
  add(keys: string[], at: number): Promise<void>;
  clear(key: string): Promise<void>;
}

/**
 * Failed-login throttling, in memory, and with `shared` (PostgreSQL) also in the database, so the limits hold
 * across API processes: each attempt first reads the failures every process recorded, and each failure is
 * written there before the attempt is answered. Without it, a restart forgets, which is acceptable for
 * slowing down password guessing on one embedded server.
 * - per username and address: after `maxFailures` failures within `windowMs`, further attempts wait;
 * - per address, whatever the username: after `maxAddressFailures` failures within `windowMs` (varying the
 *   username must not dodge the limit).
 *
 * An attempt holds its place before the slow password hash (`reserve`) and settles after it (`fail`,
 * `succeed`, `release`): attempts in flight count against the limits, so concurrent guesses cannot all pass
 * the check before any of them failed. When the in-flight attempts of a username fill its limit, the next
 * one waits for one of them to settle (a right password frees the way; failures fill the limit and the
 * waiting ones are refused), so concurrent sign-ins with the right password are not refused.
 */
export function loginThrottleFactory(
  options: { maxFailures?: number; maxAddressFailures?: number; windowMs?: number; now?: () => number; shared?: SharedFailureLog } = {},
) {
  const shared = options.shared;
  const maxFailures = options.maxFailures ?? 5;
  const maxAddressFailures = options.maxAddressFailures ?? 30;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const pending = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();

  const userKey = (username: string, ip: string) => `u\n${username}\n${ip}`;
  const addressKey = (ip: string) => `a\n${ip}`;
  const recent = (key: string) => (failures.get(key) ?? []).filter((t) => now() - t < windowMs);
  const inFlight = (key: string) => pending.get(key) ?? 0;

  function waitMs(key: string, max: number): number {
    const times = recent(key);
    if (times.length < max) return 0;
    return windowMs - (now() - times[times.length - max]!);
  }

  function addFailure(key: string) {
    failures.set(key, [...recent(key), now()]);
    if (failures.size > 10_000) for (const [k] of failures) if (recent(k).length === 0) failures.delete(k);
  }

  /** The failures other processes recorded (the shared log holds this process's too). */
  async function pull(keys: string[]) {
    if (!shared) return;
    for (const [key, times] of await shared.since(keys, now() - windowMs)) {
      if (times.length > 0) failures.set(key, times);
      else failures.delete(key);
    }
  }

  function settle(key: string) {
    const left = inFlight(key) - 1;
    if (left > 0) pending.set(key, left);
    else pending.delete(key);
    const waiting = waiters.get(key);
    waiters.delete(key);
    for (const wake of waiting ?? []) wake();
  }

  return {
    /** Milliseconds to wait before another attempt is allowed; 0 when allowed now. Counts nothing. */
    retryAfterMs(username: string, ip: string): number {
      return Math.max(waitMs(userKey(username, ip), maxFailures), waitMs(addressKey(ip), maxAddressFailures));
    },

    /**
     * Holds a place for an attempt before it is checked. Resolves to 0 when the attempt may go on (settle
     * it afterwards), else to the milliseconds to wait (nothing held).
     */
    async reserve(username: string, ip: string): Promise<number> {
      const user = userKey(username, ip);
      const address = addressKey(ip);
      for (;;) {
        await pull([user, address]);
        const wait = this.retryAfterMs(username, ip);
        if (wait > 0) return wait;
        // A flood from one address is refused at once, not queued.
        if (recent(address).length + inFlight(address) >= maxAddressFailures) return windowMs;
        if (recent(user).length + inFlight(user) < maxFailures) {
          pending.set(user, inFlight(user) + 1);
          pending.set(address, inFlight(address) + 1);
          return 0;
        }
        await new Promise<void>((resolve) => waiters.set(user, [...(waiters.get(user) ?? []), resolve]));
      }
    },

    /** The held attempt failed: it counts (recorded in the shared log before this resolves). */
    async fail(username: string, ip: string): Promise<void> {
      addFailure(userKey(username, ip));
      addFailure(addressKey(ip));
      try {
        await shared?.add([userKey(username, ip), addressKey(ip)], now());
      } finally {
        settle(userKey(username, ip));
        settle(addressKey(ip));
      }
    },

    /** The held attempt succeeded: the username's failures are forgotten. */
    async succeed(username: string, ip: string): Promise<void> {
      failures.delete(userKey(username, ip));
      try {
        await shared?.clear(userKey(username, ip));
      } finally {
        settle(userKey(username, ip));
        settle(addressKey(ip));
      }
    },

    /** The held attempt was never checked (the server was too busy): it does not count. */
    release(username: string, ip: string) {
      settle(userKey(username, ip));
      settle(addressKey(ip));
    },

    /** A failure outside a held attempt. */
    async recordFailure(username: string, ip: string): Promise<void> {
      addFailure(userKey(username, ip));
      addFailure(addressKey(ip));
      await shared?.add([userKey(username, ip), addressKey(ip)], now());
    },

    /** A success outside a held attempt. */
    async recordSuccess(username: string, ip: string): Promise<void> {
      failures.delete(userKey(username, ip));
      await shared?.clear(userKey(username, ip));
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottleFactory>;
