/**
 * The prompt panel of the generation and pairwise views: the chat context before the
 * prompt ("Conversation", hidden when there is none) and the prompt itself, markdown
 * rendered to sanitized nodes. The next items are rendered in idle time (Prerender),
 * with whatever else the view shows for them (its responses), so a key press only
 * swaps prepared nodes in.
 */
import { el, show } from "./dom";
import { chatFragment, safeMarkdownFragment, type ChatMessage } from "./markdown";
import { Prerender } from "./prerender";
import type { ReviewShell } from "./shell";
import type { BaseItem } from "./types";

export interface PromptItem extends BaseItem {
  prompt: string;
  context: ChatMessage[] | null;
}

interface Built<R> {
  prompt: DocumentFragment;
  chat: DocumentFragment;
  turns: number;
  /** the view's own nodes for the item */
  rest: R;
}

export class PromptPanel<I extends PromptItem, R> {
  readonly contextEl: HTMLElement;
  /** "Conversation": the chat turns before the prompt */
  readonly contextBlock: HTMLElement;
  readonly promptEl: HTMLElement;
  readonly promptBlock: HTMLElement;
  private readonly prerender: Prerender<I, Built<R>>;

  /** `renderRest`: the view's own nodes for an item, rendered along with its prompt. */
  constructor(
    private readonly shell: ReviewShell<I>,
    private readonly renderRest: (item: I) => R,
  ) {
    this.contextEl = el("div", { cls: "hitl-chat", testid: "context" });
    this.contextBlock = el("section", { cls: "hitl-block hitl-context-block", hidden: true }, [
      el("div", { cls: "hitl-block-title", text: "Conversation" }),
      this.contextEl,
    ]);
    this.promptEl = el("div", { cls: "hitl-md hitl-prompt", testid: "prompt" });
    this.promptBlock = el("section", { cls: "hitl-block" }, [el("div", { cls: "hitl-block-title", text: "Prompt" }), this.promptEl]);
    this.prerender = new Prerender<I, Built<R>>((item) => this.build(item));
    shell.addCleanup(() => this.prerender.dispose());
  }

  private build(item: I): Built<R> {
    const chat = chatFragment(item.context);
    return { prompt: safeMarkdownFragment(item.prompt), chat: chat.fragment, turns: chat.turns, rest: this.renderRest(item) };
  }

  /** Scroll the panel, and `others`, back to the top. Call it before the new content goes
   * in, while the layout is still clean (resetting it after would force a second layout
   * of a long text). */
  scrollToTop(...others: HTMLElement[]): void {
    this.promptEl.scrollTop = 0;
    this.contextEl.scrollTop = 0;
    for (const e of others) e.scrollTop = 0;
  }

  /** Put `item`'s prompt and context in (prepared in idle time when they were) and have
   * the items around the cursor prepared next; returns the view's own nodes for `item`. */
  fill(item: I): R {
    const b = this.prerender.take(item) ?? this.build(item);
    this.promptEl.replaceChildren(b.prompt);
    this.contextEl.replaceChildren(b.chat);
    show(this.contextBlock, b.turns > 0);
    const client = this.shell.client;
    const c = client.cursor;
    this.prerender.want([client.items.get(c + 1), client.items.get(c + 2), client.items.get(c - 1)]);
    return b.rest;
  }
}
