/**
 * The profile form: who the annotator is (gender, age band, locale, expertise...), asked
 * once, before the first item, when the kernel sends `config.profile_form` (it does only
 * when the review has the `profile_form` option and the store holds no profile of this
 * annotator yet: hitl_widgets/annotators.py).
 *
 * - Every field is optional: a choice field is a <select> with "prefer not to say"
 *   (`config.profile_form.prefer_not`) selected first; a free-text field (`choices`
 *   null) is a short text input, empty meaning "prefer not to say".
 * - A consent box, unchecked, with a plain sentence of what is kept and that it is never
 *   exported unless asked for. Nothing is sent without it ticked.
 * - Save sends `{type: "profile", req, values, consent}` and waits for the kernel's
 *   `{type: "profile", req, saved, error?}`: saved closes the form; an error (a value
 *   outside the choices, the store unreachable) is shown and the form stays.
 * - Skip (or Esc) sends `{type: "profile", req, values: {}, consent: false, skip: true}`
 *   (nothing is stored; the kernel does not offer the form again in this session) and
 *   closes the form at once.
 * - While open the form is a modal (lib/modal.ts): review keys do nothing (a key on the
 *   widget gives the keys back to the form; Esc skips), and the root carries
 *   `is-profile-form` (the item is hidden under it, and its clock has not started).
 *
 * Field names and choices come from the kernel's config and are set with textContent
 * (and the option's `value` property) only: hostile text shows literally.
 * DOM: `[data-testid="profile-form"]`, `profile-field` (`data-field`), `profile-select`,
 * `profile-input`, `profile-consent`, `profile-error`, `profile-save`, `profile-skip`.
 */
import type { AnyModel } from "@anywidget/types";
import { el, setText, show } from "./dom";
import { uuid } from "./ids";
import { textBoxKeys } from "./keyboard";
import type { Modal, Modals } from "./modal";
import type { ProfileMessage, ProfileReply } from "./types";

export interface ProfileField {
  name: string;
  /** the choices offered (null: free text) */
  choices: string[] | null;
}

export interface ProfileFormConfig {
  fields: ProfileField[];
  /** the value of a field not answered */
  prefer_not: string;
  /** characters of a free-text answer */
  max_text: number;
}

const PREFER_NOT = "prefer not to say";
const REPLY_TIMEOUT_MS = 15000;

/** `config.profile_form` checked (null: no form due). */
export function profileFormConfig(config: Record<string, unknown> | null | undefined): ProfileFormConfig | null {
  const raw = config?.profile_form as Record<string, unknown> | null | undefined;
  if (!raw || typeof raw !== "object" || !Array.isArray(raw.fields)) return null;
  const fields: ProfileField[] = [];
  for (const f of raw.fields as unknown[]) {
    if (!f || typeof f !== "object") continue;
    const { name, choices } = f as { name?: unknown; choices?: unknown };
    if (typeof name !== "string" || !name) continue;
    fields.push({
      name,
      choices: Array.isArray(choices) ? choices.filter((c): c is string => typeof c === "string") : null,
    });
  }
  if (!fields.length) return null;
  const preferNot = typeof raw.prefer_not === "string" && raw.prefer_not ? raw.prefer_not : PREFER_NOT;
  const max = Number(raw.max_text);
  return { fields, prefer_not: preferNot, max_text: Number.isFinite(max) && max >= 1 ? Math.floor(max) : 100 };
}

export interface ProfileForm {
  readonly el: HTMLElement;
  readonly config: ProfileFormConfig;
  isOpen(): boolean;
  /** the answers as they would be sent now */
  values(): Record<string, string>;
  save(): void;
  skip(): void;
  /** called after the form closed (saved or skipped) */
  onClose: () => void;
  dispose(): void;
}

/**
 * The profile form of a review, open at once when `config.profile_form` is set (null
 * otherwise). `root`: the widget root (it carries `is-profile-form` while the form is
 * open); `annotator`: named in the consent sentence.
 */
