// An app's interactive card in a chat (issue 18), with a fake client: every kind of block and
// element is drawn, labelled; a press sends the button and the inputs that are set, the card's
// controls are disabled and the button busy until the answer, whose toast is shown; a button with
// a confirmation asks first; the app's failure is said in the card; who acted is said in both
// languages; an edit draws the card anew; nothing a card says becomes HTML but its sanitised
// Markdown; the conversation list's preview is the card's title.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type InteractiveCard, type MessageView } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { translator } from "../src/i18n/index.ts";
import { ChatView } from "../src/components/ChatView.tsx";
import { SavedPage } from "../src/components/Saved.tsx";
import { inputsOf } from "../src/components/InteractiveCard.tsx";
import { formatClock } from "../src/lib/format.ts";
import { previewText } from "../src/lib/preview.ts";
import { dismissToast, useToasts } from "../src/state/toast.ts";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); });

/** The toasts shown, as the shell shows them. */
function Toasts() {
  return <ul data-testid="toasts">{useToasts().map((x) => <li key={x.id} data-kind={x.kind}>{x.text}</li>)}</ul>;
}

const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const $ = (sel: string) => root.querySelector<HTMLElement>(sel);
const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
const card = () => $('[data-testid="app-card"]')!;
const button = (label: string) => [...card().querySelectorAll<HTMLButtonElement>("button")].find((b) => text(b).startsWith(label))!;
const field = (label: string) => {
  const l = [...card().querySelectorAll("label")].find((x) => text(x) === label);
  return (l ? document.getElementById(l.htmlFor) : card().querySelector(`[aria-label="${label}"]`)) as HTMLInputElement & HTMLSelectElement;
};
const type = (el: HTMLInputElement | HTMLTextAreaElement, value: string) =>
  act(() => { el.value = value; el.dispatchEvent(new Event("input", { bubbles: true })); });
const choose = (el: HTMLSelectElement, value: string) =>
  act(() => { el.value = value; el.dispatchEvent(new Event("change", { bubbles: true })); });
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(async () => { await new Promise((r) => setTimeout(r, 0)); });
}

const LEAVE: InteractiveCard = {
  card: "interactive",
  title: "Leave request",
  blocks: [
    { type: "text", text: "**Ann** asks for [two days](https://hr.example.com/17) off" },
    { type: "fields", fields: [{ label: "From", value: "2026-12-10" }, { label: "Days", value: "2" }] },
    { type: "image", url: "https://hr.example.com/chart.png", alt: "Leave taken this year" },
    { type: "divider" },
    { type: "note", text: "Sent by the HR app" },
    { type: "actions", elements: [
      { type: "input", id: "note", label: "Note", placeholder: "Say why" },
      { type: "input", id: "long", label: "Details", multiline: true, max_chars: 1000 },
      { type: "select", id: "cover", label: "Who covers", placeholder: "Pick someone", options: [{ label: "Bob", value: "bob" }, { label: "Nobody", value: "none" }] },
      { type: "select", id: "mood", options: [{ label: "Fine", value: "fine" }], initial: "fine" },
      { type: "date", id: "back", label: "Back on", initial: "2026-12-12" },
      { type: "date", id: "other" },
      { type: "button", id: "approve", label: "Approve", style: "primary", value: "req-17" },
      { type: "button", id: "reject", label: "Reject", style: "danger", confirm: "Reject Ann's leave?" },
      { type: "button", id: "later", label: "Later" },
    ] },
  ],
};

function cardMessage(seq: number, body: Record<string, unknown>, extra: object = {}): MessageView {
  return { key: String(seq), mine: false, entry: { conversation: 1, seq, id: seq, sender: "hr@x", kind: "card", body, at_ms: Date.now() - 1000, ...extra } };
}

function chat(body: Record<string, unknown> = LEAVE as unknown as Record<string, unknown>, locale: "en" | "zh" = "en"): FakeClient {
  const client = new FakeClient();
  client.profiles.set("hr@x", { account: "hr@x", display_name: "HR", bot: true });
  client.convs = [conversation(1, { kind: "group", name: "Team", member_count: 3 })];
  client.messages.set(1, [cardMessage(5, body)]);
  act(() => {
    render(
      <LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><ChatView id={1} /><Toasts /></ClientContext.Provider></LocaleContext.Provider>,
      root,
    );
  });
  return client;
}

