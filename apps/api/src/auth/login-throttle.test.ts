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
  it('counts an attempt before it is checked, so a burst cannot all pass the check', () => {
    const throttle = loginThrottleFactory({ maxFailures: 3 });
    const admitted = Array.from({ length: 10 }, () => throttle.reserve('ann', 'ip')).filter((wait) => wait === 0);
    expect(admitted).toHaveLength(3);
    throttle.release('ann', 'ip');
    expect(throttle.reserve('ann', 'ip')).toBe(0);
    expect(throttle.reserve('ann', 'ip')).toBeGreaterThan(0);
  });

  it('limits an address across usernames', () => {
    const throttle = loginThrottleFactory({ maxFailures: 3, maxAddressFailures: 4 });
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => throttle.reserve(name, '1.2.3.4') === 0)).toEqual([true, true, true, true, false, false]);
    expect(throttle.reserve('a', '5.6.7.8')).toBe(0);
    throttle.recordSuccess('d', '1.2.3.4');
    expect(throttle.reserve('e', '1.2.3.4')).toBe(0);
  });
});
