/**
 * A bounded memo of asynchronous results, least recently used evicted first. The promise itself is kept, so
 * concurrent requests for one key share one computation; a computation that fails is forgotten, so the next
 * request tries again.
 */
export function promiseLru<T>(capacity: number) {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const entries = new Map<string, Promise<T>>();
  return {
    /** The value for `key`, computed by `compute` unless held; `hit` says whether it was held. */
    get(key: string, compute: () => Promise<T>): { value: Promise<T>; hit: boolean } {
      const held = entries.get(key);
      if (held) {
        entries.delete(key);
        entries.set(key, held);
        return { value: held, hit: true };
      }
      const value = compute();
      entries.set(key, value);
      value.catch(() => {
        if (entries.get(key) === value) entries.delete(key);
      });
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
      return { value, hit: false };
    },
    get size() {
      return entries.size;
    },
  };
}
