import type { RateLimitRepository } from '@cbmir/db';
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

/**
 * @fastify/rate-limit's counters in the database instead of process memory: with several API processes on
 * one PostgreSQL (CBMIR_ROLE=api), a caller's requests count against one limit, whichever process takes them.
 * Each route with a limit gets its own counters (the plugin asks for a child store per route).
 */
export function databaseRateLimitStore(limits: RateLimitRepository): FastifyRateLimitStoreCtor {
  return class DatabaseRateLimitStore implements FastifyRateLimitStore {
    private readonly route: string;

    constructor(_options: FastifyRateLimitOptions, route = '') {
      this.route = route;
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      limits.hit(`${this.route} ${key}`, timeWindow).then(
        ({ hits, msLeft }) => callback(null, { current: hits, ttl: msLeft }),
        (error: Error) => callback(error),
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new DatabaseRateLimitStore(routeOptions as FastifyRateLimitOptions, `${routeOptions.method} ${routeOptions.path}`);
    }
  };
}
