import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './open-database.ts';
import { readPrismaTables } from './prisma-schema.ts';
import { openTestDatabase } from './testing.ts';

let db: Database;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('prisma/schema.prisma and the migrations', () => {
  it('declare the same tables and columns', async () => {
    const declared = readPrismaTables();
    expect(declared.map((t) => t.table)).toEqual(expect.arrayContaining(['images', 'model_versions', 'embeddings']));
    const rows = await db.sql.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`,
    );
    const migrated = new Map<string, string[]>();
    for (const row of rows) migrated.set(row.table_name, [...(migrated.get(row.table_name) ?? []), row.column_name]);
    for (const table of declared) {
      expect(migrated.get(table.table)?.sort(), `columns of ${table.table}`).toEqual([...table.columns].sort());
    }
    expect([...migrated.keys()].sort()).toEqual(declared.map((t) => t.table).sort());
  });
});
