import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../src/psl_highlight';

const kinds = (text: string) => tokenize(text).filter((t) => t.kind !== 'space').map((t) => `${t.kind}:${t.text}`);

test('a rule: keywords, fields, literals, actions and modifiers', () => {
  assert.deepEqual(kinds('rule detector_icmp_flood_1: ip.src == 192.0.2.2 and icmp.type == echo_request => drop ttl 10m shadow'), [
    'keyword:rule', 'ident:detector_icmp_flood_1', 'punct::', 'field:ip.src', 'punct:==', 'literal:192.0.2.2',
    'keyword:and', 'field:icmp.type', 'punct:==', 'ident:echo_request', 'punct:=>', 'action:drop', 'keyword:ttl',
    'literal:10m', 'keyword:shadow',
  ]);
});

test('comments, strings, sets, prefixes, IPv6, rates', () => {
  assert.deepEqual(kinds('# block\nset blocked : ip dynamic ttl 10m capacity 65536'), [
    'comment:# block', 'keyword:set', 'ident:blocked', 'punct::', 'ident:ip', 'keyword:dynamic', 'keyword:ttl', 'literal:10m', 'keyword:capacity', 'literal:65536',
  ]);
  assert.deepEqual(kinds('ip.src in { 198.51.100.0/24, 2001:db8::/32 } and rate(ip.src) > 100/s'), [
    'field:ip.src', 'keyword:in', 'punct:{', 'literal:198.51.100.0/24', 'punct:,', 'literal:2001:db8::/32', 'punct:}',
    'keyword:and', 'keyword:rate', 'punct:(', 'field:ip.src', 'punct:)', 'punct:>', 'literal:100/s',
  ]);
  assert.deepEqual(kinds('test "a \\"quoted\\" name" {'), ['keyword:test', 'string:"a \\"quoted\\" name"', 'punct:{']);
});

test('every character comes back, whatever the text', () => {
  for (const text of ['policy p { rule a: tcp.dport == 22 => pass }', '@@ weird $ text', '"unterminated', '']) {
    assert.equal(tokenize(text).map((t) => t.text).join(''), text);
  }
});
