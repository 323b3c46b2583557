// Decisions: every proposal (detector or LLM) as one story, from the first
// packet of its evidence to the drops it caused: its evidence (windows and
// counters), the governor's verdict with the diagnostics, what changed in
// the kernel, and what became of the rule later (enforced, expired,
// withdrawn); the operator's own policy events between them. A timeline
// on top places every record. Data: decisions_source.ts only.

import { baseOption, Chart, mountChart } from '../charts';
import { buildStories, DecisionRecord, describe, Story } from '../decisions_source';
import { h, replaceChildren, setText } from '../dom';
import { si, timeOfDay } from '../format';
import type { Page, PageContext } from '../page';
import { highlighted } from '../psl_highlight';
import type { Summary } from '../types';

const LANES = ['evidence', 'proposal', 'verdict', 'kernel', 'lifecycle', 'operator'];

function laneOf(r: DecisionRecord): string {
  if (r.event === 'proposal') return 'proposal';
  if (r.event === 'verdict') return 'verdict';
  if (r.event === 'applied' || r.event === 'apply_failed') return 'kernel';
  if (r.event.startsWith('operator') || r.event === 'adopted' || r.event === 'address_discovery_failed') return 'operator';
  return 'lifecycle';
}

// The first window after `afterMs` in which the story's rules or values
// dropped packets: where the attack's story ends.
export function firstDrop(story: Story, history: Summary[], afterMs: number): { at: number; what: string } | undefined {
  for (const s of history) {
    if (s.window.end_unix_ms < afterMs) continue;
    for (const i of s.interfaces)
      for (const r of i.rules)
        if (story.rules.includes(r.name) && r.action === 'drop' && r.hits.count > 0)
          return { at: s.window.end_unix_ms, what: `${si(r.hits.per_s)} pkt/s dropped by rule ${r.name}` };
    for (const t of s.talkers.top)
      if (story.values.includes(t.addr) && t.xdp_drop.count > 0) return { at: s.window.end_unix_ms, what: `${si(t.xdp_drop.per_s)} pkt/s from ${t.addr} dropped at XDP` };
  }
  return undefined;
}

// The time axis's ends, a little beyond the first and last points so
// that none sits on the edge.
function padded(times: number[]): { min?: number; max?: number } {
  if (times.length === 0) return {};
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const pad = Math.max(500, (hi - lo) * 0.05);
  return { min: lo - pad, max: hi + pad };
}

function offset(ms: number, from: number | undefined): string {
  if (from === undefined) return '';
  const d = ms - from;
  return ` (+${(d / 1000).toFixed(d < 10000 ? 2 : 0)} s)`;
}

export class DecisionsPage implements Page {
  private charts: Chart[] = [];
  private off: (() => void) | null = null;
  // Stories whose details the operator opened: kept open across renders.
  private opened = new Set<string>();

