/** @vitest-environment jsdom */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ALLOWED_TAGS, LINK_REL, safeUrl, sanitizeFragment, sanitizeToString } from "../src/lib/sanitize";
import { markdownFragment, markdownToHtml, renderChat, renderMarkdown } from "../src/lib/markdown";

/* The corpus the end-to-end test runs in Chromium, read from the same file (vitest runs
 * in js/; node's fs without @types/node, so the tsconfig stays browser-only). */
const nodeFs = "node:fs";
const { readFileSync } = (await import(/* @vite-ignore */ nodeFs)) as { readFileSync(path: string, enc: string): string };
const cwd = (globalThis as unknown as { process: { cwd(): string } }).process.cwd();
const corpusSource = readFileSync(`${cwd}/../tests/e2e/xss_payloads.py`, "utf8");
interface Payload {
  name: string;
  kind: "html" | "md";
  text: string;
}
function corpus(): Payload[] {
  const src: string = corpusSource;
  const m = /_CORPUS = r('''|""")([\s\S]*?)\1/.exec(src);
  if (!m) throw new Error("no _CORPUS in xss_payloads.py");
  return JSON.parse(m[2]) as Payload[];
}
const LEAK = "http://127.0.0.1:9/leak";
const PAYLOADS = corpus().map((p, i) => ({ ...p, n: i + 1, text: p.text.split("__N__").join(String(i + 1)).split("__LEAK__").join(LEAK) }));

const OUTPUT_TAGS = new Set(ALLOWED_TAGS.filter((t) => t !== "img"));
const OK_ATTRS = new Set(["href", "title", "rel", "target", "referrerpolicy", "class", "align", "colspan", "rowspan", "start"]);
const DANGEROUS = "script, style, link, meta, base, iframe, frame, frameset, object, embed, applet, form, input, button, select, option, textarea, svg, math, template, noscript, video, audio, source, picture, img, image, isindex, keygen, marquee, details, body, xmp, noembed";

/** Everything that must hold for any sanitized output. */
function assertClean(root: Element, what: string): void {
  expect(root.querySelectorAll(DANGEROUS).length, `${what}: dangerous element`).toBe(0);
  for (const e of root.querySelectorAll("*")) {
    expect(OUTPUT_TAGS.has(e.localName), `${what}: <${e.localName}>`).toBe(true);
    expect(e.namespaceURI).toBe("http://www.w3.org/1999/xhtml");
    for (const a of e.attributes) {
      expect(OK_ATTRS.has(a.name), `${what}: attribute ${a.name} on <${e.localName}>`).toBe(true);
      expect(/^on/i.test(a.name)).toBe(false);
      if (a.name === "class") expect(a.value, what).toMatch(/^(?:(?:language-[\w+#.-]+|hitl-img-link)\s?)+$/);
      if (a.name !== "href" && a.name !== "title") expect(a.value.toLowerCase(), `${what}: ${a.name}`).not.toMatch(/javascript:|vbscript:|data:|url\(/);
    }
    if (e.localName === "a" && e.hasAttribute("href")) {
      const href = e.getAttribute("href")!;
      expect(safeUrl(href), `${what}: href ${href}`).toBe(href);
      expect(/^(https?|mailto):/i.test(href)).toBe(true);
      expect(e.getAttribute("rel")).toBe(LINK_REL);
      expect(e.getAttribute("target")).toBe("_blank");
    }
  }
  // no comment / processing instruction nodes either
  const walker = root.ownerDocument.createTreeWalker(root, 0x80 | 0x40);
  expect(walker.nextNode(), `${what}: comment node`).toBeNull();
}

let hits: number[] = [];
beforeEach(() => {
  hits = [];
  (window as unknown as { __xss: (n: number) => void }).__xss = (n: number) => hits.push(n);
  vi.spyOn(window, "alert").mockImplementation(() => {});
});
afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("the XSS corpus (same file as the Chromium end-to-end test)", () => {
  it("has at least 50 payloads, each numbered", () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(50);
    for (const p of PAYLOADS) expect(p.text).not.toContain("__N__");
  });

  it.each(PAYLOADS.map((p) => [p.n, p.name, p] as const))("payload %i (%s) renders clean as markdown", async (_n, _name, p) => {
    const box = document.createElement("div");
    document.body.appendChild(box);
    renderMarkdown(box, `Response ${p.n}:\n\n${p.text}\n\nend`);
    assertClean(box, `${p.n} ${p.name}`);
    const chat = document.createElement("div");
    document.body.appendChild(chat);
    renderChat(chat, [
      { role: "system", content: p.text },
      { role: `<img src=x onerror=__xss(${p.n})>`, content: `user says ${p.text}` },
    ]);
    for (const body of chat.querySelectorAll(".hitl-turn-body")) assertClean(body, `${p.n} ${p.name} (chat)`);
    expect(chat.querySelectorAll(DANGEROUS).length).toBe(0);
    expect(chat.querySelectorAll(".hitl-turn-role")[1].textContent).toBe(`<img src=x onerror=__xss(${p.n})>`);
    await new Promise((r) => setTimeout(r, 0));
    expect(hits).toEqual([]);
    expect(window.alert).not.toHaveBeenCalled();
  });

  it.each(PAYLOADS.map((p) => [p.n, p.name, p] as const))("payload %i (%s) is clean through the HTML sanitizer alone", (_n, _name, p) => {
    const box = document.createElement("div");
    box.appendChild(sanitizeFragment(p.text));
    assertClean(box, `${p.n} ${p.name}`);
  });

  it("leaves no leak URL where the browser would fetch it (only as a link target)", () => {
    for (const p of PAYLOADS) {
      const box = document.createElement("div");
      box.appendChild(markdownFragment(p.text));
      for (const e of box.querySelectorAll("*")) {
        for (const a of e.attributes) {
          if (a.value.includes(LEAK)) expect(["href", "title"], `${p.name}: ${a.name}`).toContain(a.name);
        }
      }
    }
  });
});

describe("sanitizer rules", () => {
  it("keeps formatting, code blocks (with their language) and tables", () => {
    const html = markdownToHtml("# Title\n\nSome **bold** and *em* and `code`.\n\n```python\nprint('<b>x</b>')\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n> quote\n\n1. one\n2. two\n\n~~gone~~");
    const box = document.createElement("div");
    box.appendChild(sanitizeFragment(html));
    expect(box.querySelector("h1")!.textContent).toBe("Title");
    expect(box.querySelector("strong")!.textContent).toBe("bold");
    const code = box.querySelector("pre > code")!;
    expect(code.getAttribute("class")).toBe("language-python");
    expect(code.textContent).toBe("print('<b>x</b>')\n");
    expect(code.querySelector("b")).toBeNull();
    expect(box.querySelectorAll("table td").length).toBe(2);
    expect(box.querySelector("th")!.getAttribute("align")).toBe("left");
    expect(box.querySelector("blockquote")).not.toBeNull();
    expect(box.querySelectorAll("ol li").length).toBe(2);
    expect(box.querySelector("del")!.textContent).toBe("gone");
    assertClean(box, "formatting");
  });

  it("hardens links and keeps only http, https and mailto", () => {
    const out = sanitizeToString(
      '<a href="https://example.com/x?a=1">ok</a> <a href="mailto:a@b.c">mail</a> <a href="/relative">rel</a> ' +
        '<a href="ftp://x.y/z">ftp</a> <a href="javascript:alert(1)">js</a> <a href="#frag">frag</a>',
    );
    const box = document.createElement("div");
    box.innerHTML = out;
    const links = [...box.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/x?a=1", "mailto:a@b.c", null, null, null, null]);
    expect(links[0].getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(links[0].getAttribute("target")).toBe("_blank");
    expect(links[0].getAttribute("referrerpolicy")).toBe("no-referrer");
    expect(links[2].hasAttribute("target")).toBe(false);
    expect(links.map((a) => a.textContent)).toEqual(["ok", "mail", "rel", "ftp", "js", "frag"]);
  });

  it("turns images into links to their address: nothing is loaded", () => {
    const box = document.createElement("div");
    box.appendChild(markdownFragment('![a cat](https://example.com/cat.png) <img src="http://x.y/z.gif" alt="z"> <img src="data:image/png;base64,AAAA" alt="inline"> <img src=x>'));
    expect(box.querySelector("img")).toBeNull();
    const links = [...box.querySelectorAll(".hitl-img-link")];
    expect(links.map((l) => l.textContent)).toEqual(["[image: a cat]", "[image: z]", "[image: inline]", "[image]"]);
    expect(links.map((l) => l.getAttribute("href"))).toEqual(["https://example.com/cat.png", "http://x.y/z.gif", null, null]);
    expect(links[0].localName).toBe("a");
    expect(links[2].localName).toBe("span");
  });

  it("drops style, class (but language-*), ids and data attributes; keeps text of removed wrappers", () => {
    const out = sanitizeToString('<p style="color:red" class="hitl-root evil" id="x" name="y" data-x="1" onclick="alert(1)">text <font color=red>kept</font></p><code class="language-js other">c</code>');
    expect(out).toBe('<p>text kept</p><code class="language-js">c</code>');
  });

  it("drops comments and CSS", () => {
    expect(sanitizeToString("a<!-- <img src=x onerror=alert(1)> -->b<style>*{x:url(http://e/)}</style>")).toBe("ab");
  });

  it("safeUrl parses like the browser", () => {
    expect(safeUrl("https://example.com")).toBe("https://example.com/");
    expect(safeUrl("  HTTPS://example.com/a b")).toBe("https://example.com/a%20b");
    expect(safeUrl("mailto:x@y.z")).toBe("mailto:x@y.z");
    for (const bad of ["javascript:alert(1)", " JavaScript:x", "java\tscript:x", "java\nscript:x", "java\u0000script:x", "data:text/html,x", "vbscript:x", "/rel", "//host/x", "#f", "", "file:///etc/passwd", "blob:http://x/y"]) {
      expect(safeUrl(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(safeUrl(null)).toBeNull();
  });

  it("renders task lists without form controls and empty input as nothing", () => {
    const box = document.createElement("div");
    renderMarkdown(box, "- [x] done\n- [ ] todo");
    expect(box.querySelector("input")).toBeNull();
    expect(box.textContent).toContain("☑ done");
    expect(box.textContent).toContain("☐ todo");
    renderMarkdown(box, "");
    expect(box.innerHTML).toBe("");
  });

  it("adopts nodes from an inert document (no re-parse of a string)", () => {
    const frag = sanitizeFragment("<p>x</p>");
    expect(frag.ownerDocument).not.toBe(document);
    const box = document.createElement("div");
    box.replaceChildren(frag);
    expect(box.firstElementChild!.ownerDocument).toBe(document);
  });
});
