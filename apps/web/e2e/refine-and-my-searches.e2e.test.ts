// End to end: refining a search by region (a rectangle drawn on the query) and by example ("more / less like this",
// undoable), and "My searches" (listed for their owner only, paginated, run again), with mouse and keyboard, on a
// desktop and at a 390 px phone viewport.
import { generateSyntheticFundus } from '@cbmir/imaging';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  adminApi,
  type E2eServer,
  type E2eSession,
  horizontalOverflow,
  openE2eSession,
  openPhonePage,
  screenshotPath,
  signIn,
  writeSyntheticFundus,
} from './harness.ts';

const DEMO_IMAGES = 12;
const CLINICIAN = { username: 'clara', password: 'clara-e2e-password' };

let server: E2eServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let queryImagePath: string;
let session: E2eSession;
const pageErrors: string[] = [];

beforeAll(async () => {
  session = await openE2eSession({ demoImages: DEMO_IMAGES, trainSeconds: 0 }, pageErrors);
  ({ server, browser, context, page } = session);
  queryImagePath = await writeSyntheticFundus(server, 'query-fundus.png', { seed: 77, grade: 3, width: 640, height: 480 });
  const { api, csrf } = await adminApi(server.url);
  const created = await api.post('/api/v1/users', { headers: csrf, data: { ...CLINICIAN, role: 'clinician' } });
  expect(created.status()).toBe(201);
  await api.dispose();
  await signIn(page, server.url, ADMIN);
}, 600_000);

afterAll(async () => {
  await session?.close();
});

const cardIds = () => page.getByTestId('result-card').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-image-id')!));
const isSearch = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/search';
const regionOf = (request: Request) => {
  const params = new URL(request.url()).searchParams;
  return ['regionX', 'regionY', 'regionWidth', 'regionHeight'].map((name) => params.get(name));
};

describe('refine by region', () => {
  it('draws a region with the keyboard, searches it, and goes back to the whole photograph', async () => {
    await page.getByTestId('file-input').setInputFiles(queryImagePath);
    await page.getByTestId('results-meta').waitFor();
    const whole = await cardIds();

    await page.getByTestId('region-open').click();
    const box = page.getByTestId('region-box');
    await box.waitFor();
    // The rectangle has the focus: arrows move it, Shift+arrows resize it, Enter searches it.
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'region-box');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowUp');
    expect(JSON.parse((await box.getAttribute('data-region'))!)).toEqual({ x: 0.35, y: 0.25, width: 0.5, height: 0.48 });
    const searched = page.waitForRequest(isSearch);
    await page.keyboard.press('Enter');
    expect(regionOf(await searched)).toEqual(['0.35', '0.25', '0.5', '0.48']);
    await page.getByTestId('region-status').waitFor();
    expect(await page.getByTestId('region-status').textContent()).toMatch(/50% × 48% of the photograph, 35% from the left and 25% from the top/);
    await page.getByTestId('results-meta').waitFor();
    expect(await cardIds()).not.toEqual(whole);

    const again = page.waitForRequest(isSearch);
    await page.getByTestId('region-clear').click();
    expect(regionOf(await again)).toEqual([null, null, null, null]);
    await page.waitForFunction(
      (ids) => JSON.stringify([...document.querySelectorAll('[data-testid="result-card"]')].map((c) => c.getAttribute('data-image-id'))) === ids,
      JSON.stringify(whole),
    );
  });

  it('draws a region with the mouse', async () => {
    await page.getByTestId('region-open').click();
    const canvas = page.getByTestId('region-canvas');
    const bounds = (await canvas.boundingBox())!;
    await page.mouse.move(bounds.x + bounds.width * 0.1, bounds.y + bounds.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(bounds.x + bounds.width * 0.4, bounds.y + bounds.height * 0.5, { steps: 5 });
    await page.mouse.move(bounds.x + bounds.width * 0.6, bounds.y + bounds.height * 0.8, { steps: 5 });
    await page.mouse.up();
    const drawn = JSON.parse((await page.getByTestId('region-box').getAttribute('data-region'))!) as Record<string, number>;
    expect(drawn.x).toBeCloseTo(0.1, 1);
    expect(drawn.y).toBeCloseTo(0.2, 1);
    expect(drawn.width).toBeCloseTo(0.5, 1);
    expect(drawn.height).toBeCloseTo(0.6, 1);
    const searched = page.waitForRequest(isSearch);
    await page.getByTestId('region-search').click();
    expect(regionOf(await searched).map(Number)).toEqual([drawn.x, drawn.y, drawn.width, drawn.height]);
    await page.getByTestId('region-status').waitFor();
    await page.screenshot({ path: screenshotPath('refine-region'), fullPage: true });
  });

  it('says what to do about a region too small to search', async () => {
    await page.getByTestId('region-open').click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'region-box');
    for (let i = 0; i < 25; i++) await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    // 5% of 640 px is 32 px: the server refuses it and the page shows why.
    const error = page.getByTestId('search-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/both sides must be at least 64 px/);
    await page.getByTestId('region-clear').click();
    await page.getByTestId('results-meta').waitFor();
  });
});

