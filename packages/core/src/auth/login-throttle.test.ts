import { describe, expect, it } from 'vitest';
import { loginThrottleFactory } from './login-throttle.ts';

describe('login throttle', () => {
  it('blocks a username+address after repeated failures until the window passes', () => {
    let clock = 0;
    const throttle = loginThrottleFactory({ maxFailures: 3, windowMs: 1000, now: () => clock });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('ann', '1.2.3.4')).toBe(0);
      throttle.recordFailure('ann', '1.2.3.4');
      clock += 100;
    }
    expect(throttle.retryAfterMs('ann', '1.2.3.4')).toBe(700);
    expect(throttle.retryAfterMs('ann', '5.6.7.8')).toBe(0);
    expect(throttle.retryAfterMs('bob', '1.2.3.4')).toBe(0);
    clock += 700;
    expect(throttle.retryAfterMs('ann', '1.2.3.4')).toBe(0);
  });

  it('forgets failures after a success', () => {
    const throttle = loginThrottleFactory({ maxFailures: 2 });
    throttle.recordFailure('ann', 'ip');
    throttle.recordFailure('ann', 'ip');
    expect(throttle.retryAfterMs('ann', 'ip')).toBeGreaterThan(0);
    throttle.recordSuccess('ann', 'ip');
    expect(throttle.retryAfterMs('ann', 'ip')).toBe(0);
  });
});

describe('login throttle reservations', () => {
  it('holds a place for each attempt before it is checked: a burst of wrong passwords gets only maxFailures checks', async () => {
    const throttle = loginThrottleFactory({ maxFailures: 3 });
    const outcomes = Array.from({ length: 10 }, () => throttle.reserve('ann', 'ip'));
    await Promise.resolve();
    // Three are checked now; the others wait for them. All three fail: the rest are refused.
    for (let i = 0; i < 3; i++) throttle.fail('ann', 'ip');
    const waits = await Promise.all(outcomes);
    expect(waits.filter((wait) => wait === 0)).toHaveLength(3);
    expect(waits.filter((wait) => wait > 0)).toHaveLength(7);
  });

  it('a right password in flight frees the way for the attempts waiting behind it', async () => {
    const throttle = loginThrottleFactory({ maxFailures: 2 });
    expect(await throttle.reserve('ann', 'ip')).toBe(0);
    expect(await throttle.reserve('ann', 'ip')).toBe(0);
    let third: number | null = null;
    const waiting = throttle.reserve('ann', 'ip').then((wait) => (third = wait));
    await Promise.resolve();
    expect(third).toBeNull();
    throttle.succeed('ann', 'ip');
    await waiting;
    expect(third).toBe(0);
  });

  it('limits an address across usernames, at once rather than queued', async () => {
    const throttle = loginThrottleFactory({ maxFailures: 3, maxAddressFailures: 4 });
    const admitted = [];
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) admitted.push((await throttle.reserve(name, '1.2.3.4')) === 0);
    expect(admitted).toEqual([true, true, true, true, false, false]);
    expect(await throttle.reserve('a', '5.6.7.8')).toBe(0);
    throttle.succeed('d', '1.2.3.4');
    expect(await throttle.reserve('e', '1.2.3.4')).toBe(0);
    throttle.release('e', '1.2.3.4');
  });
});
