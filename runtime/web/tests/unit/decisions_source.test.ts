import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStories, describe, recordsFromEvent, recordsOf, storyOfRule } from '../../src/decisions_source';
import audit from './fixtures/decisions.json';
import recorded from './fixtures/decisions_recorded.json';
import recordedRules from './fixtures/rules_recorded.json';

test('the reply may be a bare list or an object holding it; odd entries are skipped', () => {
  const list = audit.decisions;
  assert.equal(recordsOf(audit).length, list.length);
  assert.equal(recordsOf(list).length, list.length);
  assert.equal(recordsOf({ records: list }).length, list.length);
  assert.equal(recordsOf([{ nope: 1 }, 3, null, ...list]).length, list.length);
  assert.deepEqual(recordsOf('x'), []);
});

test('records of one proposal make one story, from its evidence to the kernel', () => {
  const stories = buildStories(recordsOf(audit));
  const icmp = stories.find((s) => s.proposalId === 'det-1796597480000-1')!;
  assert.ok(icmp);
  assert.equal(icmp.origin, 'detector');
  assert.equal(icmp.outcome, 'accepted');
  assert.deepEqual(icmp.records.map((r) => r.event), ['proposal', 'verdict', 'applied', 'expired']);
  assert.deepEqual(icmp.rules, ['detector_icmp_flood_1']);
  assert.equal(icmp.firstPacketUnixMs, 1796597478889);
  assert.match(describe(icmp.records[2]), /program 41 replaced by 42/);
  assert.equal(storyOfRule(stories, 'detector_icmp_flood_1'), icmp);

  const refused = stories.find((s) => s.outcome === 'refused')!;
  assert.equal(refused.verdict?.reason, 'touches_protected');
  assert.match(describe(refused.records[1]), /refused \(touches_protected\)/);

  const insert = stories.find((s) => s.proposal?.kind === 'set_insert')!;
  assert.deepEqual(insert.values, ['192.0.2.2']);
  assert.equal(insert.set, 'blocked');

  const op = stories.filter((s) => s.outcome === 'operator');
  assert.ok(op.length >= 1);
  assert.ok(op.every((s) => s.proposalId === ''));
});

test('a decision event carries one record or several', () => {
  const one = JSON.stringify(audit.decisions[0]);
  assert.equal(recordsFromEvent(one).length, 1);
  assert.equal(recordsFromEvent(JSON.stringify(audit.decisions)).length, audit.decisions.length);
  assert.deepEqual(recordsFromEvent('not json'), []);
});

test('a shadow rule enforced later, a recomposition and an operator rule expiring read as the lifecycle wrote them', () => {
  const stories = buildStories(recordsOf(audit));
  const dns = stories.find((s) => s.proposalId === 'llm-1796597600000-77aa')!;
  assert.equal(dns.origin, 'llm');
  assert.equal(dns.verdict?.mode, 'shadow');
  assert.match(describe(dns.records[1]), /accepted, in shadow/);
  assert.match(describe(dns.records[2]), /program 43 replaced by 44 \(llm_dns_1 shadow\)/);
  assert.match(describe(dns.records[3]), /llm_dns_1 enforced after its shadow period \(48000 shadow hits\)/);
  assert.equal(dns.proposal?.psl_bytes, 9000);
  assert.deepEqual(dns.rules, ['llm_dns_1']);

  const accepted = stories.find((s) => s.proposalId === 'det-1796597480000-1')!;
  assert.match(describe(accepted.records[1]), /governor accepted, enforced/);
  assert.match(describe(accepted.records[3]), /expired .*program 42 → 43 without it/);

  const ops = stories.filter((s) => s.outcome === 'operator').map((s) => describe(s.records[0]));
  assert.ok(ops.some((d) => /composed again: the protected addresses changed \(program 45 → 46\)/.test(d)));
  assert.ok(ops.some((d) => /rule temp_block expired/.test(d)));
});

// `recorded` and `recordedRules`: recorded from a real psd with the
// embedded detector and the governor (GET /api/v1/decisions and
// /api/v1/rules after `ping -f` and then `hping3 -S --flood --rand-source
// -p 443` from a peer namespace). `audit`: written after
// runtime/govern/lifecycle.cc for what a flood does not produce (a
// refusal, shadow, expiry, recomposition).
test('records recorded from a real psd: a set insert and two swaps, each one story', () => {
  const stories = buildStories(recordsOf(recorded));
  assert.equal(stories.length, 4);
  assert.equal(stories[0].outcome, 'operator');
  assert.match(describe(stories[0].records[0]), /operator policy .* put in force \(program 0 → \d+\)/);

  const insert = stories.find((s) => s.proposal?.kind === 'set_insert')!;
  assert.deepEqual(insert.records.map((r) => r.event), ['proposal', 'verdict', 'applied']);
  assert.equal(insert.set, 'blocked');
  assert.deepEqual(insert.values, ['192.0.2.2']);
  assert.match(describe(insert.records[2]), /192\.0\.2\.2 inserted into set blocked \(map update, no swap\)/);
  assert.ok(insert.firstPacketUnixMs! < insert.firstUnixMs);

  const swaps = stories.filter((s) => s.proposal?.kind === 'policy');
  assert.equal(swaps.length, 2);
  for (const s of swaps) {
    assert.equal(s.outcome, 'accepted');
    assert.equal(s.rules.length, 1);
    assert.match(describe(s.records[2]), new RegExp(`program \\d+ replaced by \\d+ \\(${s.rules[0]} enforce\\)`));
    assert.ok((s.proposal?.evidence?.counters.length ?? 0) > 0);
  }

  // /api/v1/rules names each generated rule's proposal: the same story.
  const rules = recordedRules.interfaces.flatMap((i) => i.rules).filter((r) => r.origin === 'detector');
  assert.equal(rules.length, 2);
  for (const r of rules) assert.equal(storyOfRule(stories, r.name)?.proposalId, r.proposal_id);
});
