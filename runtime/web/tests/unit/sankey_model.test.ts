import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSankey, dropNode, DELIVERED, NIC, STACK, XDP_DROP } from '../../src/sankey_model';
import type { Summary } from '../../src/types';
import flood from './fixtures/summary_blocked_flood.json';
import quiet from './fixtures/summary_mixed.json';

const linkValue = (m: ReturnType<typeof buildSankey>, s: string, t: string) => m.links.find((l) => l.source === s && l.target === t)?.value ?? 0;

test('a flood blocked by a rule flows from the NIC through the rule to the XDP drop', () => {
  const s = flood as unknown as Summary;
  const m = buildSankey(s);
  const rule = s.interfaces[0].rules.find((r) => r.name === 'drop_blocked')!;
  assert.ok(rule.hits.per_s > 10, 'the fixture has the flood');
  assert.equal(linkValue(m, NIC, 'rule drop_blocked (drop)'), rule.hits.per_s);
  assert.equal(linkValue(m, 'rule drop_blocked (drop)', XDP_DROP), rule.hits.per_s);
  assert.ok(!m.links.some((l) => l.source === 'rule drop_blocked (drop)' && l.target === STACK));
});

test('the stack part follows each protocol from receive to delivery, drops by reason from their layer', () => {
  const s = quiet as unknown as Summary;
  const m = buildSankey(s);
  for (const p of s.protocols) {
    if (!(p.stack_rx.per_s > 0) || p.proto === 'other') continue;
    const fam = p.proto.startsWith('ipv4') ? 'IPv4' : 'IPv6';
    assert.ok(linkValue(m, STACK, fam) >= p.stack_rx.per_s, `${p.proto} enters ${fam}`);
    assert.equal(linkValue(m, fam, p.proto), p.stack_rx.per_s);
    assert.equal(linkValue(m, p.proto, DELIVERED), p.delivered.per_s);
  }
  const noSocket = s.drops.find((d) => d.reason === 'NO_SOCKET' && d.proto === 'ipv4/udp')!;
  assert.equal(linkValue(m, 'ipv4/udp', dropNode('NO_SOCKET', 'socket')), noSocket.per_s);
  // Every link has a positive value and both ends exist.
  const names = new Set(m.nodes.map((n) => n.name));
  for (const l of m.links) {
    assert.ok(l.value > 0);
    assert.ok(names.has(l.source) && names.has(l.target), `${l.source} -> ${l.target}`);
  }
});

test('narrowing to a protocol keeps only its funnel', () => {
  const s = quiet as unknown as Summary;
  const m = buildSankey(s, { proto: 'ipv4/udp' });
  assert.ok(m.nodes.every((n) => n.kind !== 'proto' || n.key === 'ipv4/udp'));
  assert.ok(!m.nodes.some((n) => n.kind === 'rule'));
  const p = s.protocols.find((x) => x.proto === 'ipv4/udp')!;
  assert.equal(linkValue(m, NIC, STACK), p.xdp_pass.pps);
});

test('narrowing to a rule shows that rule alone', () => {
  const s = flood as unknown as Summary;
  const m = buildSankey(s, { rule: 'drop_blocked' });
  assert.deepEqual(
    m.nodes.map((n) => n.name),
    [NIC, 'rule drop_blocked (drop)', XDP_DROP],
  );
});

test('narrowing to a source shows its verdicts and kinds of traffic', () => {
  const s = flood as unknown as Summary;
  const t = s.talkers.top[0];
  const m = buildSankey(s, { source: t.addr });
  assert.equal(linkValue(m, `source ${t.addr}`, XDP_DROP), t.xdp_drop.per_s);
  assert.equal(linkValue(m, `source ${t.addr}`, 'ICMP echo'), t.icmp_echo.per_s);
  assert.deepEqual(buildSankey(s, { source: '203.0.113.250' }), { nodes: [], links: [] });
});