  mount(root: HTMLElement, ctx: PageContext): void {
    const { store, params } = ctx;
    const focus = params.get('proposal');
    const status = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'decisions-status' });
    const verdictFilter = h('select', { id: 'dec-verdict' }, h('option', { value: '' }, 'every outcome'), h('option', { value: 'accepted' }, 'accepted'), h('option', { value: 'refused' }, 'refused'), h('option', { value: 'failed' }, 'failed in the kernel'));
    verdictFilter.value = params.get('verdict') ?? '';
    const originFilter = h('select', { id: 'dec-origin' }, h('option', { value: '' }, 'every origin'), h('option', { value: 'detector' }, 'detector'), h('option', { value: 'llm' }, 'LLM'), h('option', { value: 'operator' }, 'operator'));
    originFilter.value = params.get('origin') ?? '';
    const timelineEl = h('div', { class: 'chart', 'data-testid': 'decision-timeline' });
    const list = h('div', { class: 'stories', 'data-testid': 'stories' });
    root.append(
      h('h1', {}, 'Decisions'),
      h('p', { class: 'muted' }, 'Every proposal of the detector or the LLM, the governor’s verdict and what changed in the kernel, as one story from the first packet to the drop.'),
      h('form', { class: 'search', 'aria-label': 'Filter decisions' }, h('label', { for: 'dec-verdict' }, 'outcome'), verdictFilter, h('label', { for: 'dec-origin' }, 'origin'), originFilter),
      status,
      h('section', { 'aria-label': 'Timeline of decisions' }, timelineEl),
      list,
    );
    const timeline = mountChart(timelineEl, 'Timeline of proposals, verdicts and changes in the kernel');
    this.charts = [timeline];
    let focused = false;

    const render = () => {
      const stories = buildStories(store.decisions).filter(
        (s) => (!verdictFilter.value || s.outcome === verdictFilter.value) && (!originFilter.value || s.origin === originFilter.value),
      );
      if (!store.decisionsAvailable) setText(status, store.decisionsNote);
      else setText(status, `${stories.length} stor${stories.length === 1 ? 'y' : 'ies'}, ${store.decisions.length} records; newest first.`);

      const points = stories.flatMap((s) => [
        ...(s.firstPacketUnixMs !== undefined ? [{ value: [s.firstPacketUnixMs, 'evidence'], name: `${s.title}: first packet of the evidence` }] : []),
        ...s.records.map((r) => ({ value: [r.time_unix_ms, laneOf(r)], name: `${s.title}: ${describe(r)}`, itemStyle: { color: r.event === 'verdict' && r.verdict && !r.verdict.accepted ? '#dc2626' : undefined } })),
      ]);
      timeline.setOption(
        {
          ...baseOption,
          tooltip: { ...baseOption.tooltip, trigger: 'item', formatter: (x: { name: string; value: [number, string] }) => `${timeOfDay(x.value[0])} ${x.name}` },
          grid: { left: 80, right: 20, top: 10, bottom: 50 },
          xAxis: { type: 'time', ...padded(points.map((x) => x.value[0] as number)), axisLabel: { formatter: (v: number) => timeOfDay(v).slice(0, 8) } },
          yAxis: { type: 'category', data: LANES, inverse: true },
          dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }],
          series: [{ type: 'scatter', symbolSize: 10, data: points }],
        },
        { notMerge: true },
      );

      const cards = [...stories].reverse().map((s) => this.card(s, store.history, s.proposalId === focus));
      replaceChildren(list, cards.length ? cards : [h('p', { class: 'muted' }, store.decisionsAvailable ? 'No decision yet.' : '')]);
      if (focus && !focused) {
        const el = list.querySelector<HTMLElement>('[data-focused]');
        if (el) {
          focused = true;
          el.scrollIntoView({ block: 'start' });
          el.focus();
        }
      }
    };
    ctx.reloadDecisions();
    verdictFilter.addEventListener('change', render);
    originFilter.addEventListener('change', render);
    render();
    this.off = store.subscribe((c) => {
      if (c === 'decisions' || c === 'summary') render();
    });
  }

  private card(s: Story, history: Summary[], focused: boolean): HTMLElement {
    const p = s.proposal;
    const start = s.firstPacketUnixMs ?? s.firstUnixMs;
    const steps: HTMLElement[] = [];
    if (s.firstPacketUnixMs !== undefined) {
      const windows = p?.evidence?.windows ?? [];
      steps.push(h('li', {}, h('span', { class: 'ts' }, timeOfDay(s.firstPacketUnixMs)), ` first packet of the evidence (window${windows.length > 1 ? 's' : ''} ${windows.map((w) => w.seq).join(', ')})`));
    }
    for (const r of s.records) {
      const cls = r.event === 'verdict' ? (r.verdict?.accepted ? 'ok' : 'bad') : r.event === 'apply_failed' ? 'bad' : undefined;
      steps.push(h('li', { class: cls, 'data-event': r.event }, h('span', { class: 'ts' }, timeOfDay(r.time_unix_ms) + offset(r.time_unix_ms, s.firstPacketUnixMs)), ` ${describe(r)}`));
    }
    const applied = s.records.find((r) => r.event === 'applied');
    if (applied) {
      const drop = firstDrop(s, history, applied.time_unix_ms - 1000);
      steps.push(
        drop
          ? h('li', { class: 'ok', 'data-event': 'first_drop' }, h('span', { class: 'ts' }, timeOfDay(drop.at) + offset(drop.at, s.firstPacketUnixMs)), ` first drops counted: ${drop.what}`)
          : h('li', { class: 'muted', 'data-event': 'first_drop' }, 'no drop counted yet in the summaries this page holds'),
      );
    }
    const details: HTMLElement[] = [];
    if (p?.evidence) {
      const counters = p.evidence.counters;
      details.push(
        h('h4', {}, `Evidence${p.evidence.cited ? '' : ' (the windows it was shown)'}`),
        h('p', {}, `${p.evidence.windows.length === 1 ? 'Window' : 'Windows'} ${p.evidence.windows.map((w) => `${w.seq} (${timeOfDay(w.start_unix_ms)}–${timeOfDay(w.end_unix_ms)})`).join(', ') || '–'}`),
        counters.length
          ? h('table', { class: 'evidence' }, h('thead', {}, h('tr', {}, h('th', {}, 'counter'), h('th', {}, 'window'), h('th', {}, 'value'))), h('tbody', {}, ...counters.map((c) => h('tr', {}, h('td', {}, h('code', {}, c.name)), h('td', {}, String(c.window)), h('td', { 'data-testid': 'evidence-value' }, si(c.value))))))
          : h('p', { class: 'muted' }, 'no counters cited'),
      );
    }
    if (p?.analysis) details.push(h('h4', {}, 'Analysis'), h('p', { class: 'analysis' }, p.analysis));
    if (p?.llm) details.push(h('p', { class: 'muted' }, `${p.llm.provider} ${p.llm.model}: ${p.llm.tokens_in} tokens in, ${p.llm.tokens_out} out, ${p.llm.latency_s.toFixed(1)} s`));
    if (p?.psl) {
      details.push(h('h4', {}, 'Proposed PSL'), highlighted(p.psl));
      if (p.psl_bytes) details.push(h('p', { class: 'muted' }, `the first ${p.psl.length} of its ${p.psl_bytes} bytes (the audit log cuts a proposal at the governor's cap)`));
    }
    if (p?.insert) {
      const more = p.insert.value_count && p.insert.value_count > p.insert.values.length ? ` and ${p.insert.value_count - p.insert.values.length} more (the audit log keeps the first ${p.insert.values.length})` : '';
      details.push(h('h4', {}, 'Proposed set insert'), h('p', {}, `set ${p.insert.set}: ${p.insert.values.join(', ')}${more}${p.insert.ttl_ms ? `, ttl ${p.insert.ttl_ms / 1000} s` : ''}`));
    }
    const diag = s.verdict?.diagnostics || s.records.find((r) => r.diagnostics)?.diagnostics;
    if (diag) details.push(h('h4', {}, 'Diagnostics'), h('pre', { class: 'diagnostics', tabindex: 0 }, diag));

    const badge = h('span', { class: `badge ${s.outcome}`, 'data-testid': 'outcome' }, s.outcome);
    const card = h(
      'article',
      { class: `story${focused ? ' focused' : ''}`, 'data-proposal': s.proposalId || undefined, 'data-focused': focused || undefined, tabindex: focused ? -1 : undefined, 'aria-label': s.title },
      h('header', {}, h('h3', {}, s.title), badge, h('span', { class: 'muted' }, ` ${s.origin}${s.proposalId ? `, ${s.proposalId}` : ''}, ${timeOfDay(start)}`)),
      h('ol', { class: 'story-steps' }, ...steps),
    );
    if (details.length) {
      const more = h('details', { open: focused || this.opened.has(s.key) || undefined }, h('summary', {}, 'evidence, PSL and diagnostics'), ...details);
      more.addEventListener('toggle', () => {
        if (more.open) this.opened.add(s.key);
        else this.opened.delete(s.key);
      });
      card.append(more);
    }
    return card;
  }

  unmount(): void {
    this.off?.();
    for (const c of this.charts) c.dispose();
    this.charts = [];
  }
}
