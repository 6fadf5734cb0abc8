/**
 * The one HTML sanitizer of the review widgets (model output is hostile input).
 *
 * HTML (from markdown) is parsed by DOMPurify in an inert document (no browsing
 * context: nothing there runs or loads) against an allowlist of text-formatting tags,
 * and comes back as DOM nodes (no second parse, so no mutation XSS on re-serialization).
 * Before any node reaches the page:
 *  - images become links ("[image: alt]") to their http(s) address: nothing is loaded;
 *  - links keep only http:, https: and mailto: addresses (parsed with `URL`, as the
 *    browser would) and get rel="noopener noreferrer nofollow", target="_blank",
 *    referrerpolicy="no-referrer";
 *  - no script, event handler, style attribute or <style>, link, meta, base, iframe,
 *    frame, object, embed, form or form control, svg, math, template, srcset, ping,
 *    id / name (DOM clobbering) survive; `class` keeps only `language-*` (code blocks).
 * A last walk over the result checks the allowlist again (defence in depth).
 */
import DOMPurify, { type Config } from "dompurify";

export const ALLOWED_TAGS = [
  "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
  "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
  "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table",
  "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
];

/** `img` only lives inside the inert document: it is turned into a link there. */
const OUTPUT_TAGS = new Set(ALLOWED_TAGS.filter((t) => t !== "img"));

export const ALLOWED_ATTR = ["href", "title", "alt", "src", "class", "align", "colspan", "rowspan", "start"];

const ATTRS_OF: Record<string, Set<string>> = {
  a: new Set(["href", "title", "rel", "target", "referrerpolicy", "class"]),
  img: new Set(["src", "alt", "title"]),
  td: new Set(["align", "colspan", "rowspan"]),
  th: new Set(["align", "colspan", "rowspan"]),
  ol: new Set(["start"]),
  code: new Set(["class"]),
  pre: new Set(["class"]),
  span: new Set(["class"]),
};
const GLOBAL_ATTRS = new Set(["title"]);

const FORBID_TAGS = [
  "script", "style", "link", "meta", "base", "iframe", "frame", "frameset", "object", "embed",
  "applet", "form", "input", "button", "select", "option", "textarea", "svg", "math", "template",
  "noscript", "video", "audio", "source", "track", "picture", "canvas", "portal", "dialog",
];
const FORBID_ATTR = ["style", "srcset", "ping", "background", "formaction", "action", "xlink:href", "id", "name"];

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);
const CLASS_OK = /^language-[A-Za-z0-9_+#.-]{1,40}$/;
export const LINK_REL = "noopener noreferrer nofollow";

/** The URL to keep, normalized, or null: only absolute http:, https: and mailto: URLs. */
export function safeUrl(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw);
  // A control character anywhere (NUL, ...) makes the URL suspect: browsers treat
  // some of them as nothing and others as part of the scheme.
  if (/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return null;
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return null; // relative or malformed: there is no page address to resolve it against
  }
  if (!SAFE_PROTOCOLS.has(u.protocol)) return null;
  return u.href;
}

/* ------------------------------------------------------------------ DOMPurify */

type Purifier = ReturnType<typeof DOMPurify>;
let purifier: Purifier | null = null;

function getPurifier(): Purifier {
  if (purifier) return purifier;
  const p = DOMPurify(window); // an instance of our own: its hooks touch nobody else's
  p.addHook("uponSanitizeAttribute", (node, data) => {
    const name = data.attrName;
    if (name === "class") {
      const keep = data.attrValue.split(/\s+/).filter((c) => CLASS_OK.test(c));
      if (keep.length && (node.nodeName === "CODE" || node.nodeName === "PRE")) data.attrValue = keep.join(" ");
      else data.keepAttr = false;
    } else if (name === "src" && node.nodeName !== "IMG") {
      data.keepAttr = false;
    }
  });
  p.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A") hardenLink(node as Element);
  });
  purifier = p;
  return p;
}

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
  // plain-value attributes (not URLs): not held to the URL rule above
  ADD_URI_SAFE_ATTR: ["align", "colspan", "rowspan", "start"],
  KEEP_CONTENT: true,
  SANITIZE_DOM: true,
  SAFE_FOR_XML: true,
  WHOLE_DOCUMENT: false,
  RETURN_DOM_FRAGMENT: true,
};

