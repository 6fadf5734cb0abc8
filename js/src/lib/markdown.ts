/**
 * Markdown -> sanitized DOM (marked, bundled; GitHub-flavoured: tables, fenced code,
 * strikethrough). Raw HTML inside the markdown is allowed through marked and then cut
 * down by the sanitizer like everything else (see sanitize.ts): nothing executes and
 * nothing is fetched. Task-list checkboxes are written as ☐ / ☑ (no form controls).
 */
import { Marked } from "marked";
import { sanitizeFragment } from "./sanitize";

let instance: Marked | null = null;

function marked(): Marked {
  if (instance) return instance;
  instance = new Marked({ gfm: true, breaks: false, async: false });
  instance.use({
    renderer: {
      checkbox({ checked }) {
        return checked ? "☑ " : "☐ ";
      },
    },
  });
  return instance;
}

/** Markdown to an HTML string (NOT sanitized: only for the sanitizer and for tests). */
export function markdownToHtml(md: string): string {
  const out = marked().parse(String(md ?? ""), { async: false });
  return typeof out === "string" ? out : "";
}

/** Markdown to a sanitized fragment (owned by an inert document until appended). */
export function markdownFragment(md: string): DocumentFragment {
  return sanitizeFragment(markdownToHtml(md));
}

/** Render markdown into `target` (its children are replaced), sanitized. */
export function renderMarkdown(target: Element, md: string): void {
  let frag: DocumentFragment;
  try {
    frag = markdownFragment(md);
  } catch (err) {
    // never fall back to HTML: show the source as text
    console.error("hitl_widgets: markdown rendering failed", err);
    target.textContent = String(md ?? "");
    return;
  }
  target.replaceChildren(frag);
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** Chat turns (`{role, content}`) as a fragment: a role line (text) and sanitized
 * markdown each. */
export function chatFragment(messages: ChatMessage[] | null | undefined, doc: Document = document): { fragment: DocumentFragment; turns: number } {
  const frag = doc.createDocumentFragment();
  let n = 0;
  for (const m of Array.isArray(messages) ? messages : []) {
    if (!m || typeof m !== "object") continue;
    const role = typeof m.role === "string" ? m.role : String(m.role ?? "");
    const body = doc.createElement("div");
    body.className = "hitl-md hitl-turn-body";
    renderMarkdown(body, typeof m.content === "string" ? m.content : String(m.content ?? ""));
    const head = doc.createElement("div");
    head.className = "hitl-turn-role";
    head.textContent = role;
    const turn = doc.createElement("div");
    turn.className = "hitl-turn";
    turn.setAttribute("data-role", role.slice(0, 40));
    turn.setAttribute("data-testid", "turn");
    turn.append(head, body);
    frag.appendChild(turn);
    n++;
  }
  return { fragment: frag, turns: n };
}

/** Render chat turns into `target` (children replaced); returns the number of turns. */
export function renderChat(target: Element, messages: ChatMessage[] | null | undefined): number {
  const { fragment, turns } = chatFragment(messages, target.ownerDocument);
  target.replaceChildren(fragment);
  return turns;
}

/** Markdown to a fragment, never throwing (falls back to the source as text). */
export function safeMarkdownFragment(md: string): DocumentFragment {
  try {
    return markdownFragment(md);
  } catch (err) {
    console.error("hitl_widgets: markdown rendering failed", err);
    const f = document.createDocumentFragment();
    f.appendChild(document.createTextNode(String(md ?? "")));
    return f;
  }
}
