import { describe, expect, it } from 'vitest';
import { promiseLru } from './promise-lru.ts';

describe('promiseLru', () => {
  it('computes once per key and says when a value was held', async () => {
    const cache = promiseLru<number>(4);
    let calls = 0;
    const compute = async () => ++calls;
    const first = cache.get('a', compute);
    const second = cache.get('a', compute);
    expect([first.hit, second.hit]).toEqual([false, true]);
    expect([await first.value, await second.value]).toEqual([1, 1]);
    expect(calls).toBe(1);
  });

  it('evicts the least recently used key beyond its capacity', async () => {
    const cache = promiseLru<string>(2);
    cache.get('a', async () => 'a');
    cache.get('b', async () => 'b');
    cache.get('a', async () => 'a again'); // a is now the most recent
    cache.get('c', async () => 'c'); // b goes
    expect(cache.size).toBe(2);
    expect(cache.get('a', async () => 'x').hit).toBe(true);
    expect(cache.get('b', async () => 'b again').hit).toBe(false);
  });

  it('forgets a computation that failed', async () => {
    const cache = promiseLru<number>(2);
    const failed = cache.get('a', async () => {
      throw new Error('engine busy');
    });
    await expect(failed.value).rejects.toThrow('engine busy');
    const retried = cache.get('a', async () => 7);
    expect(retried.hit).toBe(false);
    expect(await retried.value).toBe(7);
  });

  it('refuses a capacity that holds nothing', () => {
    expect(() => promiseLru(0)).toThrow(/positive integer/);
  });
});
