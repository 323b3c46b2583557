// What the browser tests share: their environment (set by
// run_browser_tests.sh and with_psd.sh), Chromium launched the way this
// machine needs it, bounded traffic from the peer namespace, psc against
// psd's pins, and a page that collects every console error.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const env = process.env;
for (const k of ['PSW_URL', 'PSW_PEER_NS', 'PSW_ADDR', 'PSW_PEER_ADDR', 'PSW_IFACE', 'PSW_PSC', 'PSW_NODE_MODULES', 'PSW_SCREENSHOTS'])
  if (!env[k]) throw new Error(`${k} is not set: run this through tests/web/run_browser_tests.sh`);
export const require = createRequire(join(env.PSW_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');

export const URL = env.PSW_URL;
export const shots = env.PSW_SCREENSHOTS;
mkdirSync(shots, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: env.PSW_CHROMIUM ?? '/usr/bin/chromium',
    // --headless etc. are Playwright's own; these keep Chromium from
    // reaching out (the machine refuses outbound connections).
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    headless: true,
    timeout: 60000,
  });
}

// Whether this psd keeps a decision log (GET /api/v1/decisions): a psd
// without the governor answers 404.
export async function hasDecisionLog() {
  return (await fetch(`${URL}/api/v1/decisions?limit=1`)).status !== 404;
}

// Traffic from the peer namespace; every command is bounded in time.
const children = new Set();
export function peer(args) {
  const child = spawn('ip', ['netns', 'exec', env.PSW_PEER_NS, ...args], { stdio: 'ignore' });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
export function stop(child) {
  if (child.exitCode === null) child.kill('SIGTERM');
}
export function stopAll() {
  for (const c of children) stop(c);
}

export function psc(...args) {
  return execFileSync(env.PSW_PSC, args, {
    env: { ...env, PSC_PIN_ROOT: env.PSW_PIN_ROOT, PSC_STATE_DIR: env.PSW_STATE_DIR },
    encoding: 'utf8',
  });
}

// A background mix: ping, TCP to a closed port, UDP to a closed port.
export function backgroundTraffic(seconds) {
  return [
    peer(['ping', '-q', '-i', '0.2', '-w', String(seconds), env.PSW_ADDR]),
    peer(['bash', '-c', `for i in $(seq ${seconds * 4}); do (exec 3<>/dev/tcp/${env.PSW_ADDR}/81) 2>/dev/null; echo x > /dev/udp/${env.PSW_ADDR}/5353; sleep 0.25; done`]),
  ];
}

// "41.2k pkt/s" -> 41200
export function parseRate(text) {
  const m = /([\d.]+)\s*([kMGT]?)/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]];
}

// A fresh context and page; every console error, page error and failed
// request lands in `errors`. `decisionLog`: false when psd has no
// /api/v1/decisions, whose 404 Chromium logs as an error (the page says
// so in its text).
export async function openPage(browser, errors, decisionLog, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ...options });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (!decisionLog && /\/api\/v1\/decisions/.test(m.location()?.url ?? '') && /404/.test(m.text())) return;
    errors.push(`console: ${m.text()} (${m.location()?.url ?? ''})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message} ${(e.stack ?? '').split('\n').slice(1, 14).join(' | ')}`));
  page.on('requestfailed', (r) => {
    // Leaving a page aborts its requests (the event stream, a search).
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return { context, page };
}

export async function waitFor(page, fn, arg, timeout = 15000) {
  await page.waitForFunction(fn, arg, { timeout, polling: 100 });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
