// The shapes the view reads from psd's API: docs/summary.schema.json (the
// summary), docs/psd.md (rules, trace, status) and docs/governor.md (the
// decision records). Only the members the view uses are typed.

export interface Count {
  count: number;
  per_s: number;
}

export interface Volume {
  packets: number;
  bytes: number;
  pps: number;
  bps: number;
}

export interface ProtocolRates {
  proto: string; // "ipv4/tcp", ..., "other", "all" for the totals
  nic: Volume;
  xdp_pass: Volume;
  xdp_drop: Volume;
  stack_rx: Count;
  delivered: Count;
  dropped: Count;
  sent: Count;
  untracked: Count;
}

export interface DropRow {
  reason: string;
  layer: string;
  proto: string;
  count: number;
  per_s: number;
}

export interface LatencyBucket {
  lo_ns: number;
  hi_ns: number;
  count: number;
}

export interface Latency {
  proto: string;
  count: number;
  mean_ns: number;
  p50_ns: number;
  p99_ns: number;
  buckets: LatencyBucket[];
}

export interface Talker {
  addr: string;
  family: number;
  traffic: Volume;
  tcp_syn: Count;
  icmp_echo: Count;
  udp: Count;
  xdp_drop: Count;
  // Of tcp_syn, icmp_echo and udp, what the policy dropped at XDP.
  tcp_syn_drop: Count;
  icmp_echo_drop: Count;
  udp_drop: Count;
  udp_reflection: { port: number; count: number; per_s: number }[];
  distinct_dports: number;
  distinct_daddrs: number;
  tracked_s: number;
}

export interface Rule {
  name: string;
  action: string;
  origin: string;
  mode: string; // "enforced" | "shadow"
  hits: Count;
  bytes?: number;
  total_packets: number;
  total_bytes?: number;
  shadow_hits: Count;
  shadow_total?: number;
  ttl_left_ms: number | null;
  // /api/v1/rules only, once psd runs the governor: the proposal that put
  // a generated rule in force (null for the operator's).
  proposal_id?: string | null;
}

export interface InterfaceSummary {
  name: string;
  policy: string;
  attached: boolean;
  program_id: number;
  mode: string;
  rules_total: number;
  rules: Rule[];
  default: Rule;
  sets: { name: string; elem: string; entries: number; capacity: number; ttl_ms: number }[];
}

export interface TcpSummary {
  syn_received: Count;
  synack_sent: Count;
  syn_recv: Count;
  established: Count;
  passive_opens: Count;
  active_opens: Count;
  closed: Count;
  resets_sent: Count;
  resets_received: Count;
  retransmits: Count;
  half_open_estimate: number;
}

export interface Summary {
  version: number;
  seq: number;
  window: {
    start_ns: number;
    end_ns: number;
    start_unix_ms: number;
    end_unix_ms: number;
    duration_s: number;
  };
  counters_reset: boolean;
  notes: string[];
  totals: ProtocolRates;
  protocols: ProtocolRates[];
  drops: DropRow[];
  drop_layers: { layer: string; count: number; per_s: number }[];
  tcp: TcpSummary;
  latency: Latency[];
  talkers: {
    active_sources: number;
    tracked_sources: number;
    top: Talker[];
    others: Volume;
    fanout: Talker[];
  };
  interfaces: InterfaceSummary[];
  hooks: { name: string; attach: string; missing: string; fallback: string }[];
  ring_lost: Count;
}

export interface RulesReply {
  interfaces: {
    name: string;
    policy: string;
    attached: boolean;
    window_s: number;
    rules_total: number;
    rules_matching: number;
    rules: Rule[];
    default: Rule;
  }[];
}

export interface PathStep {
  ts_ns: number;
  hook: string;
  verdict: string;
  rule: string;
  reason: string;
}

export interface PacketPath {
  id: number;
  proto: string;
  family: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  len: number;
  outcome: string;
  steps: PathStep[];
}

export interface StatusReply {
  version: string;
  uptime_s: number;
  listen: string;
  token_configured: boolean;
  interfaces: {
    name: string;
    protected: boolean;
    policy_file: string;
    policy_from: string;
    last_error: string;
    policy: string;
    program_id: number;
    mode: string;
    rules: number;
  }[];
  summaries: { window_s: number; kept: number; capacity: number };
}

// GET /api/v1/policy: the operator policy text per interface.
export interface PolicyTextReply {
  interfaces: {
    name: string;
    policy_file: string;
    policy_from: string;
    text: string;
  }[];
}
