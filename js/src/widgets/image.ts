/**
 * Image review widget (anywidget ESM entry): the model's label for an image, one image at
 * a time (`config.layout` "single") or a page of tiles of one predicted label ("grid").
 *
 * Single: Enter / A accept the model label, 1-9 correct to label n, F flag (note box),
 * S skip, Z undo, ArrowLeft / ArrowRight move, G guideline, ? help (ClassificationReview's
 * keys). Grid: the key on a tile (`config.tile_keys`: 1-9, 0, -, =) marks it wrong or not,
 * Enter stores one decision per tile (accept; flag with data.wrong for the marked ones),
 * S skips the page, Z undoes the last page, ArrowLeft / ArrowRight move a page.
 *
 * The image's bytes are the binary buffer of its `items` message (lib/images.ts turns them
 * into a decoded <img> ahead of the cursor); labels, file names and ids are text only.
 */
import "../lib/theme.css";
import "../lib/image.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import type { KeyBinding } from "../lib/keyboard";
import { clear, el, formatPercent, kbd, setText, show } from "../lib/dom";
import { agreementRows, LabelButtons, labelActions, paintProba } from "../lib/labelreview";
import { describeState } from "../lib/fold";
import { ImageCache, imageKey, type Prepared } from "../lib/images";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import type { ImageItem } from "../lib/types";

export type { Timing } from "../lib/paint";
export type HitlRoot = TimedRoot;
export type MountOptions = ShellOptions;

