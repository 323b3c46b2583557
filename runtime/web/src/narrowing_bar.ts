// "Narrowed to ipv4/icmp [x]": what the operator clicked to narrow every
// page to, and a way back.

import { h, replaceChildren } from './dom';
import type { Narrowing, Store } from './store';

export function narrowingLabel(n: Narrowing): string {
  if (n.proto) return `protocol ${n.proto}`;
  if (n.rule) return `rule ${n.rule}`;
  if (n.source) return `source ${n.source}`;
  return '';
}

export function renderNarrowing(el: HTMLElement, store: Store): void {
  const label = narrowingLabel(store.narrowing);
  if (!label) {
    replaceChildren(el, [h('span', { class: 'muted' }, 'Showing all traffic. Click a protocol, a rule or a source to narrow the view to it.')]);
    return;
  }
  const reset = h('button', { type: 'button', class: 'chip', 'data-testid': 'clear-narrowing' }, `Narrowed to ${label} ✕`);
  reset.addEventListener('click', () => store.narrow({}));
  replaceChildren(el, [reset]);
}
