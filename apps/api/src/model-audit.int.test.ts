import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCbmirServices, type CbmirServices, loadConfig, SHIPPED_MODEL_DIR } from '@cbmir/core';

// A model version and the audit row of its registration or activation request are one unit of work.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-model-audit-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let services: CbmirServices;

beforeAll(async () => {
  target = await createTestDatabase();
  const config = loadConfig({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEFAULT_MODEL: 'untrained',
    CBMIR_DEMO_IMAGES: '0',
    LOG_LEVEL: 'silent',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  services = await openCbmirServices(config, { info: () => {}, warn: () => {} });
}, 300_000);

afterAll(async () => {
  await services?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const auditDown = async () => {
  throw new Error('audit trail unavailable');
};

describe(`model audit rows in the change's transaction (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('registers nothing, and keeps no files, when the audit row cannot be written', async () => {
    const before = readdirSync(join(dataDir, 'models'));
    await expect(services.models.register(SHIPPED_MODEL_DIR, { name: 'unaudited', audit: auditDown })).rejects.toThrow(/audit trail unavailable/);
    expect(await services.db.modelVersions.findByName('unaudited')).toBeNull();
    expect(readdirSync(join(dataDir, 'models'))).toEqual(before);
  });

  it('records the registration and the activation request with the change', async () => {
    const version = await services.models.register(SHIPPED_MODEL_DIR, {
      name: 'audited',
      audit: (tx, created) => services.audit.recordSystemIn(tx, { action: 'model.register', targetType: 'model_version', targetId: created.id }),
    });
    await expect(services.activation.request(version.id, auditDown)).rejects.toThrow(/audit trail unavailable/);
    expect((await services.db.modelVersions.findById(version.id))!.activationRequestedAt).toBeNull();
    const rows = await services.db.sql.query<{ action: string }>(`SELECT action FROM audit_events WHERE target_id = $1`, [version.id]);
    expect(rows.map((row) => row.action)).toEqual(['model.register']);
  });
});