const DEFAULT_TILE_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "="];

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const cfg0 = model.get("config") as Record<string, unknown> | undefined;
  const grid = cfg0?.layout === "grid";
  const shape = Array.isArray(cfg0?.grid) ? (cfg0!.grid as unknown[]).map(Number) : [3, 4];
  const rows = Math.max(1, shape[0] || 3);
  const cols = Math.max(1, shape[1] || 4);
  const rawKeys = Array.isArray(cfg0?.tile_keys) ? (cfg0!.tile_keys as unknown[]).map(String) : DEFAULT_TILE_KEYS;
  const tileKeys = rawKeys.slice(0, Math.min(rows * cols, rawKeys.length));
  const tiles = tileKeys.length;

  const shell: ReviewShell<ImageItem> = new ReviewShell<ImageItem>(
    model,
    {
      kind: "image",
      ariaLabel: grid ? "Image review, grid of tiles" : "Image review",
      helpTitle: grid ? "Image review keys (grid)" : "Image review keys",
      footer: grid
        ? [
            kbd(tileKeys[0] ?? "1"), "…", kbd(tileKeys[tiles - 1] ?? "="), " mark a tile wrong · ", kbd("Enter"),
            " accept the rest · ", kbd("S"), " skip page · ", kbd("Z"), " undo page · ", kbd("←"), kbd("→"), " page · ",
            kbd("?"), " keys",
          ]
        : [
            kbd("Enter"), "/", kbd("A"), " accept · ", kbd("1–9"), " correct · ", kbd("F"), " flag · ", kbd("S"),
            " skip · ", kbd("Z"), " undo · ", kbd("←"), kbd("→"), " move · ", kbd("?"), " keys",
          ],
      flag: grid ? false : { description: "Flag as ambiguous (note: Enter saves, Esc cancels)" },
      describe: (st, item) => {
        if (st.action === "accept") {
          const l = st.label ?? item.model_label;
          return l ? `accepted: ${l}` : "accepted";
        }
        if (st.action === "correct") return `corrected → ${st.label ?? ""}`;
        if (st.action === "flag" && st.data && (st.data as Record<string, unknown>).wrong === true) return "marked wrong";
        return describeState(st, shell.client.vocabulary());
      },
    },
    options,
  );
  const client = shell.client;
  shell.root.setAttribute("data-layout", grid ? "grid" : "single");

  /* ------------------------------------------------------------ images */
  const shownKeys = new Set<string>();
  const cache = new ImageCache((key) => {
    if (shownKeys.has(key)) shell.paint();
  });
  shell.addCleanup(() => cache.dispose());
  const ahead = (): number => (grid ? 2 * tiles : Math.max(2, Math.min(client.prefetch, 16)));

  /** Decode the images near the cursor (ahead of it: the next ones are ready before they
   * are shown); give back the others. */
  function warm(): void {
    const keep = new Set<string>();
    const c = client.cursor;
    for (let qi = c - (grid ? tiles : 2); qi <= c + ahead(); qi++) {
      const it = client.items.get(qi);
      if (!it) continue;
      if (cache.get(it)) keep.add(imageKey(it));
    }
    cache.keepOnly(keep);
  }
  const offItems = client.events.on("items", () => warm());
  shell.addCleanup(offItems);

  /** The frame of one image: the decoded <img>, a line while it decodes, or the reason
   * it cannot be shown (text). */
  function fillFrame(frame: HTMLElement, item: ImageItem): Prepared | null {
    const p = cache.get(item);
    shownKeys.add(imageKey(item));
    if (!p) {
      const why = typeof item.image_error === "string" && item.image_error ? item.image_error : "No image was sent for this item.";
      frame.replaceChildren(el("div", { cls: "hitl-image-error", testid: "image-error", text: why }));
      frame.setAttribute("data-decoded", "false");
      return null;
    }
    if (frame.firstChild !== p.img || frame.childNodes.length !== 1) frame.replaceChildren(p.img);
    frame.setAttribute("data-decoded", p.ready && !p.failed ? "true" : "false");
    p.img.classList.toggle("is-decoding", !p.ready);
    if (p.failed) frame.append(el("div", { cls: "hitl-image-error", testid: "image-error", text: "The browser cannot show this image." }));
    return p;
  }

  const labels = (): string[] => {
    const l = model.get("labels");
    return Array.isArray(l) ? l.map(String) : [];
  };

  if (grid) mountGrid();
  else mountSingle();

  /* ============================================================ single layout */
  function mountSingle(): void {
    const frame = el("div", { cls: "hitl-image-frame", testid: "image-frame" });
    const caption = el("div", { cls: "hitl-image-caption" });
    const name = el("span", { cls: "hitl-image-name", testid: "image-name" });
    const size = el("span", { cls: "hitl-image-size", testid: "image-size" });
    caption.append(name, size);
    const fieldsRow = el("div", { cls: "hitl-image-fields", testid: "fields", hidden: true });
    const modelLabel = el("span", { cls: "hitl-model-name", testid: "model-label" });
    const confidence = el("span", { cls: "hitl-confidence", testid: "confidence" });
    const modelRow = el("div", { cls: "hitl-model" }, [el("span", { text: "Model:" }), modelLabel, confidence]);
    const proba = el("div", { cls: "hitl-proba", testid: "proba", hidden: true });
    const labelsRow = el("div", { cls: "hitl-labels", attrs: { role: "group", "aria-label": "Labels" } });
    shell.itemPane.append(frame, caption, fieldsRow, modelRow, proba, labelsRow, shell.note!.box);

    const { choose, bindings } = labelActions(shell, labels);
    shell.bind(bindings);

    const buttons = new LabelButtons(labelsRow, (label) => choose(label));
    const buildButtons = (): void => buttons.build(labels());

    shell.paintItem = (item, fresh) => {
      buildButtons();
      if (fresh) {
        shownKeys.clear();
        warm();
        frame.setAttribute("data-item-id", String(item.item_id));
        setText(name, item.name ?? "");
        const im = item.image;
        const preview = im && Number(im.scale) < 1 ? ` (shown at ${Math.round(Number(im.scale) * 100)}%)` : "";
        setText(size, `${Number(item.width) || 0} × ${Number(item.height) || 0} px${preview}`);
        clear(fieldsRow);
        const fs = Array.isArray(item.fields) ? item.fields : [];
        for (const f of fs) fieldsRow.append(el("span", { cls: "hitl-field", text: `${String(f[0])}: ${String(f[1])}` }));
        show(fieldsRow, fs.length > 0);
        paintProba(proba, item, labels(), shell.showModel());
      }
      fillFrame(frame, item);
      const sm = shell.showModel();
      show(modelRow, sm);
      setText(modelLabel, sm ? (item.model_label ?? "—") : "");
      setText(confidence, sm && typeof item.confidence === "number" ? formatPercent(item.confidence, 1) : "");
      buttons.mark(shell, item, sm);
    };
  }

  /* ============================================================ grid layout */
  function mountGrid(): void {
    const head = el("div", { cls: "hitl-grid-head" });
    const gridLabel = el("span", { cls: "hitl-model-name", testid: "grid-label" });
    const gridCount = el("span", { cls: "hitl-grid-count", testid: "grid-count" });
    head.append(el("span", { text: "Model says:" }), gridLabel, gridCount);
    const board = el("div", { cls: "hitl-grid", testid: "grid", attrs: { role: "group", "aria-label": "Tiles" } });
    board.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    shell.itemPane.append(head, board);

    /** the item ids marked wrong on the page shown */
    const marks = new Set<string>();
    let pageStart = -1;
    /** Enter / S is deciding a page, tile after tile: nothing to paint in between */
    let deciding = false;
    /** tiles per page decided with Enter / S, in order (Z undoes a page) */
    const decidedPages: number[] = [];

    /** The page at queue index `c`: the next entries with the same model label (at most
     * one page), as far as the window holds them. */
    function pageAt(c: number): ImageItem[] {
      const first = client.items.get(c);
      if (!first) return [];
      const out = [first];
      for (let qi = c + 1; out.length < tiles && qi < client.queueLength; qi++) {
        const it = client.items.get(qi);
        if (!it || it.model_label !== first.model_label) break;
        out.push(it);
      }
      return out;
    }

    function toggle(i: number): void {
      const page = pageAt(client.cursor);
      const it = page[i];
      if (!it) return shell.say(`No tile ${tileKeys[i] ?? i + 1} on this page.`);
      const id = String(it.item_id);
      if (marks.has(id)) marks.delete(id);
      else marks.add(id);
      shell.paint();
    }

    /** One decision per tile of the page, then the next page. */
    function decidePage(kind: "accept" | "skip"): void {
      const page = pageAt(client.cursor);
      if (!page.length || page[0].qi !== client.cursor) return;
      shell.clearMessage();
      const wrong = new Set(marks);
      let n = 0;
      // the entries in between are not shown (each decision moves the cursor by one)
      deciding = true;
      try {
        n = decideTiles(page, kind, wrong);
      } finally {
        deciding = false;
      }
      if (n) decidedPages.push(n);
      shell.paint();
    }

    function decideTiles(page: ImageItem[], kind: "accept" | "skip", wrong: Set<string>): number {
      let n = 0;
      for (const it of page) {
        if (client.current()?.item_id !== it.item_id) break;
        const isWrong = kind === "accept" && wrong.has(String(it.item_id));
        // the page's time is split between its tiles (their durations add up to it)
        const share = 1 / page.length;
        const input =
          kind === "skip"
            ? { action: "skip", data: { layout: "grid" }, share }
            : isWrong
              ? { action: "flag", data: { layout: "grid", wrong: true }, share }
              : { action: "accept", data: { layout: "grid" }, share };
        if (!client.decide(input)) break;
        n++;
      }
      return n;
    }

    function undoPage(): void {
      shell.clearMessage();
      const n = decidedPages.pop() ?? 1;
      let done = 0;
      for (let i = 0; i < n; i++) {
        if (!client.undo()) break;
        done++;
      }
      if (!done) shell.say("Nothing to undo in this session.");
    }

    function movePage(dir: number): void {
      const c = client.cursor;
      if (dir > 0) {
        const page = pageAt(c);
        return client.goTo(c + Math.max(1, page.length), "forward");
      }
      const last = client.items.get(c - 1);
      if (!last) return client.move(-1);
      let start = c - 1;
      while (start - 1 >= 0 && c - start < tiles) {
        const it = client.items.get(start - 1);
        if (!it || it.model_label !== last.model_label) break;
        start--;
      }
      client.goTo(start, "back");
    }

    const bindings: KeyBinding[] = [
      {
        keys: tileKeys,
        display: tileKeys.join(" "),
        description: "Mark the tile with this key wrong (again: not wrong)",
        run: (k) => toggle(tileKeys.indexOf(k)),
      },
      {
        keys: ["Enter"],
        display: "Enter",
        description: "Accept the tiles not marked, flag the marked ones as wrong (one decision per tile), next page",
        action: "accept",
        run: () => decidePage("accept"),
      },
      { keys: ["s"], display: "S", description: "Skip the page (one skip per tile)", action: "skip", run: () => decidePage("skip") },
      { keys: ["z"], display: "Z", description: "Undo the last page", run: () => undoPage() },
      { keys: ["ArrowLeft"], description: "Previous page (no decision)", repeat: true, run: () => movePage(-1) },
      { keys: ["ArrowRight"], description: "Next page (no decision)", repeat: true, run: () => movePage(1) },
    ];
    shell.bind(bindings);

    shell.paintItem = (item, fresh) => {
      if (deciding) return;
      const page = pageAt(client.cursor);
      if (fresh || pageStart !== client.cursor) {
        pageStart = client.cursor;
        marks.clear();
        // every tile is shown now: its decision's time counts from here
        for (const it of page) client.markShown(it.qi);
        // a page decided before shows its marks again
        for (const it of page) {
          const v = client.foldOf(it).verdict;
          if (v?.action === "flag") marks.add(String(it.item_id));
        }
        warm();
      }
      shownKeys.clear();
      setText(gridLabel, item.model_label ?? "—");
      const marked = page.filter((it) => marks.has(String(it.item_id))).length;
      setText(gridCount, `${page.length} tile${page.length === 1 ? "" : "s"}, ${marked} marked wrong`);
      const tilesEls: HTMLElement[] = [];
      page.forEach((it, i) => {
        const id = String(it.item_id);
        const wrong = marks.has(id);
        const frame = el("div", { cls: "hitl-tile-frame", testid: "image-frame" });
        fillFrame(frame, it);
        const st = client.stateOf(it);
        const tile = el(
          "div",
          {
            cls: ["hitl-tile", wrong && "is-wrong"],
            testid: "tile",
            attrs: {
              role: "button",
              "aria-pressed": wrong ? "true" : "false",
              "data-qi": it.qi,
              "data-item-id": id,
              "data-key": tileKeys[i],
              title: `Press ${tileKeys[i]} to mark ${wrong ? "not wrong" : "wrong"}`,
            },
          },
          [
            el("kbd", { cls: "hitl-kbd hitl-tile-key", testid: "tile-key", text: tileKeys[i] }),
            frame,
            el("div", { cls: "hitl-tile-caption", testid: "tile-name", text: it.name ?? id }),
            el("span", { cls: "hitl-tile-wrong", testid: "tile-wrong", text: "wrong", hidden: !wrong }),
            st ? el("span", { cls: "hitl-tile-state", testid: "tile-state", text: st.action === "flag" ? "marked wrong" : st.action }) : null,
          ],
        );
        tile.addEventListener("click", () => shell.timeKey("click", null, () => toggle(i)));
        tilesEls.push(tile);
      });
      board.replaceChildren(...tilesEls);
    };
  }

  // a grid tile flagged wrong disagrees with the model
  shell.summaryRows = () =>
    agreementRows(shell, model, (v) => v.action === "flag" && !!v.data && (v.data as Record<string, unknown>).wrong === true);

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
