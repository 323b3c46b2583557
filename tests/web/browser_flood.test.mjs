// An attack as the web view tells it, against a real psd on a veth pair
// (run_browser_tests.sh runs this with a psd of its own, its analyzer on):
// during a `ping -f` flood from the peer the Stack page shows ICMP rising,
// then the drops at XDP by the rule that blocks the flood; the Traffic
// page counts the peer's dropped echo requests; a sampled
// dropped packet's path names that rule; the Decisions page tells the
// proposal's story with its evidence, the verdict, the kernel change and
// the first drops.
//
// The block is the detector's own: the test waits for its `applied`
// record in psd's decision log and follows the rule that drops the flood.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { URL, env, hasDecisionLog, launch, openPage, parseRate, peer, shots, sleep, stop, stopAll, waitFor } from './harness.mjs';

let browser;

before(async () => {
  assert.ok(await hasDecisionLog(), 'psd serves its decision log (GET /api/v1/decisions)');
  browser = await launch();
});

after(async () => {
  stopAll();
  await browser?.close();
});

const getJson = async (path) => (await fetch(`${URL}${path}`)).json();

// The detector's block of the peer, from psd's decision log: its proposal
// and its `applied` record (within `timeout` ms).
async function detectorBlock(timeout) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const { decisions } = await getJson('/api/v1/decisions?origin=detector&limit=1000');
    for (const a of decisions.filter((r) => r.event === 'applied')) {
      const p = decisions.find((r) => r.event === 'proposal' && r.proposal_id === a.proposal_id)?.proposal;
      if (p && ((p.insert?.values ?? []).includes(env.PSW_PEER_ADDR) || (p.psl ?? '').includes(env.PSW_PEER_ADDR) || /icmp/.test(p.psl ?? '')))
        return { id: a.proposal_id, proposal: p, applied: a };
    }
    await sleep(250);
  }
  throw new Error(`no applied detector proposal against ${env.PSW_PEER_ADDR} within ${timeout} ms`);
}

// The rule that drops the flood: the one a swap put in force, or for a
// set insert the drop rule with the most hits (the one using the set).
async function blockingRule(block, timeout) {
  if (block.applied.swap) return block.applied.swap.rules[0].name;
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const { interfaces } = await getJson('/api/v1/rules');
    const drops = interfaces.flatMap((i) => i.rules).filter((r) => r.action === 'drop' && r.hits.per_s > 0).sort((a, b) => b.hits.per_s - a.hits.per_s);
    if (drops.length) return drops[0].name;
    await sleep(250);
  }
  throw new Error(`no drop rule counts hits within ${timeout} ms of the set insert`);
}

