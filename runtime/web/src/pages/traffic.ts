// Traffic: packet and byte rates per protocol over the last minutes,
// handshake health (SYN, SYN-ACK, established, resets) and the top
// talkers with what XDP did to them (all of a source's drops, and of its
// SYNs, echo requests and UDP datagrams those the policy dropped).
// Narrowing to a protocol or a source applies here too.

import { baseOption, Chart, mountChart } from '../charts';
import { h, replaceChildren, setText } from '../dom';
import { bitRate, rate, si, timeOfDay } from '../format';
import { renderNarrowing } from '../narrowing_bar';
import type { Page, PageContext } from '../page';
import type { Count, Summary, Talker } from '../types';

function verdictOf(t: Talker): string {
  if (t.xdp_drop.per_s > 0 && t.xdp_drop.per_s >= t.traffic.pps * 0.99) return 'dropped at XDP';
  if (t.xdp_drop.per_s > 0) return 'partly dropped at XDP';
  return 'passed';
}

// A class's rate, and under it how much of it was dropped at XDP.
// data-testid: `sent-${what}-${addr}` and `drop-${what}-${addr}`.
function classCell(sent: Count, dropped: Count, what: string, addr: string): HTMLElement {
  const cell = h('td', {}, h('span', { 'data-testid': `sent-${what}-${addr}` }, si(sent.per_s)));
  if (dropped.per_s > 0)
    cell.append(h('br', {}), h('span', { class: 'bad', 'data-testid': `drop-${what}-${addr}` }, `${si(dropped.per_s)} dropped`));
  return cell;
}

export class TrafficPage implements Page {
  private charts: Chart[] = [];
  private off: (() => void) | null = null;

