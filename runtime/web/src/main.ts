// The shell: navigation between the pages (hash routes, so the page works
// from any path psd serves it at and needs no server routing), the live
// feed (history first, then the event stream), the token prompt when psd
// asks for one, and the connection state.

import './style.css';
import { ApiError, getJson, onUnauthorized, setToken, token } from './api';
import { fetchDecisions, recordsFromEvent } from './decisions_source';
import { h, setText } from './dom';
import { EventStream } from './events';
import type { Page, PageEntry } from './page';
import { DecisionsPage } from './pages/decisions';
import { PathPage } from './pages/path';
import { PoliciesPage } from './pages/policies';
import { StackPage } from './pages/stack';
import { TrafficPage } from './pages/traffic';
import { HISTORY_LIMIT, Store } from './store';
import type { StatusReply, Summary } from './types';

const PAGES: PageEntry[] = [
  { id: 'stack', title: 'Stack', create: () => new StackPage() },
  { id: 'path', title: 'Packet path', create: () => new PathPage() },
  { id: 'traffic', title: 'Traffic', create: () => new TrafficPage() },
  { id: 'policies', title: 'Policies', create: () => new PoliciesPage() },
  { id: 'decisions', title: 'Decisions', create: () => new DecisionsPage() },
];

const store = new Store();
let current: { entry: PageEntry; page: Page } | null = null;

function parseHash(): { id: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const id = (q < 0 ? raw : raw.slice(0, q)) || 'stack';
  return { id, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function show(main: HTMLElement, nav: HTMLElement): void {
  const { id, params } = parseHash();
  const entry = PAGES.find((p) => p.id === id) ?? PAGES[0];
  current?.page.unmount();
  main.replaceChildren();
  const page = entry.create();
  current = { entry, page };
  page.mount(main, {
    store,
    params,
    navigate: (hash) => (location.hash = hash),
    reloadDecisions: () => {
      if (store.decisionsAvailable) loadDecisions().catch(() => undefined);
    },
  });
  document.title = `${entry.title} — PacketScope`;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === entry.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function tokenDialog(): HTMLDialogElement {
  const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', {}, 'psd needs its bearer token'),
    h('p', {}, 'This psd answers only requests that carry its token (it listens beyond loopback, or the action changes what is in force). The token is kept for this tab only and sent in the Authorization header.'),
    h('label', { for: 'token-input' }, 'token'),
    input,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', value: 'ok' }, 'Use the token'), h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')),
  );
  const dialog = h('dialog', { 'aria-labelledby': 'token-h' }, form);
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'ok' && input.value) {
      setToken(input.value.trim());
      location.reload();
    }
  });
  return dialog;
}

async function loadHistory(): Promise<void> {
  // The latest summary first: the page has something to draw at once;
  // the history (up to 600 summaries, megabytes with short windows)
  // follows.
  try {
    store.addSummary(await getJson<Summary>('/api/v1/summary'));
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 503)) throw e;
  }
  // The history after the page has drawn: its transfer and parsing do
  // not hold the first render up.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const since = Date.now() - HISTORY_LIMIT * 1000;
  const reply = await getJson<{ summaries: Summary[]; more: boolean }>(`/api/v1/summaries?since=${since}&limit=${HISTORY_LIMIT}`);
  store.setHistory(reply.summaries);
}

async function loadDecisions(): Promise<void> {
  const got = await fetchDecisions();
  store.setDecisionsAvailability(got.available, got.note ?? '');
  store.addDecisions(got.records);
}

function start(): void {
  const nav = h('nav', { 'aria-label': 'Pages' }, h('ul', {}, ...PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.id}`, 'data-page': p.id }, p.title)))));
  const state = h('span', { class: 'conn', 'data-testid': 'stream-state', 'aria-live': 'polite' }, 'connecting');
  const who = h('span', { class: 'muted', 'data-testid': 'psd-version' });
  const logout = h('button', { type: 'button', class: 'link', hidden: !token() }, 'forget the token');
  logout.addEventListener('click', () => {
    setToken(null);
    location.reload();
  });
  const skip = h('a', { href: '#main', class: 'skip' }, 'Skip to the page');
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  const header = h('header', { class: 'top' }, h('span', { class: 'brand' }, 'PacketScope'), nav, h('span', { class: 'status' }, who, ' ', state, ' ', logout));
  const main = h('main', { id: 'main', tabindex: -1 });
  const dialog = tokenDialog();
  const footer = h('footer', {}, h('a', { href: '/licenses.txt' }, 'Licenses of the bundled packages'));
  document.body.replaceChildren(skip, header, main, footer, dialog);
  onUnauthorized(() => {
    if (!dialog.open) dialog.showModal();
  });

  store.subscribe((c) => {
    if (c !== 'stream') return;
    const lost = store.lostEvents ? ` (${store.lostEvents} updates lost)` : '';
    setText(state, `${store.streamState === 'open' ? 'live' : store.streamState}${lost}`);
    state.className = `conn ${store.streamState}`;
    state.title = store.streamDetail;
  });

  window.addEventListener('hashchange', () => show(main, nav));
  show(main, nav);

  getJson<StatusReply>('/api/v1/status')
    .then((s) => setText(who, `psd ${s.version}, ${s.interfaces.map((i) => i.name).join(', ')}`))
    .catch(() => undefined);
  loadHistory().catch((e) => {
    if (!(e instanceof ApiError && e.status === 503)) store.setStream('closed', (e as Error).message);
  });
  loadDecisions().catch((e) => store.setDecisionsAvailability(false, `the decision log could not be read: ${(e as Error).message}`));

  const stream = new EventStream(
    '/api/v1/events',
    (e) => {
      if (e.type === 'summary') {
        try {
          store.addSummary(JSON.parse(e.data) as Summary);
        } catch {
          // A summary that is not JSON is psd's bug; the next one comes.
        }
      } else if (e.type === 'decision') {
        store.addDecisions(recordsFromEvent(e.data));
      } else if (e.type === 'lost') {
        try {
          store.noteLost(Number((JSON.parse(e.data) as { lost: number }).lost) || 0);
        } catch {
          store.noteLost(1);
        }
      }
    },
    (s, detail) => store.setStream(s, detail),
  );
  stream.start();
  // A reconnect may have skipped events beyond Last-Event-ID's reach:
  // the decision log is read again now and then (it is small and bounded).
  setInterval(() => {
    if (store.decisionsAvailable) loadDecisions().catch(() => undefined);
  }, 30000);
}

start();
