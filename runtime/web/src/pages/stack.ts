// Stack: the path of traffic through the stack as a Sankey (NIC -> XDP
// verdict per rule -> stack -> IPv4/IPv6 -> TCP/UDP/ICMP -> delivery, the
// drops leaving each layer by the kernel's reason), the in-stack time
// histogram per protocol, and tables of the same numbers. A click on a
// protocol, a rule or a source narrows everything to it.

import { baseOption, Chart, mountChart } from '../charts';
import { h, replaceChildren, setText } from '../dom';
import { nanoseconds, rate, si } from '../format';
import { renderNarrowing } from '../narrowing_bar';
import type { Page, PageContext } from '../page';
import { buildSankey } from '../sankey_model';
import type { Narrowing } from '../store';
import type { Summary } from '../types';

function stat(label: string, testid: string): [HTMLElement, HTMLElement] {
  const value = h('span', { class: 'stat-value', 'data-testid': testid }, '–');
  return [h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), value), value];
}

function button(text: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'link', ...attrs }, text);
  b.addEventListener('click', onClick);
  return b;
}

export class StackPage implements Page {
  private charts: Chart[] = [];
  private off: (() => void) | null = null;
  private rendered = false;

  mount(root: HTMLElement, ctx: PageContext): void {
    const { store } = ctx;
    const narrowing = h('div', { class: 'narrowing', 'aria-live': 'polite' });
    const [nicTile, nic] = stat('at the NIC', 'stat-nic');
    const [dropTile, xdpDrop] = stat('dropped at XDP', 'stat-xdp-drop');
    const [rxTile, stackRx] = stat('stack receive', 'stat-stack-rx');
    const [delTile, delivered] = stat('delivered to sockets', 'stat-delivered');
    const [sdTile, stackDrop] = stat('dropped in the stack', 'stat-stack-drop');
    const windowNote = h('p', { class: 'muted', 'data-testid': 'window-note' });
    const sankeyEl = h('div', { class: 'chart chart-tall', 'data-testid': 'sankey' });
    const latencyEl = h('div', { class: 'chart', 'data-testid': 'latency' });
    const protoBody = h('tbody', { 'data-testid': 'protocols' });
    const ruleBody = h('tbody', { 'data-testid': 'rules' });
    const dropBody = h('tbody', { 'data-testid': 'drops' });
    const sourceBody = h('tbody', { 'data-testid': 'sources' });

    root.append(
      h('h1', {}, 'Stack'),
      narrowing,
      h('div', { class: 'stats' }, nicTile, dropTile, rxTile, delTile, sdTile),
      windowNote,
      h('section', { 'aria-labelledby': 'sankey-h' }, h('h2', { id: 'sankey-h' }, 'Where packets go (packets per second)'), sankeyEl),
      h(
        'div',
        { class: 'columns' },
        h(
          'section',
          { 'aria-labelledby': 'protos-h' },
          h('h2', { id: 'protos-h' }, 'Protocols'),
          h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'protocol'), h('th', {}, 'NIC'), h('th', {}, 'XDP drop'), h('th', {}, 'delivered'), h('th', {}, 'stack drop'))), protoBody),
        ),
        h(
          'section',
          { 'aria-labelledby': 'rules-h' },
          h('h2', { id: 'rules-h' }, 'XDP verdicts by rule'),
          h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'rule'), h('th', {}, 'action'), h('th', {}, 'origin'), h('th', {}, 'hits'))), ruleBody),
        ),
      ),
      h(
        'div',
        { class: 'columns' },
        h(
          'section',
          { 'aria-labelledby': 'drops-h' },
          h('h2', { id: 'drops-h' }, 'Drops in the stack by reason'),
          h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'reason'), h('th', {}, 'layer'), h('th', {}, 'protocol'), h('th', {}, 'rate'))), dropBody),
        ),
        h(
          'section',
          { 'aria-labelledby': 'sources-h' },
          h('h2', { id: 'sources-h' }, 'Sources'),
          h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'source'), h('th', {}, 'rate'), h('th', {}, 'XDP drop'))), sourceBody),
        ),
      ),
      h('section', { 'aria-labelledby': 'lat-h' }, h('h2', { id: 'lat-h' }, 'Time in the stack per protocol (netif_receive_skb to consume or drop)'), latencyEl),
    );

    const sankey = mountChart(sankeyEl, 'Sankey diagram of packets through the stack');
    const latency = mountChart(latencyEl, 'Histogram of the time packets spent in the stack, per protocol');
    this.charts = [sankey, latency];
    sankey.on('click', (p: unknown) => {
      const e = p as { dataType?: string; data?: { kind?: string; key?: string } };
      if (e.dataType !== 'node' || !e.data?.key) return;
      if (e.data.kind === 'proto' && e.data.key.includes('/')) store.narrow({ proto: e.data.key });
      else if (e.data.kind === 'rule') store.narrow({ rule: e.data.key });
      else if (e.data.kind === 'nic' && e.data.key) store.narrow({ source: e.data.key });
    });

    const narrowTo = (n: Narrowing) => () => store.narrow(n);

    const render = () => {
      renderNarrowing(narrowing, store);
      const s: Summary | undefined = store.latest;
      if (!s) {
        setText(windowNote, 'Waiting for the first summary from psd…');
        return;
      }
      const n = store.narrowing;
      const p = n.proto ? s.protocols.find((x) => x.proto === n.proto) : undefined;
      const t = p ?? s.totals;
      setText(nic, rate(t.nic.pps));
      setText(xdpDrop, rate(t.xdp_drop.pps));
      setText(stackRx, rate(t.stack_rx.per_s));
      setText(delivered, rate(t.delivered.per_s));
      setText(stackDrop, rate(t.dropped.per_s));
      setText(windowNote, `Window ${s.seq}, ${s.window.duration_s.toFixed(2)} s${s.counters_reset ? ' (counters restarted in it)' : ''}${s.notes.length ? ` — ${s.notes.join('; ')}` : ''}`);

      const model = buildSankey(s, n);
      if (!this.rendered) {
        // For scripts/bench-web: the first render with data.
        this.rendered = true;
        requestAnimationFrame(() => performance.mark('packetscope:first-render'));
      }
      // The node names, for tests and for anyone reading the DOM.
      sankeyEl.dataset.nodes = model.nodes.map((x) => x.name).join('|');
      sankey.setOption(
        {
          ...baseOption,
          tooltip: {
            ...baseOption.tooltip,
            trigger: 'item',
            formatter: (x: unknown) => {
              const e = x as { dataType: string; data: { source?: string; target?: string; value?: number; name?: string } };
              return e.dataType === 'edge' ? `${e.data.source} → ${e.data.target}: ${rate(e.data.value ?? 0)}` : `${e.data.name}`;
            },
          },
          series: [
            {
              type: 'sankey',
              nodeAlign: 'left',
              emphasis: { focus: 'adjacency' },
              lineStyle: { color: 'gradient', curveness: 0.5 },
              label: { color: '#111827', fontSize: 12 },
              edgeLabel: { show: true, fontSize: 10, color: '#374151', formatter: (x: { value?: number }) => si(Number(x.value ?? 0)) },
              data: model.nodes.map((x) => ({
                name: x.name,
                kind: x.kind,
                key: x.key,
                itemStyle: { color: x.kind === 'drop' || x.name === 'XDP drop' ? '#dc2626' : x.kind === 'delivered' ? '#059669' : undefined },
              })),
              links: model.links.map((l) => ({ ...l })),
            },
          ],
        },
        { notMerge: true },
      );

      const lat = s.latency.filter((x) => !n.proto || x.proto === n.proto);
      const edges = [...new Set(lat.flatMap((x) => x.buckets.map((b) => b.lo_ns)))].sort((a, b) => a - b);
      latency.setOption(
        {
          ...baseOption,
          tooltip: { ...baseOption.tooltip, trigger: 'axis' },
          legend: { top: 0 },
          grid: { left: 50, right: 20, top: 30, bottom: 40 },
          xAxis: { type: 'category', name: 'time in the stack', nameLocation: 'middle', nameGap: 28, data: edges.map((lo) => `${nanoseconds(lo)}–${nanoseconds(lo * 2)}`) },
          yAxis: { type: 'value', name: 'packets' },
          series: lat.map((x) => ({
            type: 'bar',
            name: `${x.proto} (p50 ${nanoseconds(x.p50_ns)}, p99 ${nanoseconds(x.p99_ns)})`,
            data: edges.map((lo) => x.buckets.find((b) => b.lo_ns === lo)?.count ?? 0),
          })),
        },
        { notMerge: true },
      );

      replaceChildren(
        protoBody,
        s.protocols.map((x) =>
          h(
            'tr',
            { 'data-proto': x.proto, class: n.proto === x.proto ? 'selected' : undefined },
            h('td', {}, button(x.proto, narrowTo({ proto: x.proto }), { 'data-testid': `narrow-proto-${x.proto}` })),
            h('td', { 'data-testid': `proto-nic-${x.proto}` }, rate(x.nic.pps)),
            h('td', {}, rate(x.xdp_drop.pps)),
            h('td', {}, rate(x.delivered.per_s)),
            h('td', {}, rate(x.dropped.per_s)),
          ),
        ),
      );
      const rules = s.interfaces.flatMap((i) => [...i.rules, i.default].map((r) => ({ iface: i.name, r })));
      replaceChildren(
        ruleBody,
        rules
          .filter(({ r }) => !n.rule || r.name === n.rule)
          .map(({ iface, r }) =>
            h(
              'tr',
              { 'data-rule': r.name, class: n.rule === r.name ? 'selected' : undefined },
              h('td', {}, r.name === 'default' ? `default (${iface})` : button(r.name, narrowTo({ rule: r.name }), { 'data-testid': `narrow-rule-${r.name}` })),
              h('td', {}, r.action + (r.mode === 'shadow' ? ' (shadow)' : '')),
              h('td', {}, r.origin),
              h('td', { 'data-testid': `rule-hits-${r.name}` }, rate(r.mode === 'shadow' ? r.shadow_hits.per_s : r.hits.per_s)),
            ),
          ),
      );
      const drops = s.drops.filter((d) => !n.proto || d.proto === n.proto);
      replaceChildren(
        dropBody,
        drops.length
          ? drops.map((d) => h('tr', { 'data-reason': d.reason }, h('td', {}, h('code', {}, d.reason)), h('td', {}, d.layer), h('td', {}, d.proto), h('td', {}, rate(d.per_s))))
          : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'no drops in the stack in this window'))],
      );
      const talkers = s.talkers.top.filter((x) => !n.source || x.addr === n.source);
      replaceChildren(
        sourceBody,
        talkers.length
          ? talkers.map((x) =>
              h(
                'tr',
                { 'data-source': x.addr },
                h('td', {}, button(x.addr, narrowTo({ source: x.addr }), { 'data-testid': `narrow-source-${x.addr}` })),
                h('td', {}, rate(x.traffic.pps)),
                h('td', {}, rate(x.xdp_drop.per_s)),
              ),
            )
          : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no active sources in this window'))],
      );
    };
    render();
    this.off = store.subscribe((c) => {
      if (c === 'summary' || c === 'narrowing' || c === 'history') render();
    });
  }

  unmount(): void {
    this.off?.();
    for (const c of this.charts) c.dispose();
    this.charts = [];
  }
}
