/** @vitest-environment jsdom */
/**
 * The profile form (lib/profileform.ts): shown once, before the first item, when the
 * kernel sends `config.profile_form`; review keys do nothing while it is open; Save sends
 * the answers ("prefer not to say" by default) with the consent box; Skip closes it; text
 * from the config shows literally.
 */
import { describe, expect, it, vi } from "vitest";
import { mountClassification, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

const PNS = "prefer not to say";
const FORM = {
  fields: [
    { name: "gender", choices: ["woman", "man", "non-binary"] },
    { name: "age", choices: ["18-29", "30-44"] },
    { name: "locale", choices: null },
  ],
  prefer_not: PNS,
  max_text: 100,
};

function setup(form: unknown = FORM): Mounted {
  return mountClassification({ n: 5, traits: { config: { show_model: true, prefetch: 8, task: "t", profile_form: form } } });
}

const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");
const profileMsgs = (s: Mounted) => s.model.sentOf("profile");

describe("profile form", () => {
  it("is not there without config.profile_form; review keys act", () => {
    const s = mountClassification({ n: 5 });
    expect(s.root.querySelector('[data-testid="profile-form"]')).toBeNull();
    press(s.root, "Enter");
    expect(s.model.decisions()).toHaveLength(1);
  });

  it("shows when config.profile_form is set, every field at 'prefer not to say', consent unchecked", () => {
    const s = setup();
    const form = q(s.root, "profile-form");
    expect(visible(form)).toBe(true);
    expect(s.root.classList.contains("is-profile-form")).toBe(true);
    const selects = [...form.querySelectorAll<HTMLSelectElement>('[data-testid="profile-select"]')];
    expect(selects.map((x) => x.getAttribute("data-field"))).toEqual(["gender", "age"]);
    for (const sel of selects) expect(sel.value).toBe(PNS);
    expect([...selects[0].options].map((o) => o.value)).toEqual([PNS, "woman", "man", "non-binary"]);
    const text = q<HTMLInputElement>(form, "profile-input");
    expect(text.value).toBe("");
    expect(text.getAttribute("data-field")).toBe("locale");
    expect(q<HTMLInputElement>(form, "profile-consent").checked).toBe(false);
    expect(form.textContent).toContain("never exported unless someone asks");
  });

  it("review keys do nothing while it is open", () => {
    const s = setup();
    const pos = q(s.root, "position").textContent;
    for (const k of ["Enter", "a", "1", "s", "ArrowRight", "z", "f"]) press(s.root, k);
    expect(s.model.decisions()).toHaveLength(0);
    expect(q(s.root, "position").textContent).toBe(pos);
    expect(visible(q(s.root, "profile-form"))).toBe(true);
    expect(profileMsgs(s)).toHaveLength(0);
  });

  it("Save sends the answers with 'prefer not to say' defaults and the consent; the reply closes it, keys act again", () => {
    const s = setup();
    const form = q(s.root, "profile-form");
    const gender = form.querySelector<HTMLSelectElement>('[data-field="gender"] select')!;
    gender.value = "non-binary";
    q<HTMLButtonElement>(form, "profile-save").click();
    // not without consent: nothing sent, the form says why
    expect(profileMsgs(s)).toHaveLength(0);
    expect(visible(q(form, "profile-error"))).toBe(true);
    q<HTMLInputElement>(form, "profile-consent").click();
    q<HTMLButtonElement>(form, "profile-save").click();
    const [m] = profileMsgs(s);
    expect(m).toEqual({ type: "profile", req: m.req, values: { gender: "non-binary", age: PNS, locale: PNS }, consent: true });
    expect(typeof m.req).toBe("string");
    expect(visible(form)).toBe(true); // until the kernel says it is saved
    s.model.deliver({ type: "profile", req: "another", saved: true });
    expect(visible(form)).toBe(true);
    s.model.deliver({ type: "profile", req: m.req, saved: true });
    expect(visible(form)).toBe(false);
    expect(s.root.classList.contains("is-profile-form")).toBe(false);
    press(s.root, "Enter");
    expect(s.model.decisions()).toHaveLength(1);
  });

  it("the first item's clock starts when the form closes, not while it is filled in", () => {
    const s = setup();
    press(s.root, "a"); // the person is there (an interaction), answering the form
    vi.advanceTimersByTime(20000);
    q<HTMLInputElement>(s.root, "profile-consent").click();
    q<HTMLButtonElement>(s.root, "profile-save").click();
    s.model.deliver({ type: "profile", req: profileMsgs(s)[0].req, saved: true });
    vi.advanceTimersByTime(1500);
    press(s.root, "Enter");
    const [d] = s.model.decisions();
    expect(d.item_id).toBe("item-0");
    expect(d.duration_ms).toBeGreaterThanOrEqual(1500);
    expect(d.duration_ms).toBeLessThan(5000);
  });

  it("a refusal is shown and the form stays; a free-text answer is sent trimmed", () => {
    const s = setup();
    const form = q(s.root, "profile-form");
    q<HTMLInputElement>(form, "profile-input").value = "  fr-CA ";
    q<HTMLInputElement>(form, "profile-consent").click();
    q<HTMLButtonElement>(form, "profile-save").click();
    const [m] = profileMsgs(s);
    expect(m.values.locale).toBe("fr-CA");
    s.model.deliver({ type: "profile", req: m.req, saved: false, error: "gender: 'x' is not one of the choices offered" });
    expect(visible(form)).toBe(true);
    expect(q(form, "profile-error").textContent).toContain("not one of the choices");
    expect(q<HTMLButtonElement>(form, "profile-save").disabled).toBe(false);
  });

  it("Skip closes it at once and stores nothing (a skip message); it does not come back", () => {
    const s = setup();
    q<HTMLButtonElement>(s.root, "profile-skip").click();
    const form = q(s.root, "profile-form");
    expect(visible(form)).toBe(false);
    expect(profileMsgs(s)).toEqual([{ type: "profile", req: profileMsgs(s)[0].req, values: {}, consent: false, skip: true }]);
    press(s.root, "Enter");
    expect(s.model.decisions()).toHaveLength(1);
    expect(visible(form)).toBe(false);
  });

  it("Esc skips, and that key decides nothing", () => {
    const s = setup();
    press(s.root, "Escape");
    expect(visible(q(s.root, "profile-form"))).toBe(false);
    expect(profileMsgs(s)[0].skip).toBe(true);
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("no answer from the kernel: says so and Save can be tried again", () => {
    const s = setup();
    q<HTMLInputElement>(s.root, "profile-consent").click();
    q<HTMLButtonElement>(s.root, "profile-save").click();
    vi.advanceTimersByTime(16000);
    expect(q(s.root, "profile-error").textContent).toContain("did not answer");
    q<HTMLButtonElement>(s.root, "profile-save").click();
    expect(profileMsgs(s)).toHaveLength(2);
  });

  it("hostile field names and choices show literally (no markup parsed)", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const s = setup({ fields: [{ name: evil, choices: [`<b>${evil}</b>`, "ok"] }], prefer_not: PNS, max_text: 100 });
    const form = q(s.root, "profile-form");
    expect(form.querySelector("img, b")).toBeNull();
    expect(form.querySelector(".hitl-profile-name")!.textContent).toBe(evil);
    const sel = q<HTMLSelectElement>(form, "profile-select");
    expect(sel.options[1].textContent).toBe(`<b>${evil}</b>`);
    sel.value = `<b>${evil}</b>`;
    q<HTMLInputElement>(form, "profile-consent").click();
    q<HTMLButtonElement>(form, "profile-save").click();
    expect(profileMsgs(s)[0].values).toEqual({ [evil]: `<b>${evil}</b>` });
  });
});
