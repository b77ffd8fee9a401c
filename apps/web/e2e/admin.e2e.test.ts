// End to end: the admin pages against the real API, in Chromium. A clinician is refused them; an admin
// manages users and API keys, reads the audit trail, uploads an archive and activates a model version.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildZip } from '@cbmir/core';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { request, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, adminApi, buildWebApp, launchBrowser, openDesktopPage, screenshotPath, signIn, startE2eServer, type E2eServer } from './harness.ts';

const DEMO_IMAGES = 12;
const CLINICIAN = { username: 'e2e-clinician', password: 'clinician-password-1' };
/** Archive contents: images that ingest, and one file that is refused with a reason. */
const ARCHIVE_IMAGES = 6;
/** A second archive large enough to be cancelled while it runs. */
const LARGE_ARCHIVE_IMAGES = 80;

let server: E2eServer;
let browser: Browser;
let api: APIRequestContext;
let csrf: Record<string, string>;
let clinicianContext: BrowserContext;
let clinicianPage: Page;
let adminContext: BrowserContext;
let page: Page;
let queryImagePath: string;
let archivePath: string;
let labelsPath: string;
let largeArchivePath: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  await buildWebApp();
  // A few seconds of training give a trained demo version beside the untrained one, so there is a
  // version to activate.
  server = await startE2eServer({ demoImages: DEMO_IMAGES, trainSeconds: 5 });
  ({ api, csrf } = await adminApi(server.url));
  const created = await api.post('/api/v1/users', { headers: csrf, data: { ...CLINICIAN, role: 'clinician' } });
  expect(created.status()).toBe(201);

  queryImagePath = path.join(server.dataDir, 'query-fundus.jpg');
  await writeFile(queryImagePath, await generateSyntheticFundus({ seed: 4242, grade: 2 }));
  const files = [];
  const labels = ['file,grade,patient_id,eye'];
  for (let i = 0; i < ARCHIVE_IMAGES; i++) {
    const name = `clinic-a/img-${i}.jpg`;
    files.push({ name, data: await generateSyntheticFundus({ seed: 9100 + i, grade: (i % 5) as 0 | 1 | 2 | 3 | 4, size: 192 }) });
    labels.push(`img-${i},${i % 5},patient-${Math.floor(i / 2)},${i % 2 ? 'left' : 'right'}`);
  }
  files.push({ name: 'clinic-a/notes.txt', data: 'Photographed on the ward, 3rd floor.\n' });
  archivePath = path.join(server.dataDir, 'clinic-a.zip');
  await writeFile(archivePath, buildZip(files));
  const large = [];
  for (let i = 0; i < LARGE_ARCHIVE_IMAGES; i++) {
    large.push({ name: `batch/${i}.jpg`, data: await generateSyntheticFundus({ seed: 20_000 + i, grade: (i % 5) as 0 | 1 | 2 | 3 | 4, size: 96 }) });
  }
  largeArchivePath = path.join(server.dataDir, 'batch.zip');
  await writeFile(largeArchivePath, buildZip(large));
  labelsPath = path.join(server.dataDir, 'labels.csv');
  await writeFile(labelsPath, `${labels.join('\n')}\n`);

  browser = await launchBrowser();
  ({ context: clinicianContext, page: clinicianPage } = await openDesktopPage(browser, pageErrors));
  ({ context: adminContext, page } = await openDesktopPage(browser, pageErrors));
  await adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
}, 600_000);

afterAll(async () => {
  await clinicianContext?.close();
  await adminContext?.close();
  await browser?.close();
  await api?.dispose();
  await server?.close();
});

const rowOf = (testId: string, attribute: string, value: string) => page.locator(`[data-testid="${testId}"][${attribute}="${value}"]`);

