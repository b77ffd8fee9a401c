// End to end: the real API, started in-process on a fresh data directory with synthetic demo images,
// serving the built web app, driven in Chromium the way a clinician would use it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient, type ImageRecord, type Readiness } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, buildWebApp, launchBrowser, openDesktopPage, startE2eServer, type E2eServer } from './harness.ts';

const DEMO_IMAGES = 12;
const SCREENSHOT = process.env.CBMIR_SCREENSHOT ?? '/tmp/cbmir-search.png';
/** A grade badge reads "DR grade 2 Moderate", or "DR grade unknown" for an ungraded case. */
const GRADE_TEXT = /^DR grade (?:[0-4] (No DR|Mild|Moderate|Severe|Proliferative)|(unknown))$/;

let server: E2eServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let readiness: Readiness;
let queryImagePath: string;
let textFilePath: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  await buildWebApp();
  // A short training keeps the test quick and still serves a trained model, as a fresh start does.
  server = await startE2eServer({ demoImages: DEMO_IMAGES, trainSeconds: 20 });
  readiness = await createClient({ baseUrl: server.url }).readiness();

  queryImagePath = path.join(server.dataDir, 'query-fundus.jpg');
  await writeFile(queryImagePath, await generateSyntheticFundus({ seed: 4242, grade: 2 }));
  textFilePath = path.join(server.dataDir, 'referral-letter.txt');
  await writeFile(textFilePath, 'Referral: please review right fundus photograph.\n');

  browser = await launchBrowser();
  ({ context, page } = await openDesktopPage(browser, pageErrors));
}, 600_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

/** Distances as the server sent them, from each card's data attribute, in rank order. */
async function cardDistances(): Promise<number[]> {
  const values = await page.getByTestId('result-card').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-distance')));
  return values.map(Number);
}

