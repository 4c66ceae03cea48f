import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, ROOT, bundleExample, chromiumPath } from './browser-build.js';

/*
 * examples/browser in a real headless Chromium: the page (index.html as it is on disk) loads the
 * bundle `npm run example:browser` builds, trains XOR, and shows the four predictions. The files
 * are served from a made-up origin by request interception, so nothing touches the network and
 * every request the page makes is seen.
 */

const ORIGIN = 'http://gradguard.test';
const PAGE = `${ORIGIN}/index.html`;
const SCRIPT = `${ORIGIN}/dist/main.js`;

describe('the browser example', () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    [bundle, browser] = await Promise.all([
      bundleExample(),
      chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('trains XOR to 4/4 in the page, with no console error and no request beyond the page and its script', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url === PAGE) await route.fulfill({ contentType: 'text/html', body: readFileSync(join(ROOT, 'examples/browser/index.html'), 'utf8') });
      else if (url === SCRIPT) await route.fulfill({ contentType: 'text/javascript', body: bundle });
      else await route.abort();
    });

    await page.goto(PAGE, { waitUntil: 'load' });
    const status = page.locator('#status');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 30_000 });
    expect(await status.getAttribute('data-state'), await status.innerText()).toBe('done');

    const rows = await page.locator('#predictions tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ label: (tr as HTMLElement).dataset['label'], predicted: (tr as HTMLElement).dataset['predicted'] })));
    expect(rows).toEqual([
      { label: '0', predicted: '0' }, { label: '1', predicted: '1' }, { label: '1', predicted: '1' }, { label: '0', predicted: '0' },
    ]);
    expect(await page.locator('#accuracy').innerText()).toBe('Accuracy: 4/4');
    expect(await page.locator('#step').innerText()).toBe(await page.locator('#steps').innerText());
    const loss = Number(await page.locator('#loss').innerText());
    expect(loss).toBeLessThan(0.1); // ln 2 ≈ 0.693 is chance level
    console.log(`browser example: final loss ${loss}, kernels ${await page.locator('#kernels').innerText()}`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([PAGE, SCRIPT]);
    await page.close();
  }, 60_000);
});