describe('a clinician', () => {
  it('searches, sees no admin links, and is refused admin pages with a clear message', async () => {
    await signIn(clinicianPage, server.url, CLINICIAN);
    await clinicianPage.getByTestId('nav-evaluation').waitFor();
    expect(await clinicianPage.getByTestId('nav-models').count()).toBe(1);
    expect(await clinicianPage.getByTestId('admin-nav').count()).toBe(0);
    expect(await clinicianPage.getByRole('link', { name: 'Users & keys' }).count()).toBe(0);

    await clinicianPage.getByTestId('file-input').setInputFiles(queryImagePath);
    await expect.poll(() => clinicianPage.getByTestId('result-card').count(), { timeout: 60_000 }).toBe(10);

    for (const address of ['/admin/users', '/admin/audit', '/admin/archives']) {
      await clinicianPage.goto(`${server.url}${address}`);
      const refusal = clinicianPage.getByTestId('forbidden');
      await refusal.waitFor();
      expect(await refusal.getByRole('heading').innerText()).toBe('You need the admin role');
      expect(await refusal.innerText()).toContain(CLINICIAN.username);
    }
    await clinicianPage.screenshot({ path: screenshotPath('admin-forbidden'), fullPage: true });
    // The server is what refuses; the page only says so without asking.
    const users = await clinicianContext.request.get(`${server.url}/api/v1/users`);
    expect(users.status()).toBe(403);
    expect(((await users.json()) as { error: string }).error).toBe('forbidden');
  });

  it('can read the model versions but not change them', async () => {
    await clinicianPage.getByTestId('nav-models').click();
    await clinicianPage.getByTestId('models-table').waitFor();
    expect(await clinicianPage.getByTestId('model-row').count()).toBe(2);
    expect(await clinicianPage.getByTestId('model-activate').count()).toBe(0);
    expect(await clinicianPage.getByTestId('register-model-form').count()).toBe(0);
  });
});