  mount(root: HTMLElement, ctx: PageContext): void {
    const { store } = ctx;
    const narrowing = h('div', { class: 'narrowing', 'aria-live': 'polite' });
    const live = h('p', { class: 'muted' });
    const total = h('span', { class: 'stat-value', 'data-testid': 'traffic-pps' }, '–');
    const totalBytes = h('span', { class: 'stat-value', 'data-testid': 'traffic-bps' }, '–');
    const halfOpen = h('span', { class: 'stat-value', 'data-testid': 'half-open' }, '–');
    const ppsEl = h('div', { class: 'chart', 'data-testid': 'pps-chart' });
    const bpsEl = h('div', { class: 'chart', 'data-testid': 'bps-chart' });
    const tcpEl = h('div', { class: 'chart', 'data-testid': 'tcp-chart' });
    const talkerBody = h('tbody', { 'data-testid': 'talkers' });
    root.append(
      h('h1', {}, 'Traffic'),
      narrowing,
      h(
        'div',
        { class: 'stats' },
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'packets'), total),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'bits'), totalBytes),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'half-open TCP (estimate)'), halfOpen),
      ),
      live,
      h('section', { 'aria-labelledby': 'pps-h' }, h('h2', { id: 'pps-h' }, 'Packets per second at the NIC, per protocol'), ppsEl),
      h('section', { 'aria-labelledby': 'bps-h' }, h('h2', { id: 'bps-h' }, 'Bits per second at the NIC, per protocol'), bpsEl),
      h('section', { 'aria-labelledby': 'tcp-h' }, h('h2', { id: 'tcp-h' }, 'TCP handshake health'), tcpEl),
      h(
        'section',
        { 'aria-labelledby': 'talk-h' },
        h('h2', { id: 'talk-h' }, 'Top talkers'),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h('tr', {}, ...['source', 'packets', 'bits', 'TCP SYN', 'ICMP echo', 'UDP', 'reflection ports', 'dst ports', 'XDP drop', 'verdict'].map((x) => h('th', {}, x))),
          ),
          talkerBody,
        ),
      ),
    );
    const pps = mountChart(ppsEl, 'Packets per second per protocol over time');
    const bps = mountChart(bpsEl, 'Bits per second per protocol over time');
    const tcp = mountChart(tcpEl, 'TCP handshake events per second over time');
    this.charts = [pps, bps, tcp];

    const series = (history: Summary[], pick: (s: Summary, proto: string) => number, protos: string[]) =>
      protos.map((proto) => ({
        type: 'line',
        name: proto,
        stack: 'total',
        areaStyle: {},
        showSymbol: false,
        data: history.map((s) => [s.window.end_unix_ms, pick(s, proto)]),
      }));
    const timeAxis = { type: 'time', axisLabel: { formatter: (v: number) => timeOfDay(v).slice(0, 8) } };
    const chartBase = {
      ...baseOption,
      tooltip: { ...baseOption.tooltip, trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 60, right: 20, top: 30, bottom: 30 },
      xAxis: timeAxis,
    };

    const render = () => {
      renderNarrowing(narrowing, store);
      const history = store.history;
      const s = store.latest;
      if (!s) {
        setText(live, 'Waiting for the first summary from psd…');
        return;
      }
      const n = store.narrowing;
      setText(live, `Last window ${s.seq} ended ${timeOfDay(s.window.end_unix_ms)}; ${history.length} windows shown.`);
      const source = n.source ? [...s.talkers.top, ...s.talkers.fanout].find((t) => t.addr === n.source) : undefined;
      const p = n.proto ? s.protocols.find((x) => x.proto === n.proto) : undefined;
      const vol = source ? source.traffic : (p ?? s.totals).nic;
      setText(total, rate(vol.pps));
      setText(totalBytes, bitRate(vol.bps));
      setText(halfOpen, si(s.tcp.half_open_estimate));

      const seen = new Set<string>();
      for (const x of history) for (const q of x.protocols) if (q.nic.packets > 0) seen.add(q.proto);
      const protos = [...seen].filter((x) => !n.proto || x === n.proto).sort();
      const protoRate = (x: Summary, proto: string, key: 'pps' | 'bps') => x.protocols.find((q) => q.proto === proto)?.nic[key] ?? 0;
      if (n.source) {
        const bySource = (key: 'pps' | 'bps') => [
          {
            type: 'line',
            name: n.source,
            showSymbol: false,
            areaStyle: {},
            data: history.map((x) => [x.window.end_unix_ms, [...x.talkers.top, ...x.talkers.fanout].find((t) => t.addr === n.source)?.traffic[key] ?? 0]),
          },
        ];
        pps.setOption({ ...chartBase, yAxis: { type: 'value', name: 'pkt/s' }, series: bySource('pps') }, { notMerge: true });
        bps.setOption({ ...chartBase, yAxis: { type: 'value', name: 'bit/s' }, series: bySource('bps') }, { notMerge: true });
      } else {
        pps.setOption({ ...chartBase, yAxis: { type: 'value', name: 'pkt/s' }, series: series(history, (x, q) => protoRate(x, q, 'pps'), protos) }, { notMerge: true });
        bps.setOption({ ...chartBase, yAxis: { type: 'value', name: 'bit/s' }, series: series(history, (x, q) => protoRate(x, q, 'bps'), protos) }, { notMerge: true });
      }
      const tcpSeries: [string, (x: Summary) => number][] = [
        ['SYN received', (x) => x.tcp.syn_received.per_s],
        ['SYN-ACK sent', (x) => x.tcp.synack_sent.per_s],
        ['established', (x) => x.tcp.established.per_s],
        ['resets sent', (x) => x.tcp.resets_sent.per_s],
        ['resets received', (x) => x.tcp.resets_received.per_s],
        ['retransmits', (x) => x.tcp.retransmits.per_s],
      ];
      tcp.setOption(
        {
          ...chartBase,
          yAxis: { type: 'value', name: 'per s' },
          series: tcpSeries.map(([name, f]) => ({ type: 'line', name, showSymbol: false, data: history.map((x) => [x.window.end_unix_ms, f(x)]) })),
        },
        { notMerge: true },
      );

      const talkers = s.talkers.top.filter((t) => !n.source || t.addr === n.source);
      replaceChildren(
        talkerBody,
        talkers.length
          ? talkers.map((t) => {
              const b = h('button', { type: 'button', class: 'link', 'data-testid': `talker-${t.addr}` }, t.addr);
              b.addEventListener('click', () => store.narrow({ source: t.addr }));
              const verdict = verdictOf(t);
              return h(
                'tr',
                { 'data-source': t.addr },
                h('td', {}, b),
                h('td', {}, rate(t.traffic.pps)),
                h('td', {}, bitRate(t.traffic.bps)),
                classCell(t.tcp_syn, t.tcp_syn_drop, 'syn', t.addr),
                classCell(t.icmp_echo, t.icmp_echo_drop, 'echo', t.addr),
                classCell(t.udp, t.udp_drop, 'udp', t.addr),
                h('td', {}, t.udp_reflection.map((r) => `${r.port}: ${si(r.per_s)}/s`).join(', ') || '–'),
                h('td', {}, String(t.distinct_dports)),
                h('td', {}, rate(t.xdp_drop.per_s)),
                h('td', { class: verdict === 'passed' ? 'ok' : 'bad', 'data-testid': `verdict-${t.addr}` }, verdict),
              );
            })
          : [h('tr', {}, h('td', { colspan: 10, class: 'muted' }, 'no active sources in this window'))],
      );
    };
    render();
    this.off = store.subscribe((c) => {
      if (c === 'summary' || c === 'history' || c === 'narrowing') render();
    });
  }

  unmount(): void {
    this.off?.();
    for (const c of this.charts) c.dispose();
    this.charts = [];
  }
}
