import { type RouteName, routes } from '@cbmir/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServer, type TestServer } from './test-server.ts';

// The contract's route table is the API: the server registers exactly its routes, with its roles and statuses.
let server: TestServer;

beforeAll(async () => {
  server = await openTestServer({ CBMIR_DEMO_IMAGES: '0', CBMIR_DEMO_TRAIN_SECONDS: '0' });
});

afterAll(async () => {
  await server?.close();
});

interface Operation {
  'x-cbmir-role': string;
  responses: Record<string, unknown>;
}

/** Every operation of the server's OpenAPI document, by "METHOD /path/:param" (Fastify's form, as in the table). */
async function documentedOperations(): Promise<Map<string, Operation>> {
  const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as { paths: Record<string, Record<string, Operation>> };
  return new Map(
    Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => [`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, operation] as const),
    ),
  );
}

describe(`route table (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('the server registers every route of the contract’s table and no other', async () => {
    const registered = [...(await documentedOperations()).keys()].sort();
    const table = Object.values(routes)
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    expect(registered).toEqual(table);
  });

  it('each route answers with the role, success status and error statuses of its table entry', async () => {
    const operations = await documentedOperations();
    for (const name of Object.keys(routes) as RouteName[]) {
      const route = routes[name];
      const operation = operations.get(`${route.method} ${route.path}`);
      expect(operation?.['x-cbmir-role'], name).toBe(route.access);
      const statuses = Object.keys(operation?.responses ?? {}).sort();
      const declared =
        'response' in route
          ? ['status' in route ? route.status : 200, ...Object.keys('otherResponses' in route ? route.otherResponses : {}), ...route.errors]
          : [200];
      expect(statuses, name).toEqual(declared.map(String).sort());
    }
  });
});
