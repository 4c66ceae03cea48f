import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { CHROMIUM_ARGS, chromiumPath } from './browser-build.js';

/*
 * End to end: the default study (what `npm start` runs, about 15 s) writes its report, and a real headless Chromium (Debian's `chromium`
 * package, found with `which chromium`; .ci/run installs it) opens it. Every chart must be there
 * and non-empty, the page must log no error, hovering must show values, and a screenshot is
 * taken: into a temporary folder, or to the path in GRADGUARD_SCREENSHOT (`npm run docs:screenshot`
 * sets docs/report.png, the README's picture), so a test run never changes the repository.
 */

const CHARTS = ['chart-loss', 'chart-grad-norm', 'chart-heat-none', 'chart-amplification', 'chart-events'];

describe('the HTML report in a real browser', () => {
  let browser: Browser;
  let reportUrl: string;

  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gradguard-e2e-'));
    let out = '';
    const code = await main(
      ['study', '--out', 'report.html'],
      { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, cwd: folder },
    );
    expect(code, out).toBe(0);
    reportUrl = pathToFileURL(join(folder, 'report.html')).href;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows every chart non-empty, logs no error, shows values on hover, and can be captured as a PNG', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(reportUrl, { waitUntil: 'load' });

    const guardedHeat = await page.locator('svg.heat-map').count();
    expect(guardedHeat).toBe(2);
    for (const id of CHARTS) {
      const chart = page.locator(`svg#${id}`);
      const box = await chart.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width, id).toBeGreaterThan(300);
      expect(box!.height, id).toBeGreaterThan(100);
      const marks = await chart.locator('path.series, rect.cell, rect.bar, .event').count();
      expect(marks, id).toBeGreaterThan(0);
    }
    const lossPaths = await page.locator('svg#chart-loss path.series').evaluateAll((paths) =>
      paths.map((p) => ({ series: p.getAttribute('data-series'), length: (p as SVGPathElement).getTotalLength() })));
    expect(lossPaths).toHaveLength(7);
    for (const path of lossPaths) expect(path.length, path.series ?? '').toBeGreaterThan(10);
    expect(await page.locator('#summary-table tbody tr').count()).toBe(7);
    expect(await page.locator('#diagnosis').innerText()).toMatch(/exploding|vanishing|healthy/i);

    const lossChart = page.locator('svg#chart-loss');
    await lossChart.scrollIntoViewIfNeeded();
    const box = (await lossChart.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
    const tooltip = page.locator('.tooltip');
    await expect.poll(async () => tooltip.isVisible()).toBe(true);
    expect(await tooltip.innerText()).toMatch(/^step \d+\n[\s\S]*global-norm clip: [\d.e-]+/);
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));

    expect(problems).toEqual([]);
    const screenshot = process.env.GRADGUARD_SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'gradguard-e2e-')), 'report.png');
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  }, 120_000);

  it('is readable without JavaScript: the charts and the table are in the page itself', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(reportUrl, { waitUntil: 'load' });
    for (const id of CHARTS) expect(await page.locator(`svg#${id}`).count(), id).toBe(1);
    expect(await page.locator('#summary-table tbody tr').count()).toBe(7);
    await context.close();
  }, 60_000);
});
