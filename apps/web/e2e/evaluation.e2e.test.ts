// End to end: the evaluation page over a real evaluation of the active model (stored as `cbmir eval`
// stores it), read by a clinician who has just searched with one of the indexed photographs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationPage, ImageList } from '@cbmir/contract';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, buildWebApp, launchBrowser, openDesktopPage, screenshotPath, signIn, startE2eServer, type E2eServer } from './harness.ts';
import { seedEvaluation } from './seed-evaluation.ts';

const DEMO_IMAGES = 12;
const CLINICIAN = { username: 'e2e-reader', password: 'reader-password-1' };

let server: E2eServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let evaluation: EvaluationPage['evaluations'][number];
let queryCaseId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  await buildWebApp();
  server = await startE2eServer({ demoImages: DEMO_IMAGES, trainSeconds: 5 });
  // The embedded database has one owner at a time: evaluate while the server is down, as the CLI would.
  await server.stop();
  await seedEvaluation(server.env, { name: 'demo-synthetic' });
  await server.restart();
  const { api, csrf } = await adminApi(server.url);
  expect((await api.post('/api/v1/users', { headers: csrf, data: { ...CLINICIAN, role: 'clinician' } })).status()).toBe(201);
  await api.dispose();

  browser = await launchBrowser();
  ({ context, page } = await openDesktopPage(browser, pageErrors));
}, 600_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

describe('the evaluation page', () => {
  it('searches with an indexed photograph first, as a clinician', async () => {
    await signIn(page, server.url, CLINICIAN);
    const images = (await (await context.request.get(`${server.url}/api/v1/images?limit=1`)).json()) as ImageList;
    queryCaseId = images.images[0]!.id;
    const original = await context.request.get(`${server.url}/api/v1/images/${queryCaseId}/original`);
    const queryPath = path.join(server.dataDir, 'indexed-case.jpg');
    await writeFile(queryPath, await original.body());
    await page.getByTestId('file-input').setInputFiles(queryPath);
    await expect.poll(() => page.getByTestId('result-card').count(), { timeout: 60_000 }).toBe(10);
  });

  it('shows the metrics of the active model beside their chance levels', async () => {
    await page.getByTestId('nav-evaluation').click();
    const report = page.getByTestId('evaluation-report');
    await report.waitFor({ timeout: 30_000 });
    const models = (await (await context.request.get(`${server.url}/api/v1/models`)).json()) as {
      models: { model: { id: string; name: string; active: boolean } }[];
    };
    const active = models.models.find((m) => m.model.active)!.model;
    expect(await page.getByTestId('evaluation-model').inputValue()).toBe(active.id);
    const page1 = (await (await context.request.get(`${server.url}/api/v1/models/${active.id}/evaluations`)).json()) as EvaluationPage;
    evaluation = page1.evaluations[0]!;
    expect(await report.getAttribute('data-evaluation-id')).toBe(evaluation.id);

    const rows = page.getByTestId('metric-row');
    expect(await rows.count()).toBe(9);
    const map = page.locator('[data-testid="metric-row"][data-metric="map"]');
    expect(await map.getByTestId('metric-value').innerText()).toBe(evaluation.metrics.overall.map!.toFixed(3));
    expect(await map.getByTestId('metric-chance').innerText()).toBe(evaluation.metrics.chance.map!.toFixed(3));
    for (const text of await page.getByTestId('metric-chance').allInnerTexts()) expect(text).toMatch(/^-?\d\.\d{3}$|^—$/);
    expect(await page.getByTestId('grade-metric-row').count()).toBe(evaluation.metrics.perGrade.length);
    expect(await page.getByTestId('evaluation-facts').innerText()).toContain('leave patient out');
  });

  it('draws the precision-recall curves with the chance line', async () => {
    expect(await page.getByTestId('pr-series').count()).toBe(1 + evaluation.prCurve.perGrade.length);
    expect(await page.getByTestId('pr-chance').count()).toBe(1);
    const overall = page.locator('[data-testid="pr-series"][data-series="all"]');
    expect(((await overall.getAttribute('d')) ?? '').split('L').length).toBe(evaluation.prCurve.recall.length);
    await page.getByRole('checkbox', { name: 'All queries' }).uncheck();
    expect(await overall.count()).toBe(0);
    await page.getByRole('checkbox', { name: 'All queries' }).check();
  });

  it('maps every evaluated image by grade and marks the photograph just searched', async () => {
    const points = page.getByTestId('map-point');
    expect(await points.count()).toBe(evaluation.map!.length);
    const query = page.getByTestId('map-query');
    expect(await query.count()).toBe(1);
    expect(await query.getAttribute('data-image-id')).toBe(queryCaseId);
    expect(await page.getByTestId('map-result').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('map-highlight-note').innerText()).toContain('Your last searched photograph is on the map');
    await page.getByTestId('embedding-map').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('evaluation'), fullPage: true });

    // Hiding a grade takes its points off the map.
    const grade0 = evaluation.map!.filter((p) => p.grade === 0).length;
    await page.getByTestId('map-grade-0').uncheck();
    expect(await points.count()).toBe(evaluation.map!.length - grade0);
    await page.getByTestId('map-grade-0').check();
  });

  it('shows a thumbnail on hover and opens the case on click', async () => {
    const point = page.locator(`[data-testid="map-point"]:not([data-image-id=""]):not([data-image-id="${queryCaseId}"])`).first();
    const id = await point.getAttribute('data-image-id');
    const box = (await point.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tooltip = page.getByTestId('map-tooltip');
    await tooltip.waitFor();
    await expect
      .poll(() => tooltip.getByTestId('map-tooltip-image').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0))
      .toBe(true);
    expect(await tooltip.getByTestId('map-tooltip-image').getAttribute('src')).toContain(`/api/v1/images/${id}/thumbnail`);
    await page.screenshot({ path: screenshotPath('evaluation-hover') });

    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForURL(`**/cases/${id}`);
    await page.getByTestId('case-details').waitFor();
    await page.goBack();
    await page.getByTestId('embedding-map').waitFor();
  });

  it('can be used from the keyboard', async () => {
    await page.getByRole('group', { name: /Embedding map of/ }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('map-tooltip').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/cases\//);
    await page.goBack();
  });

  it('tells how to evaluate a version that has no evaluation yet', async () => {
    await page.getByTestId('evaluation-report').waitFor();
    const other = await page.locator('[data-testid="evaluation-model"] option:not(:checked)').first().getAttribute('value');
    await page.getByTestId('evaluation-model').selectOption(other!);
    const empty = page.getByTestId('evaluations-empty');
    await empty.waitFor();
    expect(await empty.innerText()).toContain('pnpm cbmir eval');
    expect(page.url()).toContain(`model=${other}`);
  });

  it('raised no script errors along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