function hardenLink(a: Element): void {
  const href = safeUrl(a.getAttribute("href"));
  for (const attr of [...a.attributes]) {
    if (!ATTRS_OF.a.has(attr.name)) a.removeAttribute(attr.name);
  }
  if (href === null) {
    a.removeAttribute("href");
    a.removeAttribute("target");
    a.removeAttribute("rel");
    return;
  }
  a.setAttribute("href", href);
  a.setAttribute("rel", LINK_REL);
  a.setAttribute("target", "_blank");
  a.setAttribute("referrerpolicy", "no-referrer");
}

/** Replace each <img> (still in the inert document) by a link to its address. */
function imagesToLinks(root: DocumentFragment): void {
  const doc = root.ownerDocument;
  for (const img of [...root.querySelectorAll("img")]) {
    const src = safeUrl(img.getAttribute("src"));
    const alt = (img.getAttribute("alt") || img.getAttribute("title") || "").trim();
    const label = `[image${alt ? `: ${alt}` : ""}]`;
    let out: Element;
    if (src !== null && !src.startsWith("mailto:")) {
      out = doc.createElement("a");
      out.setAttribute("href", src);
      out.setAttribute("class", "hitl-img-link");
      out.setAttribute("title", `image (not loaded): ${src}`);
      hardenLink(out);
      out.setAttribute("class", "hitl-img-link");
    } else {
      out = doc.createElement("span");
      out.setAttribute("class", "hitl-img-link");
    }
    out.textContent = label;
    img.replaceWith(out);
  }
}

/** Defence in depth: whatever is left must be on the allowlist, attributes included. */
function enforce(root: DocumentFragment): void {
  const walker = root.ownerDocument.createTreeWalker(root, 0xffffffff);
  const drop: Node[] = [];
  for (let n: Node | null = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeType === 3) continue; // text
    if (n.nodeType !== 1) {
      drop.push(n); // comments, processing instructions, CDATA
      continue;
    }
    const e = n as Element;
    const tag = e.localName;
    if (e.namespaceURI !== "http://www.w3.org/1999/xhtml" || !OUTPUT_TAGS.has(tag)) {
      drop.push(e);
      continue;
    }
    for (const attr of [...e.attributes]) {
      const allowed = GLOBAL_ATTRS.has(attr.name) || (ATTRS_OF[tag]?.has(attr.name) ?? false);
      if (!allowed || attr.name.startsWith("on")) e.removeAttribute(attr.name);
    }
    if (e.hasAttribute("class")) {
      const keep = (e.getAttribute("class") || "").split(/\s+/).filter((c) => CLASS_OK.test(c) || c === "hitl-img-link");
      if (keep.length) e.setAttribute("class", keep.join(" "));
      else e.removeAttribute("class");
    }
    if (tag === "a") {
      const href = e.getAttribute("href");
      if (href !== null && safeUrl(href) === null) e.removeAttribute("href");
      if (e.hasAttribute("href")) {
        e.setAttribute("rel", LINK_REL);
        e.setAttribute("target", "_blank");
        e.setAttribute("referrerpolicy", "no-referrer");
      }
    }
  }
  for (const n of drop) {
    // keep the text of an unexpected element, never its markup
    const parent = n.parentNode;
    if (!parent) continue;
    if (n.nodeType === 1 && !["script", "style", "template", "svg", "math"].includes((n as Element).localName)) {
      parent.replaceChild(root.ownerDocument.createTextNode(n.textContent || ""), n);
    } else {
      parent.removeChild(n);
    }
  }
}

/**
 * Sanitize an HTML string into a fragment owned by an inert document; append it to the
 * page with `target.replaceChildren(fragment)` (the nodes are adopted, never re-parsed).
 */
export function sanitizeFragment(html: string): DocumentFragment {
  const p = getPurifier();
  let frag = p.sanitize(String(html ?? ""), CONFIG) as unknown as DocumentFragment | null;
  if (!frag || !frag.ownerDocument) {
    // e.g. a <frameset> document has no body: nothing of it is kept
    frag = document.implementation.createHTMLDocument("").createDocumentFragment();
  }
  imagesToLinks(frag);
  enforce(frag);
  return frag;
}

/** Sanitize and put into `target` (its children are replaced). */
export function setSanitizedHtml(target: Element, html: string): void {
  target.replaceChildren(sanitizeFragment(html));
}

/** The sanitized markup as a string (for tests and inspection; the widgets use nodes). */
export function sanitizeToString(html: string): string {
  const frag = sanitizeFragment(html);
  const box = frag.ownerDocument.createElement("div");
  box.appendChild(frag);
  return box.innerHTML;
}
