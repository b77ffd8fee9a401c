// End to end: the neighbours' grade vote as decision support. A trained model without a stored evaluation
// suggests nothing and says why; once an evaluation is stored, the suggestion appears beside the vote's
// measured agreement with the grader. Desktop and a 390 px phone.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type E2eServer,
  type E2eSession,
  horizontalOverflow,
  openE2eSession,
  openPhonePage,
  screenshotPath,
  signIn,
  writeSyntheticFundus,
} from './harness.ts';
import { seedEvaluation } from './seed-evaluation.ts';

let server: E2eServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let queryImagePath: string;
let session: E2eSession;
const pageErrors: string[] = [];

beforeAll(async () => {
  // A short training: a trained model, as a fresh start serves, without waiting long.
  session = await openE2eSession({ demoImages: 12, trainSeconds: 5 }, pageErrors);
  ({ server, browser, context, page } = session);
  queryImagePath = await writeSyntheticFundus(server, 'query-fundus.jpg', { seed: 321, grade: 1 });
  await signIn(page, server.url, ADMIN);
}, 600_000);

afterAll(async () => {
  await session?.close();
});

async function search(target: Page = page) {
  await target.getByTestId('file-input').setInputFiles(queryImagePath);
  await target.getByTestId('grade-suggestion').waitFor();
  return target.getByTestId('grade-suggestion');
}

describe('grade suggestion', () => {
  it('suggests nothing for a model that was never evaluated, and says so', async () => {
    const panel = await search();
    expect(await panel.getAttribute('data-kind')).toBe('withheld');
    expect(await page.getByTestId('suggestion-withheld').textContent()).toMatch(/no stored evaluation/);
    expect(await panel.textContent()).toMatch(/not a diagnosis/);
  });

  it('shows the vote with the model’s measured agreement once an evaluation is stored', async () => {
    await server.stop();
    await seedEvaluation(server.env, { name: 'demo-synthetic', mapPoints: 50 });
    await server.restart();
    // Sessions are stored, and cookies do not depend on the (new) port: still signed in.
    await page.goto(server.url);
    const panel = await search();
    expect(await panel.getAttribute('data-kind')).toBe('suggest');
    const grade = Number(await page.getByTestId('suggestion-grade').getAttribute('data-grade'));
    // The suggested grade is one the shown neighbours have, and the shares add up to the whole vote.
    const cardGrades = await page.getByTestId('result-card').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-grade')));
    expect(cardGrades).toContain(String(grade));
    const shares = await page.getByTestId('suggestion-spread').locator('li').allTextContents();
    const total = shares.map((text) => Number(/(\d+)%/.exec(text)![1])).reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 100)).toBeLessThanOrEqual(shares.length);
    expect(await page.getByTestId('suggestion-evidence').textContent()).toMatch(
      /^On \d+ held-out images this model’s 10-NN vote agreed with the grader \d+% of the time( \(chance \d+%\))?, quadratic kappa (-?\d\.\d{3}|—)/,
    );
    expect(await panel.textContent()).not.toMatch(/diagnosis is|diagnosed/i);
    await page.screenshot({ path: screenshotPath('grade-suggestion'), fullPage: true });
  });

  it('withholds the suggestion while a grade filter decides which grades vote', async () => {
    await page.goto(`${server.url}/?grade=0-1`);
    await search();
    expect(await page.getByTestId('suggestion-withheld').textContent()).toMatch(/grade filter is on/);
  });

  it('reads at 390 px', async () => {
    const { context: phone, page: small } = await openPhonePage(browser, context);
    await small.goto(server.url);
    await search(small);
    expect(await small.getByTestId('grade-suggestion').getAttribute('data-kind')).toBe('suggest');
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});
