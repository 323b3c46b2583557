// The web view in headless Chromium (Debian's, driven by playwright-core)
// against a real psd on a veth pair with real traffic. Run by
// tests/web/run_browser_tests.sh inside the namespace psd runs in
// (with_psd.sh sets PSW_*), so PSW_URL is that psd and the peer namespace
// sends the traffic; psd runs without an analyzer here, so that no flood
// of one test blocks the peer for the next. The flood, the detector's
// block and its decision: browser_flood.test.mjs. Screenshots of every
// page go to PSW_SCREENSHOTS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { URL, backgroundTraffic, env, hasDecisionLog, launch, openPage as open, peer, require, shots, stop, stopAll, waitFor } from './harness.mjs';

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = ['stack', 'path', 'traffic', 'policies', 'decisions'];

let browser;
let decisionsRoute = true; // psd serves /api/v1/decisions
const openPage = (errors, options) => open(browser, errors, decisionsRoute, options);

before(async () => {
  decisionsRoute = await hasDecisionLog();
  browser = await launch();
});

after(async () => {
  stopAll();
  await browser?.close();
});

describe('the web view against a real psd', () => {
  test('psd serves the page with a Content-Security-Policy and no CORS header', async () => {
    const reply = await fetch(`${URL}/`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(reply.status, 200);
    const csp = reply.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(reply.headers.get('access-control-allow-origin'), null);
    const html = await reply.text();
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
    const js = /src="([^"]+\.js)"/.exec(html)[1];
    const asset = await fetch(`${URL}${js}`, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.equal(asset.status, 200);
    // Compressed once: the build's gzip copy, never compressed again.
    assert.equal(asset.headers.get('content-encoding'), 'gzip');
    assert.ok((await asset.text()).length > 100000, 'the script decompresses');
    const css = /href="([^"]+\.css)"/.exec(html)[1];
    const style = await fetch(`${URL}${css}`, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.doesNotMatch(style.headers.get('content-encoding') ?? '', /,/);
    assert.match(await style.text(), /--fg/);
    assert.match(asset.headers.get('content-type'), /javascript/);
    assert.match(asset.headers.get('cache-control'), /immutable/);
    assert.equal(asset.headers.get('access-control-allow-origin'), null);
    const api = await fetch(`${URL}/api/v1/status`, { headers: { Origin: 'http://evil.example' } });
    assert.equal(api.headers.get('access-control-allow-origin'), null);
  });

  test('every page renders real data and logs no console error', async () => {
    const traffic = backgroundTraffic(20);
    const errors = [];
    const { context, page } = await openPage(errors);
    try {
      await page.goto(`${URL}/#/stack`);
      await waitFor(page, () => {
        const t = document.querySelector('[data-testid=proto-nic-ipv4\\/icmp]');
        return t && parseFloat(t.textContent) > 0;
      });
      await waitFor(page, () => (document.querySelector('[data-testid=sankey]')?.dataset.nodes ?? '').includes('socket delivery'));
      assert.ok((await page.locator('[data-testid=sankey] canvas').count()) > 0, 'the Sankey is drawn');
      await waitFor(page, () => document.querySelector('[data-testid=drops] [data-reason=NO_SOCKET]'));
      await page.screenshot({ path: join(shots, 'stack.png'), fullPage: true });

      await page.goto(`${URL}/#/path?addr=${env.PSW_PEER_ADDR}`);
      await waitFor(page, () => document.querySelectorAll('[data-testid=paths] button').length > 0);
      await waitFor(page, () => document.querySelectorAll('[data-testid=path-steps] li').length > 0);
      const steps = await page.locator('[data-testid=path-steps]').textContent();
      assert.match(steps, /xdp|net:|skb:/);
      await page.screenshot({ path: join(shots, 'path.png'), fullPage: true });

      await page.goto(`${URL}/#/traffic`);
      await waitFor(page, (a) => document.querySelector(`[data-testid=talkers] [data-source="${a}"]`), env.PSW_PEER_ADDR);
      await waitFor(page, () => parseFloat(document.querySelector('[data-testid=traffic-pps]').textContent) > 0);
      await page.screenshot({ path: join(shots, 'traffic.png'), fullPage: true });

      await page.goto(`${URL}/#/policies`);
      await waitFor(page, () => document.querySelector('[data-testid=rules-in-force] [data-rule=drop_blocked]'));
      await waitFor(page, () => (document.querySelector('[data-testid=operator-policy]')?.textContent ?? '').includes('policy psd_default'));
      assert.ok((await page.locator('[data-testid=operator-policy] .tok-keyword').count()) > 5, 'the PSL is highlighted');
      await page.screenshot({ path: join(shots, 'policies.png'), fullPage: true });

      await page.goto(`${URL}/#/decisions`);
      await waitFor(page, () => (document.querySelector('[data-testid=decisions-status]')?.textContent ?? '') !== '');
      await page.screenshot({ path: join(shots, 'decisions-empty.png'), fullPage: true });
      // Leaving the page ends its requests; give late errors a moment.
      await page.waitForTimeout(300);
      assert.deepEqual(errors, []);
    } finally {
      traffic.forEach(stop);
      await context.close();
    }
  });

  test('the live stream moves a number on the page within 2 s of traffic changing', async () => {
    const errors = [];
    const { context, page } = await openPage(errors);
    try {
      await page.goto(`${URL}/#/traffic`);
      await waitFor(page, () => document.querySelector('[data-testid=stream-state]')?.textContent === 'live');
      // Quiet first: the number settles near zero.
      await waitFor(page, () => parseFloat(document.querySelector('[data-testid=traffic-pps]').textContent) < 50, undefined, 10000);
      const t0 = Date.now();
      const burst = peer(['ping', '-q', '-i', '0.002', '-w', '6', env.PSW_ADDR]);
      try {
        await waitFor(page, () => {
          const t = document.querySelector('[data-testid=traffic-pps]').textContent;
          return parseFloat(t) >= 100 || /k|M/.test(t);
        }, undefined, 5000);
        const took = Date.now() - t0;
        console.log(`# the page showed the new rate ${took} ms after the traffic started`);
        assert.ok(took <= 2000, `took ${took} ms`);
      } finally {
        stop(burst);
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the keyboard reaches every page, and axe-core finds no serious or critical violation', async () => {
    const traffic = backgroundTraffic(15);
    const errors = [];
    const { context, page } = await openPage(errors);
    try {
      await page.goto(`${URL}/#/stack`);
      for (const id of PAGES) {
        // Tab from the top of the page to the link, then Enter.
        await page.evaluate(() => document.activeElement?.blur());
        let reached = false;
        for (let i = 0; i < 20 && !reached; i++) {
          await page.keyboard.press('Tab');
          reached = await page.evaluate((pid) => document.activeElement?.getAttribute('data-page') === pid, id);
        }
        assert.ok(reached, `Tab reaches the link to ${id}`);
        await page.keyboard.press('Enter');
        await waitFor(page, (pid) => location.hash.startsWith(`#/${pid}`), id);
        await page.waitForTimeout(1500); // a window of live data
        const result = await page.evaluate(`${axeSource}; axe.run(document, { resultTypes: ['violations'] })`);
        const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(
          bad.map((v) => `${id}: ${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
          [],
        );
      }
      assert.deepEqual(errors, []);
    } finally {
      traffic.forEach(stop);
      await context.close();
    }
  });
});
