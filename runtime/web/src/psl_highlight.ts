// PSL source as tokens for syntax highlighting: comments, strings,
// keywords, actions, fields (ip.src), literals (addresses, durations,
// rates, numbers), names and punctuation. A small lexer after
// grammar/Policy.g4's lexer rules; it never rejects text (an unknown
// character is plain text), since it only colors what psd reports.

export type TokenKind = 'comment' | 'string' | 'keyword' | 'action' | 'field' | 'literal' | 'ident' | 'punct' | 'space';

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set([
  'policy', 'const', 'protect', 'set', 'dynamic', 'ttl', 'capacity', 'rule', 'default',
  'test', 'packet', 'within', 'shadow', 'and', 'or', 'not', 'in', 'burst', 'rate',
]);
const ACTIONS = new Set(['pass', 'drop', 'count']);
const LITERAL_WORDS = new Set(['true', 'false']);

const RULES: [TokenKind, RegExp][] = [
  ['space', /^\s+/],
  ['comment', /^#[^\r\n]*/],
  ['string', /^"(?:\\.|[^"\\\r\n])*"?/],
  // Addresses before numbers: 192.0.2.0/24, 2001:db8::1, MACs.
  ['literal', /^(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b/],
  ['literal', /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:\/\d+)?/],
  ['literal', /^\d+\.\d+\.\d+\.\d+(?:\/\d+)?/],
  ['literal', /^0x[0-9A-Fa-f]+/],
  ['literal', /^\d+[kMG]?(?:bit)?\/s/],
  ['literal', /^\d+(?:ms|s|m|h)\b/],
  ['literal', /^\d+/],
  ['field', /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+/],
  ['ident', /^[A-Za-z_][A-Za-z0-9_]*/],
  ['punct', /^(?:=>|==|!=|<=|>=|\.\.|&&|\|\||[<>=(){},:])/],
];

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let rest = text;
  while (rest.length > 0) {
    let matched = false;
    for (const [kind, re] of RULES) {
      const m = re.exec(rest);
      if (!m || m[0].length === 0) continue;
      let k = kind;
      if (kind === 'ident') {
        if (KEYWORDS.has(m[0])) k = 'keyword';
        else if (ACTIONS.has(m[0])) k = 'action';
        else if (LITERAL_WORDS.has(m[0])) k = 'literal';
      }
      push(out, k, m[0]);
      rest = rest.slice(m[0].length);
      matched = true;
      break;
    }
    if (!matched) {
      push(out, 'punct', rest[0]);
      rest = rest.slice(1);
    }
  }
  return out;
}

function push(out: Token[], kind: TokenKind, text: string): void {
  const last = out[out.length - 1];
  if (last && last.kind === kind && (kind === 'space' || kind === 'punct')) last.text += text;
  else out.push({ kind, text });
}

// A <pre><code> with one span per token (text only, never markup). Rule
// names after `rule` get data-rule so that the page can link them.
export function highlighted(text: string): HTMLElement {
  const code = document.createElement('code');
  code.className = 'psl';
  let afterRule = false;
  for (const t of tokenize(text)) {
    if (t.kind === 'space') {
      code.append(document.createTextNode(t.text));
      continue;
    }
    const span = document.createElement('span');
    span.className = `tok-${t.kind}`;
    span.textContent = t.text;
    if (afterRule && t.kind === 'ident') span.dataset.rule = t.text;
    afterRule = t.kind === 'keyword' && t.text === 'rule';
    code.append(span);
  }
  const pre = document.createElement('pre');
  pre.className = 'psl-block';
  pre.tabIndex = 0; // scrollable: reachable by keyboard
  pre.append(code);
  return pre;
}
