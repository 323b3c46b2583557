// Packet path: sampled packets (GET /api/v1/trace), each hook it passed
// with its time, as a timeline; "why was this packet dropped" answered by
// the hook that dropped it, its rule or the kernel's drop reason.
// Searchable by address, port and protocol; the search is kept in the
// route (#/path?addr=...&port=...) so a link can point at it.

import { getJson } from '../api';
import { baseOption, Chart, mountChart } from '../charts';
import { h, replaceChildren, setText } from '../dom';
import { nanoseconds } from '../format';
import type { Page, PageContext } from '../page';
import type { PacketPath, PathStep } from '../types';

const PROTOS = ['', 'ipv4/tcp', 'ipv4/udp', 'ipv4/icmp', 'ipv4/other', 'ipv6/tcp', 'ipv6/udp', 'ipv6/icmp', 'ipv6/other', 'other'];

export function stepText(s: PathStep): string {
  const parts = [s.verdict];
  if (s.rule) parts.push(`rule ${s.rule}`);
  if (s.reason) parts.push(`reason ${s.reason}`);
  return parts.join(', ');
}

function isDrop(s: PathStep): boolean {
  return s.verdict === 'drop' || s.verdict === 'dropped' || s.reason !== '';
}

function endpoint(addr: string, port: number, family: number): string {
  if (!port) return addr;
  return family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export class PathPage implements Page {
  private charts: Chart[] = [];
  private off: (() => void) | null = null;
  private abort: AbortController | null = null;

  mount(root: HTMLElement, ctx: PageContext): void {
    const { store, params } = ctx;
    const addr = h('input', { id: 'path-addr', name: 'addr', type: 'search', placeholder: '192.0.2.2 or 2001:db8::1', autocomplete: 'off', value: params.get('addr') ?? store.narrowing.source ?? '' });
    const port = h('input', { id: 'path-port', name: 'port', type: 'search', inputmode: 'numeric', placeholder: '443', autocomplete: 'off', value: params.get('port') ?? '' });
    const proto = h('select', { id: 'path-proto', name: 'proto' }, ...PROTOS.map((p) => h('option', { value: p }, p || 'any')));
    proto.value = params.get('proto') ?? store.narrowing.proto ?? '';
    const dropsOnly = h('input', { id: 'path-drops', type: 'checkbox' });
    dropsOnly.checked = params.get('drops') === '1';
    const follow = h('input', { id: 'path-follow', type: 'checkbox' });
    follow.checked = params.get('follow') !== '0';
    const form = h(
      'form',
      { class: 'search', role: 'search', 'aria-label': 'Search sampled packets' },
      h('label', { for: 'path-addr' }, 'address'),
      addr,
      h('label', { for: 'path-port' }, 'port'),
      port,
      h('label', { for: 'path-proto' }, 'protocol'),
      proto,
      h('label', { class: 'check' }, dropsOnly, ' dropped only'),
      h('label', { class: 'check' }, follow, ' follow live'),
      h('button', { type: 'submit' }, 'Search'),
    );
    const status = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'path-status' });
    const listBody = h('tbody', { 'data-testid': 'paths' });
    const detailTitle = h('h2', { id: 'path-detail-h' }, 'Choose a packet');
    const why = h('p', { class: 'why', 'data-testid': 'path-why' });
    const steps = h('ol', { class: 'steps', 'data-testid': 'path-steps' });
    const timelineEl = h('div', { class: 'chart', 'data-testid': 'path-timeline' });
    root.append(
      h('h1', {}, 'Packet path'),
      h('p', { class: 'muted' }, 'Sampled packets with every hook they passed (psd traces one packet in trace.sample_every). Search by address and port.'),
      form,
      status,
      h(
        'div',
        { class: 'columns' },
        h(
          'section',
          { 'aria-label': 'Sampled packets' },
          h('table', { class: 'paths' }, h('thead', {}, h('tr', {}, ...['packet', 'protocol', 'outcome'].map((x) => h('th', {}, x)))), listBody),
        ),
        h('section', { 'aria-labelledby': 'path-detail-h' }, detailTitle, why, timelineEl, steps),
      ),
    );
    const timeline = mountChart(timelineEl, 'Timeline of the hooks the chosen packet passed');
    this.charts = [timeline];

    let paths: PacketPath[] = [];
    let chosen: number | null = params.has('id') ? Number(params.get('id')) : null;

    const show = (p: PacketPath | undefined) => {
      if (!p) {
        setText(detailTitle, 'Choose a packet');
        setText(why, '');
        replaceChildren(steps, []);
        timeline.clear();
        return;
      }
      setText(detailTitle, `${endpoint(p.src, p.sport, p.family)} → ${endpoint(p.dst, p.dport, p.family)} (${p.proto}, ${p.len} bytes)`);
      const drop = p.steps.find(isDrop);
      setText(why, drop ? `Dropped at ${drop.hook}: ${stepText(drop)}.` : `Outcome: ${p.outcome}.`);
      const t0 = p.steps.length ? p.steps[0].ts_ns : 0;
      replaceChildren(
        steps,
        p.steps.map((s) =>
          h('li', { class: isDrop(s) ? 'bad' : undefined }, h('span', { class: 'ts' }, `+${nanoseconds(s.ts_ns - t0)}`), ' ', h('code', {}, s.hook), ' ', stepText(s)),
        ),
      );
      const hooks = [...new Set(p.steps.map((s) => s.hook))];
      timeline.setOption(
        {
          ...baseOption,
          tooltip: { ...baseOption.tooltip, trigger: 'item', formatter: (x: { dataIndex: number }) => `${p.steps[x.dataIndex].hook} +${nanoseconds(p.steps[x.dataIndex].ts_ns - t0)}: ${stepText(p.steps[x.dataIndex])}` },
          grid: { left: 170, right: 30, top: 20, bottom: 40 },
          xAxis: { type: 'value', name: 'µs after the first hook', nameLocation: 'middle', nameGap: 26 },
          yAxis: { type: 'category', data: hooks, inverse: true },
          series: [
            {
              type: 'line',
              symbolSize: 12,
              label: { show: true, position: 'right', formatter: (x: { dataIndex: number }) => stepText(p.steps[x.dataIndex]) },
              data: p.steps.map((s) => ({ value: [(s.ts_ns - t0) / 1000, s.hook], itemStyle: { color: isDrop(s) ? '#dc2626' : '#2563eb' } })),
            },
          ],
        },
        { notMerge: true },
      );
    };

    const renderList = () => {
      const shown = dropsOnly.checked ? paths.filter((p) => p.steps.some(isDrop) || p.outcome.includes('drop')) : paths;
      replaceChildren(
        listBody,
        shown.length
          ? shown.slice(0, 200).map((p) => {
              const b = h('button', { type: 'button', class: 'link', 'data-testid': `path-${p.id}` }, `${endpoint(p.src, p.sport, p.family)} → ${endpoint(p.dst, p.dport, p.family)}`);
              b.addEventListener('click', () => {
                chosen = p.id;
                show(p);
                renderList();
              });
              return h('tr', { class: p.id === chosen ? 'selected' : undefined, 'data-outcome': p.outcome }, h('td', {}, b), h('td', {}, p.proto), h('td', { class: p.outcome.includes('drop') ? 'bad' : undefined }, p.outcome));
            })
          : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no sampled packet matches'))],
      );
      if (chosen === null && shown.length) {
        chosen = shown[0].id;
        show(shown[0]);
        // Marks the first row as chosen too.
        listBody.firstElementChild?.classList.add('selected');
      }
    };

    const query = () => {
      const q = new URLSearchParams();
      if (addr.value.trim()) q.set('addr', addr.value.trim());
      if (port.value.trim()) q.set('port', port.value.trim());
      if (proto.value) q.set('proto', proto.value);
      return q;
    };

    const load = async () => {
      this.abort?.abort();
      this.abort = new AbortController();
      const q = query();
      q.set('limit', '200');
      try {
        const reply = await getJson<{ paths: PacketPath[] }>(`/api/v1/trace?${q}`, this.abort.signal);
        paths = reply.paths;
        setText(status, `${paths.length} sampled packet${paths.length === 1 ? '' : 's'} match${paths.length === 1 ? 'es' : ''}${paths.length ? ', newest first' : ' (is trace.sample_every set?)'}.`);
        renderList();
        const still = paths.find((p) => p.id === chosen);
        if (still) show(still);
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        setText(status, `psd refused the search: ${(e as Error).message}`);
      }
    };

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = query();
      if (dropsOnly.checked) q.set('drops', '1');
      if (!follow.checked) q.set('follow', '0');
      chosen = null;
      history.replaceState(null, '', `#/path${q.toString() ? `?${q}` : ''}`);
      void load();
    });
    dropsOnly.addEventListener('change', () => {
      chosen = null;
      renderList();
    });
    void load();
    // New paths come with every window: follow them while asked to.
    this.off = store.subscribe((c) => {
      if (c === 'summary' && follow.checked) void load();
    });
  }

  unmount(): void {
    this.off?.();
    this.abort?.abort();
    for (const c of this.charts) c.dispose();
    this.charts = [];
  }
}
