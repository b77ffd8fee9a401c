/**
 * Failed-login throttling: after `maxFailures` failures for one username from one address within
 * `windowMs`, further attempts are refused until the window passes. In memory: a restart forgets, which
 * is acceptable for slowing down password guessing on one server.
 */
export function loginThrottleFactory(options: { maxFailures?: number; windowMs?: number; now?: () => number } = {}) {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();

  const recent = (key: string) => (failures.get(key) ?? []).filter((t) => now() - t < windowMs);

  return {
    /** Milliseconds to wait before another attempt is allowed; 0 when allowed now. */
    retryAfterMs(username: string, ip: string): number {
      const times = recent(`${username}\n${ip}`);
      if (times.length < maxFailures) return 0;
      return windowMs - (now() - times[times.length - maxFailures]!);
    },
    recordFailure(username: string, ip: string) {
      const key = `${username}\n${ip}`;
      failures.set(key, [...recent(key), now()]);
      if (failures.size > 10_000) for (const [k] of failures) if (recent(k).length === 0) failures.delete(k);
    },
    recordSuccess(username: string, ip: string) {
      failures.delete(`${username}\n${ip}`);
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottleFactory>;
