import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layers of ../../../README.md "How it works": packages below, @cbmir/core above them, and the API and CLI
// as two adapters over core that never import each other (the CLI runs the API's server as a child process).
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !/^test-/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Production source files of `dir` that import one of `forbidden` (a package name or its subpaths). */
function importersOf(dir: string, forbidden: string[]): string[] {
  return sourceFiles(join(REPO, dir))
    .filter((file) => {
      const text = readFileSync(file, 'utf8');
      return forbidden.some((name) => new RegExp(`from '${name}(/[^']*)?'|import\\('${name}(/[^']*)?'\\)`).test(text));
    })
    .map((file) => relative(REPO, file));
}

function dependencies(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(manifest.dependencies ?? {});
}

describe('layers', () => {
  it('the API and the CLI never import each other, in code or in their dependencies', () => {
    expect(importersOf('apps/cli/src', ['@cbmir/api'])).toEqual([]);
    expect(importersOf('apps/api/src', ['@cbmir/cli'])).toEqual([]);
    expect(dependencies('apps/cli')).not.toContain('@cbmir/api');
    expect(dependencies('apps/api')).not.toContain('@cbmir/cli');
  });

  it('core knows nothing of HTTP or the apps', () => {
    expect(importersOf('packages/core/src', ['fastify', '@fastify/[a-z-]+', '@cbmir/api', '@cbmir/cli', '@cbmir/web'])).toEqual([]);
  });

  it('services reach the database through repositories and db.transaction, never the raw SQL client', () => {
    const rawSql = sourceFiles(join(REPO, 'packages/core/src')).filter((file) => /\.sql\b/.test(readFileSync(file, 'utf8')));
    expect(rawSql.map((file) => relative(REPO, file))).toEqual([]);
  });

  it('API routes call core services, never the repositories (deps.db), but where an exception says why', () => {
    // Each exception with its reason.
    const exceptions: Record<string, string> = {
      'apps/api/src/routes/backup.ts':
        "the embedded database's dump (dumpEmbedded) copies PGlite's data directory through its SQL client, which no core service may hold",
    };
    const direct = sourceFiles(join(REPO, 'apps/api/src/routes'))
      .filter((file) => /\bdeps\.db\b|\bdb\s*:\s*Database\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO, file));
    expect(direct.sort()).toEqual(Object.keys(exceptions).sort());
  });

  it('the database package takes only types from the contract (the shapes of its JSON columns, the roles), never its schemas', () => {
    const valueImports = sourceFiles(join(REPO, 'packages/db/src'))
      .filter((file) => /^\s*(import|export)\s+(?!type\b)[^;]*from '@cbmir\/contract'/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO, file));
    expect(valueImports).toEqual([]);
  });

  it('the packages below core never import core or an app', () => {
    for (const dir of ['packages/contract', 'packages/db', 'packages/embedder', 'packages/imaging', 'packages/retrieval']) {
      expect(importersOf(`${dir}/src`, ['@cbmir/core', '@cbmir/api', '@cbmir/cli'])).toEqual([]);
    }
  });
});
