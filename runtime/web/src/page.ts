// What the shell knows of a page: mounted into the main element when its
// route is shown, unmounted (charts disposed, listeners removed) when the
// operator leaves it.

import type { Store } from './store';

export interface PageContext {
  store: Store;
  params: URLSearchParams; // the route's query: #/path?addr=...
  navigate(hash: string): void;
  // Reads the decision log again (the Decisions page, when shown).
  reloadDecisions(): void;
}

export interface Page {
  mount(root: HTMLElement, ctx: PageContext): void;
  unmount(): void;
}

export interface PageEntry {
  id: string; // the route: #/id
  title: string;
  create(): Page;
}
