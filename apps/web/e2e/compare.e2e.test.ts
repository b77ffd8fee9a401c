// End to end: the compare view. From a result card (and from a case page), the query and a result side by
// side, walked through with the arrow keys, zoomed and panned together, with the occlusion map of each over
// it; and at 390 px. Served by the shipped ResNet-18 (224 px), so the maps are those of a trained model.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type E2eServer,
  type E2eSession,
  horizontalOverflow,
  openE2eSession,
  openPhonePage,
  screenshotPath,
  SHIPPED_MODEL_DIR,
  signIn,
  writeSyntheticFundus,
} from './harness.ts';

let server: E2eServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let queryImagePath: string;
let session: E2eSession;
const pageErrors: string[] = [];

beforeAll(async () => {
  session = await openE2eSession({ demoImages: 8, trainSeconds: 0, defaultModel: SHIPPED_MODEL_DIR }, pageErrors);
  ({ server, browser, context, page } = session);
  queryImagePath = await writeSyntheticFundus(server, 'query-fundus.jpg', { seed: 2024, grade: 3 });
  await signIn(page, server.url, ADMIN);
}, 600_000);

afterAll(async () => {
  await session?.close();
});

const cardIds = (target: Page = page) => target.getByTestId('result-card').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-image-id')!));
const stage = (pane: 'query-pane' | 'result-pane', target: Page = page) => target.getByTestId(pane).getByTestId('zoom-stage');

async function zoomOf(target: Page = page) {
  const read = async (locator: Locator) => ({ zoom: await locator.getAttribute('data-zoom'), pan: await locator.getAttribute('data-pan') });
  return { query: await read(stage('query-pane', target)), result: await read(stage('result-pane', target)) };
}

