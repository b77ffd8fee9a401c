// Shared by the end-to-end files: build the web app once, start the real API in-process on a fresh data
// directory, launch Debian's Chromium, sign in. Each test file starts its own server.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@cbmir/api';
import { generateSyntheticFundus, type SyntheticFundusOptions } from '@cbmir/imaging';
import { chromium, request, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN = { username: 'admin', password: 'e2e-admin-password' };
export const SCREENSHOT_DIR = process.env.CBMIR_SCREENSHOT_DIR ?? tmpdir();

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The server serves apps/web/dist, so test what the source says now. Files running side by side share
 * one build: a lock directory makes the others wait, and they skip the build when dist is newer than src.
 */
export async function buildWebApp(): Promise<void> {
  const dist = path.join(WEB_ROOT, 'dist/index.html');
  if (process.env.CBMIR_E2E_SKIP_BUILD === '1' && existsSync(dist)) return;
  const lock = path.join(tmpdir(), 'cbmir-web-build.lock');
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after two minutes.
      if (Date.now() - started > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    const sources = Math.max(newestMtime(path.join(WEB_ROOT, 'src')), statSync(path.join(WEB_ROOT, 'index.html')).mtimeMs);
    if (existsSync(dist) && statSync(dist).mtimeMs > sources) return;
    const viteBin = path.join(path.dirname(createRequire(path.join(WEB_ROOT, 'package.json')).resolve('vite/package.json')), 'bin/vite.js');
    execFileSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: WEB_ROOT, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface E2eServer {
  url: string;
  dataDir: string;
  env: Record<string, string>;
  close(): Promise<void>;
  /** Stops the server but keeps its data, e.g. to change the database with the CLI's services. */
  stop(): Promise<void>;
  /** Starts it again on the same data directory. */
  restart(): Promise<void>;
}

/** The model that ships with cbmir (ResNet-18, 224 px), for tests that want a trained model without training one. */
export const SHIPPED_MODEL_DIR = path.join(WEB_ROOT, '../../models/default');

export async function startE2eServer(options: { demoImages: number; trainSeconds: number; defaultModel?: string }): Promise<E2eServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cbmir-e2e-'));
  const env = {
    PORT: '0',
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: String(options.demoImages),
    CBMIR_DEMO_TRAIN_SECONDS: String(options.trainSeconds),
    // the tests train and check the synthetic demo model, which a trained default model would make unnecessary
    CBMIR_DEFAULT_MODEL: options.defaultModel ?? 'untrained',
    CBMIR_ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
  };
  let running: Awaited<ReturnType<typeof startServer>> | null = await startServer(env);
  const handle: E2eServer = {
    url: running.url,
    dataDir,
    env,
    async stop() {
      await running?.close();
      running = null;
    },
    async restart() {
      running = await startServer(env);
      handle.url = running.url;
    },
    async close() {
      await handle.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A synthetic fundus photograph written into the server's data directory (for a file input); returns its path. */
export async function writeSyntheticFundus(server: E2eServer, fileName: string, options: SyntheticFundusOptions): Promise<string> {
  const file = path.join(server.dataDir, fileName);
  await writeFile(file, await generateSyntheticFundus(options));
  return file;
}

/** A test file's world: the built web app on a fresh server, Chromium, and a desktop page; close() ends all three. */
export interface E2eSession {
  server: E2eServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** buildWebApp, startE2eServer(options), launchBrowser and openDesktopPage (its errors go to `errors`). */
export async function openE2eSession(options: Parameters<typeof startE2eServer>[0], errors: string[]): Promise<E2eSession> {
  await buildWebApp();
  const server = await startE2eServer(options);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const { context, page } = await openDesktopPage(browser, errors);
    return {
      server,
      browser,
      context,
      page,
      async close() {
        await context.close();
        await browser?.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CBMIR_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A desktop-sized context with one page whose uncaught exceptions and console errors go to `errors`. */
export async function openDesktopPage(browser: Browser, errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  collectPageErrors(page, errors);
  return { context, page };
}

/** Uncaught exceptions and console errors; Chromium's own lines for 4xx responses are expected. */
function collectPageErrors(page: Page, into: string[]): void {
  page.on('pageerror', (error) => into.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) into.push(message.text());
  });
}

export async function signIn(page: Page, baseUrl: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/`);
}

/** An admin session for arranging a test through the REST API (cookie plus CSRF header). */
export async function adminApi(baseUrl: string): Promise<{ api: APIRequestContext; csrf: Record<string, string> }> {
  const api = await request.newContext({ baseURL: baseUrl });
  const login = await api.post('/api/v1/auth/login', { data: ADMIN });
  if (!login.ok()) throw new Error(`admin sign-in failed: ${login.status()} ${await login.text()}`);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return { api, csrf: { 'x-csrf-token': csrfToken } };
}

export function screenshotPath(name: string): string {
  return path.join(SCREENSHOT_DIR, `cbmir-${name}.png`);
}

/** A 390 px phone (touch, mobile viewport) signed in as `from` is, with one page. */
export async function openPhonePage(browser: Browser, from: BrowserContext): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await context.addCookies(await from.cookies());
  return { context, page: await context.newPage() };
}

/** How far the page runs past the right edge of the viewport (0 or less: it fits). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}
