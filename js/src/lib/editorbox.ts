/**
 * The text editor a review opens over an item (a generated answer, an audio transcript):
 * a textarea with Save and Cancel and the hint of their keys. The view registers it with
 * `shell.addBox` (Ctrl/⌘+Enter saves, Esc cancels) and wires the buttons.
 */
import { el, kbd } from "./dom";

export interface EditorBox {
  box: HTMLElement;
  input: HTMLTextAreaElement;
  save: HTMLButtonElement;
  cancel: HTMLButtonElement;
}

/** `ids`: the test ids of the box, the textarea and the Save button; `label`: the
 * textarea's accessible name. Hidden until the view opens it. */
export function makeEditorBox(ids: { box: string; input: string; save: string }, label: string, rows: number): EditorBox {
  const input = el("textarea", {
    cls: "hitl-editor-input",
    testid: ids.input,
    // no spellcheck: model output is full of code and names, and checking a long text
    // costs the page time on every change
    attrs: { spellcheck: "false", autocomplete: "off", "aria-label": label, rows },
  });
  const save = el("button", { cls: "hitl-btn hitl-btn-primary", text: "Save", testid: ids.save, attrs: { type: "button", tabindex: -1 } });
  const cancel = el("button", { cls: "hitl-btn", text: "Cancel", attrs: { type: "button", tabindex: -1 } });
  const box = el("div", { cls: "hitl-editor", testid: ids.box, hidden: true }, [
    input,
    el("div", { cls: "hitl-editor-bar" }, [
      el("span", { cls: "hitl-editor-hint" }, [kbd("Ctrl/⌘"), "+", kbd("Enter"), " save · ", kbd("Esc"), " cancel"]),
      save,
      cancel,
    ]),
  ]);
  return { box, input, save, cancel };
}
