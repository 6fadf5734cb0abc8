/**
 * The guideline side panel: the `guideline_text` traitlet (markdown) rendered sanitized
 * beside the item, with its version (`guideline_version`). Collapsible (G toggles, or
 * the panel's head); hidden entirely when the review has no guideline.
 *
 * DOM: `[data-testid="guideline"]` (`data-open="true|false"`, `data-version`),
 * `[data-testid="guideline-toggle"]` (the head button), `[data-testid="guideline-version"]`,
 * `[data-testid="guideline-body"]` (the rendered markdown).
 */
import type { AnyModel } from "@anywidget/types";
import { el, kbd, setAttr, setText, show } from "./dom";
import { renderMarkdown } from "./markdown";

export interface GuidelinePanel {
  readonly el: HTMLElement;
  /** whether the review has a guideline at all */
  has(): boolean;
  isOpen(): boolean;
  open(): void;
  close(): void;
  /** open <-> collapsed; returns the new open state (false when there is no guideline) */
  toggle(): boolean;
  /** re-read the traitlets (done on their change events too) */
  update(): void;
  /** called after the panel is shown / hidden / toggled */
  onChange: (open: boolean) => void;
  dispose(): void;
}

export interface GuidelineOptions {
  /** open at first (default true) */
  open?: boolean;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

export function createGuidelinePanel(model: AnyModel, options: GuidelineOptions = {}): GuidelinePanel {
  const version = el("span", { cls: "hitl-guideline-version", testid: "guideline-version" });
  const chevron = el("span", { cls: "hitl-guideline-chevron", attrs: { "aria-hidden": "true" } });
  const toggleBtn = el(
    "button",
    {
      cls: "hitl-guideline-head",
      testid: "guideline-toggle",
      title: "Show / hide the guideline (G)",
      attrs: { type: "button", tabindex: -1, "aria-expanded": "true" },
    },
    [chevron, el("span", { cls: "hitl-guideline-title", text: "Guideline" }), version, kbd("G")],
  );
  const body = el("div", { cls: "hitl-guideline-body hitl-guideline-md", testid: "guideline-body" });
  const root = el(
    "aside",
    { cls: "hitl-guideline", testid: "guideline", hidden: true, attrs: { "aria-label": "Annotation guideline", "data-open": "true" } },
    [toggleBtn, body],
  );

  let isOpen = options.open !== false;
  let renderedText: string | null = null;
  let disposed = false;

  const text = () => str(model.get("guideline_text"));

  function paint(): void {
    const md = text();
    const present = md.trim().length > 0;
    if (present && md !== renderedText) {
      renderMarkdown(body, md);
      renderedText = md;
      body.scrollTop = 0;
    } else if (!present && renderedText !== null) {
      body.replaceChildren();
      renderedText = null;
    }
    const v = str(model.get("guideline_version"));
    setText(version, v);
    show(version, v.length > 0);
    setAttr(root, "data-version", v || null);
    setAttr(root, "data-open", isOpen ? "true" : "false");
    setAttr(toggleBtn, "aria-expanded", isOpen ? "true" : "false");
    setText(chevron, isOpen ? "▾" : "▸");
    show(body, isOpen);
    show(root, present);
  }

  const onTrait = () => {
    if (!disposed) panel.update();
  };
  model.on("change:guideline_text", onTrait);
  model.on("change:guideline_version", onTrait);

  const panel: GuidelinePanel = {
    el: root,
    has: () => text().trim().length > 0,
    isOpen: () => isOpen && panel.has(),
    open() {
      isOpen = true;
      paint();
      panel.onChange(panel.isOpen());
    },
    close() {
      isOpen = false;
      paint();
      panel.onChange(false);
    },
    toggle() {
      if (isOpen) panel.close();
      else panel.open();
      return panel.isOpen();
    },
    update() {
      paint();
      panel.onChange(panel.isOpen());
    },
    onChange: () => {},
    dispose() {
      if (disposed) return;
      disposed = true;
      model.off("change:guideline_text", onTrait);
      model.off("change:guideline_version", onTrait);
    },
  };
  toggleBtn.addEventListener("click", () => panel.toggle());
  paint();
  return panel;
}