async function textOf(locator: ReturnType<Page['getByTestId']>): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function imageIsDrawn(testId: string): Promise<boolean> {
  return page
    .getByTestId(testId)
    .first()
    .evaluate((img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0);
}

describe('search by fundus photograph', () => {
  it('shows the active model and the size of the index in the header', async () => {
    await page.goto(server.url);
    await page.getByTestId('model-name').waitFor();
    expect(readiness.model).not.toBeNull();
    const model = readiness.model!;

    const header = await page.getByTestId('model-status').innerText();
    expect(header).toContain(model.name);
    expect(header).toContain(model.architecture);
    expect(header).toContain(`${model.embeddingDim}-d`);
    await expect.poll(() => page.getByTestId('images-indexed').innerText()).toBe(`${readiness.images} images indexed`);
    expect(readiness.images).toBe(DEMO_IMAGES);

    const badge = page.getByTestId('untrained-badge');
    if (model.trained) {
      expect(await badge.count()).toBe(0);
    } else {
      expect(await badge.innerText()).toContain('untrained model: rankings are not meaningful yet');
    }
  });

  it('asks to sign in first, refuses a wrong password, then lets the clinician in', async () => {
    await page.waitForURL('**/login?next=%2F');
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.getAttribute('role')).toBe('alert');
    expect((await error.getByTestId('error-message').innerText()).length).toBeGreaterThan(0);
    expect(page.url()).toContain('/login');

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.getByTestId('user-name').innerText()).toBe(ADMIN.username);
    await page.getByTestId('drop-zone').waitFor();
  });

  it('previews the photograph, shows the loading state, then ranks similar cases by ascending distance', async () => {
    // Hold the upload until the loading state has been seen, so the check does not race the server.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      '**/api/v1/search**',
      async (route) => {
        await held;
        await route.continue();
      },
      { times: 1 },
    );

    await page.getByTestId('file-input').setInputFiles(queryImagePath);
    await page.getByTestId('query-preview-image').waitFor();
    await expect.poll(() => imageIsDrawn('query-preview-image')).toBe(true);
    expect(await page.getByTestId('query-preview').innerText()).toContain('query-fundus.jpg');

    const loading = page.getByTestId('search-loading');
    await loading.waitFor();
    expect(await loading.innerText()).toContain('Embedding and searching');
    release();

    const cards = page.getByTestId('result-card');
    await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(10);
    expect(await loading.count()).toBe(0);

    for (let i = 0; i < 10; i++) {
      const card = cards.nth(i);
      expect(await card.getByTestId('rank').innerText()).toBe(`#${i + 1}`);
      expect(await textOf(card.getByTestId('grade'))).toMatch(GRADE_TEXT);
      expect(await card.getByTestId('eye').innerText()).toMatch(/^(Right \(OD\)|Left \(OS\)|Unknown)$/);
      expect(await card.getByTestId('distance').innerText()).toMatch(/^\d+\.\d{3}$|e/);
      expect(await card.locator('img').getAttribute('alt')).toMatch(/^Fundus photograph of similar case/);
    }
    const distances = await cardDistances();
    expect(distances.every((d) => Number.isFinite(d) && d >= 0)).toBe(true);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    await expect
      .poll(() =>
        cards
          .first()
          .locator('img')
          .evaluate((img) => (img as HTMLImageElement).naturalWidth),
      )
      .toBeGreaterThan(0);
  });

  it('retrieves more cases when k is raised', async () => {
    await page.getByRole('radio', { name: '20' }).check();
    // The index holds only DEMO_IMAGES cases, so k = 20 returns every one of them.
    await expect.poll(() => page.getByTestId('result-card').count(), { timeout: 60_000 }).toBe(DEMO_IMAGES);
    const distances = await cardDistances();
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    await page.getByRole('radio', { name: '10' }).check();
    await expect.poll(() => page.getByTestId('result-card').count(), { timeout: 60_000 }).toBe(10);

    // Let every thumbnail load before the screenshot a person will judge the layout by.
    await expect
      .poll(() =>
        page
          .getByTestId('result-card')
          .locator('img')
          .evaluateAll((imgs) => imgs.every((img) => (img as HTMLImageElement).complete)),
      )
      .toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('opens a result as a case page with its image, details and its own similar cases', async () => {
    const first = page.getByTestId('result-card').first();
    const id = await first.getAttribute('data-image-id');
    const [, gradeName, unknown] = GRADE_TEXT.exec(await textOf(first.getByTestId('grade'))) ?? [];
    expect(id).toBeTruthy();

    await first.getByRole('link', { name: /^Similar case/ }).click();
    await page.waitForURL(`**/cases/${id}`);
    await page.getByTestId('case-details').waitFor();
    await expect.poll(() => imageIsDrawn('case-image'), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('case-image').getAttribute('alt')).toMatch(/^Fundus photograph/);

    expect(await page.getByTestId('case-grade').innerText()).toContain(gradeName ?? unknown);
    expect(await page.getByTestId('case-size').innerText()).toMatch(/^\d+ × \d+ px/);
    expect((await page.getByTestId('case-source').innerText()).length).toBeGreaterThan(0);
    expect((await page.getByTestId('case-patient').innerText()).length).toBeGreaterThan(0);

    const similar = page.getByTestId('result-card');
    await expect.poll(() => similar.count(), { timeout: 60_000 }).toBe(10);
    const similarIds = await similar.evaluateAll((cards) => cards.map((c) => c.getAttribute('data-image-id')));
    expect(similarIds).not.toContain(id);
    const distances = await cardDistances();
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-case.png'), fullPage: true });

    // From one case to the next: the page must show the new case, not keep the old image.
    const nextId = similarIds[0]!;
    // The browser context's request API carries the session cookie the page signed in with.
    const next = (await (await context.request.get(`${server.url}/api/v1/images/${nextId}`)).json()) as ImageRecord;
    await similar
      .first()
      .getByRole('link', { name: /^Similar case/ })
      .click();
    await page.waitForURL(`**/cases/${nextId}`);
    await expect.poll(() => page.getByTestId('case-image').getAttribute('src')).toBe(next.originalUrl);
    await expect.poll(() => imageIsDrawn('case-image'), { timeout: 30_000 }).toBe(true);
    await page.goBack();
    await page.waitForURL(`**/cases/${id}`);
    await page.getByTestId('case-details').waitFor();
  });

  it('keeps the search results when going back from a case', async () => {
    await page.goBack();
    await page.waitForURL(`${server.url}/`);
    expect(await page.getByTestId('result-card').count()).toBe(10);
    await page.getByTestId('query-preview-image').waitFor();
  });

  it("shows the server's message when the upload is not an image", async () => {
    await page.getByTestId('file-input').setInputFiles(textFilePath);
    const error = page.getByTestId('search-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.getAttribute('role')).toBe('alert');
    expect(await page.getByTestId('error-code').innerText()).toBe('unsupported_type');
    expect((await page.getByTestId('error-message').innerText()).length).toBeGreaterThan(10);
    expect(await page.getByTestId('result-card').count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-error.png'), fullPage: true });
  });

  it('says clearly when a case does not exist, also on a direct link', async () => {
    await page.goto(`${server.url}/cases/00000000-0000-4000-8000-000000000000`);
    const notFound = page.getByTestId('case-not-found');
    await notFound.waitFor({ timeout: 30_000 });
    expect(await notFound.innerText()).toContain('Case not found');
  });

  it('signs out, forgets the patient photograph and its matches, and asks to sign in again', async () => {
    await page.goto(server.url);
    await page.getByTestId('file-input').setInputFiles(queryImagePath);
    await expect.poll(() => page.getByTestId('result-card').count(), { timeout: 60_000 }).toBe(10);

    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login(\?|$)/);
    expect(await page.getByTestId('user-menu').count()).toBe(0);

    // Signing in again in the same tab (no reload) must not bring the previous search back.
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    await page.getByTestId('results-empty').waitFor();
    expect(await page.getByTestId('result-card').count()).toBe(0);
    expect(await page.getByTestId('query-preview').count()).toBe(0);

    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login(\?|$)/);
    await page.goto(`${server.url}/cases/00000000-0000-4000-8000-000000000000`);
    await page.waitForURL('**/login?next=%2Fcases%2F00000000-0000-4000-8000-000000000000');
  });

  it('raised no script errors along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