export function attachProfileForm(
  model: AnyModel,
  modals: Modals,
  opts: { root: HTMLElement; annotator?: string; timeoutMs?: number },
): ProfileForm | null {
  const cfg = profileFormConfig(model.get("config") as Record<string, unknown>);
  if (!cfg) return null;
  const timeoutMs = opts.timeoutMs ?? REPLY_TIMEOUT_MS;
  const inputs = new Map<string, HTMLSelectElement | HTMLInputElement>();
  const rows = cfg.fields.map((f) => {
    let input: HTMLSelectElement | HTMLInputElement;
    if (f.choices) {
      const select = el("select", { cls: "hitl-profile-select", testid: "profile-select", attrs: { "data-field": f.name } });
      for (const c of [cfg.prefer_not, ...f.choices.filter((c) => c !== cfg.prefer_not)]) {
        const o = document.createElement("option");
        o.value = c;
        o.textContent = c;
        select.appendChild(o);
      }
      select.value = cfg.prefer_not;
      input = select;
    } else {
      input = el("input", {
        cls: "hitl-profile-input",
        testid: "profile-input",
        attrs: { type: "text", maxlength: cfg.max_text, placeholder: cfg.prefer_not, "data-field": f.name, autocomplete: "off" },
      });
    }
    inputs.set(f.name, input);
    return el("label", { cls: "hitl-profile-field", testid: "profile-field", attrs: { "data-field": f.name } }, [
      el("span", { cls: "hitl-profile-name", text: f.name }),
      input,
    ]);
  });
  const consent = el("input", { testid: "profile-consent", attrs: { type: "checkbox" } });
  const who = opts.annotator ? ` (${opts.annotator})` : "";
  const consentText = el("span", {
    cls: "hitl-profile-consent-text",
    text:
      `Keep these answers with my annotator id${who} in this review's store, to compare how groups of people label. ` +
      "Only the answers above are kept; they are never exported unless someone asks for them.",
  });
  const error = el("div", { cls: "hitl-profile-error", testid: "profile-error", hidden: true, attrs: { role: "alert" } });
  const saveBtn = el("button", { cls: "hitl-btn hitl-profile-save", testid: "profile-save", text: "Save", attrs: { type: "button" } });
  const skipBtn = el("button", { cls: "hitl-btn hitl-profile-skip", testid: "profile-skip", text: "Skip", attrs: { type: "button" } });
  const form = el("div", { cls: "hitl-profile-card" }, [
    el("div", { cls: "hitl-profile-title", text: "Before you start: about you (optional)" }),
    el("div", {
      cls: "hitl-profile-text",
      text: "Every question is optional: leave “" + cfg.prefer_not + "” where you would rather not answer.",
    }),
    el("div", { cls: "hitl-profile-fields" }, rows),
    el("label", { cls: "hitl-profile-consent" }, [consent, consentText]),
    error,
    el("div", { cls: "hitl-profile-buttons" }, [saveBtn, skipBtn]),
    el("div", { cls: "hitl-profile-hint", text: "The review keys wait until you save or skip (Esc skips)." }),
  ]);
  const root = el("div", { cls: "hitl-profile", testid: "profile-form", attrs: { role: "dialog", "aria-label": "About you" } }, [form]);

  let open = true;
  let waiting: { req: string; timer: ReturnType<typeof setTimeout> } | null = null;
  const modal: Modal = {
    name: "profile",
    onKey: (key) => {
      if (key === "Escape") view.skip();
      else focusFirst();
    },
  };
  const focusFirst = () => {
    const first = inputs.values().next().value;
    (first ?? saveBtn).focus({ preventScroll: true });
  };
  const say = (text: string) => {
    setText(error, text);
    show(error, text.length > 0);
  };
  const busy = (on: boolean) => {
    saveBtn.disabled = on;
    root.setAttribute("data-busy", on ? "true" : "false");
  };
  const stopWaiting = () => {
    if (waiting) clearTimeout(waiting.timer);
    waiting = null;
    busy(false);
  };
  const close = () => {
    if (!open) return;
    open = false;
    stopWaiting();
    show(root, false);
    opts.root.classList.remove("is-profile-form");
    modals.close(modal);
    view.onClose();
  };
  const send = (msg: ProfileMessage) => model.send(msg);
  const onMsg = (raw: unknown) => {
    if (!raw || typeof raw !== "object") return;
    const msg = raw as Partial<ProfileReply>;
    if (msg.type !== "profile" || !waiting || msg.req !== waiting.req) return;
    stopWaiting();
    if (msg.saved === true) close();
    else say(`Not saved: ${typeof msg.error === "string" && msg.error ? msg.error : "the kernel refused it"}`);
  };
  model.on("msg:custom", onMsg);

  const view: ProfileForm = {
    el: root,
    config: cfg,
    isOpen: () => open,
    values() {
      const out: Record<string, string> = {};
      for (const f of cfg.fields) {
        const v = (inputs.get(f.name)?.value ?? "").trim();
        out[f.name] = v || cfg.prefer_not;
      }
      return out;
    },
    save() {
      if (!open || waiting) return;
      if (!consent.checked) {
        say("Nothing is kept without your consent: tick the box to keep these answers, or Skip.");
        return;
      }
      say("");
      const req = uuid();
      const timer = setTimeout(() => {
        if (waiting?.req !== req) return;
        stopWaiting();
        say("The kernel did not answer: try again, or Skip.");
      }, timeoutMs);
      waiting = { req, timer };
      busy(true);
      send({ type: "profile", req, values: view.values(), consent: true });
    },
    skip() {
      if (!open) return;
      send({ type: "profile", req: uuid(), values: {}, consent: false, skip: true });
      close();
    },
    onClose: () => {},
    dispose() {
      model.off("msg:custom", onMsg);
      if (waiting) clearTimeout(waiting.timer);
      waiting = null;
      modals.close(modal);
    },
  };
  saveBtn.addEventListener("click", () => view.save());
  skipBtn.addEventListener("click", () => view.skip());
  // keys inside the form stay there (typing, choosing); Ctrl/Cmd+Enter saves, Esc skips
  const offKeys = textBoxKeys(form, { onEnter: () => view.save(), onEscape: () => view.skip() });
  const dispose = view.dispose;
  view.dispose = () => {
    offKeys();
    dispose();
  };
  opts.root.classList.add("is-profile-form");
  modals.open(modal);
  return view;
}