describe("an app's interactive card", () => {
  it("draws every kind of block and element, each control labelled", async () => {
    const client = chat();
    const c = card();
    expect(c.getAttribute("role")).toBe("group");
    expect(text(document.getElementById(c.getAttribute("aria-labelledby")!))).toBe("Leave request");
    // Markdown, sanitised, its link opening elsewhere.
    expect(text(c.querySelector(".markdown-body strong"))).toBe("Ann");
    const link = c.querySelector<HTMLAnchorElement>(".markdown-body a")!;
    expect([link.href, link.target, link.rel]).toEqual(["https://hr.example.com/17", "_blank", "noopener noreferrer nofollow"]);
    // Fields as labels and values.
    expect([...c.querySelectorAll(".app-card-field")].map((f) => [text(f.querySelector("dt")), text(f.querySelector("dd"))]))
      .toEqual([["From", "2026-12-10"], ["Days", "2"]]);
    // The image as the server fetched it (never from its site): its text alternative until then.
    expect(c.querySelector('.app-card-image-failed[role="img"]')?.getAttribute("aria-label")).toBe("Leave taken this year");
    await settle();
    expect(client.cardImages).toEqual([[1, 5, 2]]);
    const img = c.querySelector<HTMLImageElement>("img.app-card-image")!;
    expect([img.getAttribute("src"), img.alt]).toEqual(["blob:card-1-5-2", "Leave taken this year"]);
    expect(c.querySelector('[src^="https:"]')).toBeNull();
    expect(c.querySelector("hr.app-card-divider")).not.toBeNull();
    expect(text(c.querySelector(".app-card-note"))).toBe("Sent by the HR app");
    // Inputs: one line and several, their bounds (500 unless the card says).
    expect([field("Note").tagName, field("Note").maxLength, field("Note").placeholder, field("Note").value]).toEqual(["INPUT", 500, "Say why", ""]);
    expect([field("Details").tagName, field("Details").maxLength]).toEqual(["TEXTAREA", 1000]);
    // Selects: with a placeholder until chosen, or their initial choice; one without a label named for what it is.
    expect([...field("Who covers").options].map((o) => [o.value, o.text])).toEqual([["", "Pick someone"], ["bob", "Bob"], ["none", "Nobody"]]);
    expect(field("Who covers").value).toBe("");
    expect([field("Choice").tagName, field("Choice").value, field("Choice").options.length]).toEqual(["SELECT", "fine", 1]);
    expect([field("Back on").type, field("Back on").value]).toEqual(["date", "2026-12-12"]);
    expect([field("Date").type, field("Date").value]).toEqual(["date", ""]);
    // Buttons in their styles.
    expect(button("Approve").className).toContain("btn-primary");
    expect(button("Reject").className).toContain("btn-danger");
    expect(button("Reject").getAttribute("aria-haspopup")).toBe("dialog");
    expect(button("Later").className).not.toMatch(/btn-(primary|danger)/);
    expect([...card().querySelectorAll("button")].every((b) => b.type === "button" && !b.disabled)).toBe(true);
  });

  it("sends the button and the inputs that are set, busy until the answer, and shows the app's toast", async () => {
    const client = chat();
    type(field("Note"), "Enjoy");
    type(field("Details"), "   ");
    choose(field("Who covers"), "bob");
    await act(async () => { button("Approve").click(); });
    expect(client.cardActions.map(({ conversation, seq, request }) => ({ conversation, seq, request }))).toEqual([{
      conversation: 1, seq: 5,
      request: { action: "approve", inputs: { note: "Enjoy", cover: "bob", mood: "fine", back: "2026-12-12" } },
    }]);
    // In flight: the button says so, every control of the card is disabled, another press does nothing.
    expect(card().getAttribute("aria-busy")).toBe("true");
    expect(text(button("Approve"))).toBe("Approve Sending…");
    expect(["Approve", "Reject", "Later"].map((b) => button(b).getAttribute("aria-disabled"))).toEqual(["true", "true", "true"]);
    expect(["Note", "Details", "Who covers", "Choice", "Back on", "Date"].map((f) => field(f).disabled)).toEqual(Array(6).fill(true));
    await act(async () => { button("Later").click(); button("Approve").click(); });
    expect(client.cardActions).toHaveLength(1);

    await act(async () => { client.cardActions[0]!.resolve({ toast: "Approved: Ann is off on Thursday" }); });
    await settle();
    expect(card().getAttribute("aria-busy")).toBeNull();
    expect(button("Approve").getAttribute("aria-disabled")).toBeNull();
    expect(field("Note").disabled).toBe(false);
    const toasts = $$('[data-testid="toasts"] li');
    expect(toasts.map((t) => [t.dataset.kind, text(t)])).toContainEqual(["info", "Approved: Ann is off on Thursday"]);
    act(() => { for (const id of [...Array(100).keys()]) dismissToast(id); });
  });

  it("asks first when a button says so", async () => {
    const client = chat();
    await act(async () => { button("Reject").click(); });
    let dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Please confirm");
    expect(text(dialog.querySelector(".dialog-body"))).toBe("Reject Ann's leave?");
    [...dialog.querySelectorAll("button")].find((b) => text(b) === "Cancel")!.click();
    await settle();
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    expect(client.cardActions).toEqual([]);
    await act(async () => { button("Reject").click(); });
    dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    const confirm = [...dialog.querySelectorAll("button")].find((b) => text(b) === "Reject")!;
    expect(confirm.className).toContain("btn-danger");
    await act(async () => { confirm.click(); });
    await settle();
    expect(client.cardActions.map((a) => a.request)).toEqual([{ action: "reject", inputs: { mood: "fine", back: "2026-12-12" } }]);
    expect(button("Reject").getAttribute("aria-disabled")).toBe("true");
    await act(async () => { client.cardActions[0]!.resolve({}); });
    await settle();
    expect(button("Reject").getAttribute("aria-disabled")).toBeNull();
  });

  it("says in the card why the app could not take it, in both languages, and stays as it was", async () => {
    for (const [locale, lead] of [["en", "The app could not take this: "], ["zh", "应用未能处理此操作："]] as const) {
      const client = chat(undefined, locale);
      type(field("Note"), "Enjoy");
      await act(async () => { button("Approve").click(); });
      await act(async () => {
        client.cardActions[0]!.reject(new MagpieError("app_failed", "the app failed: answered 500 Internal Server Error: database is down", { status: 502 }));
      });
      await settle();
      const error = card().querySelector('[data-testid="app-card-error"]')!;
      expect(error.getAttribute("role")).toBe("alert");
      expect(text(error)).toBe(`${lead}answered 500 Internal Server Error: database is down`);
      // Nothing lost: the note is still there, the buttons work again.
      expect(field("Note").value).toBe("Enjoy");
      expect(button("Approve").getAttribute("aria-disabled")).toBeNull();
      // Other refusals in the app's words.
      await act(async () => { button("Approve").click(); });
      expect(card().querySelector('[data-testid="app-card-error"]')).toBeNull();
      await act(async () => { client.cardActions[1]!.reject(new MagpieError("invalid_field", "no such button", { status: 422, field: "action" })); });
      await settle();
      expect(text(card().querySelector('[data-testid="app-card-error"]'))).toBe(locale === "en" ? "Not valid: action." : translator("zh")("error.invalidFieldNamed", { field: "action" }));
      render(null, root);
    }
  });

  it("says who acted, and when, in both languages", () => {
    const at = new Date();
    at.setHours(10, 42, 0, 0);
    const acted = { ...LEAVE, blocks: LEAVE.blocks.slice(0, 2), acted: { by: "ann@x", name: "Alice", action: "approve", label: "Approve", at_ms: at.getTime() } };
    chat(acted);
    expect(text($('[data-testid="app-card-acted"]'))).toBe(`Alice chose Approve · ${formatClock(at.getTime(), "en")}`);
    expect(card().querySelector("button, input, select")).toBeNull();
    render(null, root);
    chat({ ...acted, acted: { ...acted.acted, name: "李娜", label: "同意" } }, "zh");
    expect(text($('[data-testid="app-card-acted"]'))).toBe("李娜 选择了「同意」 · 10:42");
  });

  it("is drawn anew when an edit replaces it, its inputs as the new card has them", async () => {
    const client = chat();
    type(field("Note"), "Enjoy");
    await act(async () => { button("Approve").click(); });
    // The app's edit comes before the server's answer.
    const decided = {
      card: "interactive", title: "Leave request",
      blocks: [{ type: "fields", fields: [{ label: "Decision", value: "Approved by Alice" }] }, { type: "actions", elements: [{ type: "input", id: "note", label: "Note" }] }],
      acted: { by: "me@x", name: "Me", action: "approve", label: "Approve", at_ms: Date.now() },
    };
    client.messages.set(1, [cardMessage(5, decided, { edited_at_ms: Date.now() })]);
    act(() => { client.emit("change"); });
    expect([text(card().querySelector(".app-card-field dt")), text(card().querySelector(".app-card-field dd"))]).toEqual(["Decision", "Approved by Alice"]);
    expect(field("Note").value).toBe("");
    expect(field("Note").disabled).toBe(false);
    expect(card().querySelector('[data-testid="app-card-acted"]')).not.toBeNull();
    // The pressed button went with the old card: the new one has the focus.
    expect(document.activeElement).toBe(card());
    await act(async () => { client.cardActions[0]!.resolve({ updated_seq: 6 }); });
    await settle();
    expect(card().querySelector('[data-testid="app-card-error"]')).toBeNull();
    expect(card().getAttribute("aria-busy")).toBeNull();
  });

  it("stays busy when the server answers before the app's update arrives, until it does", async () => {
    const client = chat();
    await act(async () => { button("Approve").click(); });
    await act(async () => { client.cardActions[0]!.resolve({ updated_seq: 6, toast: "Done" }); });
    await settle();
    expect(card().getAttribute("aria-busy")).toBe("true");
    expect(button("Later").getAttribute("aria-disabled")).toBe("true");
    await act(async () => { button("Later").click(); });
    expect(client.cardActions).toHaveLength(1);
    const decided = { card: "interactive", title: "Leave request", blocks: [{ type: "note", text: "Approved" }], acted: { by: "me@x", name: "Me", action: "approve", label: "Approve", at_ms: Date.now() } };
    client.messages.set(1, [cardMessage(5, decided, { edited_at_ms: Date.now() })]);
    act(() => { client.emit("change"); });
    await settle();
    expect(card().getAttribute("aria-busy")).toBeNull();
    expect(text(card().querySelector(".app-card-note"))).toBe("Approved");
    expect(document.activeElement).toBe(card());
  });

  it("makes no HTML of what a card says, but its sanitised Markdown", () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
    chat({
      card: "interactive", title: evil,
      blocks: [
        { type: "text", text: `${evil} <b onclick="x()">bold</b> [click](javascript:alert(1)) <a href="javascript:alert(2)">a</a> ![i](https://t.example/p.png)` },
        { type: "fields", fields: [{ label: evil, value: evil }] },
        { type: "note", text: evil },
        { type: "image", url: "javascript:alert(1)", alt: evil },
        { type: "image", url: "http://t.example/track.png", alt: "tracked" },
        { type: "actions", elements: [
          { type: "input", id: "n", label: evil, placeholder: evil },
          { type: "select", id: "s", label: evil, options: [{ label: evil, value: "v" }] },
          { type: "button", id: "b", label: evil, confirm: evil },
        ] },
      ],
      acted: { by: "x@x", name: evil, action: "b", label: evil, at_ms: Date.now() },
    });
    const c = card();
    expect(c.querySelectorAll("script, img, [onerror], [onclick], iframe, object")).toHaveLength(0);
    expect([...c.querySelectorAll("a")].every((a) => !a.getAttribute("href") || /^https?:/.test(a.getAttribute("href")!))).toBe(true);
    expect(text(c.querySelector(".app-card-title"))).toBe(evil);
    expect(text(c.querySelector(".app-card-field dt"))).toBe(evil);
    expect(text(c.querySelector(".app-card-note"))).toBe(evil);
    expect(text(button("<img"))).toBe(evil);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("is read only as a saved copy", async () => {
    const client = new FakeClient();
    client.profiles.set("hr@x", { account: "hr@x", display_name: "HR", bot: true });
    client.convs = [conversation(1, { kind: "group", name: "Team" })];
    client.savedPage = {
      items: [{ id: 1, conversation: 1, conversation_kind: "group", conversation_name: "Team", seq: 5, sender: "hr@x", kind: "card",
        body: LEAVE as unknown as Record<string, unknown>, at_ms: Date.now(), saved_at_ms: Date.now() }],
      more: false,
    };
    act(() => {
      render(<LocaleContext.Provider value="en"><ClientContext.Provider value={client}><SavedPage /></ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await settle();
    expect(text(card().querySelector(".app-card-title"))).toBe("Leave request");
    expect(card().querySelector("button, input, select, textarea")).toBeNull();
    expect(text(card())).toContain("Open the chat to answer this card.");
  });

  it("is previewed by its title, else as a card", () => {
    for (const locale of ["en", "zh"] as const) {
      const ctx = { t: translator(locale), locale, nameOf: (a: string) => a };
      expect(previewText({ kind: "card", body: LEAVE as unknown as Record<string, unknown> }, ctx)).toBe("Leave request");
      expect(previewText({ kind: "card", body: { card: "interactive", blocks: [{ type: "divider" }] } }, ctx)).toBe(locale === "en" ? "[Card]" : "[卡片]");
    }
  });

  it("sends only the inputs that are set", () => {
    expect(inputsOf({ a: "x", b: "", c: "  ", d: " y " })).toEqual({ a: "x", d: " y " });
  });
});