test('a ping flood rises on the Stack page, then drops at XDP by the blocking rule; its decision and a dropped path name it', async () => {
  const errors = [];
  const { context, page } = await openPage(browser, errors, true);
  let flood;
  try {
    // The page is live before the flood starts: the window in which the
    // flood begins reaches it on the stream.
    await page.goto(`${URL}/#/stack`);
    await waitFor(page, () => document.querySelector('[data-testid=stream-state]')?.textContent === 'live');
    await waitFor(page, () => (document.querySelector('[data-testid=sankey]')?.dataset.nodes ?? '') !== '');
    flood = peer(['ping', '-f', '-q', '-w', '40', env.PSW_ADDR]);

    // ICMP rises at the NIC (a detector may block it within a window:
    // the window the flood started in shows it).
    await waitFor(page, () => {
      const t = document.querySelector('[data-testid=proto-nic-ipv4\\/icmp]')?.textContent ?? '';
      const m = /([\d.]+)\s*([kM]?)/.exec(t);
      return m !== null && Number(m[1]) * { '': 1, k: 1e3, M: 1e6 }[m[2]] >= 500;
    }, undefined, 15000);
    await page.screenshot({ path: join(shots, 'stack-flood.png'), fullPage: true });

    const block = await detectorBlock(15000);
    const id = block.id;
    const kind = block.proposal.kind;
    const rule = await blockingRule(block, 10000);
    console.log(`# the detector's ${kind} ${id} (${block.proposal.analysis}); the flood drops at rule ${rule}`);

    // The drops at XDP by that rule (ping -f slows to ~100 packets a
    // second once no reply comes back).
    await waitFor(page, (r) => parseFloat(document.querySelector(`[data-testid="rule-hits-${r}"]`)?.textContent ?? '0') >= 20, rule, 15000);
    await waitFor(page, () => (document.querySelector('[data-testid=sankey]')?.dataset.nodes ?? '').includes('XDP drop'));
    const nodes = await page.locator('[data-testid=sankey]').getAttribute('data-nodes');
    assert.ok(nodes.includes(`rule ${rule} (drop)`), nodes);
    assert.ok(parseRate(await page.locator('[data-testid=stat-xdp-drop]').textContent()) >= 20);
    await page.screenshot({ path: join(shots, 'stack-blocked.png'), fullPage: true });

    // Narrow to the rule: the Sankey keeps it alone.
    await page.click(`[data-testid="narrow-rule-${rule}"]`);
    await waitFor(page, (r) => document.querySelector('[data-testid=sankey]').dataset.nodes === `NIC|rule ${r} (drop)|XDP drop`, rule);
    await page.click('[data-testid=clear-narrowing]');

    // The Traffic page: the peer's echo requests, and under them the ones
    // the policy drops.
    await page.goto(`${URL}/#/traffic`);
    await waitFor(page, (a) => {
      const m = /([\d.]+)\s*([kM]?) dropped/.exec(document.querySelector(`[data-testid="drop-echo-${a}"]`)?.textContent ?? '');
      return m !== null && Number(m[1]) * { '': 1, k: 1e3, M: 1e6 }[m[2]] >= 20;
    }, env.PSW_PEER_ADDR, 15000);
    assert.ok(parseRate(await page.locator(`[data-testid="sent-echo-${env.PSW_PEER_ADDR}"]`).textContent()) >= 20, 'the echo requests sent');
    await page.screenshot({ path: join(shots, 'traffic-dropped.png'), fullPage: true });

    // A sampled dropped packet names the rule.
    await page.goto(`${URL}/#/path?addr=${env.PSW_PEER_ADDR}&proto=ipv4/icmp&drops=1`);
    await waitFor(page, (r) => (document.querySelector('[data-testid=path-why]')?.textContent ?? '').includes(`rule ${r}`), rule, 15000);
    assert.match(await page.locator('[data-testid=path-steps]').textContent(), new RegExp(`xdp.*drop.*rule ${rule}`, 's'));
    await page.screenshot({ path: join(shots, 'path-dropped.png'), fullPage: true });

    // The decision: the proposal with its evidence, the verdict, the
    // kernel change and the first drops counted in the summaries.
    await page.goto(`${URL}/#/decisions?proposal=${id}`);
    await waitFor(page, (pid) => document.querySelector(`[data-proposal="${pid}"]`), id);
    const story = page.locator(`[data-proposal="${id}"]`);
    const text = await story.textContent();
    if (kind === 'set_insert') {
      assert.match(text, new RegExp(`add [^;]*${env.PSW_PEER_ADDR.replace(/\./g, '\\.')}[^;]* to set \\w+`));
      assert.match(text, /inserted into set/);
    } else {
      assert.match(text, new RegExp(`proposes drop rule ${rule}`));
      assert.match(text, /program \d+ replaced by \d+/);
    }
    assert.match(text, /icmp/i, 'the evidence cites ICMP counters');
    assert.ok((await story.locator('[data-testid=evidence-value]').count()) > 0, 'the evidence lists its counters');
    assert.match(text, /governor accepted/);
    await waitFor(page, (pid) => /first drops counted/.test(document.querySelector(`[data-proposal="${pid}"] [data-event=first_drop]`)?.textContent ?? ''), id, 10000);
    await page.screenshot({ path: join(shots, 'decisions.png'), fullPage: true });
    await page.waitForTimeout(300);
    assert.deepEqual(errors, []);
  } finally {
    if (flood) stop(flood);
    await context.close();
  }
});
