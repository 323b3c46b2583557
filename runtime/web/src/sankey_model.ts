// The Stack page's flow diagram as data: summary -> nodes and links of a
// Sankey, NIC -> XDP verdict per rule -> stack receive -> IPv4/IPv6 ->
// TCP/UDP/ICMP -> socket delivery, with the drops leaving the layer where
// the kernel dropped them, by its drop-reason name. Values are packets
// per second in the window. Pure: tested without a browser.

import type { Narrowing } from './store';
import type { Summary, Rule } from './types';

export interface SankeyNode {
  name: string; // unique; shown as the label
  kind: 'nic' | 'rule' | 'verdict' | 'stack' | 'family' | 'proto' | 'delivered' | 'drop';
  depth: number;
  key?: string; // the proto class, rule name or drop reason it stands for
}

export interface SankeyLink {
  source: string;
  target: string;
  value: number; // packets per second
}

export interface SankeyModel {
  nodes: SankeyNode[];
  links: SankeyLink[];
}

export const NIC = 'NIC';
export const XDP_DROP = 'XDP drop';
export const STACK = 'stack receive';
export const DELIVERED = 'socket delivery';

const FAMILY_LABEL: Record<string, string> = { ipv4: 'IPv4', ipv6: 'IPv6', other: 'non-IP' };

export function familyOf(proto: string): string {
  const slash = proto.indexOf('/');
  return slash < 0 ? 'other' : proto.slice(0, slash);
}

export function ruleNode(rule: Rule): string {
  return rule.name === 'default' ? `default (${rule.action})` : `rule ${rule.name} (${rule.action})`;
}

export function dropNode(reason: string, layer: string): string {
  return `drop ${reason} [${layer}]`;
}

// Where a drop of `layer` leaves the flow: core drops leave the stack's
// receive, IP and netfilter drops the family, the rest the protocol.
function dropSource(layer: string, proto: string): { name: string; depth: number } {
  if (layer === 'core' || layer === 'xdp') return { name: STACK, depth: 3 };
  if (layer === 'ip' || layer === 'netfilter') return { name: FAMILY_LABEL[familyOf(proto)] ?? familyOf(proto), depth: 4 };
  return { name: proto, depth: 5 };
}

export function buildSankey(s: Summary, n: Narrowing = {}): SankeyModel {
  const nodes = new Map<string, SankeyNode>();
  const links = new Map<string, SankeyLink>();
  const node = (name: string, kind: SankeyNode['kind'], depth: number, key?: string) => {
    if (!nodes.has(name)) nodes.set(name, { name, kind, depth, key });
  };
  const link = (source: string, target: string, value: number) => {
    if (!(value > 0) || source === target) return;
    const k = `${source}\u0000${target}`;
    const l = links.get(k);
    if (l) l.value += value;
    else links.set(k, { source, target, value });
  };

  // XDP: every rule that decided packets in the window, on every interface.
  const showRules = !n.proto && !n.source;
  if (showRules) {
    node(NIC, 'nic', 0);
    for (const iface of s.interfaces) {
      for (const r of [...iface.rules, iface.default]) {
        if (n.rule && r.name !== n.rule) continue;
        const pps = r.mode === 'shadow' ? 0 : r.hits.per_s;
        if (!(pps > 0)) continue;
        const name = ruleNode(r);
        node(name, 'rule', 1, r.name);
        link(NIC, name, pps);
        if (r.action === 'drop') {
          node(XDP_DROP, 'verdict', 2);
          link(name, XDP_DROP, pps);
        } else {
          node(STACK, 'stack', 3);
          link(name, STACK, pps);
        }
      }
    }
    if (n.rule) return finish(nodes, links);
  } else if (n.source) {
    // One source: its packets at XDP by verdict, then what kind they were.
    const t = [...s.talkers.top, ...s.talkers.fanout].find((x) => x.addr === n.source);
    if (!t) return { nodes: [], links: [] };
    const src = `source ${t.addr}`;
    node(src, 'nic', 0, t.addr);
    node(XDP_DROP, 'verdict', 2);
    node(STACK, 'stack', 3);
    const dropped = t.xdp_drop.per_s;
    link(src, XDP_DROP, dropped);
    link(src, STACK, Math.max(0, t.traffic.pps - dropped));
    const kinds: [string, number][] = [
      ['TCP SYN', t.tcp_syn.per_s],
      ['ICMP echo', t.icmp_echo.per_s],
      ['UDP', t.udp.per_s],
    ];
    for (const [label, pps] of kinds) {
      node(label, 'proto', 5, label);
      // The kinds count every packet of the source, dropped or not.
      link(src, label, pps);
    }
    return finish(nodes, links);
  } else {
    // One protocol: its own funnel.
    const p = s.protocols.find((x) => x.proto === n.proto);
    if (!p) return { nodes: [], links: [] };
    node(NIC, 'nic', 0);
    node(XDP_DROP, 'verdict', 2);
    node(STACK, 'stack', 3);
    link(NIC, XDP_DROP, p.xdp_drop.pps);
    link(NIC, STACK, p.xdp_pass.pps);
  }

  // The stack: receive -> family -> protocol -> delivery, drops by reason.
  for (const p of s.protocols) {
    if (n.proto && p.proto !== n.proto) continue;
    const fam = familyOf(p.proto);
    const famName = FAMILY_LABEL[fam] ?? fam;
    const rx = p.stack_rx.per_s;
    if (!(rx > 0) && !(p.delivered.per_s > 0) && !(p.dropped.per_s > 0)) continue;
    node(STACK, 'stack', 3);
    if (fam === 'other') {
      node(p.proto, 'proto', 5, p.proto);
      link(STACK, p.proto, rx);
    } else {
      node(famName, 'family', 4, fam);
      node(p.proto, 'proto', 5, p.proto);
      link(STACK, famName, rx);
      link(famName, p.proto, rx);
    }
    node(DELIVERED, 'delivered', 6);
    link(p.proto, DELIVERED, p.delivered.per_s);
  }
  for (const d of s.drops) {
    if (n.proto && d.proto !== n.proto) continue;
    const from = dropSource(d.layer, d.proto);
    if (!nodes.has(from.name)) continue;
    const name = dropNode(d.reason, d.layer);
    node(name, 'drop', from.depth + 1, d.reason);
    link(from.name, name, d.per_s);
  }
  return finish(nodes, links);
}

function finish(nodes: Map<string, SankeyNode>, links: Map<string, SankeyLink>): SankeyModel {
  // Only nodes that carry a flow: an empty node would stand alone.
  const used = new Set<string>();
  for (const l of links.values()) {
    used.add(l.source);
    used.add(l.target);
  }
  return {
    nodes: [...nodes.values()].filter((x) => used.has(x.name)),
    links: [...links.values()],
  };
}
