// The view's live state: the summaries of the last minutes (bounded), the
// decision records (bounded), what the operator narrowed the view to, and
// the stream's state. Pages read it and subscribe; only main.ts feeds it.

import type { Summary } from './types';
import { DecisionRecord, recordKey } from './decisions_source';

export interface Narrowing {
  proto?: string; // "ipv4/icmp"
  rule?: string;
  source?: string; // an address
}

export type Change = 'summary' | 'history' | 'decisions' | 'narrowing' | 'stream';

export const HISTORY_LIMIT = 600; // ten minutes of 1 s windows
export const DECISIONS_LIMIT = 2000;

export class Store {
  history: Summary[] = [];
  decisions: DecisionRecord[] = [];
  decisionsAvailable = true;
  decisionsNote = '';
  narrowing: Narrowing = {};
  streamState = 'connecting';
  streamDetail = '';
  lostEvents = 0;
  private decisionKeys = new Set<string>();
  private listeners = new Set<(c: Change) => void>();

  get latest(): Summary | undefined {
    return this.history[this.history.length - 1];
  }

  subscribe(fn: (c: Change) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(c: Change): void {
    for (const fn of [...this.listeners]) fn(c);
  }

  setHistory(list: Summary[]): void {
    const bySeq = new Map<number, Summary>();
    for (const s of [...this.history, ...list]) bySeq.set(s.seq, s);
    this.history = [...bySeq.values()]
      .sort((a, b) => a.window.end_unix_ms - b.window.end_unix_ms)
      .slice(-HISTORY_LIMIT);
    this.emit('history');
  }

  addSummary(s: Summary): void {
    const last = this.latest;
    if (last && s.seq === last.seq) return;
    // A restarted psd counts seq from 1 again: start over.
    if (last && s.seq < last.seq) {
      if (s.window.end_unix_ms <= last.window.end_unix_ms) return; // older: the history has it
      this.history = [];
    }
    this.history.push(s);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    this.emit('summary');
  }

  addDecisions(records: DecisionRecord[]): void {
    let added = false;
    for (const r of records) {
      const key = recordKey(r);
      if (this.decisionKeys.has(key)) continue;
      this.decisionKeys.add(key);
      this.decisions.push(r);
      added = true;
    }
    if (!added) return;
    this.decisions.sort((a, b) => a.time_unix_ms - b.time_unix_ms);
    if (this.decisions.length > DECISIONS_LIMIT) {
      for (const r of this.decisions.splice(0, this.decisions.length - DECISIONS_LIMIT))
        this.decisionKeys.delete(recordKey(r));
    }
    this.emit('decisions');
  }

  setDecisionsAvailability(available: boolean, note: string): void {
    this.decisionsAvailable = available;
    this.decisionsNote = note;
    this.emit('decisions');
  }

  narrow(n: Narrowing): void {
    this.narrowing = { ...n };
    this.emit('narrowing');
  }

  setStream(state: string, detail = ''): void {
    this.streamState = state;
    this.streamDetail = detail;
    this.emit('stream');
  }

  noteLost(n: number): void {
    this.lostEvents += n;
    this.emit('stream');
  }
}