describe('an admin', () => {
  it('sees the admin links and creates a user, after being told the password is too short', async () => {
    await signIn(page, server.url, ADMIN);
    await page.getByTestId('admin-nav').waitFor();
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').waitFor();
    await expect.poll(() => page.getByTestId('user-row').count()).toBe(2);

    await page.getByTestId('new-user-username').fill('e2e-nurse');
    await page.getByTestId('new-user-password').fill('short');
    await page.getByTestId('create-user-submit').click();
    const fieldError = page.getByTestId('create-user-form').getByTestId('field-error');
    expect(await fieldError.innerText()).toContain('at least 10 characters');
    expect(await page.getByTestId('new-user-password').getAttribute('aria-invalid')).toBe('true');

    await page.getByTestId('new-user-password').fill('nurse-password-1');
    await page.getByTestId('create-user-submit').click();
    await page.getByTestId('create-user-success').waitFor();
    const nurse = rowOf('user-row', 'data-username', 'e2e-nurse');
    await nurse.waitFor();
    expect(await nurse.getByTestId('user-role').inputValue()).toBe('clinician');
    expect(await nurse.getByTestId('user-state').innerText()).toBe('Active');

    // Own row: no way to lock oneself out from here.
    const me = rowOf('user-row', 'data-username', 'admin');
    expect(await me.getByTestId('user-role').isDisabled()).toBe(true);
    expect(await me.getByTestId('user-disable').isDisabled()).toBe(true);
  });

  it("changes a user's role, then disables the user after confirming", async () => {
    const nurse = rowOf('user-row', 'data-username', 'e2e-nurse');
    await nurse.getByTestId('user-role').selectOption('admin');
    await page.getByTestId('users-notice').waitFor();
    expect(await page.getByTestId('users-notice').innerText()).toContain('e2e-nurse is now an admin');

    await nurse.getByTestId('user-disable').click();
    const dialog = page.getByTestId('confirm-dialog').filter({ visible: true });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Disable e2e-nurse?');
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(() => nurse.getByTestId('user-state').innerText()).toBe('Disabled');

    const users = (await (await api.get('/api/v1/users')).json()) as { users: { username: string; role: string; disabled: boolean }[] };
    expect(users.users.find((u) => u.username === 'e2e-nurse')).toMatchObject({ role: 'admin', disabled: true });
    const refused = await request.newContext({ baseURL: server.url });
    expect((await refused.post('/api/v1/auth/login', { data: { username: 'e2e-nurse', password: 'nurse-password-1' } })).ok()).toBe(false);
    await refused.dispose();
  });

  it('issues an API key, shows its secret once with a copy button, and revokes it after confirming', async () => {
    await page.getByTestId('new-key-name').fill('e2e-script');
    await page.getByTestId('issue-key-submit').click();
    const panel = page.getByTestId('new-key-secret');
    await panel.waitFor();
    expect(await panel.innerText()).toContain('shown only this once');
    const secret = await page.getByTestId('new-key-secret-value').inputValue();
    expect(secret).toMatch(/^cbmir_/);

    await page.getByTestId('copy-key').click();
    await expect.poll(() => page.getByTestId('copy-key').innerText()).toContain('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.screenshot({ path: screenshotPath('admin-key-secret'), fullPage: true });

    const bearer = await request.newContext({ baseURL: server.url, extraHTTPHeaders: { authorization: `Bearer ${secret}` } });
    expect((await bearer.get('/api/v1/models')).status()).toBe(200);

    await page.getByTestId('secret-done').click();
    await page.getByTestId('issue-key-form').waitFor();
    expect(await page.content()).not.toContain(secret);

    const key = rowOf('key-row', 'data-key-name', 'e2e-script');
    await key.waitFor();
    expect(await key.getAttribute('data-state')).toBe('active');
    expect(await key.innerText()).toContain(secret.slice(0, 12));
    await key.getByTestId('key-revoke').click();
    const dialog = page.getByTestId('confirm-dialog').filter({ visible: true });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('e2e-script');
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(() => key.getAttribute('data-state')).toBe('revoked');
    expect(await key.getByTestId('key-state').innerText()).toMatch(/^Revoked/);
    expect(await key.getByTestId('key-revoke').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('admin-users'), fullPage: true });

    expect((await bearer.get('/api/v1/models')).status()).toBe(401);
    await bearer.dispose();
  });

  it('reads those changes in the audit trail, filters it, and pages to older events', async () => {
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    for (const action of ['api_key.revoke', 'api_key.create', 'user.update', 'user.create', 'search.image', 'auth.login']) {
      expect(actions).toContain(action);
    }
    const revoked = page.locator('[data-testid="audit-row"][data-action="api_key.revoke"]').first();
    expect(await revoked.getByTestId('audit-details').innerText()).toContain('name: e2e-script');
    expect(await revoked.getByTestId('audit-actor').innerText()).toBe('admin');

    await page.getByTestId('filter-action').fill('api_key.revoke');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/action=api_key\.revoke/);
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    await page.getByTestId('filter-from').fill('2099-01-01T00:00');
    await page.getByTestId('filter-apply').click();
    await page.getByTestId('audit-empty').waitFor();
    await page.getByTestId('filter-reset').click();
    await page.getByTestId('audit-table').waitFor();

    // Filter by actor: the clinician's own events only.
    const clinicianRow = page.locator('[data-testid="audit-actor"]', { hasText: CLINICIAN.username }).first();
    await clinicianRow.click();
    await page.waitForURL(/actor=/);
    await expect.poll(async () => [...new Set(await page.getByTestId('audit-actor').allInnerTexts())]).toEqual([CLINICIAN.username]);
    await page.getByTestId('filter-reset').click();

    // Each case view is an event: enough of them for a second page.
    const images = (await (await api.get('/api/v1/images?limit=10')).json()) as { images: { id: string }[] };
    for (let i = 0; i < 60; i++) await api.get(`/api/v1/images/${images.images[i % images.images.length]!.id}`);
    await page.getByTestId('audit-refresh').click();
    await expect.poll(() => page.locator('[data-testid="audit-row"][data-action="case.view"]').count()).toBe(50);
    expect(await page.getByTestId('audit-row').count()).toBe(50);
    await page.getByTestId('audit-older').click();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThan(50);
    const times = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => row.querySelector('td')?.getAttribute('title') ?? ''));
    expect(times).toEqual([...times].sort().reverse());
    await page.screenshot({ path: screenshotPath('admin-audit') });
  });

  it('uploads an archive with a progress bar and follows the ingest job to the end, with the refused file and why', async () => {
    await page.getByTestId('nav-archives').click();
    await page.getByTestId('jobs-empty').waitFor();

    // Hold the upload at the server's door, so the upload state can be seen before the job exists.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      '**/api/v1/archives',
      async (route) => {
        await held;
        await route.continue();
      },
      { times: 1 },
    );
    await page.getByTestId('archive-input').setInputFiles(archivePath);
    await page.getByTestId('labels-input').setInputFiles(labelsPath);
    await page.getByTestId('upload-submit').click();
    const bar = page.getByTestId('upload-progress-bar');
    await bar.waitFor();
    expect(await bar.getByRole('progressbar').getAttribute('aria-label')).toBe('Uploading clinic-a.zip');
    expect(await page.getByTestId('upload-submit').isDisabled()).toBe(true);
    release();

    await page.getByTestId('upload-done').waitFor({ timeout: 60_000 });
    const job = page.getByTestId('job-row').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');
    expect(await job.getByTestId('job-added').innerText()).toBe(String(ARCHIVE_IMAGES));
    expect(await job.getByTestId('job-failed').innerText()).toBe('1');
    expect(await job.getByTestId('job-progress-text').innerText()).toBe(`${ARCHIVE_IMAGES + 1} / ${ARCHIVE_IMAGES + 1} files`);
    expect(await job.innerText()).toContain('labels.csv');
    expect(await job.getByTestId('job-cancel').count()).toBe(0);

    await job.getByTestId('job-failures-toggle').click();
    const failure = job.getByTestId('job-failure');
    await failure.waitFor();
    expect(await failure.count()).toBe(1);
    expect(await failure.innerText()).toContain('notes.txt');
    await expect.poll(() => page.getByTestId('images-indexed').innerText()).toBe(`${DEMO_IMAGES + ARCHIVE_IMAGES} images indexed`);
    await page.screenshot({ path: screenshotPath('admin-archives'), fullPage: true });
  });

  it('cancels a running ingest job after confirming; what was stored so far stays', async () => {
    await page.getByTestId('archive-input').setInputFiles(largeArchivePath);
    await page.getByTestId('labels-input').setInputFiles([]);
    await page.getByTestId('upload-submit').click();
    await page.getByTestId('upload-done').filter({ hasText: 'batch.zip' }).waitFor({ timeout: 60_000 });
    const job = page.locator('[data-testid="job-row"]', { hasText: 'batch.zip' });
    await job.getByTestId('job-cancel').click();
    const dialog = page.getByTestId('confirm-dialog').filter({ visible: true });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('stay in the index');
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 60_000 }).toBe('cancelled');
    const added = Number(await job.getByTestId('job-added').innerText());
    expect(added).toBeLessThan(LARGE_ARCHIVE_IMAGES);
    expect(await job.getByTestId('job-cancel').count()).toBe(0);
    expect(await job.getByTestId('job-progress-text').innerText()).toMatch(new RegExp(`^\\d+ / ${LARGE_ARCHIVE_IMAGES} files$`));
    await expect.poll(() => page.getByTestId('images-indexed').innerText()).toBe(`${DEMO_IMAGES + ARCHIVE_IMAGES + added} images indexed`);
  });

  it('activates another model version and watches its indexing finish', async () => {
    const models = (await (await api.get('/api/v1/models')).json()) as { models: { model: { id: string; name: string; active: boolean } }[] };
    const next = models.models.find((m) => !m.model.active)!.model;

    await page.getByTestId('nav-models').click();
    await page.getByTestId('models-table').waitFor();
    const row = rowOf('model-row', 'data-model-name', next.name);
    // Hold the first progress poll so the indexing state is seen however fast the server is.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      `**/api/v1/models/${next.id}`,
      async (route) => {
        await held;
        await route.continue();
      },
      { times: 1 },
    );
    const stored = ((await (await api.get('/readyz')).json()) as { images: number }).images;
    // One stored original damaged on disk (the newest, which the version has not embedded yet): indexing marks
    // it unreadable and goes on, and the page says so.
    const { images } = (await (await api.get(`/api/v1/images?limit=1&offset=${stored - 1}`)).json()) as { images: { id: string }[] };
    const damaged = (await (await api.get(`/api/v1/images/${images[0]!.id}`)).json()) as { sha256: string; format: string };
    await writeFile(
      path.join(server.dataDir, 'images', 'originals', damaged.sha256.slice(0, 2), `${damaged.sha256}.${damaged.format}`),
      'not an image any more',
    );
    await row.getByTestId('model-activate').click();
    const dialog = page.getByTestId('confirm-dialog').filter({ visible: true });
    await dialog.waitFor();
    await dialog.getByTestId('confirm-ok').click();

    await expect.poll(() => row.getAttribute('data-state')).toBe('indexing');
    const progress = row.getByRole('progressbar');
    expect(Number(await progress.getAttribute('aria-valuemax'))).toBe(stored);
    expect(await row.getByTestId('model-progress-text').innerText()).toMatch(new RegExp(`^\\d+ / ${stored}$`));
    await page.screenshot({ path: screenshotPath('admin-models-indexing'), fullPage: true });
    release();

    await expect.poll(() => row.getAttribute('data-state'), { timeout: 120_000 }).toBe('active');
    expect(await row.getByTestId('model-state-label').innerText()).toBe('Active: serving searches');
    expect(await row.getByTestId('model-unreadable').innerText()).toMatch(/^1 stored image could not be read and is left out of search/);
    await expect.poll(() => page.getByTestId('model-name').innerText(), { timeout: 30_000 }).toBe(next.name);
    expect(await page.locator('[data-testid="model-row"][data-state="active"]').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('admin-models'), fullPage: true });
  });

  it('raised no script errors along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
