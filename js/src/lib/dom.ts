/**
 * DOM helpers. Data (item text, labels, notes, ids, reasons, messages) is only ever set
 * with `textContent` / attributes: nothing here parses HTML, so hostile text such as
 * `<img src=x onerror=alert(1)>` shows literally.
 */

export type Child = Node | string | number | null | undefined | false;

export interface ElOptions {
  cls?: string | (string | false | null | undefined)[];
  /** set as textContent */
  text?: unknown;
  /** data-testid */
  testid?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  title?: string;
  hidden?: boolean;
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: ElOptions = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.cls) {
    const list = Array.isArray(opts.cls) ? opts.cls : [opts.cls];
    for (const c of list) if (c) node.classList.add(...c.split(/\s+/).filter(Boolean));
  }
  if (opts.testid) node.setAttribute("data-testid", opts.testid);
  if (opts.title) node.title = opts.title;
  if (opts.attrs) {
    for (const [k, v] of Object.entries(opts.attrs)) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  if (opts.hidden) node.hidden = true;
  if (opts.on) {
    for (const [type, fn] of Object.entries(opts.on)) {
      if (fn) node.addEventListener(type, fn as EventListener);
    }
  }
  if (opts.text !== undefined) setText(node, opts.text);
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** The only way data reaches the page: as text. */
export function setText(node: Node, text: unknown): void {
  const s = text === null || text === undefined ? "" : String(text);
  if (node.textContent !== s) node.textContent = s;
}

export function clear(node: Element): void {
  node.replaceChildren();
}

export function show(node: HTMLElement, visible: boolean): void {
  if (node.hidden === visible) node.hidden = !visible;
}

export function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) node.removeAttribute(name);
  else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** A <kbd> for a key name as people write it. */
export function kbd(key: string): HTMLElement {
  return el("kbd", { cls: "hitl-kbd", text: key });
}

export function formatPercent(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "";
  return `${(x * 100).toFixed(digits)}%`;
}
