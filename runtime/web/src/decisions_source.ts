// The Decisions page's only way to psd's decisions: the audit records of
// the governor and the lifecycle (docs/governor.md, "The audit log"),
// read from GET /api/v1/decisions and from `decision` events on the event
// stream. Everything that knows the records' shape is in this file, so
// that a change of that shape is a change here and nowhere else.

import { ApiError, getJson } from './api';

export interface EvidenceWindow {
  seq: number;
  start_unix_ms: number;
  end_unix_ms: number;
}

export interface EvidenceCounter {
  window: number;
  name: string;
  value: number;
}

export interface Proposal {
  id: string;
  origin: string; // "detector", "llm"
  kind: string; // "policy", "set_insert"
  psl?: string;
  psl_bytes?: number; // set when the log keeps only the first bytes of psl
  policy_name?: string;
  rules?: { name: string; action: string; ttl_ms: number; shadow: boolean }[];
  insert?: { set: string; values: string[]; ttl_ms: number; value_count?: number }; // value_count: the log keeps the first values only
  analysis?: string;
  evidence?: { windows: EvidenceWindow[]; counters: EvidenceCounter[]; cited: boolean };
  created_unix_ms?: number;
  llm?: { provider: string; model: string; tokens_in: number; tokens_out: number; latency_s: number };
}

export interface Verdict {
  accepted: boolean;
  mode?: string; // accepted: "enforce" or "shadow" (how it goes in force)
  reason: string | null;
  message: string;
  rules?: { name: string; mode: string; ttl_ns: number }[];
  values?: string[];
  ttl_ns?: number;
  diagnostics?: string;
  diagnostics_json?: unknown[];
}

// One audit record. `event` says which members are there.
export interface DecisionRecord {
  time_unix_ms: number;
  event: string;
  target?: { netns: string; ifname: string };
  proposal_id: string;
  origin?: string;
  proposal?: Proposal;
  verdict?: Verdict;
  set_insert?: { set: string; added?: { value: string; expires_ns?: number }[]; values?: string[] };
  swap?: {
    replaced_prog_id: number;
    prog_id: number;
    rules?: { name: string; mode: string }[];
    carried?: unknown;
  };
  rule?: string;
  why?: string;
  path?: string;
  message?: string;
  diagnostics?: string;
  prog_id?: number;
  replaced_prog_id?: number;
  shadow_packets?: number;
  generated?: number;
  protects?: unknown;
  notes?: string | string[];
}

export interface DecisionsFetch {
  available: boolean; // false: this psd has no /api/v1/decisions
  records: DecisionRecord[];
  note?: string;
}

function isRecord(x: unknown): x is DecisionRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.event === 'string' && typeof r.time_unix_ms === 'number';
}

