// Building the DOM from data: text always through textContent, never
// innerHTML, so nothing psd reports (addresses, rule names, PSL, an
// analyzer's words) is ever read as markup.

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// Sets a text only when it changed (no needless layout on every window).
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

// Replaces `el`'s children with `rows`, a table body rebuilt per window.
export function replaceChildren(el: Element, children: Child[]): void {
  clear(el);
  append(el, children);
}
