import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { type RouteEntry, type RouteName, routes } from './routes.ts';

const entries = Object.entries(routes) as [RouteName, RouteEntry][];

describe('route table', () => {
  it('names each path parameter in its params schema, and nothing else', () => {
    for (const [name, route] of entries) {
      const inPath = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]).sort();
      const inSchema = route.params && Type.IsObject(route.params) ? Object.keys(route.params.properties).sort() : [];
      expect(inSchema, name).toEqual(inPath);
    }
  });

  it('lists each method and path once', () => {
    const keys = entries.map(([, route]) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives no GET route a body or a form', () => {
    for (const [name, route] of entries) {
      if (route.method === 'GET') expect(route.body === undefined && route.consumes === undefined, name).toBe(true);
    }
  });
});
