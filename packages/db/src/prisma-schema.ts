import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PRISMA_SCHEMA_PATH = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

export interface PrismaTable {
  model: string;
  table: string;
  columns: string[];
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Boolean', 'DateTime', 'Json', 'Float', 'Decimal', 'Bytes']);

/**
 * The tables and columns schema.prisma declares (models, @@map, @map; relation fields skipped). Read by the
 * drift test that holds prisma/schema.prisma and the SQL migrations to the same shape.
 */
export function readPrismaTables(text = readFileSync(PRISMA_SCHEMA_PATH, 'utf8')): PrismaTable[] {
  const tables: PrismaTable[] = [];
  for (const match of text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, model, body] = match as unknown as [string, string, string];
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? model;
    const columns: string[] = [];
    for (const line of body.split('\n')) {
      const field = /^\s*(\w+)\s+(\w+)(\??|\[\])?(.*)$/.exec(line);
      if (!field || line.trim().startsWith('@@') || line.trim().startsWith('//')) continue;
      const [, name, type, modifier, rest] = field as unknown as [string, string, string, string, string];
      const unsupported = type === 'Unsupported';
      if ((!SCALARS.has(type) && !unsupported) || modifier === '[]') continue;
      columns.push(/@map\("([^"]+)"\)/.exec(rest)?.[1] ?? name);
    }
    tables.push({ model, table, columns });
  }
  return tables;
}
