/** @vitest-environment jsdom */
/**
 * The approval queue (kind "tool_call"): an agent's tool calls held for a person. The
 * card (tool, exact arguments, reasons, badges, the agent's conversation), the decisions
 * (approve with the hash shown, edit the arguments in a typed form, reject / answer with
 * a text, skip, undo refused by the kernel), calls that arrive while the person waits on
 * the summary, and hostile text shown as text.
 */
import { describe, expect, it } from "vitest";
import widget, { canonicalJson, formParams, mount, parseText, type ApprovalRoot, type ToolCallItem, type ToolParam } from "../src/widgets/approval";
import { FakeKernel, FakeModel, frame, keydown, keyup, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

const PARAMS: ToolParam[] = [
  { name: "claim_id", type: "string", required: true, default: null, enum: null, nullable: false },
  { name: "amount", type: "number", required: true, default: null, enum: null, nullable: false },
  { name: "count", type: "integer", required: true, default: null, enum: null, nullable: false },
  { name: "decision", type: "enum", required: true, default: null, enum: ["approve", "deny"], nullable: false },
  { name: "urgent", type: "boolean", required: false, default: false, enum: null, nullable: false },
  { name: "tags", type: "array", required: true, default: null, enum: null, nullable: false },
  { name: "meta", type: "object", required: false, default: null, enum: null, nullable: true },
  { name: "memo", type: "string", required: false, default: null, enum: null, nullable: true },
  { name: "extra", type: "any", required: false, default: null, enum: null, nullable: false },
];

const ARGS = () => ({
  claim_id: "CLM-1",
  amount: 12500.5,
  count: 2,
  decision: "approve",
  urgent: false,
  tags: ["car", "flood"],
  meta: { source: "web", score: 3 },
  memo: "first contact",
  extra: 7,
});

function call(qi: number, extra: Partial<ToolCallItem> = {}): ToolCallItem {
  const args = ARGS();
  args.claim_id = `CLM-${qi}`;
  return {
    qi,
    item_id: `call-${qi}`,
    content_hash: `hash-${qi}-abcdef0123456789`,
    tool: "approve_claim",
    args,
    args_json: JSON.stringify(args, null, 2),
    params: PARAMS,
    reasons: ["policy 'large claim': amount > 10000", "low confidence"],
    context: [
      { role: "user", content: "Please settle claim **CLM-1**." },
      { role: "assistant", content: "Checking the `policy`." },
      { role: "tool", content: "policy: covers flood" },
    ],
    confidence: 0.42,
    audit: false,
    two_person: false,
    created_at: "2025-01-02T03:04:05Z",
    decision: null,
    ...extra,
  };
}

const VOCAB = {
  status_of: { accept: "accepted", edit: "edited", reject: "rejected", answer: "answered", skip: "skipped" },
  verdicts: ["accept", "answer", "edit", "reject"],
  decided: ["accepted", "answered", "edited", "rejected"],
  actions: ["accept", "edit", "reject", "answer", "skip", "undo", "note"],
};

type Setup = Mounted<ApprovalRoot>;

function setup(opts: { n?: number; items?: ToolCallItem[]; traits?: Record<string, unknown> } = {}): Setup {
  const items = opts.items ?? Array.from({ length: opts.n ?? 4 }, (_, i) => call(i));
  const model = new FakeModel({
    kind: "tool_call",
    labels: [],
    queue_length: items.length,
    total: items.length,
    config: { prefetch: 8, task: "agent", vocabulary: VOCAB },
    ...opts.traits,
  });
  return mountWidget<ApprovalRoot>(mount, model, items);
}

const shown = (s: Setup) => q(s.root, "item-text").getAttribute("data-item-id");
const field = <T extends HTMLElement = HTMLInputElement>(s: Setup, name: string) =>
  s.root.querySelector(`[data-testid="edit-field"][data-arg="${name}"]`) as T;
const row = (s: Setup, name: string) => s.root.querySelector(`[data-testid="arg-row"][data-arg="${name}"]`) as HTMLElement;
const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");
const message = (s: Setup) => q(s.root, "message");
const lastDecision = (s: Setup) => s.model.distinctDecisions().at(-1)!;

useWidgetTests();

/* ------------------------------------------------------------------ rendering */
describe("the card", () => {
  it("shows the tool, the exact arguments as a table, the reasons, the badges, the confidence and the conversation", () => {
    const s = setup({ items: [call(0, { two_person: true })] });
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(s.root.classList.contains("hitl-approval")).toBe(true);
    expect(q(s.root, "tool-name").textContent).toBe("approve_claim");
    expect(shown(s)).toBe("call-0");
    expect(q(s.root, "item-id").textContent).toBe("call-0");

    const names = [...q(s.root, "args-table").querySelectorAll('[data-testid="arg-row"]')].map((r) => r.getAttribute("data-arg"));
    expect(names).toEqual(["claim_id", "amount", "count", "decision", "urgent", "tags", "meta", "memo", "extra"]);
    const value = (n: string) => row(s, n).querySelector('[data-testid="arg-value"]')!.textContent;
    expect(value("claim_id")).toBe("CLM-0");
    expect(value("amount")).toBe("12500.5");
    expect(value("urgent")).toBe("false");
    expect(JSON.parse(value("tags")!)).toEqual(["car", "flood"]);
    expect(JSON.parse(value("meta")!)).toEqual({ source: "web", score: 3 });
    expect(row(s, "amount").querySelector(".hitl-arg-type")!.textContent).toBe("number");
    expect(row(s, "tags").querySelector(".hitl-arg-type")!.textContent).toBe("array");

    const chips = [...q(s.root, "reasons").querySelectorAll(".hitl-reason")].map((c) => c.textContent);
    expect(chips).toEqual(["policy 'large claim': amount > 10000", "low confidence"]);
    expect(visible(q(s.root, "reasons"))).toBe(true);
    expect(visible(q(s.root, "audit-badge"))).toBe(false);
    expect(visible(q(s.root, "two-person-badge"))).toBe(true);
    expect(q(s.root, "two-person-badge").textContent).toBe("two people must approve");
    expect(q(s.root, "confidence").textContent).toBe("confidence 42%");
    expect(q(s.root, "args-hash").textContent).toBe("#hash-0-abcde");

    const turns = [...q(s.root, "context").querySelectorAll('[data-testid="turn"]')];
    expect(turns.map((t) => t.getAttribute("data-role"))).toEqual(["user", "assistant", "tool"]);
    expect(turns[0].querySelector("strong")!.textContent).toBe("CLM-1");
    expect(turns[1].querySelector("code")!.textContent).toBe("policy");
    expect(visible(q(s.root, "context"))).toBe(true);
    expect(visible(q(s.root, "edit-form"))).toBe(false);
    expect(visible(q(s.root, "reason-box"))).toBe(false);
    expect(visible(q(s.root, "answer-box"))).toBe(false);
    expect(visible(q(s.root, "decision"))).toBe(false);
  });

  it("hides the confidence, the conversation and the badges when the call has none", () => {
    const s = setup({ items: [call(0, { confidence: null, context: null, reasons: [], args: {} })] });
    expect(visible(q(s.root, "confidence"))).toBe(false);
    expect(visible(q(s.root, "context"))).toBe(false);
    expect(visible(q(s.root, "reasons"))).toBe(false);
    expect(visible(q(s.root, "two-person-badge"))).toBe(false);
    expect(q(s.root, "args-table").querySelectorAll('[data-testid="arg-row"]').length).toBe(0);
  });

  it("lists every key under ?, and the keys never reach the notebook", () => {
    const s = setup();
    press(s.root, "?");
    const help = q(s.root, "help");
    expect(visible(help)).toBe(true);
    const keys = [...help.querySelectorAll("tr[data-keys]")].map((r) => r.getAttribute("data-keys"));
    for (const k of ["Enter a", "e", "r", "q", "s", "z", "ArrowLeft", "ArrowRight", "n", "Home", "End", "?", "Escape"]) expect(keys).toContain(k);
    press(s.root, "Escape");
    expect(visible(help)).toBe(false);
    // every review key is stopped on the widget (JupyterLab listens on the document)
    let leaked = 0;
    const onDoc = () => leaked++;
    document.addEventListener("keydown", onDoc);
    for (const k of ["a", "e", "Escape", "r", "Escape", "q", "Escape", "s", "ArrowLeft", "z", "?", "?"]) press(s.root, k);
    document.removeEventListener("keydown", onDoc);
    expect(leaked).toBe(0);
  });

  it("paints the next call on the key and times it", () => {
    const s = setup();
    frame();
    press(s.root, "a");
    expect(shown(s)).toBe("call-1");
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("1");
    expect(s.root.__hitlTimings!.map((t) => [t.key, t.qi])).toEqual([["a", 1]]);
  });

  it("is an anywidget module with render", () => {
    expect(typeof widget.render).toBe("function");
  });
});

/* ------------------------------------------------------------------ approve, skip */
describe("approve and skip", () => {
  it("Enter and A approve with the hash of the arguments shown, and move on", () => {
    const s = setup();
    press(s.root, "Enter");
    let d = lastDecision(s);
    expect(d.action).toBe("accept");
    expect(d.item_id).toBe("call-0");
    expect(d.data).toMatchObject({ args_hash: "hash-0-abcdef0123456789" });
    expect(d.content_hash).toBe("hash-0-abcdef0123456789");
    expect(shown(s)).toBe("call-1");
    press(s.root, "a");
    d = lastDecision(s);
    expect(d.data).toMatchObject({ args_hash: "hash-1-abcdef0123456789" });
    // back: the stored state shows as a badge
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("accepted");
  });

  it("S skips: the call stays held", () => {
    const s = setup();
    press(s.root, "s");
    expect(lastDecision(s).action).toBe("skip");
    expect(shown(s)).toBe("call-1");
  });
});

/* ------------------------------------------------------------------ edit */
describe("edit the arguments", () => {
  it("a field per parameter, prefilled; the tool shown and not editable", () => {
    const s = setup();
    press(s.root, "e");
    const form = q(s.root, "edit-form");
    expect(visible(form)).toBe(true);
    expect(visible(q(s.root, "args-table"))).toBe(false);
    expect(form.textContent).toContain("approve_claim");
    expect(form.querySelector('[data-arg="tool"]')).toBeNull();
    const names = [...form.querySelectorAll('[data-testid="edit-field"]')].map((f) => f.getAttribute("data-arg"));
    expect(names).toEqual(PARAMS.map((p) => p.name));
    expect(field(s, "claim_id").type).toBe("text");
    expect(field(s, "claim_id").value).toBe("CLM-0");
    expect(field(s, "amount").type).toBe("number");
    expect(field(s, "amount").value).toBe("12500.5");
    expect(field(s, "count").value).toBe("2");
    expect(field(s, "urgent").type).toBe("checkbox");
    expect(field(s, "urgent").checked).toBe(false);
    const sel = field<HTMLSelectElement>(s, "decision");
    expect(sel.localName).toBe("select");
    expect([...sel.options].map((o) => o.textContent)).toEqual(["approve", "deny"]);
    expect(sel.selectedOptions[0].textContent).toBe("approve");
    expect(field<HTMLTextAreaElement>(s, "tags").localName).toBe("textarea");
    expect(JSON.parse(field<HTMLTextAreaElement>(s, "tags").value)).toEqual(["car", "flood"]);
    expect(JSON.parse(field<HTMLTextAreaElement>(s, "meta").value)).toEqual({ source: "web", score: 3 });
    expect(document.activeElement).toBe(field(s, "claim_id"));
  });

  it("Ctrl+Enter saves typed values (number, integer, boolean, enum, JSON, null) with the hash shown", () => {
    const s = setup();
    press(s.root, "e");
    field(s, "amount").value = "9000.25";
    field(s, "count").value = "3";
    field(s, "urgent").click();
    const sel = field<HTMLSelectElement>(s, "decision");
    sel.value = [...sel.options].find((o) => o.textContent === "deny")!.value;
    field<HTMLTextAreaElement>(s, "tags").value = '["car"]';
    field<HTMLTextAreaElement>(s, "meta").value = ""; // nullable: empty is null
    field(s, "memo").value = ""; // nullable string: empty is null
    field(s, "extra").value = '{"k": [1, 2]}'; // any: JSON
    expect(s.model.decisions().length).toBe(0);
    keydown(field(s, "count"), "Enter", { ctrlKey: true });
    const d = lastDecision(s);
    expect(d.action).toBe("edit");
    expect(d.item_id).toBe("call-0");
    expect(d.data).toMatchObject({
      args_hash: "hash-0-abcdef0123456789",
      args: {
        claim_id: "CLM-0",
        amount: 9000.25,
        count: 3,
        decision: "deny",
        urgent: true,
        tags: ["car"],
        meta: null,
        memo: null,
        extra: { k: [1, 2] },
      },
    });
    expect(typeof (d.data!.args as Record<string, unknown>).count).toBe("number");
    expect(visible(q(s.root, "edit-form"))).toBe(false);
    expect(shown(s)).toBe("call-1");
    // back on it: the badge names the changed arguments, the table shows what runs
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("edited: amount, count, decision, urgent, tags, meta, memo, extra");
    expect(row(s, "amount").getAttribute("data-edited")).toBe("true");
    expect(row(s, "amount").querySelector('[data-testid="arg-value"]')!.textContent).toBe("9000.25");
    expect(row(s, "amount").querySelector('[data-testid="arg-was"]')!.textContent).toBe("was: 12500.5");
    expect(row(s, "claim_id").getAttribute("data-edited")).toBeNull();
    // A on an edited call: the edit stands (nothing else sent), next
    const n = s.model.distinctDecisions().length;
    press(s.root, "a");
    expect(s.model.distinctDecisions().length).toBe(n);
    expect(shown(s)).toBe("call-1");
  });

  it("the Save button saves too; unchanged fields keep the agent's exact values", () => {
    const s = setup();
    press(s.root, "e");
    field(s, "claim_id").value = "CLM-9";
    q(s.root, "edit-save").click();
    expect(lastDecision(s).data).toMatchObject({ args: { ...ARGS(), claim_id: "CLM-9" } });
  });

  it("a bad number is marked and nothing is sent; fixed, it saves", () => {
    const s = setup();
    press(s.root, "e");
    field(s, "count").value = "2.5"; // an integer
    keydown(field(s, "count"), "Enter", { ctrlKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect(field(s, "count").getAttribute("aria-invalid")).toBe("true");
    const err = s.root.querySelector('[data-testid="edit-error"][data-arg="count"]') as HTMLElement;
    expect(visible(err)).toBe(true);
    expect(err.textContent).toContain("whole number");
    expect(visible(q(s.root, "edit-form"))).toBe(true);
    expect(message(s).textContent).toContain("count");
    expect(document.activeElement).toBe(field(s, "count"));
    expect(shown(s)).toBe("call-0");

    // a browser's number field with text it cannot read: value "" and badInput
    Object.defineProperty(field(s, "amount"), "validity", { value: { badInput: true }, configurable: true });
    field(s, "count").value = "4";
    keydown(field(s, "count"), "Enter", { ctrlKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect(field(s, "amount").getAttribute("aria-invalid")).toBe("true");
    expect(field(s, "count").getAttribute("aria-invalid")).toBeNull();
    Object.defineProperty(field(s, "amount"), "validity", { value: { badInput: false }, configurable: true });

    field<HTMLTextAreaElement>(s, "tags").value = "[1, 2"; // bad JSON
    keydown(field(s, "tags"), "Enter", { metaKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect(field(s, "tags").getAttribute("aria-invalid")).toBe("true");
    field<HTMLTextAreaElement>(s, "tags").value = '{"a": 1}'; // JSON, but not an array
    keydown(field(s, "tags"), "Enter", { metaKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect((s.root.querySelector('[data-testid="edit-error"][data-arg="tags"]') as HTMLElement).textContent).toContain("array");

    field<HTMLTextAreaElement>(s, "tags").value = '["x"]';
    field(s, "amount").value = ""; // required number left empty
    keydown(field(s, "tags"), "Enter", { metaKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect(field(s, "amount").getAttribute("aria-invalid")).toBe("true");

    field(s, "amount").value = "100";
    keydown(field(s, "tags"), "Enter", { metaKey: true });
    expect(lastDecision(s).data).toMatchObject({ args: { count: 4, amount: 100, tags: ["x"] } });
  });

  it("Esc cancels: nothing sent, the arguments shown again", () => {
    const s = setup();
    press(s.root, "e");
    field(s, "amount").value = "1";
    keydown(field(s, "amount"), "Escape");
    expect(visible(q(s.root, "edit-form"))).toBe(false);
    expect(visible(q(s.root, "args-table"))).toBe(true);
    expect(s.model.decisions().length).toBe(0);
    expect(shown(s)).toBe("call-0");
    // the Escape's release and a held Escape do nothing more; a fresh key acts
    keyup(s.root, "Escape");
    press(s.root, "e");
    expect(field(s, "amount").value).toBe("12500.5"); // the form starts again from the call
  });

  it("keys typed in the form never decide or move (in a field, on the checkbox, on the widget)", () => {
    const s = setup();
    press(s.root, "e");
    const before = { sent: s.model.decisions().length, position: q(s.root, "position").textContent };
    let leaked = 0;
    const onDoc = () => leaked++;
    document.addEventListener("keydown", onDoc);
    for (const target of [field(s, "claim_id"), field(s, "urgent"), field(s, "decision"), field(s, "tags")]) {
      for (const k of ["a", "Enter", "r", "q", "s", "z", "e", "n", "ArrowRight", "ArrowLeft", "End", "Home", "?", " "]) press(target, k);
    }
    document.removeEventListener("keydown", onDoc);
    expect(leaked).toBe(0);
    expect(s.model.decisions().length).toBe(before.sent);
    expect(q(s.root, "position").textContent).toBe(before.position);
    expect(visible(q(s.root, "edit-form"))).toBe(true);
    expect(visible(q(s.root, "help"))).toBe(false);
    // a key that reaches the widget itself goes back to the form
    s.root.focus();
    press(s.root, "a");
    expect(s.model.decisions().length).toBe(0);
    expect(visible(q(s.root, "edit-form"))).toBe(true);
    expect(s.root.querySelector('[data-testid="edit-form"]')!.contains(document.activeElement)).toBe(true);
  });

  it("the Ctrl+Enter that saved does not approve the next call; a fresh Enter does", () => {
    const s = setup();
    press(s.root, "e");
    field(s, "amount").value = "1";
    const f = field(s, "amount");
    keydown(f, "Enter", { ctrlKey: true });
    expect(s.model.distinctDecisions().length).toBe(1);
    keydown(s.root, "Enter", { repeat: true });
    keydown(s.root, "Enter");
    keyup(s.root, "Enter");
    expect(s.model.distinctDecisions().length).toBe(1);
    press(s.root, "Enter");
    expect(s.model.distinctDecisions().length).toBe(2);
    expect(lastDecision(s).action).toBe("accept");
  });

  it("no change: nothing sent", () => {
    const s = setup();
    press(s.root, "e");
    keydown(field(s, "amount"), "Enter", { ctrlKey: true });
    expect(s.model.decisions().length).toBe(0);
    expect(message(s).textContent).toContain("No change");
  });

  it("selects: a nullable boolean (true / false / null), an enum value the schema does not allow, an optional one not given", () => {
    const params: ToolParam[] = [
      { name: "flag", type: "boolean", required: true, nullable: true },
      { name: "mode", type: "enum", required: true, enum: ["fast", "safe", 3], nullable: false },
      { name: "level", type: "enum", required: false, enum: ["low", "high"], nullable: false },
    ];
    const s = setup({ items: [call(0, { params, args: { flag: true, mode: "reckless" } })] });
    press(s.root, "e");
    const flag = field<HTMLSelectElement>(s, "flag");
    expect([...flag.options].map((o) => o.textContent)).toEqual(["true", "false", "— none (null) —"]);
    expect(flag.selectedOptions[0].textContent).toBe("true");
    const mode = field<HTMLSelectElement>(s, "mode");
    expect([...mode.options].map((o) => o.textContent)).toEqual(["fast", "safe", "3", "reckless (not an allowed value)"]);
    expect(mode.selectedOptions[0].textContent).toBe("reckless (not an allowed value)");
    const level = field<HTMLSelectElement>(s, "level");
    expect(level.selectedOptions[0].textContent).toBe("— not given (default) —");
    const pick = (sel: HTMLSelectElement, text: string) => (sel.value = [...sel.options].find((o) => o.textContent === text)!.value);
    pick(flag, "— none (null) —");
    pick(mode, "3");
    keydown(flag, "Enter", { ctrlKey: true });
    expect(lastDecision(s).data).toMatchObject({ args: { flag: null, mode: 3 } });
    expect("level" in (lastDecision(s).data!.args as object)).toBe(false);
  });

  it("without a schema, one field per argument typed by its value", () => {
    const s = setup({ items: [call(0, { params: [], args: { n: 2, ok: true, who: "x", list: [1] } })] });
    press(s.root, "e");
    expect(field(s, "n").type).toBe("number");
    expect(field(s, "ok").type).toBe("checkbox");
    expect(field(s, "ok").checked).toBe(true);
    field(s, "n").value = "3";
    field(s, "ok").click();
    keydown(field(s, "n"), "Enter", { ctrlKey: true });
    expect(lastDecision(s).data).toMatchObject({ args: { n: 3, ok: false, who: "x", list: [1] } });
  });
});

describe("field parsing", () => {
  const p = (type: string, extra: Partial<ToolParam> = {}): ToolParam => ({ name: "x", type, required: true, nullable: false, ...extra });
  it("types each value, and says why one is not", () => {
    expect(parseText(p("number"), " 12.5 ")).toEqual({ ok: true, value: 12.5 });
    expect(parseText(p("number"), "1e3")).toEqual({ ok: true, value: 1000 });
    expect(parseText(p("number"), "0x10").ok).toBe(false);
    expect(parseText(p("number"), "12,5").ok).toBe(false);
    expect(parseText(p("number"), "1e999").ok).toBe(false);
    expect(parseText(p("integer"), "7")).toEqual({ ok: true, value: 7 });
    expect(parseText(p("integer"), "7.5").ok).toBe(false);
    expect(parseText(p("integer"), "").ok).toBe(false);
    expect(parseText(p("integer", { nullable: true }), "")).toEqual({ ok: true, value: null });
    expect(parseText(p("integer", { required: false }), "")).toEqual({ ok: true, omit: true });
    expect(parseText(p("string"), "")).toEqual({ ok: true, value: "" });
    expect(parseText(p("string", { nullable: true }), "")).toEqual({ ok: true, value: null });
    expect(parseText(p("string"), " 42 ")).toEqual({ ok: true, value: " 42 " });
    expect(parseText(p("array"), "[1]")).toEqual({ ok: true, value: [1] });
    expect(parseText(p("object"), "[1]").ok).toBe(false);
    expect(parseText(p("object"), "{bad").ok).toBe(false);
    expect(parseText(p("any"), "[1]")).toEqual({ ok: true, value: [1] });
    expect(parseText(p("any"), "plain words")).toEqual({ ok: true, value: "plain words" });
    expect(parseText(p("any"), "12", "was text")).toEqual({ ok: true, value: "12" });
  });
  it("the form's parameters: the schema's, then arguments it does not name", () => {
    const names = formParams(call(0, { args: { ...ARGS(), surprise: 1 } })).map((x) => [x.name, x.type, !!x.extra]);
    expect(names.at(-1)).toEqual(["surprise", "number", true]);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

/* ------------------------------------------------------------------ reject, answer */
describe("reject and answer need a text", () => {
  it("R: an empty reason sends nothing; Enter saves the reason (returned to the agent)", () => {
    const s = setup();
    press(s.root, "r");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    expect(visible(q(s.root, "reason-box"))).toBe(true);
    expect(document.activeElement).toBe(input);
    keydown(input, "Enter");
    expect(s.model.decisions().length).toBe(0);
    expect(visible(q(s.root, "reason-box"))).toBe(true);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    input.value = "   ";
    keydown(input, "Enter");
    expect(s.model.decisions().length).toBe(0);
    input.value = "amount exceeds the adjuster's limit";
    keydown(input, "Enter");
    const d = lastDecision(s);
    expect(d.action).toBe("reject");
    expect(d.note).toBe("amount exceeds the adjuster's limit");
    expect(shown(s)).toBe("call-1");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("rejected: amount exceeds the adjuster's limit");
  });

  it("R then Esc: nothing", () => {
    const s = setup();
    press(s.root, "r");
    q<HTMLInputElement>(s.root, "reason-input").value = "x";
    keydown(q(s.root, "reason-input"), "Escape");
    expect(visible(q(s.root, "reason-box"))).toBe(false);
    expect(s.model.decisions().length).toBe(0);
  });

  it("Q: the agent gets the answer instead of the tool; an empty answer sends nothing", () => {
    const s = setup();
    press(s.root, "q");
    const input = q<HTMLInputElement>(s.root, "answer-input");
    expect(visible(q(s.root, "answer-box"))).toBe(true);
    keydown(input, "Enter");
    expect(s.model.decisions().length).toBe(0);
    for (const k of ["a", "s", "z"]) press(input, k); // typing never decides
    expect(s.model.decisions().length).toBe(0);
    input.value = "Use claim CLM-2 instead; CLM-1 was paid.";
    keydown(input, "Enter");
    const d = lastDecision(s);
    expect(d.action).toBe("answer");
    expect(d.note).toBe("Use claim CLM-2 instead; CLM-1 was paid.");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("answered: Use claim CLM-2 instead; CLM-1 was paid.");
  });

  it("a stored decision shows as a badge with the vocabulary's status", () => {
    const s = setup({
      items: [
        call(0, { decision: { action: "answer", status: "answered", label: null, note: "ask the customer", ratings: null, data: null } }),
        call(1, { decision: { action: "edit", status: "edited", label: null, note: null, ratings: null, data: { args: { ...ARGS(), claim_id: "CLM-1", amount: 10 } } } }),
      ],
    });
    expect(q(s.root, "decision").textContent).toBe("answered: ask the customer");
    press(s.root, "ArrowRight");
    expect(q(s.root, "decision").textContent).toBe("edited: amount");
    expect(row(s, "amount").getAttribute("data-edited")).toBe("true");
    expect(row(s, "amount").querySelector('[data-testid="arg-value"]')!.textContent).toBe("10");
  });
});

/* ------------------------------------------------------------------ undo */
describe("undo", () => {
  it("Z sends the undo; the kernel refuses it (the agent resumed): its message is shown, the decision stands", () => {
    const s = setup();
    press(s.root, "a");
    const approved = lastDecision(s);
    s.kernel.ackAll();
    press(s.root, "z");
    const undo = lastDecision(s);
    expect(undo.action).toBe("undo");
    expect(undo.data).toMatchObject({ undoes: approved.id });
    expect(shown(s)).toBe("call-0");
    s.model.deliver({ type: "ack", ids: [], errors: { [undo.id]: "the agent has resumed: a tool call cannot be undone" } });
    expect(message(s).getAttribute("data-level")).toBe("error");
    expect(message(s).textContent).toContain("the agent has resumed: a tool call cannot be undone");
    expect(q(s.root, "decision").textContent).toBe("accepted");
    expect(q(s.root, "pending").textContent).toBe("0");
    // the decision is still this session's latest: Z asks again for the same one
    press(s.root, "z");
    expect(lastDecision(s).data).toMatchObject({ undoes: approved.id });
  });
});

/* ------------------------------------------------------------------ arrivals */
describe("calls that arrive while the widget is open", () => {
  it("a call held while the person waits on the summary is shown without a key", () => {
    const s = setup({ n: 1 });
    press(s.root, "a");
    expect(s.root.getAttribute("data-state")).toBe("summary");
    expect(visible(q(s.root, "waiting"))).toBe(true);
    frame();
    // the agent makes another call: the kernel appends it and raises queue_length
    s.kernel.queue.push(call(1, { tool: "send_email" }));
    s.model.set("total", 2);
    s.model.set("queue_length", 2);
    expect(s.kernel.serve()).toBe(1);
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(shown(s)).toBe("call-1");
    expect(q(s.root, "tool-name").textContent).toBe("send_email");
    expect(q(s.root, "position").textContent).toBe("2 / 2");
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("1");
    press(s.root, "a");
    expect(lastDecision(s).item_id).toBe("call-1");
  });

  it("an empty queue says so, and shows the first call when it comes", () => {
    const s = setup({ items: [] });
    expect(s.root.getAttribute("data-state")).toBe("summary");
    expect(q(s.root, "summary").textContent).toContain("Nothing to review");
    s.kernel.queue.push(call(0));
    s.model.set("queue_length", 1);
    s.kernel.serve();
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(shown(s)).toBe("call-0");
    // and calls arriving while one is shown extend the queue
    s.kernel.queue.push(call(1), call(2));
    s.model.set("queue_length", 3);
    s.kernel.serve();
    expect(shown(s)).toBe("call-0");
    expect(q(s.root, "position").textContent).toBe("1 / 3");
    press(s.root, "a");
    expect(shown(s)).toBe("call-1");
  });
});

/* ------------------------------------------------------------------ hostile text */
describe("hostile text is shown as text", () => {
  const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>`;
  it("in the tool name, argument names and values, reasons and the conversation", () => {
    const items = [
      call(0, {
        tool: EVIL,
        args: { [EVIL]: EVIL, nested: { html: EVIL, list: [EVIL] } },
        params: [],
        reasons: [EVIL],
        context: [{ role: EVIL, content: `${EVIL} [x](javascript:alert(1)) ![i](http://127.0.0.1:9/leak)` }],
        item_id: `id-${EVIL}`,
      }),
    ];
    const s = setup({ items });
    // nothing active anywhere; outside the conversation (markdown, sanitized: harmless
    // text tags such as <b> may stay there) no element at all comes from the data
    const bad = () => [
      ...s.root.querySelectorAll("img, script, iframe, svg, [onerror], [src]"),
      ...[...s.root.querySelectorAll("b")].filter((b) => !q(s.root, "context").contains(b)),
    ];
    expect(bad().length).toBe(0);
    expect(q(s.root, "tool-name").textContent).toBe(EVIL);
    const r = q(s.root, "args-table").querySelectorAll('[data-testid="arg-row"]');
    expect(r.length).toBe(2);
    expect(r[0].getAttribute("data-arg")).toBe(EVIL);
    expect(r[0].querySelector("th")!.textContent).toBe(EVIL);
    expect(r[0].querySelector('[data-testid="arg-value"]')!.textContent).toBe(EVIL);
    expect(JSON.parse(r[1].querySelector('[data-testid="arg-value"]')!.textContent!)).toEqual({ html: EVIL, list: [EVIL] });
    expect(q(s.root, "reasons").textContent).toBe(EVIL);
    for (const a of q(s.root, "context").querySelectorAll("a[href]")) expect(a.getAttribute("href")).toMatch(/^https?:/);
    expect(q(s.root, "context").querySelector('[data-testid="turn"]')!.getAttribute("data-role")).toBe(EVIL.slice(0, 40));
    // the form too
    press(s.root, "e");
    expect(bad().length).toBe(0);
    expect(q(s.root, "edit-form").textContent).toContain(EVIL);
    expect(field(s, "nested").localName).toBe("textarea");
    keydown(field(s, "nested"), "Escape");
    // and the badge of a reason
    press(s.root, "r");
    q<HTMLInputElement>(s.root, "reason-input").value = EVIL;
    keydown(q(s.root, "reason-input"), "Enter");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe(`rejected: ${EVIL}`);
    expect(bad().length).toBe(0);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("text the eye would miss in an argument is pointed out (direction overrides, zero-width, edge spaces)", () => {
    const s = setup({ items: [call(0, { params: [], args: { file: "report\u202Efdp.exe", to: "ops@example.com\u200B", memo: " pay ", plain: "ok" } })] });
    const warn = (n: string) => row(s, n).querySelector('[data-testid="arg-warning"]')?.textContent ?? null;
    expect(warn("file")).toContain("invisible or text-direction");
    expect(warn("to")).toContain("invisible");
    expect(warn("memo")).toContain("spaces");
    expect(warn("plain")).toBeNull();
    // each such character is shown as a marker: the text around it reads as it is
    const value = row(s, "file").querySelector('[data-testid="arg-value"]')!;
    expect(value.textContent).toBe("reportU+202Efdp.exe");
    expect([...value.querySelectorAll(".hitl-invisible")].map((e) => e.textContent)).toEqual(["U+202E"]);
    expect(row(s, "to").querySelector('[data-testid="arg-value"]')!.textContent).toBe("ops@example.comU+200B");
    // the edit form says so under the field (an input cannot mark them)
    press(s.root, "e");
    expect(field(s, "file").value).toBe("report\u202Efdp.exe");
    expect(s.root.querySelector('[data-testid="edit-row"][data-arg="file"] [data-testid="edit-warning"]')!.textContent).toContain("invisible");
    expect(s.root.querySelector('[data-testid="edit-row"][data-arg="plain"] [data-testid="edit-warning"]')).toBeNull();
  });
});

/* ------------------------------------------------------------------ audit */
describe("audit: a call that already ran", () => {
  it("has its badge; approve / reject read right / wrong; there is nothing to answer in its place", () => {
    const s = setup({ items: [call(0, { audit: true }), call(1, { audit: true }), call(2)] });
    const badge = q(s.root, "audit-badge");
    expect(visible(badge)).toBe(true);
    expect(badge.textContent).toBe("audit: already ran — was it right?");
    const label = (a: string) => s.root.querySelector(`[data-testid="action-button"][data-action="${a}"]`) as HTMLElement;
    expect(label("accept").textContent).toContain("Right");
    expect(label("reject").textContent).toContain("Wrong");
    expect(visible(label("answer"))).toBe(false);
    expect(q(s.root, "item-text").getAttribute("data-audit")).toBe("true");
    press(s.root, "q");
    expect(visible(q(s.root, "answer-box"))).toBe(false);
    expect(s.model.decisions().length).toBe(0);
    expect(message(s).textContent).toContain("already ran");
    press(s.root, "a");
    expect(lastDecision(s)).toMatchObject({ action: "accept", data: { args_hash: "hash-0-abcdef0123456789" } });
    press(s.root, "r");
    q<HTMLInputElement>(s.root, "reason-input").value = "should have been denied";
    keydown(q(s.root, "reason-input"), "Enter");
    expect(lastDecision(s)).toMatchObject({ action: "reject", note: "should have been denied" });
    // not an audit: the usual words
    expect(visible(q(s.root, "audit-badge"))).toBe(false);
    expect(label("accept").textContent).toContain("Approve");
    expect(label("reject").textContent).toContain("Reject");
    expect(visible(label("answer"))).toBe(true);
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("wrong: should have been denied");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("right");
  });
});

describe("what the store knows of a call", () => {
  useWidgetTests();

  it("an audit shows what the call returned; a two-person call who approved so far", () => {
    const s = setup({
      items: [
        call(0, { audit: true, result: { ok: true, result: "paid CLM-1: 50.0", error: null } }),
        call(1, { two_person: true, approvals: ["ana"] }),
        call(2, { audit: true, result: { ok: false, result: null, error: "ValueError: <b>no</b>" } }),
      ],
    });
    expect(q(s.root, "call-result").textContent).toBe("returned: paid CLM-1: 50.0");
    press(s.root, "ArrowRight");
    expect(visible(q(s.root, "call-result"))).toBe(false);
    expect(q(s.root, "two-person-badge").textContent).toBe("two people must approve (approved by ana)");
    press(s.root, "ArrowRight");
    expect(q(s.root, "call-result").textContent).toBe("failed: ValueError: <b>no</b>");
    expect(q(s.root, "call-result").querySelector("b")).toBeNull();
  });
});

describe("sending", () => {
  it("a decision goes at once, not after the next frame: the agent waits on it", () => {
    const items = [call(0), call(1)];
    const model = new FakeModel({ kind: "tool_call", labels: [], queue_length: 2, total: 2, config: { prefetch: 8, task: "agent", vocabulary: VOCAB } });
    const kernel = new FakeKernel(model, items);
    const host = document.createElement("div");
    document.body.appendChild(host);
    const cleanup = mount(model.asModel(), host, { sendAfterFrame: true }); // as in a browser
    kernel.serve(); // the first page was asked for at once: nothing could be painted without it
    const root = q(host, "hitl-root");
    expect(root.getAttribute("data-state")).toBe("item");
    press(root, "Enter");
    expect(model.sentOf("decide")).toHaveLength(1); // before any frame or timer
    expect(model.sentOf("decide")[0].decisions[0]).toMatchObject({ action: "accept", item_id: "call-0" });
    cleanup();
    host.remove();
  });
});
