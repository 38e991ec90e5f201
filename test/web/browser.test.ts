import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama, REPO } from '../helpers/llama.js';
import { git, makeRun, startServe, until } from './helpers.js';

/** Debian's chromium; CI installs it (.ci/run). playwright-core drives it and downloads nothing. */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: the browser tests of llama serve need ${CHROMIUM} (Debian package "chromium"; apt-get install chromium)`);

async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  // A fresh profile per test run (playwright passes it as --user-data-dir).
  const profile = mkdtempSync(join(tmpdir(), 'llama-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** How many distinct colours an image (a data URL or a same-origin URL) has, counted in the page. */
async function colours(page: Page, src: string): Promise<number> {
  return page.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add(((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number));
    return seen.size;
  }, src);
}

describe.skipIf(!haveChromium)('llama serve in a real browser (chromium)', () => {
  let browser: Awaited<ReturnType<typeof launch>>;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows an event ingested while the page is open, without a reload', async () => {
    const run = makeRun();
    // The LLAMA pipeline (no --rules): the ingested notice's event shows its rules' states.
    const server = await startServe([`${run.runDir}/`], run.env);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/run/`);
      await page.waitForSelector('#live.on');
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      expect(await page.locator('tr[data-event="MS260103c-1-Preliminary"]').count()).toBe(0);
      const notice = join(REPO, 'test', 'ingest', 'fixtures', 'MS260103c-1-Preliminary.xml');
      const ingested = await llama(['ingest', 'gcn', '--run', run.runDir, notice], { env: run.env });
      expect(ingested.code, ingested.stderr).toBe(0);
      await page.waitForSelector('tr[data-event="MS260103c-1-Preliminary"]', { timeout: 20_000 });
      // The same document: no navigation happened.
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      expect(await page.locator('tr[data-event="MS260103c-1-Preliminary"]').textContent()).toContain('ROLE=test');
      // A change inside a listed event updates its row in place.
      const flagged = await llama(['flags', run.eventDir, '--flags', 'UPLOAD=true'], { env: run.env });
      expect(flagged.code, flagged.stderr).toBe(0);
      await page.waitForSelector('tr[data-event="S1"]:has-text("UPLOAD")', { timeout: 20_000 });
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    } finally {
      await page.close();
      await server.stop();
    }
  });

  it('a flag change from the page lands in FLAGS.json and in git', async () => {
    const run = makeRun();
    const server = await startServe([`${run.runDir}/`, '--rules', run.spec], run.env);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/run/S1`);
      await page.waitForSelector('#live.on');
      await page.selectOption('#flag-form select[name="VETOED"]', 'true');
      await page.click('#flag-form button');
      expect(await until(() => JSON.parse(readFileSync(join(run.eventDir, 'FLAGS.json'), 'utf8'))['VETOED'] === 'true', 20_000)).toBe(true);
      // The commit follows the write (both under the event lock).
      expect(await until(() => git(run.eventDir, ['log', '-n1', '--format=%s']).trim() === 'From GUI: Set flags VETOED=true', 20_000)).toBe(true);
      expect(git(run.eventDir, ['show', 'HEAD:FLAGS.json'])).toContain('"VETOED": "true"');
      // The page follows: the flag table and the rules' states update live.
      await page.waitForSelector('td.flag-value[data-flag="VETOED"]:has-text("true")', { timeout: 20_000 });
      await page.waitForSelector('tr[data-rule="Prep"][data-state="vetoed"]', { timeout: 20_000 });
    } finally {
      await page.close();
      await server.stop();
    }
  });

  it('a regenerate click produces the file, and the page shows it fresh', async () => {
    const run = makeRun();
    const server = await startServe([`${run.runDir}/`, '--rules', run.spec], run.env);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/run/S1`);
      await page.waitForSelector('#live.on');
      expect(existsSync(join(run.eventDir, 'prep.dat'))).toBe(false);
      await page.click('tr[data-rule="Prep"] form[data-action="regenerate"] button');
      expect(await until(() => existsSync(join(run.eventDir, 'prep.dat')), 60_000)).toBe(true);
      expect(readFileSync(join(run.eventDir, 'prep.dat'), 'utf8')).toBe('a\nb\n');
      // The commit follows the rename into place.
      expect(await until(() => git(run.eventDir, ['log', '--format=%s']).includes('Done regenerating Prep.'), 30_000)).toBe(true);
      await page.waitForSelector('tr[data-rule="Prep"][data-state="fresh"]', { timeout: 30_000 });
    } finally {
      await page.close();
      await server.stop();
    }
  });

  it("renders the bundled example's event page with its plots (screenshot not blank)", async () => {
    const root = mkdtempSync(join(tmpdir(), 'llama-web-example-'));
    const runDir = join(root, 'run');
    cpSync(join(REPO, 'examples', 'run'), runDir, { recursive: true });
    const examples = join(REPO, 'examples');
    // The example's offline services, as scripts/example.mjs sets them.
    const env = {
      LLAMA_OUTPUT_DIR: join(root, 'out'),
      LLAMA_CACHEDIR: join(root, 'cache'),
      LLAMA_GRACEDB_URL: `${pathToFileURL(join(examples, 'gracedb')).href}/`,
      LLAMA_ICECUBE_SOURCE: pathToFileURL(join(examples, 'icecube', 'neutrinos.jsonl')).href,
      LLAMA_NEUTRINO_ARCHIVE_URL: pathToFileURL(join(examples, 'icecube', 'neutrinos.jsonl')).href,
      LLAMA_FERMI_GRB_CATALOG: join(examples, 'fermi', 'grbs.csv'),
      LLAMA_FSYNC: 'off',
    };
    const made = await llama(['run', join(runDir, 'MS260102b'), '-o', '-F', '-v', 'warning', '+f', 'CoincScatterI3LvcPng', 'CoincSummaryI3LvcPdf'], { env, timeoutMs: 110_000 });
    expect(made.code, made.stderr).toBe(0);
    const server = await startServe([`${runDir}/`], env);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/run/MS260102b`);
      const plot = page.locator('img.plot').first();
      await plot.waitFor();
      await page.waitForFunction(() => [...document.querySelectorAll('img.plot')].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
      expect(await page.locator('svg.dag a.node').count()).toBeGreaterThan(30);
      expect(await page.locator('svg.dag a.node[data-state="fresh"]').count()).toBeGreaterThan(3);
      const src = (await plot.getAttribute('src')) as string;
      expect(await colours(page, src)).toBeGreaterThan(50);
      // The summary PDF's first page, drawn by pdf.js into a canvas.
      await page.waitForSelector('canvas.pdf-preview[data-rendered="1"]', { timeout: 30_000 });
      expect(await colours(page, await page.locator('canvas.pdf-preview').evaluate((c) => (c as HTMLCanvasElement).toDataURL('image/png')))).toBeGreaterThan(50);
      // The skymap's file page shows its FITS headers (values as astropy reads them).
      const skymapPage = await (await fetch(`${server.url}/run/MS260102b/files/lvc_skymap.fits.gz`)).text();
      expect(skymapPage).toContain('FITS header, HDU 1');
      expect(skymapPage).toMatch(/NSIDE\s+=\s+64/);
      expect(skymapPage).toMatch(/ORDERING=\s+&#39;RING/);
      const shot = await page.screenshot({ fullPage: true });
      writeFileSync(join(root, 'event-page.png'), shot);
      expect(await colours(page, `data:image/png;base64,${shot.toString('base64')}`)).toBeGreaterThan(50);
    } finally {
      await page.close();
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
