// psd's event stream (GET /api/v1/events, server-sent events), read with
// fetch rather than EventSource so that the bearer token can go in a
// header. Reconnects by itself with Last-Event-ID, as EventSource would,
// waiting what the server's `retry:` (or Retry-After on 503) asks.

import { authHeaders } from './api';

export interface StreamEvent {
  id: string | null;
  type: string; // "summary", "decision", "lost", ...
  data: string;
}

export type StreamState = 'connecting' | 'open' | 'closed';

export class EventStream {
  private lastId: string | null = null;
  private retryMs = 2000;
  private controller: AbortController | null = null;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    private readonly onEvent: (e: StreamEvent) => void,
    private readonly onState: (s: StreamState, detail?: string) => void,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    this.onState('closed');
  }

  private async connect(): Promise<void> {
    this.onState('connecting');
    this.controller = new AbortController();
    const headers: Record<string, string> = {
      Accept: 'text/event-stream',
      ...authHeaders(),
    };
    if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
    let wait = this.retryMs;
    let detail = '';
    try {
      const reply = await fetch(this.url, {
        headers,
        cache: 'no-store',
        credentials: 'omit',
        signal: this.controller.signal,
      });
      if (!reply.ok || !reply.body) {
        const after = Number(reply.headers.get('Retry-After'));
        if (after > 0) wait = after * 1000;
        detail = `the event stream answered ${reply.status}`;
      } else {
        this.onState('open');
        await this.read(reply.body);
        detail = 'the event stream ended';
      }
    } catch (e) {
      if (this.stopped) return;
      detail = e instanceof Error ? e.message : String(e);
    }
    if (this.stopped) return;
    this.onState('closed', detail);
    this.timer = setTimeout(() => void this.connect(), wait);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    let type = '';
    let id: string | null = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) {
            if (id !== null) this.lastId = id;
            this.onEvent({ id, type: type || 'message', data: data.join('\n') });
          }
          data = [];
          type = '';
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue; // a comment: keepalive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'data') data.push(text);
        else if (field === 'event') type = text;
        else if (field === 'id') id = text;
        else if (field === 'retry' && /^\d+$/.test(text)) this.retryMs = Number(text);
      }
    }
  }
}