// The reply's list, whether psd answers a bare array or an object that
// holds it.
export function recordsOf(reply: unknown): DecisionRecord[] {
  let list: unknown = reply;
  if (!Array.isArray(reply) && typeof reply === 'object' && reply !== null) {
    const o = reply as Record<string, unknown>;
    list = o.decisions ?? o.records ?? [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((r) => ({ ...r, proposal_id: r.proposal_id ?? '' }));
}

export async function fetchDecisions(sinceUnixMs?: number, signal?: AbortSignal): Promise<DecisionsFetch> {
  const query = new URLSearchParams({ limit: '1000' });
  if (sinceUnixMs !== undefined) query.set('since', String(Math.floor(sinceUnixMs)));
  try {
    const reply = await getJson<unknown>(`/api/v1/decisions?${query}`, signal);
    return { available: true, records: recordsOf(reply) };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404)
      return {
        available: false,
        records: [],
        note: 'this psd has no decision log (GET /api/v1/decisions answered 404): no analyzer or governor runs',
      };
    throw e;
  }
}

// A `decision` event's data: one record, or several.
export function recordsFromEvent(data: string): DecisionRecord[] {
  try {
    const parsed = JSON.parse(data) as unknown;
    return Array.isArray(parsed) ? recordsOf(parsed) : isRecord(parsed) ? recordsOf([parsed]) : recordsOf(parsed);
  } catch {
    return [];
  }
}

export function recordKey(r: DecisionRecord): string {
  return `${r.time_unix_ms}|${r.event}|${r.proposal_id}|${r.rule ?? ''}`;
}

// One story: a proposal from its evidence to what became of it, or one
// operator event.
export interface Story {
  key: string;
  proposalId: string; // "" for an operator event
  origin: string;
  title: string;
  proposal?: Proposal;
  verdict?: Verdict;
  records: DecisionRecord[]; // oldest first
  firstPacketUnixMs?: number; // the start of its first evidence window
  firstUnixMs: number;
  lastUnixMs: number;
  outcome: 'accepted' | 'refused' | 'failed' | 'pending' | 'operator';
  rules: string[]; // rules it put in force (or touched)
  values: string[]; // set values it inserted
  set?: string;
}

function storyTitle(s: Story): string {
  const p = s.proposal;
  if (!p) {
    const r = s.records[0];
    return r.event === 'operator_loaded' || r.event === 'operator_refused' || r.event === 'adopted'
      ? `operator policy: ${r.event.replace('operator_', '')}`
      : `${r.event}${r.rule ? ` ${r.rule}` : ''}`;
  }
  if (p.kind === 'set_insert' && p.insert)
    return `${p.origin}: add ${p.insert.values.join(', ')} to set ${p.insert.set}`;
  const names = (p.rules ?? []).map((r) => r.name).join(', ');
  return `${p.origin}: ${names || p.policy_name || 'policy'}`;
}

export function buildStories(records: DecisionRecord[]): Story[] {
  const sorted = [...records].sort((a, b) => a.time_unix_ms - b.time_unix_ms);
  const byProposal = new Map<string, Story>();
  const stories: Story[] = [];
  for (const r of sorted) {
    let story = r.proposal_id ? byProposal.get(r.proposal_id) : undefined;
    if (!story) {
      story = {
        key: r.proposal_id || `op-${r.time_unix_ms}-${r.event}-${stories.length}`,
        proposalId: r.proposal_id,
        origin: r.origin ?? (r.proposal_id ? 'unknown' : 'operator'),
        title: '',
        records: [],
        firstUnixMs: r.time_unix_ms,
        lastUnixMs: r.time_unix_ms,
        outcome: r.proposal_id ? 'pending' : 'operator',
        rules: [],
        values: [],
      };
      stories.push(story);
      if (r.proposal_id) byProposal.set(r.proposal_id, story);
    }
    story.records.push(r);
    story.lastUnixMs = r.time_unix_ms;
    if (r.proposal) {
      story.proposal = r.proposal;
      story.origin = r.proposal.origin ?? story.origin;
      const w = r.proposal.evidence?.windows ?? [];
      if (w.length > 0) story.firstPacketUnixMs = Math.min(...w.map((x) => x.start_unix_ms));
      if (r.proposal.insert) {
        story.set = r.proposal.insert.set;
        story.values = [...r.proposal.insert.values];
      }
    }
    if (r.verdict) {
      story.verdict = r.verdict;
      story.outcome = r.verdict.accepted ? 'accepted' : 'refused';
      for (const x of r.verdict.rules ?? []) if (!story.rules.includes(x.name)) story.rules.push(x.name);
    }
    if (r.event === 'apply_failed') story.outcome = 'failed';
    if (r.rule && !story.rules.includes(r.rule)) story.rules.push(r.rule);
    if (r.set_insert?.added) story.values = r.set_insert.added.map((a) => a.value);
  }
  for (const s of stories) s.title = storyTitle(s);
  return stories;
}

// The story that put `rule` in force (the newest one), if any.
export function storyOfRule(stories: Story[], rule: string): Story | undefined {
  for (let i = stories.length - 1; i >= 0; i--) if (stories[i].proposalId && stories[i].rules.includes(rule)) return stories[i];
  return undefined;
}

// What an event means to an operator, one line.
export function describe(r: DecisionRecord): string {
  switch (r.event) {
    case 'proposal': {
      const p = r.proposal;
      if (!p) return 'proposal received';
      return p.kind === 'set_insert' && p.insert
        ? `proposes adding ${p.insert.values.join(', ')} to set ${p.insert.set}`
        : `proposes ${(p.rules ?? []).map((x) => `${x.action} rule ${x.name}`).join(', ') || 'a policy'}`;
    }
    case 'verdict': {
      if (!r.verdict) return 'verdict';
      const again = r.why ? ` (${r.why})` : '';
      return r.verdict.accepted
        ? `governor accepted${r.verdict.mode ? `, ${r.verdict.mode === 'shadow' ? 'in shadow (counted, not enforced)' : 'enforced'}` : ''}${r.verdict.message ? `: ${r.verdict.message}` : ''}${again}`
        : `governor refused (${r.verdict.reason ?? 'no reason code'}): ${r.verdict.message}${again}`;
    }
    case 'applied':
      if (r.set_insert)
        return `kernel: ${(r.set_insert.added ?? []).map((a) => a.value).join(', ') || 'values'} inserted into set ${r.set_insert.set} (map update, no swap)`;
      if (r.swap)
        return `kernel: program ${r.swap.replaced_prog_id} replaced by ${r.swap.prog_id} (${(r.swap.rules ?? []).map((x) => `${x.name} ${x.mode}`).join(', ')}), state carried`;
      return 'applied in the kernel';
    case 'apply_failed':
      return `the kernel did not take it: ${r.why ?? ''}; nothing changed`;
    case 'enforced':
      return `rule ${r.rule} enforced after its shadow period (${r.shadow_packets ?? 0} shadow hits)`;
    case 'shadow_dropped':
      return `shadow rule ${r.rule} matched nothing and was dropped`;
    case 'expired':
      return `rule ${r.rule} expired${r.why ? ` (${r.why})` : ''}${r.prog_id ? `; program ${r.replaced_prog_id ?? '–'} → ${r.prog_id} without it` : ''}`;
    case 'withdrawn':
      return `rule ${r.rule} withdrawn${r.why ? `: ${r.why}` : ''}`;
    case 'dropped':
      return `${r.rule ? `rule ${r.rule} ` : ''}dropped: ${r.why ?? ''}`;
    case 'operator_loaded':
      return `operator policy ${r.path ?? ''} put in force (program ${r.replaced_prog_id ?? '–'} → ${r.prog_id ?? '–'})`;
    case 'operator_refused':
      return `operator policy ${r.path ?? ''} refused: ${r.message ?? ''}; the one in force stays`;
    case 'adopted':
      return `a restarted psd adopted program ${r.prog_id ?? ''} with ${r.generated ?? 0} generated rules`;
    case 'recomposed':
      return `generated rules composed again: ${r.why ?? 'the operator policy or the protected addresses changed'} (program ${r.replaced_prog_id ?? '–'} → ${r.prog_id ?? '–'})`;
    case 'address_discovery_failed':
      return `address discovery failed: ${r.why ?? ''}`;
    default:
      return r.event;
  }
}
