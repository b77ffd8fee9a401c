// End to end: filters on the search page, kept in the URL, driven with mouse and keyboard, on a desktop and
// at a 390 px phone viewport. The demo seed: grades cycle 0-4, eyes alternate left/right, source "demo".
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { buildTestDicom, TRANSFER_SYNTAX } from '@cbmir/imaging/testing';
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

const DEMO_IMAGES = 20;

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
  queryImagePath = await writeSyntheticFundus(server, 'query-fundus.jpg', { seed: 99, grade: 3 });
  await signIn(page, server.url, ADMIN);
}, 600_000);

afterAll(async () => {
  await session?.close();
});

async function cards(): Promise<{ grade: string; eye: string }[]> {
  return page
    .getByTestId('result-card')
    .evaluateAll((all) => all.map((card) => ({ grade: card.getAttribute('data-grade')!, eye: card.getAttribute('data-eye')! })));
}

async function searchAndWait() {
  await page.getByTestId('file-input').setInputFiles(queryImagePath);
  await page.getByTestId('results-meta').waitFor();
}

describe('search filters in the browser', () => {
  it('reads filters from a shared URL and keeps only the matching cases', async () => {
    await page.goto(`${server.url}/?grade=2-4&eye=right`);
    expect(await page.getByTestId('filter-grade-0').isChecked()).toBe(false);
    expect(await page.getByTestId('filter-grade-3').isChecked()).toBe(true);
    expect(await page.getByTestId('filter-eye-right').isChecked()).toBe(true);
    await searchAndWait();
    const found = await cards();
    // 20 demo cases: right eyes are the odd ones, grades 1,3,0,2,4,...: 6 of them are grade 2-4.
    expect(found).toHaveLength(6);
    expect(found.every((card) => card.eye === 'right' && ['2', '3', '4'].includes(card.grade))).toBe(true);
    expect(await page.getByTestId('results-meta').textContent()).toMatch(/among the 6 indexed cases that pass the filters/);
    await page.screenshot({ path: screenshotPath('search-filters'), fullPage: true });
  });

  it('changes a filter from the keyboard, re-runs the search and puts it in the URL', async () => {
    await page.getByTestId('filter-grade-4').focus();
    await page.keyboard.press('Space');
    await page.waitForURL(/grade=2-3/);
    // 4 right eyes of grade 2-3 (6 before, 2 of them grade 4; while the new search runs, the list is empty).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result-card"]').length === 4);
    const found = await cards();
    expect(found.length).toBe(4);
    expect(found.every((card) => ['2', '3'].includes(card.grade))).toBe(true);
    // Back undoes the change.
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result-card"]').length === 6);
  });

  it('says so when no case passes, and what to do', async () => {
    await page.getByTestId('filter-source').fill('another-hospital');
    await page.keyboard.press('Enter');
    await page.waitForURL(/source=another-hospital/);
    const empty = page.getByTestId('no-results');
    await empty.waitFor();
    expect(await empty.textContent()).toMatch(/No indexed case passes these filters. Widen or clear them/);
    await page.getByTestId('filter-clear').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result-card"]').length === 10);
    expect(new URL(page.url()).search).toBe('');
  });

  it('points out a contradictory filter in the URL instead of searching', async () => {
    await page.goto(`${server.url}/?ingestedFrom=2026-05-02&ingestedTo=2026-05-01`);
    const problem = page.getByTestId('filter-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/after ingestedTo/);
  });

  it('fits a 390 px phone screen', async () => {
    const { context: phone, page: small } = await openPhonePage(browser, context);
    await small.goto(`${server.url}/?grade=0-1,unknown&eye=left`);
    await small.getByTestId('filter-panel').waitFor();
    await small.getByTestId('file-input').setInputFiles(queryImagePath);
    await small.getByTestId('results-meta').waitFor();
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    await small.screenshot({ path: screenshotPath('search-filters-phone'), fullPage: true });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});

describe('DICOM on the search page', () => {
  it('searches with a DICOM photograph and explains a transfer syntax it cannot read', async () => {
    const fundus = await generateSyntheticFundus({ seed: 98, grade: 2 });
    const dicomPath = path.join(server.dataDir, 'camera-export.dcm');
    await writeFile(dicomPath, await buildTestDicom(fundus, { imageLaterality: 'L', patientId: 'MRN-E2E' }));
    const j2kPath = path.join(server.dataDir, 'camera-j2k.dcm');
    await writeFile(j2kPath, await buildTestDicom(fundus, { transferSyntax: TRANSFER_SYNTAX.jpeg2000 }));
    await page.goto(server.url);
    await page.getByTestId('file-input').setInputFiles(dicomPath);
    await page.getByTestId('results-meta').waitFor();
    expect(await page.getByTestId('result-card').count()).toBe(10);
    // Its patient can be left out: the filter takes the salted reference, never the Patient ID.
    await page.getByTestId('exclude-query-patient').click();
    await page.waitForURL(/excludePatient=dicom-[0-9a-f]{32}/);
    await page.getByTestId('query-patient').getByText('left out of the results').waitFor();
    expect(page.url()).not.toContain('MRN');
    await page.getByTestId('filter-clear').click();
    await page.getByTestId('file-input').setInputFiles(j2kPath);
    const error = page.getByTestId('search-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/JPEG 2000 \(1\.2\.840\.10008\.1\.2\.4\.91\) is not supported/);
    expect(await error.textContent()).toMatch(/DICOM \(JPEG Baseline or uncompressed RGB\)/);
  });
});

describe('case page', () => {
  it('shows the patient’s other eye and provenance, and searches with the case under the current filters', async () => {
    await page.goto(`${server.url}/?eye=right`);
    await searchAndWait();
    await page
      .getByTestId('result-card')
      .first()
      .getByRole('link', { name: /^Similar case/ })
      .click();
    await page.getByTestId('case-details').waitFor();
    const other = page.getByTestId('same-patient-image');
    await other.first().waitFor();
    expect(await other.count()).toBe(1);
    expect(await other.getAttribute('data-other-eye')).toBe('true');
    expect(await page.getByTestId('case-job').textContent()).toMatch(/none/);
    const caseUrl = page.url();
    const caseId = caseUrl.split('/cases/')[1]!;
    // From the keyboard: focus the link and press Enter.
    await page.getByTestId('search-with-case').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`\\?case=${caseId}`));
    await page.getByTestId('case-query').waitFor();
    // The case's own similar cases (itself left out) replace the upload's results.
    await page.waitForFunction((id) => {
      const cards = [...document.querySelectorAll('[data-testid="result-card"]')];
      return cards.length === 10 && cards.every((card) => card.getAttribute('data-image-id') !== id);
    }, caseId);
    // A filter applies to the case query too.
    await page.getByTestId('filter-panel').locator('summary').click();
    await page.getByTestId('filter-eye-left').click();
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('[data-testid="result-card"]')];
      return cards.length === 10 && cards.every((card) => card.getAttribute('data-eye') === 'left');
    });
    expect(page.url()).toMatch(new RegExp(`case=${caseId}`));
  });
});
