// The web view's targets, measured (scripts/bench-web runs this inside a
// real psd's namespace through tests/web/with_psd.sh):
//
//   first render   navigation start to the Stack page's first render with
//                  data (its `packetscope:first-render` mark), cold cache
//                  and a fresh browser context each run, from loopback;
//   memory         the page on the live stream for N summaries: the
//                  renderer's JS heap and the renderer process's RSS,
//                  sampled as it goes.
//
// Output: a JSON object on stdout (scripts/bench-web stores it).
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = process.env;
const require = createRequire(join(env.PSW_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const URL = env.PSW_URL;
const runs = Number(env.BENCH_RENDER_RUNS ?? 10);
const events = Number(env.BENCH_EVENTS ?? 3600);
const pageId = env.BENCH_PAGE ?? 'stack';
const log = (s) => process.stderr.write(`${s}\n`);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// RSS (KiB) of every renderer process of this browser: all of it, and
// its parts: anonymous (the page's own heap, V8, layout), file-backed
// (the shared libraries, mapped once for the machine) and shared memory
// (buffers shared with the browser process).
function rendererRssKiB(browserPid) {
  const out = [];
  const walk = (pid) => {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    } catch {
      return;
    }
    for (const c of children.trim().split(/\s+/).filter(Boolean)) {
      try {
        const cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8');
        if (cmd.includes('--type=renderer')) {
          const status = readFileSync(`/proc/${c}/status`, 'utf8');
          const kib = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
          out.push({ rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem') });
        }
      } catch {
        // gone
      }
      walk(c);
    }
  };
  walk(browserPid);
  return out;
}

// Background traffic from the peer so every summary has something in it.
const traffic = spawn('ip', ['netns', 'exec', env.PSW_PEER_NS, 'bash', '-c',
  `end=$((SECONDS + ${Math.ceil(events * 1.2) + 600})); while ((SECONDS < end)); do ping -q -c 50 -i 0.02 ${env.PSW_ADDR} >/dev/null; (exec 3<>/dev/tcp/${env.PSW_ADDR}/81) 2>/dev/null; echo x > /dev/udp/${env.PSW_ADDR}/5353; done`], { stdio: 'ignore', detached: true });

const browser = await chromium.launch({
  executablePath: env.PSW_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--enable-precise-memory-info'],
  headless: true,
});
const result = { url: URL, render_runs: runs, first_render_ms: [], dom_content_loaded_ms: [], memory: { page: pageId, events_target: events, samples: [] } };
try {
  // psd's own first summary must exist: the page renders data, not a wait.
  for (let i = 0; i < 50 && (await fetch(`${URL}/api/v1/summary`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${URL}/#/stack`);
    await page.waitForFunction(() => performance.getEntriesByName('packetscope:first-render').length > 0, undefined, { timeout: 20000, polling: 20 });
    const t = await page.evaluate(() => ({
      render: performance.getEntriesByName('packetscope:first-render')[0].startTime,
      dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
      script: performance.getEntriesByType('resource').find((e) => /\/app-[A-Z0-9]+\.js$/.test(e.name))?.responseEnd ?? 0,
      summary: performance.getEntriesByType('resource').find((e) => /\/api\/v1\/summary$/.test(e.name))?.responseEnd ?? 0,
    }));
    (result.script_loaded_ms ??= []).push(Math.round(t.script));
    (result.summary_loaded_ms ??= []).push(Math.round(t.summary));
    result.first_render_ms.push(Math.round(t.render));
    result.dom_content_loaded_ms.push(Math.round(t.dcl));
    await context.close();
  }
  result.first_render_median_ms = median(result.first_render_ms);
  result.first_render_max_ms = Math.max(...result.first_render_ms);
  log(`first render: median ${result.first_render_median_ms} ms, max ${result.first_render_max_ms} ms over ${runs} runs`);

  // Chromium's own share: a renderer with an empty page.
  {
    const blank = await browser.newContext();
    const p = await blank.newPage();
    await p.goto('about:blank');
    await new Promise((r) => setTimeout(r, 1000));
    const r = rendererRssKiB(process.pid).sort((a, b) => b.anon - a.anon)[0];
    if (r) result.memory.blank_renderer = { rss_mib: +(r.rss / 1024).toFixed(1), anon_mib: +(r.anon / 1024).toFixed(1) };
    await blank.close();
  }

  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${URL}/#/${pageId}`);
  const seqOf = () => page.evaluate(() => Number((document.querySelector('[data-testid=window-note]')?.textContent ?? document.querySelector('.muted')?.textContent ?? '').match(/window (\d+)/i)?.[1] ?? 0));
  const started = Date.now();
  let seen = 0;
  const firstSeq = Number((await (await fetch(`${URL}/api/v1/summary`)).json()).seq);
  // Chromium runs as a child of this process.
  const browserPid = process.pid;
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    const seq = Number((await (await fetch(`${URL}/api/v1/summary`)).json()).seq);
    seen = seq - firstSeq;
    const rss = browserPid ? rendererRssKiB(browserPid) : [];
    const s = {
      t_s: Math.round((Date.now() - started) / 1000),
      summaries: seen,
      js_heap_used_mib: +(m.JSHeapUsedSize / 1048576).toFixed(1),
      js_heap_total_mib: +(m.JSHeapTotalSize / 1048576).toFixed(1),
      dom_nodes: m.Nodes,
      listeners: m.JSEventListeners,
      // The renderer with the most private memory is the page's.
      ...(() => {
        const r = rss.sort((a, b) => b.anon - a.anon)[0];
        return r
          ? { renderer_rss_mib: +(r.rss / 1024).toFixed(1), renderer_anon_mib: +(r.anon / 1024).toFixed(1), renderer_file_mib: +(r.file / 1024).toFixed(1), renderer_shmem_mib: +(r.shmem / 1024).toFixed(1) }
          : { renderer_rss_mib: null, renderer_anon_mib: null };
      })(),
    };
    result.memory.samples.push(s);
    log(`memory: ${JSON.stringify(s)}`);
  };
  void seqOf;
  await sample();
  const every = Math.max(1, Math.floor(events / 12));
  let next = every;
  while (seen < events) {
    await new Promise((r) => setTimeout(r, 1000));
    const seq = Number((await (await fetch(`${URL}/api/v1/summary`)).json()).seq);
    seen = seq - firstSeq;
    if (seen >= next) {
      await sample();
      next += every;
    }
  }
  await sample();
  const lost = await page.evaluate(() => document.querySelector('[data-testid=stream-state]')?.textContent ?? '');
  result.memory.stream_state_at_end = lost;
  result.memory.duration_s = Math.round((Date.now() - started) / 1000);
  const rssAll = result.memory.samples.map((s) => s.renderer_rss_mib).filter((x) => x !== null);
  result.memory.max_js_heap_used_mib = Math.max(...result.memory.samples.map((s) => s.js_heap_used_mib));
  result.memory.max_renderer_rss_mib = rssAll.length ? Math.max(...rssAll) : null;
  const anonAll = result.memory.samples.map((s) => s.renderer_anon_mib).filter((x) => x !== null);
  result.memory.max_renderer_anon_mib = anonAll.length ? Math.max(...anonAll) : null;
  await context.close();
} finally {
  await browser.close();
  try {
    process.kill(-traffic.pid, 'SIGTERM');
  } catch {
    // ended
  }
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
