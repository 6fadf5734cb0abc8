/**
 * The text boxes under an item (a flag note, a reason, the generation editor): the
 * one-line box every view builds the same way, and the rule they share for all of them:
 * one box open at a time, tied to the item it was opened on (moving to another item, or
 * away from the items, closes it).
 */
import { el, show } from "./dom";

export interface NoteBox {
  box: HTMLDivElement;
  input: HTMLInputElement;
  /** the buttons after the input, in order */
  buttons: HTMLButtonElement[];
  /** show the box with `value` in it and put the focus there */
  open(value: string): void;
}

export interface NoteBoxOptions {
  /** data-testid `<name>-box` and `<name>-input` */
  name: string;
  /** classes after "hitl-note" */
  cls?: string;
  placeholder: string;
  ariaLabel: string;
  /** the buttons' texts */
  buttons?: string[];
}

/** A one-line text box: an input, then buttons. */
export function noteBox(o: NoteBoxOptions): NoteBox {
  const input = el("input", {
    cls: "hitl-note-input",
    testid: `${o.name}-input`,
    attrs: { type: "text", placeholder: o.placeholder, "aria-label": o.ariaLabel },
  });
  const buttons = (o.buttons ?? []).map((text) => el("button", { cls: "hitl-btn", text, attrs: { type: "button", tabindex: -1 } }));
  const box = el("div", { cls: o.cls ? `hitl-note ${o.cls}` : "hitl-note", testid: `${o.name}-box`, hidden: true }, [input, ...buttons]);
  return {
    box,
    input,
    buttons,
    open(value) {
      input.value = value;
      show(box, true);
      input.focus({ preventScroll: true });
    },
  };
}

/** The flag note ("Why is it ambiguous?"), with Flag and Cancel buttons or none. */
export function flagNoteBox(withButtons = true): NoteBox {
  return noteBox({
    name: "note",
    placeholder: "Why is it ambiguous? Enter saves, Esc cancels",
    ariaLabel: "Flag note",
    buttons: withButtons ? ["Flag", "Cancel"] : [],
  });
}

export interface TextBoxesOptions {
  /** every box (hidden when they close); more with `add` */
  boxes?: HTMLElement[];
  /** the widget's root: closing a box gives the focus back when it was inside */
  root: Element;
  /** the queue position under the cursor */
  cursor: () => number;
  /** give the keyboard focus back to the widget */
  focus: () => void;
  /** a box was taken as open */
  onOpen?: (name: string) => void;
  /** after the boxes closed (before the focus comes back) */
  onClose?: () => void;
  /** no box is open any more (closed, or hidden by the view: `forget`) */
  onEnd?: () => void;
}

/** Which box is open, and on which item. The view shows a box after `open`. */
export class TextBoxes<N extends string> {
  private name: N | null = null;
  private qi = -1;
  private readonly boxes: HTMLElement[];

  constructor(private readonly o: TextBoxesOptions) {
    this.boxes = [...(o.boxes ?? [])];
  }

  /** one more box, hidden when the boxes close */
  add(box: HTMLElement): void {
    if (!this.boxes.includes(box)) this.boxes.push(box);
  }

  /** the open box, if any */
  get openName(): N | null {
    return this.name;
  }

  /** Box `name` is open, on the item under the cursor. */
  isOpen(name: N): boolean {
    return this.name === name && this.o.cursor() === this.qi;
  }

  /** Close any box, then take `name` as open on the item under the cursor. */
  open(name: N): void {
    this.close(false);
    this.name = name;
    this.qi = this.o.cursor();
    this.o.onOpen?.(name);
  }

  close(refocus: boolean): void {
    if (this.name === null) return;
    for (const b of this.boxes) show(b, false);
    this.forget();
    this.o.onClose?.();
    if (refocus) this.o.focus();
  }

  /** No box is open any more (the view hid it itself). */
  forget(): void {
    if (this.name === null) return;
    this.name = null;
    this.qi = -1;
    this.o.onEnd?.();
  }

  /** Close a box opened on another item than the one under the cursor. */
  closeIfMoved(): void {
    if (this.name !== null && this.qi !== this.o.cursor()) this.leave();
  }

  /** Close any open box (the cursor left the items); the focus comes back to the widget
   * if it was inside. */
  leave(): void {
    if (this.name !== null) this.close(this.o.root.contains(document.activeElement));
  }
}