describe('compare view', () => {
  it('opens from a result card: the query and that result side by side, with grade, eye and source', async () => {
    await page.getByTestId('file-input').setInputFiles(queryImagePath);
    await page.getByTestId('result-card').first().waitFor();
    const ids = await cardIds();
    const card = page.getByTestId('result-card').nth(1);
    const grade = await card.getAttribute('data-grade');
    await card.getByTestId('compare-link').click();
    await page.waitForURL(`**/compare?result=${ids[1]}`);
    expect(await page.getByTestId('compare-position').textContent()).toBe(`2 of ${ids.length}`);
    expect(await page.getByTestId('query-source').textContent()).toBe('uploaded in this search');
    await expect.poll(() => page.getByTestId('result-source').textContent()).toBe('demo');
    expect(await page.getByTestId('result-grade').getByTestId('grade').getAttribute('data-grade')).toBe(grade);
    expect(await page.getByTestId('result-eye').textContent()).toMatch(/^(Left \(OS\)|Right \(OD\))$/);
    await expect
      .poll(() =>
        page
          .getByTestId('result-pane')
          .locator('img')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      )
      .toBe(true);
  });

  it('walks the ranked list with the arrow keys', async () => {
    const second = new URL(page.url()).searchParams.get('result');
    expect(second).not.toBeNull();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('compare-position').textContent()).toMatch(/^3 of \d+$/);
    const third = new URL(page.url()).searchParams.get('result');
    expect(third).not.toBe(second);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('compare-position').textContent()).toMatch(/^1 of \d+$/);
    expect(await page.getByTestId('compare-previous').isDisabled()).toBe(true);
    await page.keyboard.press('ArrowLeft'); // already first: stays
    expect(await page.getByTestId('compare-position').textContent()).toMatch(/^1 of \d+$/);
    // On the view radios the arrow keys choose the view, as radios do, and leave the list alone.
    await page.getByTestId('view-original').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('view-network').isChecked()).toBe(true);
    expect(await page.getByTestId('compare-position').textContent()).toMatch(/^1 of \d+$/);
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('view-original').isChecked()).toBe(true);
    await page.getByTestId('compare-hint').click();
  });

  it('shows the explanation as a heat map over both images when the overlay is on', async () => {
    expect(await page.getByTestId('heat-overlay').count()).toBe(0);
    await page.getByTestId('overlay-toggle').check();
    await page.getByTestId('explanation-legend').waitFor({ timeout: 120_000 });
    for (const pane of ['query-pane', 'result-pane'] as const) {
      const cells = page.getByTestId(pane).getByTestId('heat-cell');
      expect(await cells.count()).toBe(49);
      const deltas = (await cells.evaluateAll((all) => all.map((cell) => Number(cell.getAttribute('data-delta'))))).filter((d) => d !== 0);
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.every(Number.isFinite)).toBe(true);
    }
    expect(await page.getByTestId('query-pane').getByTestId('heat-overlay').getAttribute('data-side')).toBe('query');
    expect(await page.getByTestId('result-pane').getByTestId('heat-overlay').getAttribute('data-side')).toBe('case');
    // In the network's view the map covers the whole (preprocessed) image.
    await page.getByTestId('view-network').check();
    await expect.poll(() => page.getByTestId('query-pane').locator('img').getAttribute('src')).toMatch(/^blob:/);
    expect(await page.getByTestId('result-pane').locator('img').getAttribute('src')).toMatch(/\/preprocessed$/);
    expect(
      await page
        .getByTestId('result-pane')
        .getByTestId('heat-overlay')
        .evaluate((el: HTMLElement) => el.style.width),
    ).toBe('100%');
    await page.getByTestId('view-original').check();
    await expect
      .poll(() =>
        page
          .getByTestId('result-pane')
          .locator('img')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      )
      .toBe(true);
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshotPath('compare'), fullPage: true });
    await page.getByTestId('overlay-toggle').uncheck();
    expect(await page.getByTestId('heat-overlay').count()).toBe(0);
  });

  it('zooms and pans both images together: buttons, wheel, drag, keys', async () => {
    expect(await zoomOf()).toEqual({ query: { zoom: '1.00', pan: '0.000,0.000' }, result: { zoom: '1.00', pan: '0.000,0.000' } });
    await page.getByTestId('zoom-in').click();
    let now = await zoomOf();
    expect(now.query).toEqual(now.result);
    expect(now.query.zoom).toBe('1.50');

    const box = (await page.getByTestId('query-pane').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => Number((await zoomOf()).result.zoom)).toBeGreaterThan(1.5);
    now = await zoomOf();
    expect(now.query).toEqual(now.result);

    const resultBox = (await page.getByTestId('result-pane').boundingBox())!;
    const before = now.result.pan;
    await page.mouse.move(resultBox.x + resultBox.width / 2, resultBox.y + resultBox.height / 2);
    await page.mouse.down();
    await page.mouse.move(resultBox.x + resultBox.width / 2 - 60, resultBox.y + resultBox.height / 2 - 40, { steps: 5 });
    await page.mouse.up();
    now = await zoomOf();
    expect(now.result.pan).not.toBe(before);
    expect(now.query).toEqual(now.result);

    await page.keyboard.press('0');
    expect(await zoomOf()).toEqual({ query: { zoom: '1.00', pan: '0.000,0.000' }, result: { zoom: '1.00', pan: '0.000,0.000' } });
    await page.keyboard.press('+');
    expect((await zoomOf()).query.zoom).toBe('1.50');
    await page.getByTestId('zoom-reset').click();
  });

  it('opens from a case page, with that case as the query', async () => {
    const listed = (await (await page.request.get(`${server.url}/api/v1/images?limit=1`)).json()) as { images: { id: string }[] };
    const caseId = listed.images[0]!.id;
    await page.goto(`${server.url}/cases/${caseId}`);
    const similar = page.getByTestId('result-grid').getByTestId('result-card');
    await similar.first().waitFor();
    const similarIds = await similar.evaluateAll((cards) => cards.map((card) => card.getAttribute('data-image-id')!));
    await similar.first().getByTestId('compare-link').click();
    await page.waitForURL(`**/compare?result=${similarIds[0]}&query=${caseId}`);
    await expect.poll(() => page.getByTestId('query-source').textContent()).toBe('demo');
    await expect.poll(() => page.getByTestId('compare-position').textContent()).toBe(`1 of ${similarIds.length}`);
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(`**/compare?result=${similarIds[1]}&query=${caseId}`);
    await page.getByTestId('overlay-toggle').check();
    await page.getByTestId('explanation-legend').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('query-pane').getByTestId('heat-cell').count()).toBe(49);
  });

  it('fits a 390 px phone: panes side by side, nothing runs off the screen, the overlay still toggles', async () => {
    const url = page.url();
    const { context: phone, page: small } = await openPhonePage(browser, context);
    await small.goto(url);
    await small.getByTestId('compare-page').waitFor();
    await expect.poll(() => small.getByTestId('result-source').textContent()).toBe('demo');
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    const query = (await small.getByTestId('query-pane').boundingBox())!;
    const result = (await small.getByTestId('result-pane').boundingBox())!;
    expect(query.width).toBeGreaterThan(120);
    expect(Math.abs(query.y - result.y)).toBeLessThan(2);
    await small.getByTestId('overlay-toggle').check();
    await small.getByTestId('result-pane').getByTestId('heat-overlay').waitFor({ timeout: 120_000 });
    await small.getByTestId('zoom-in').click();
    expect((await zoomOf(small)).result.zoom).toBe('1.50');
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    await small.screenshot({ path: screenshotPath('compare-phone'), fullPage: true });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});