describe('refine by example', () => {
  it('re-ranks toward a liked case and away from a disliked one, and undoes the step', async () => {
    const before = await cardIds();
    const liked = before[7]!;
    const disliked = before[1]!;
    await page.locator(`[data-image-id="${liked}"]`).getByTestId('mark-liked').click();
    // From the keyboard: the mark is a button.
    await page.locator(`[data-image-id="${disliked}"]`).getByTestId('mark-disliked').focus();
    await page.keyboard.press('Space');
    expect(await page.locator(`[data-image-id="${disliked}"]`).getByTestId('mark-disliked').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('refine-apply').textContent()).toBe('Re-rank (1 more, 1 less)');

    const refined = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/search/refine' && response.ok());
    await page.getByTestId('refine-apply').click();
    await refined;
    await page.getByTestId('refine-steps').filter({ hasText: 'Refined 1 time' }).waitFor();
    const after = await cardIds();
    expect(after.indexOf(liked)).toBeLessThan(7);
    await page.screenshot({ path: screenshotPath('refine-example'), fullPage: true });

    await page.getByTestId('refine-undo').click();
    await page.getByTestId('refine-steps').filter({ hasText: 'Original ranking' }).waitFor();
    expect(await cardIds()).toEqual(before);
    expect(await page.getByTestId('refine-undo').isDisabled()).toBe(true);
  });
});

describe('my searches', () => {
  it('lists the searches just made, newest first, and runs one again with its region', async () => {
    await page.getByTestId('nav-my-searches').click();
    await page.waitForURL(`${server.url}/searches`);
    const entries = page.getByTestId('my-search');
    await entries.first().waitFor();
    // Whole, region (keyboard), whole, region (mouse), refused region (not kept), whole: newest first.
    expect(await entries.count()).toBe(5);
    expect(await entries.nth(0).getByTestId('my-search-what').textContent()).toBe('A photograph');
    expect(await entries.nth(1).getByTestId('my-search-what').textContent()).toMatch(/^A region: /);
    expect(await entries.nth(0).getByTestId('my-search-settings').textContent()).toBe('k = 10 · no filters');
    expect(await entries.nth(0).getByTestId('my-search-top').textContent()).toMatch(/Nearest then: .*L2 \d/);
    // The query's thumbnail is made at its first request, so it may still be on its way.
    await expect
      .poll(() =>
        entries
          .nth(0)
          .locator('img')
          .first()
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      )
      .toBe(true);

    const searched = page.waitForRequest(isSearch);
    await entries.nth(1).getByTestId('my-search-rerun').click();
    const request = await searched;
    expect(regionOf(request).every((value) => value !== null)).toBe(true);
    await page.waitForURL(`${server.url}/`);
    await page.getByTestId('region-status').waitFor();
    await page.getByTestId('results-meta').waitFor();
  });

  it('pages through more searches than fit one page, from the keyboard', async () => {
    const session = (await (await page.request.get(`${server.url}/api/v1/auth/session`)).json()) as { csrfToken: string };
    const small = await generateSyntheticFundus({ seed: 5, grade: 1, size: 128 });
    for (let i = 0; i < 6; i++) {
      const response = await page.request.post(`${server.url}/api/v1/search?k=3`, {
        headers: { 'x-csrf-token': session.csrfToken },
        multipart: { image: { name: 'q.jpg', mimeType: 'image/jpeg', buffer: small } },
      });
      expect(response.status()).toBe(200);
    }
    await page.goto(`${server.url}/searches`);
    await page.getByTestId('my-searches-meta').filter({ hasText: 'Searches 1–10 of 12' }).waitFor();
    await page.getByTestId('my-searches-older').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('my-searches-meta').filter({ hasText: 'Searches 11–12 of 12' }).waitFor();
    expect(await page.getByTestId('my-search').count()).toBe(2);
    await page.screenshot({ path: screenshotPath('my-searches'), fullPage: true });
  });

  it('shows another user none of them, and refuses them the photographs', async () => {
    const firstId = await page.getByTestId('my-search').first().getAttribute('data-search-id');
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const otherPage = await other.newPage();
    await signIn(otherPage, server.url, CLINICIAN);
    await otherPage.getByTestId('nav-my-searches').click();
    await otherPage.getByTestId('my-searches-empty').waitFor();
    expect((await otherPage.request.get(`${server.url}/api/v1/searches/${firstId}/query`)).status()).toBe(404);
    await other.close();
  });

  it('fits a 390 px phone screen: my searches, the region editor and the refine marks', async () => {
    const { context: phone, page: small } = await openPhonePage(browser, context);
    await small.goto(`${server.url}/searches`);
    await small.getByTestId('my-search').first().waitFor();
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    await small.screenshot({ path: screenshotPath('my-searches-phone'), fullPage: true });
    await small.goto(server.url);
    await small.getByTestId('file-input').setInputFiles(queryImagePath);
    await small.getByTestId('results-meta').waitFor();
    await small.getByTestId('refine-controls').waitFor();
    await small.getByTestId('region-open').click();
    await small.getByTestId('region-canvas').waitFor();
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    await small.screenshot({ path: screenshotPath('refine-phone'), fullPage: true });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});
