/**
 * Tiny DOM builders. Everything is created with createElement/textContent, never innerHTML: file names and
 * error messages come from disk and must not become markup. No `style` attributes either (the CSP forbids
 * them); dynamic values go through CSSOM (`el.style.setProperty`) or data attributes the stylesheet reads.
 */
export type AttrValue = string | number | boolean | null | undefined;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) setAttr(el, name, value);
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** true sets a boolean attribute, false/null/undefined removes it. */
export function setAttr(el: Element, name: string, value: AttrValue): void {
  if (value === false || value === null || value === undefined) el.removeAttribute(name);
  else el.setAttribute(name, value === true ? '' : String(value));
}

/** Sets text only when it changed, so unchanged nodes are not touched on every keypress. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function kbd(...keys: string[]): HTMLElement {
  return h('span', { class: 'keys' }, ...keys.map((k) => h('kbd', {}, k)));
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Line icons drawn on a 16x16 grid (codicons would need their font shipped). */
const ICONS = {
  close: 'M4 4l8 8M12 4l-8 8',
  prev: 'M10 3L5 8l5 5',
  next: 'M6 3l5 5-5 5',
  undo: 'M5 3L2 6l3 3M2 6h7a4 4 0 010 8H6',
  check: 'M3 8.5l3 3 7-7',
  external: 'M9 3h4v4M13 3L7 9M11 10v3H3V5h3',
  image: 'M2 3h12v10H2zM2 11l3.5-3.5 3 3L11 8l3 3M10.5 6.2a.7.7 0 100-.01',
  warning: 'M8 2l6.5 11.5h-13zM8 6.5v3.5M8 11.8v.2',
  folder: 'M1.5 3.5h4.5l1.5 1.5h7v8h-13z',
  search: 'M7 2.5a4.5 4.5 0 110 9 4.5 4.5 0 010-9zM10.3 10.3l3.5 3.5',
  similar: 'M2 2.5h5v5H2zM9 8.5h5v5H9zM9.5 3.5h3.5M11.2 1.8v3.4M3 12h3.5',
  sparkle: 'M8 1.5v4M8 10.5v4M1.5 8h4M10.5 8h4M4 4l1.5 1.5M10.5 10.5L12 12M12 4l-1.5 1.5M5.5 10.5L4 12',
} as const;
export type IconName = keyof typeof ICONS;

export function icon(name: IconName, className = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
