// Policies: the operator policy in force (GET /api/v1/policy) and the
// generated rules (their PSL from the proposals that brought them, in the
// decision log) with syntax highlighting; every rule in force with its
// hits, ttl left, origin and shadow or enforced (GET /api/v1/rules); a
// generated rule links to the decision that put it there.

import { ApiError, getJson } from '../api';
import { buildStories, storyOfRule } from '../decisions_source';
import { h, replaceChildren, setText } from '../dom';
import { milliseconds, rate, si } from '../format';
import type { Page, PageContext } from '../page';
import { highlighted } from '../psl_highlight';
import type { PolicyTextReply, RulesReply } from '../types';

export class PoliciesPage implements Page {
  private off: (() => void) | null = null;
  private abort: AbortController | null = null;

  mount(root: HTMLElement, ctx: PageContext): void {
    const { store } = ctx;
    const status = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'policies-status' });
    const rulesEl = h('div', { 'data-testid': 'rules-in-force' });
    const setsEl = h('div', { 'data-testid': 'sets' });
    const operatorEl = h('div', { 'data-testid': 'operator-policy' });
    const generatedEl = h('div', { 'data-testid': 'generated-policy' });
    root.append(
      h('h1', {}, 'Policies'),
      status,
      h('section', { 'aria-labelledby': 'rif-h' }, h('h2', { id: 'rif-h' }, 'Rules in force'), rulesEl),
      h('section', { 'aria-labelledby': 'sets-h' }, h('h2', { id: 'sets-h' }, 'Dynamic sets'), setsEl),
      h('section', { 'aria-labelledby': 'op-h' }, h('h2', { id: 'op-h' }, 'Operator policy'), operatorEl),
      h('section', { 'aria-labelledby': 'gen-h' }, h('h2', { id: 'gen-h' }, 'Generated rules'), generatedEl),
    );

    let rules: RulesReply | null = null;

    const renderRules = () => {
      if (!rules) return;
      const stories = buildStories(store.decisions);
      replaceChildren(
        rulesEl,
        rules.interfaces.map((i) =>
          h(
            'div',
            { class: 'iface' },
            h('h3', {}, `${i.name}: policy ${i.policy || '(none)'}${i.attached ? '' : ' — not attached'}; ${i.rules_total} rules`),
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, ...['rule', 'action', 'origin', 'mode', 'hits', 'total', 'ttl left', 'decision'].map((x) => h('th', {}, x)))),
              h(
                'tbody',
                {},
                ...[...i.rules, i.default].map((r) => {
                  // psd names the proposal (proposal_id); an older psd
                  // does not, and the decision log is searched instead.
                  const proposal = r.proposal_id || (r.origin !== 'operator' ? storyOfRule(stories, r.name)?.proposalId : undefined);
                  let link: Node | string = '–';
                  if (proposal) {
                    link = h('a', { href: `#/decisions?proposal=${encodeURIComponent(proposal)}`, 'data-testid': `decision-link-${r.name}` }, proposal);
                  } else if (r.origin !== 'operator') {
                    link = 'not in the decision log';
                  }
                  const hits = r.mode === 'shadow' ? `${rate(r.shadow_hits.per_s)} (would drop)` : rate(r.hits.per_s);
                  return h(
                    'tr',
                    { 'data-rule': r.name, 'data-origin': r.origin },
                    h('td', {}, h('code', {}, r.name)),
                    h('td', { class: r.action === 'drop' ? 'bad' : undefined }, r.action),
                    h('td', {}, r.origin),
                    h('td', { class: r.mode === 'shadow' ? 'shadow' : undefined }, r.mode),
                    h('td', { 'data-testid': `policy-rule-hits-${r.name}` }, hits),
                    h('td', {}, si(r.mode === 'shadow' ? (r.shadow_total ?? 0) : r.total_packets)),
                    h('td', {}, milliseconds(r.ttl_left_ms)),
                    h('td', {}, link),
                  );
                }),
              ),
            ),
          ),
        ),
      );
      const s = store.latest;
      replaceChildren(
        setsEl,
        s
          ? s.interfaces.flatMap((i) =>
              i.sets.length
                ? [h('table', {}, h('thead', {}, h('tr', {}, ...['interface', 'set', 'element', 'entries', 'capacity', 'ttl'].map((x) => h('th', {}, x)))), h('tbody', {}, ...i.sets.map((x) => h('tr', { 'data-set': x.name }, h('td', {}, i.name), h('td', {}, h('code', {}, x.name)), h('td', {}, x.elem), h('td', { 'data-testid': `set-entries-${x.name}` }, String(x.entries)), h('td', {}, String(x.capacity)), h('td', {}, x.ttl_ms ? milliseconds(x.ttl_ms) : '–')))))]
                : [h('p', { class: 'muted' }, `${i.name}: no dynamic sets`)],
            )
          : [h('p', { class: 'muted' }, 'waiting for a summary')],
      );
      // The generated rules in force, each with the proposal's PSL.
      const generated = rules.interfaces.flatMap((i) => i.rules.filter((r) => r.origin !== 'operator'));
      const shown = new Set<string>();
      const blocks: Node[] = [];
      for (const r of generated) {
        const story = (r.proposal_id ? stories.find((x) => x.proposalId === r.proposal_id) : undefined) ?? storyOfRule(stories, r.name);
        if (!story || shown.has(story.key)) continue;
        shown.add(story.key);
        const psl = story.proposal?.psl;
        blocks.push(
          h(
            'div',
            { class: 'generated' },
            h('p', {}, h('a', { href: `#/decisions?proposal=${encodeURIComponent(story.proposalId)}` }, story.title), story.proposal?.analysis ? ` — ${story.proposal.analysis}` : ''),
            psl ? highlighted(psl) : h('p', { class: 'muted' }, 'the proposal holds no PSL text'),
          ),
        );
      }
      const orphans = generated.filter((r) => !stories.some((x) => x.proposalId && x.proposalId === r.proposal_id) && !storyOfRule(stories, r.name));
      if (orphans.length) blocks.push(h('p', { class: 'muted' }, `In force without a record in the decision log shown here: ${orphans.map((r) => r.name).join(', ')}.`));
      replaceChildren(generatedEl, blocks.length ? blocks : [h('p', { class: 'muted' }, 'No generated rule is in force.')]);
    };

    const loadRules = async () => {
      this.abort?.abort();
      this.abort = new AbortController();
      try {
        rules = await getJson<RulesReply>('/api/v1/rules', this.abort.signal);
        setText(status, '');
        renderRules();
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        setText(status, `psd did not give the rules: ${(e as Error).message}`);
      }
    };

    const loadText = async () => {
      try {
        const reply = await getJson<PolicyTextReply>('/api/v1/policy');
        replaceChildren(
          operatorEl,
          reply.interfaces.map((i) => h('div', { class: 'iface' }, h('h3', {}, `${i.name}: ${i.policy_file || '(none)'} (${i.policy_from || 'unknown'})`), i.text ? highlighted(i.text) : h('p', { class: 'muted' }, 'no policy in force'))),
        );
      } catch (e) {
        const msg = e instanceof ApiError && (e.status === 404 || e.status === 405) ? 'this psd does not serve the policy text (GET /api/v1/policy)' : (e as Error).message;
        replaceChildren(operatorEl, [h('p', { class: 'muted' }, msg)]);
      }
    };

    void loadRules();
    void loadText();
    this.off = store.subscribe((c) => {
      if (c === 'summary') void loadRules();
      if (c === 'decisions') renderRules();
    });
  }

  unmount(): void {
    this.off?.();
    this.abort?.abort();
  }
}
