// The web view when psd listens beyond loopback with a token: the page's
// files load without it, every API request is refused without it, the
// page asks for it, keeps it for the tab and sends it in the
// Authorization header, never in a URL. Run by run_browser_tests.sh with
// PSW_TOKEN set (with_psd.sh then listens on 192.0.2.1:9477).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = process.env;
for (const k of ['PSW_URL', 'PSW_TOKEN', 'PSW_NODE_MODULES', 'PSW_SCREENSHOTS'])
  if (!env[k]) throw new Error(`${k} is not set: run this through tests/web/run_browser_tests.sh`);
const require = createRequire(join(env.PSW_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const URL = env.PSW_URL;
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: env.PSW_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    headless: true,
  });
});
after(async () => browser?.close());

test('beyond loopback the page loads, asks for the token and sends it only in a header', async () => {
  assert.match(URL, /192\.0\.2\.1/);
  assert.equal((await fetch(`${URL}/`)).status, 200, 'the page itself needs no token');
  assert.equal((await fetch(`${URL}/api/v1/summary`)).status, 401);
  const decisionsRoute = (await fetch(`${URL}/api/v1/decisions`, { headers: { Authorization: `Bearer ${env.PSW_TOKEN}` } })).status !== 404;

  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  let tokenGiven = false;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Before the token, psd's 401s are logged by Chromium as errors; so
    // is the 404 of a psd without the decision log.
    if (!tokenGiven && /401/.test(m.text())) return;
    if (!decisionsRoute && /\/api\/v1\/decisions/.test(m.location()?.url ?? '') && /404/.test(m.text())) return;
    errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization ?? null, after: tokenGiven }));
  try {
    await page.goto(`${URL}/#/stack`);
    await page.waitForSelector('dialog[open]', { timeout: 10000 });
    await page.screenshot({ path: join(env.PSW_SCREENSHOTS, 'token-prompt.png') });
    tokenGiven = true;
    await page.fill('#token-input', env.PSW_TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=stream-state]')?.textContent === 'live', undefined, { timeout: 15000 });
    await page.waitForFunction(() => (document.querySelector('[data-testid=sankey]')?.dataset.nodes ?? '') !== '', undefined, { timeout: 15000 });
    for (const r of requests) assert.ok(!r.url.includes(env.PSW_TOKEN), `the token is in a URL: ${r.url}`);
    const api = requests.filter((r) => r.after && r.url.includes('/api/v1/'));
    assert.ok(api.length >= 3, 'the page read the API with the token');
    for (const r of api) assert.equal(r.auth, `Bearer ${env.PSW_TOKEN}`, r.url);
    // The token stays with the tab only.
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
