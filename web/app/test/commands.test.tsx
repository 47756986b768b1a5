// Slash commands (issue 18) with a fake client. In the composer: `/` lists the chat's commands
// (fetched once, then kept), filtered by what follows it, each with its hint, description and bot,
// as a listbox the arrow keys move in and Enter or Tab choose from (Escape closes it); the chosen
// one fills `/name ` and its hint shows above the text. Sending `/name args` invokes it instead of
// sending a message, busy until the app answers; an answer for this person only shows among the
// messages as the bot's, "only visible to you" (in both languages), drawn by its kind, until it
// is dismissed; an in_channel answer needs nothing; a refusal or the app's failure is said above
// the text, which stays. Text that begins with `/` but names no offered command is a message.
// In a bot's admin page: its commands listed, added, moved, removed and saved, each problem said
// at its row's field before and after the server is asked; and the subscriptions' kinds include
// slash commands. The pure parts of lib/commands.ts too.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import {
  MagpieError, type Bot, type BotCommand, type InteractiveCard, type Member, type MessageView, type NewBotCommand, type OfferedCommand,
} from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ChatView } from "../src/components/ChatView.tsx";
import { AdminPage } from "../src/components/Admin.tsx";
import {
  commandProblems, commandQuery, commandsChanged, commandsOf, commandsRefusal, invocationRefusal, matchingCommands, mayBeCommand, moveRow, parseInvocation,
  withAnswers, type EphemeralAnswer,
} from "../src/lib/commands.ts";
import { dismissToast, useToasts } from "../src/state/toast.ts";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  act(() => { for (const id of [...Array(200).keys()]) dismissToast(id); });
});

function Toasts() {
  return <ul data-testid="toasts">{useToasts().map((x) => <li key={x.id} data-kind={x.kind}>{x.text}</li>)}</ul>;
}

const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const $ = (sel: string) => root.querySelector<HTMLElement>(sel);
const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await act(async () => { await new Promise((r) => setTimeout(r, 0)); });
}

const OFFERED: OfferedCommand[] = [
  { name: "balance", description: "Days of leave left", hint: "", bot: "leave@x", bot_name: "Leave bot" },
  { name: "leave", description: "Ask for leave", hint: "[days] [reason]", bot: "leave@x", bot_name: "Leave bot" },
  { name: "payslip", description: "This month's payslip", hint: "[month]", bot: "hr@x", bot_name: "HR" },
];

function message(seq: number, sender: string, body: Record<string, unknown>): MessageView {
  return { key: String(seq), mine: sender === "me@x", entry: { conversation: 1, seq, id: seq, sender, kind: "text", body, at_ms: Date.now() - 60_000 + seq } };
}

/** A group with the bots, its commands, and Bob's message; the chat open. */
function chat(locale: "en" | "zh" = "en", offered: OfferedCommand[] = OFFERED): FakeClient {
  const client = new FakeClient();
  client.profiles.set("leave@x", { account: "leave@x", display_name: "Leave bot", bot: true });
  client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
  client.convs = [conversation(1, { kind: "group", name: "Team", member_count: 4 })];
  client.messages.set(1, [message(3, "bob@x", { text: "Anyone off on Friday?" })]);
  client.commandLists.set(1, offered);
  act(() => {
    render(
      <LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><ChatView id={1} /><Toasts /></ClientContext.Provider></LocaleContext.Provider>,
      root,
    );
  });
  return client;
}

const box = () => root.querySelector<HTMLTextAreaElement>("textarea.composer-input")!;
async function type(value: string): Promise<void> {
  const el = box();
  act(() => {
    el.value = value;
    el.setSelectionRange(value.length, value.length);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await settle();
}
async function key(k: string, extra: KeyboardEventInit = {}): Promise<KeyboardEvent> {
  const event = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...extra });
  act(() => { box().dispatchEvent(event); });
  await settle();
  return event;
}
const listbox = () => $('[role="listbox"][data-testid="command-list"]');
const options = () => [...(listbox()?.querySelectorAll<HTMLElement>('[role="option"]') ?? [])];
const selected = () => options().find((o) => o.getAttribute("aria-selected") === "true");

describe("the composer's slash commands", () => {
  it("lists the chat's commands as the text begins with /, filtered by what follows, each with its hint, description and bot", async () => {
    const client = chat();
    expect(client.commandQueries).toEqual([]);
    await type("/");
    expect(client.commandQueries).toEqual([1]);
    const list = listbox()!;
    expect(list.getAttribute("aria-label")).toBe("Commands");
    expect(options().map(text)).toEqual([
      "/balance Days of leave left from Leave bot",
      "/leave [days] [reason] Ask for leave from Leave bot",
      "/payslip [month] This month's payslip from HR",
    ]);
    // The text box is the combobox's input: it names the list and its active option.
    expect(box().getAttribute("aria-autocomplete")).toBe("list");
    expect(box().getAttribute("aria-controls")).toBe(list.id);
    expect(box().getAttribute("aria-activedescendant")).toBe(options()[0]!.id);
    expect(selected()).toBe(options()[0]);

    await type("/l");
    expect(options().map((o) => o.dataset.command)).toEqual(["leave"]);
    await type("/LE");
    expect(options().map((o) => o.dataset.command)).toEqual(["leave"]);
    await type("/x");
    expect(listbox()).toBeNull();
    // A space ends the name: no list.
    await type("/leave ");
    expect(listbox()).toBeNull();
    // Not in other text, nor for a slash further on.
    await type("see a/b");
    expect(listbox()).toBeNull();
    // Fetched once for the session.
    await type("/");
    expect(options()).toHaveLength(3);
    expect(client.commandQueries).toEqual([1]);
  });

  it("is chosen from with the arrow keys and Enter or Tab; the hint shows above the text; Escape closes the list", async () => {
    chat();
    await type("/");
    await key("ArrowDown");
    expect(selected()?.dataset.command).toBe("leave");
    expect(box().getAttribute("aria-activedescendant")).toBe(selected()!.id);
    await key("ArrowDown");
    await key("ArrowDown");
    expect(selected()?.dataset.command).toBe("balance");
    await key("ArrowUp");
    expect(selected()?.dataset.command).toBe("payslip");
    await key("ArrowUp");
    const enter = await key("Enter");
    expect(enter.defaultPrevented).toBe(true);
    expect(box().value).toBe("/leave ");
    expect(listbox()).toBeNull();
    const hint = $('[data-testid="command-hint"]')!;
    expect(text(hint)).toBe("/leave [days] [reason] Ask for leave · Leave bot");
    expect(box().getAttribute("aria-describedby")).toBe(hint.id);

    await type("/pa");
    await key("Tab");
    expect(box().value).toBe("/payslip ");
    expect(text($('[data-testid="command-hint"]'))).toBe("/payslip [month] This month's payslip · HR");

    await type("/b");
    expect(options()).toHaveLength(1);
    const escape = await key("Escape");
    expect(escape.defaultPrevented).toBe(true);
    expect(listbox()).toBeNull();
    expect(box().value).toBe("/b");
    // Typing again opens it again.
    await type("/ba");
    expect(options()).toHaveLength(1);
  });

  it("invokes the command instead of sending it, busy until the app answers; an answer for me only shows as the bot's until dismissed", async () => {
    const client = chat();
    await type("/leave 3 days  ");
    await key("Enter");
    expect(client.sent).toEqual([]);
    expect(client.invocations.map(({ conversation, command, text }) => ({ conversation, command, text }))).toEqual([{ conversation: 1, command: "leave", text: "3 days" }]);
    // Busy: the text stays, read-only; the send button is disabled; it says so.
    expect(box().value).toBe("/leave 3 days  ");
    expect(box().readOnly).toBe(true);
    expect(root.querySelector<HTMLButtonElement>(".send-btn")!.disabled).toBe(true);
    expect(text($('[data-testid="command-hint"]'))).toContain("Running /leave…");
    expect(text($('.composer [aria-live="polite"]'))).toBe("Running /leave…");
    await key("Enter");
    expect(client.invocations).toHaveLength(1);

    await act(async () => { client.invocations[0]!.resolve({ response_type: "ephemeral", kind: "markdown", body: { text: "You have **12** days left" } }); });
    await settle();
    expect(box().value).toBe("");
    expect(box().readOnly).toBe(false);
    expect($('[data-testid="command-hint"]')).toBeNull();
    const answer = $('[role="log"] [data-testid="command-answer"]')!;
    expect(answer.getAttribute("role")).toBe("article");
    expect(answer.getAttribute("aria-label")).toBe("Leave bot, only visible to you: You have 12 days left");
    expect(text(answer.querySelector('[data-testid="command-answer-only"]'))).toBe("Only visible to you");
    expect(text(answer.querySelector(".msg-sender"))).toContain("Leave bot");
    expect(text(answer.querySelector(".command-answer-invoked"))).toBe("Your command: /leave 3 days");
    expect(text(answer.querySelector(".markdown-body strong"))).toBe("12");
    // After the message that was there.
    const rows = $$('[role="log"] [data-testid="message"], [role="log"] [data-testid="command-answer"]');
    expect(rows.map((r) => r.dataset.testid)).toEqual(["message", "command-answer"]);
    expect(client.sent).toEqual([]);

    // Dismissed: gone, and the composer has the focus.
    const dismiss = answer.querySelector<HTMLButtonElement>('[data-testid="command-answer-dismiss"]')!;
    expect(dismiss.getAttribute("aria-label")).toBe("Dismiss the answer of Leave bot");
    act(() => { dismiss.click(); });
    await settle();
    expect($('[data-testid="command-answer"]')).toBeNull();
    await act(async () => { await new Promise((r) => requestAnimationFrame(() => r(undefined))); });
    expect(document.activeElement).toBe(box());
  });

  it("says only visible to you in Chinese, and shows a card answered for me only without its buttons", async () => {
    const client = chat("zh");
    const card: InteractiveCard = {
      card: "interactive", title: "年假余额",
      blocks: [{ type: "fields", fields: [{ label: "剩余", value: "12 天" }] }, { type: "actions", elements: [{ type: "button", id: "more", label: "详情" }] }],
    };
    await type("/balance");
    expect(options()).toHaveLength(1);
    await key("Escape");
    await key("Enter");
    expect(client.invocations.map((i) => [i.command, i.text])).toEqual([["balance", ""]]);
    await act(async () => { client.invocations[0]!.resolve({ response_type: "ephemeral", kind: "card", body: card as unknown as Record<string, unknown> }); });
    await settle();
    const answer = $('[data-testid="command-answer"]')!;
    expect(text(answer.querySelector('[data-testid="command-answer-only"]'))).toBe("仅你可见");
    expect(answer.getAttribute("aria-label")).toBe("Leave bot（仅你可见）：年假余额");
    expect(text(answer.querySelector(".command-answer-invoked"))).toBe("你的命令：/balance");
    const shown = answer.querySelector('[data-testid="app-card"]')!;
    expect(text(shown.querySelector("dd"))).toBe("12 天");
    expect(shown.querySelectorAll("button")).toHaveLength(0);
    expect(text(shown.querySelector(".app-card-note"))).toBe("这张卡片仅你可见，按钮无法使用。");
    expect(answer.querySelector<HTMLButtonElement>('[data-testid="command-answer-dismiss"]')!.getAttribute("aria-label")).toBe("关闭 Leave bot 的回复");
  });

  it("needs nothing for an answer posted in the chat, and nothing for an empty one", async () => {
    const client = chat();
    await type("/leave 2");
    await key("Enter");
    await act(async () => { client.invocations[0]!.resolve({ response_type: "in_channel", kind: "markdown", body: { text: "Me is off for 2 days" }, seq: 4 }); });
    await settle();
    expect(box().value).toBe("");
    expect($('[data-testid="command-answer"]')).toBeNull();
    await type("/balance");
    await key("Escape");
    await key("Enter");
    await act(async () => { client.invocations[1]!.resolve({ response_type: "ephemeral" }); });
    await settle();
    expect(box().value).toBe("");
    expect($('[data-testid="command-answer"]')).toBeNull();
    expect(client.sent).toEqual([]);
  });

  it("keeps the text and says why when the app fails or the command is gone", async () => {
    const client = chat();
    await type("/leave 3");
    await key("Enter");
    await act(async () => { client.invocations[0]!.reject(new MagpieError("app_failed", "the app answered 500 Internal Server Error: the leave system is down", { status: 502 })); });
    await settle();
    let error = $('[data-testid="composer-error"]')!;
    expect(error.getAttribute("role")).toBe("alert");
    expect(text(error)).toBe("The app could not take this: the app answered 500 Internal Server Error: the leave system is down");
    expect(box().value).toBe("/leave 3");
    expect(box().readOnly).toBe(false);
    expect(box().getAttribute("aria-describedby")).toContain(error.id);
    expect(client.sent).toEqual([]);
    // Typing clears it.
    await type("/leave 3 days");
    expect($('[data-testid="composer-error"]')).toBeNull();

    // The bot left: no bot here has it any more; the list is fetched anew.
    await key("Enter");
    client.commandLists.set(1, OFFERED.filter((c) => c.bot !== "leave@x"));
    await act(async () => { client.invocations[1]!.reject(new MagpieError("invalid_field", "command: no bot here has /leave", { status: 422, field: "command" })); });
    await settle();
    error = $('[data-testid="composer-error"]')!;
    expect(text(error)).toBe("No bot in this chat has /leave any more.");
    expect(box().value).toBe("/leave 3 days");
    expect(client.commandQueries).toEqual([1, 1]);
    // Now it is an ordinary message.
    await key("Enter");
    expect(client.invocations).toHaveLength(2);
    expect(client.sent).toEqual([{ conversation: 1, kind: "text", body: { text: "/leave 3 days" }, options: {} }]);
  });

  it("says so in Chinese when what follows the name is too long, before the server is asked", async () => {
    const client = chat("zh");
    await type(`/leave ${"假".repeat(2001)}`);
    await key("Enter");
    expect(client.invocations).toEqual([]);
    expect(text($('[data-testid="composer-error"]'))).toBe("命令后面的内容太长，最多 2000 个字。");
  });

  it("sends text that names no offered command as a message, as ever, also before the list is here", async () => {
    const client = chat();
    await type("/shrug ¯\\_(ツ)_/¯");
    await key("Enter");
    expect(client.invocations).toEqual([]);
    expect(client.sent.map((s) => s.body)).toEqual([{ text: "/shrug ¯\\_(ツ)_/¯" }]);

    // A command pasted and sent at once: the list is fetched first, then it is invoked.
    const other = chat("en", OFFERED);
    const el = box();
    act(() => { el.value = "/payslip 2026-11"; el.dispatchEvent(new Event("input", { bubbles: true })); });
    expect(other.commandQueries).toEqual([1]);
    act(() => { el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true })); });
    expect(other.invocations).toEqual([]);
    await settle();
    expect(other.sent).toEqual([]);
    expect(other.invocations.map((i) => [i.command, i.text])).toEqual([["payslip", "2026-11"]]);
  });

  it("signals no typing for a command, and does for other text", async () => {
    const client = chat();
    let typed = 0;
    client.typing = () => { typed += 1; };
    await type("/");
    await type("/le");
    await type("/leave 3 days");
    expect(typed).toBe(0);
    await type("/shrug");
    await type("hello");
    expect(typed).toBe(2);
  });

  it("fetches the list again when the chat's members change", async () => {
    const client = chat();
    await type("/");
    expect(client.commandQueries).toEqual([1]);
    client.memberLists.set(1, [{ account: "me@x", role: "owner" } as Member, { account: "sky@x", role: "member" } as Member]);
    client.commandLists.set(1, [...OFFERED, { name: "weather", description: "Today's weather", hint: "[city]", bot: "sky@x", bot_name: "Sky" }]);
    act(() => { client.emit("change"); });
    await type("/w");
    expect(client.commandQueries).toEqual([1, 1]);
    expect(options().map((o) => o.dataset.command)).toEqual(["weather"]);
  });
});

describe("a bot's slash commands in its admin page", () => {
  const bot: Bot = { account: "leave@x", display_name: "Leave bot", description: "", owner: "root@x", disabled: false, created_at_ms: Date.now() - 86_400_000 };

  function admin(commands: BotCommand[]) {
    const client = new FakeClient();
    client.me = { ...client.me, account: "root@x", display_name: "Root", role: "domain_admin" };
    const state = { commands, puts: [] as NewBotCommand[][], refusal: null as MagpieError | null };
    client.admin = {
      bots: async () => [{ ...bot }],
      bot: async () => ({ ...bot }),
      botTokens: async () => [],
      botWebhooks: async () => [],
      botSubscriptions: async () => [],
      botCommands: async () => state.commands.map((c) => ({ ...c })),
      setBotCommands: async (_account: string, list: NewBotCommand[]) => {
        state.puts.push(list);
        if (state.refusal) { const r = state.refusal; state.refusal = null; throw r; }
        state.commands = list.map((c) => ({ name: c.name, description: c.description, hint: c.hint ?? "" }));
        return state.commands.map((c) => ({ ...c }));
      },
      adminGroups: async () => ({ groups: [] }),
      domains: async () => [{ name: "x" }],
      departmentTree: async () => [],
    } as unknown as typeof client.admin;
    return { client, state };
  }

  async function open(client: FakeClient, locale: "en" | "zh" = "en"): Promise<HTMLElement> {
    act(() => {
      render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab="bots" /><Toasts /></ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await settle();
    const manage = [...root.querySelectorAll("button")].find((b) => b.getAttribute("aria-label")?.endsWith("Leave bot"))!;
    act(() => { manage.click(); });
    await settle();
    return $('[data-testid="bot-commands"]')!;
  }
  const rows = (section: HTMLElement) => [...section.querySelectorAll<HTMLElement>('[data-testid="bot-command"]')];
  const field = (row: HTMLElement, name: string) => row.querySelector<HTMLInputElement>(`[data-testid="bot-command-${name}"]`)!;
  const button = (scope: ParentNode, label: string) => {
    const found = [...scope.querySelectorAll("button")].find((b) => text(b) === label || b.getAttribute("aria-label") === label);
    if (!found) throw new Error(`no button ${label}`);
    return found;
  };
  function fill(el: HTMLInputElement, value: string) {
    act(() => { el.value = value; el.dispatchEvent(new Event("input", { bubbles: true })); });
  }
  async function save(section: HTMLElement) {
    act(() => { section.querySelector("form")!.requestSubmit(); });
    await settle();
  }

  it("lists them in order, saves a new one, reorders and removes, each problem said at its row's field", async () => {
    const { client, state } = admin([
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]" },
      { name: "balance", description: "Days of leave left", hint: "" },
    ]);
    const section = await open(client);
    expect(text(section.querySelector("h2"))).toBe("Slash commands");
    expect(section.querySelector("ol")!.getAttribute("aria-label")).toBe("Commands of Leave bot");
    expect(rows(section).map((r) => r.getAttribute("aria-label"))).toEqual(["/leave", "/balance"]);
    expect(rows(section).map((r) => [field(r, "name").value, field(r, "description").value, field(r, "hint").value]))
      .toEqual([["leave", "Ask for leave", "[days] [reason]"], ["balance", "Days of leave left", ""]]);
    // Each field labelled.
    const first = rows(section)[0]!;
    expect(["name", "description", "hint"].map((f) => text(section.querySelector(`label[for="${field(first, f).id}"]`)))).toEqual(["Name", "Description", "Arguments"]);
    const saveButton = button(section, "Save commands");
    expect(saveButton.disabled).toBe(true);

    // A new row, its name typed with a slash; its description left out: said at its field.
    act(() => { button(section, "Add command").click(); });
    await act(async () => { await new Promise((r) => requestAnimationFrame(() => r(undefined))); });
    let added = rows(section)[2]!;
    expect(document.activeElement).toBe(field(added, "name"));
    expect(added.getAttribute("aria-label")).toBe("Command 3");
    fill(field(added, "name"), "/Payslip");
    // The slash is shown before the field: one typed is left out.
    expect(field(added, "name").value).toBe("Payslip");
    expect(text(section.querySelector('[data-testid="bot-commands-unsaved"]'))).toBe("Unsaved changes");
    expect(saveButton.disabled).toBe(false);
    await save(section);
    expect(state.puts).toEqual([]);
    added = rows(section)[2]!;
    const description = field(added, "description");
    expect(description.getAttribute("aria-invalid")).toBe("true");
    expect(text(document.getElementById(description.getAttribute("aria-describedby")!))).toBe("Say what the command does.");
    expect(document.activeElement).toBe(description);
    fill(description, "This month's payslip");
    expect(description.getAttribute("aria-invalid")).toBeNull();

    // The server says another bot has the name: at that row's name.
    state.refusal = new MagpieError("invalid_field", "commands[2].name: /payslip is a command of another bot of this domain", { status: 422, field: "commands[2].name" });
    await save(section);
    expect(state.puts).toEqual([[
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]" },
      { name: "balance", description: "Days of leave left", hint: "" },
      { name: "payslip", description: "This month's payslip", hint: "" },
    ]]);
    const name = field(rows(section)[2]!, "name");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    const describedBy = name.getAttribute("aria-describedby")!.split(" ");
    expect(describedBy.map((id) => text(document.getElementById(id)))).toEqual([
      "Lowercase letters, digits, _ and -, starting with a letter: members type it after /.",
      "Another bot of this domain has a command of this name.",
    ]);
    expect(document.activeElement).toBe(name);
    expect(field(rows(section)[0]!, "name").getAttribute("aria-invalid")).toBeNull();
    fill(name, "pay");

    // Moved up: it and its buttons go along, and a screen reader hears where it is now.
    act(() => { button(section, "Move /pay up").click(); });
    await act(async () => { await new Promise((r) => requestAnimationFrame(() => r(undefined))); });
    expect(rows(section).map((r) => field(r, "name").value)).toEqual(["leave", "pay", "balance"]);
    expect(document.activeElement).toBe(button(section, "Move /pay up"));
    expect(text(section.querySelector('form > [aria-live="polite"]'))).toBe("/pay is now command 2 of 3");
    act(() => { button(section, "Move /pay up").click(); });
    await act(async () => { await new Promise((r) => requestAnimationFrame(() => r(undefined))); });
    expect(rows(section).map((r) => field(r, "name").value)).toEqual(["pay", "leave", "balance"]);
    // At the top, Move up can't be pressed again: Move down has the focus.
    expect(button(section, "Move /pay up").disabled).toBe(true);
    expect(document.activeElement).toBe(button(section, "Move /pay down"));
    act(() => { button(section, "Remove /balance").click(); });
    expect(rows(section).map((r) => field(r, "name").value)).toEqual(["pay", "leave"]);
    expect(text(section.querySelector('form > [aria-live="polite"]'))).toBe("/balance removed: save to apply");

    await save(section);
    expect(state.puts[1]).toEqual([
      { name: "pay", description: "This month's payslip", hint: "" },
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]" },
    ]);
    expect(state.commands.map((c) => c.name)).toEqual(["pay", "leave"]);
    expect(section.querySelector('[data-testid="bot-commands-unsaved"]')).toBeNull();
    expect(button(section, "Save commands").disabled).toBe(true);
    expect($$('[data-testid="toasts"] li').map(text)).toContain("The slash commands of Leave bot were saved");
  });

  it("says a name's rule, a name twice and discards changes, in Chinese", async () => {
    const { client, state } = admin([{ name: "leave", description: "请假", hint: "" }]);
    const section = await open(client, "zh");
    expect(text(section.querySelector("h2"))).toBe("斜杠命令");
    act(() => { button(section, "添加命令").click(); });
    act(() => { button(section, "添加命令").click(); });
    const [, second, third] = rows(section);
    fill(field(second!, "name"), "2fa");
    fill(field(second!, "description"), "两步验证");
    fill(field(third!, "name"), "leave");
    fill(field(third!, "description"), "又一个");
    await save(section);
    expect(state.puts).toEqual([]);
    const errorOf = (input: HTMLInputElement) => text(document.getElementById(input.getAttribute("aria-describedby")!.split(" ").pop()!));
    expect(errorOf(field(rows(section)[1]!, "name"))).toBe("请使用 1 到 32 个小写字母、数字、_ 或 -，并以字母开头。");
    expect(errorOf(field(rows(section)[2]!, "name"))).toBe("这个机器人已有同名命令。");
    expect(document.activeElement).toBe(field(rows(section)[1]!, "name"));
    act(() => { button(section, "放弃修改").click(); });
    expect(rows(section).map((r) => field(r, "name").value)).toEqual(["leave"]);
    expect(section.querySelector('[aria-invalid="true"]')).toBeNull();
  });

  it("offers slash commands among the kinds of events a subscription takes", async () => {
    const { client } = admin([]);
    const section = await open(client);
    expect(text(section.querySelector('[data-testid="bot-commands-none"]'))).toBe("No slash commands yet.");
    const kind = root.querySelector<HTMLInputElement>("#adm-bot-sub-event-command")!;
    expect(kind.checked).toBe(false);
    expect(text(kind.closest("label"))).toBe("Slash commands slash commands members run in its conversations, which its app answers at once");
  });
});

describe("the slash commands' pure parts", () => {
  it("read what is typed, and whether it invokes an offered command", () => {
    expect(commandQuery("/")).toBe("");
    expect(commandQuery("/LeA")).toBe("lea");
    expect(commandQuery("/leave ")).toBeNull();
    expect(commandQuery(" /leave")).toBeNull();
    expect(commandQuery("leave")).toBeNull();
    expect(matchingCommands(OFFERED, "").map((c) => c.name)).toEqual(["balance", "leave", "payslip"]);
    expect(matchingCommands(OFFERED, "p").map((c) => c.name)).toEqual(["payslip"]);
    expect(matchingCommands(OFFERED, "", 2)).toHaveLength(2);
    expect(parseInvocation("/leave", OFFERED)).toEqual({ command: OFFERED[1], text: "" });
    expect(parseInvocation("/Leave  3 days\nback Monday \n", OFFERED)).toEqual({ command: OFFERED[1], text: "3 days\nback Monday" });
    for (const notOne of ["/leaves 3", "leave 3", " /leave", "/", "/ leave", "//leave", "/leave/x"]) expect(parseInvocation(notOne, OFFERED), notOne).toBeNull();
    expect([undefined, OFFERED].map((o) => ["/", "/le", "/LEAVE 3", "/leave", "/x", "/x 3", "/le/x", "le", " /leave"].map((t) => mayBeCommand(t, o)))).toEqual([
      [true, true, true, true, true, true, false, false, false],
      [true, true, true, true, false, false, false, false, false],
    ]);
    expect(invocationRefusal(new MagpieError("invalid_field", "command: no", { field: "command" }))).toBe("gone");
    expect(invocationRefusal(new MagpieError("invalid_field", "text: long", { field: "text" }))).toBe("too_long");
    expect(invocationRefusal(new MagpieError("app_failed", "down"))).toBeNull();
  });

  it("put answers after the newest message when they came", () => {
    type R = { key: string; seq?: number };
    const answer = (key: string, afterSeq: number): EphemeralAnswer => ({ key, bot: "b", botName: "B", command: "/x", kind: "text", body: {}, atMs: 0, afterSeq });
    const rows: R[] = [{ key: "head" }, { key: "day" }, { key: "1", seq: 1 }, { key: "2", seq: 2 }, { key: "out", seq: 0 }];
    const placed = withAnswers(rows, [answer("a", 1), answer("b", 2), answer("c", 2), answer("z", 0)], (r) => r.seq, (a) => ({ key: a.key }));
    expect(placed.map((r) => r.key)).toEqual(["head", "z", "day", "1", "a", "2", "b", "c", "out"]);
  });

  it("check a bot's commands, and read the server's refusals of them", () => {
    const row = (name: string, description = "Does it", hint = "") => ({ key: 0, name, description, hint });
    expect(commandsOf([row(" /Leave ", " Ask ", " [days] ")])).toEqual([{ name: "leave", description: "Ask", hint: "[days]" }]);
    expect(commandProblems([row("leave"), row("b-2_c")])).toEqual([]);
    expect(commandProblems([row(""), row("9x"), row("leave"), row("leave", " "), row("ok", "x".repeat(101), "y".repeat(101))])).toEqual([
      { row: 0, field: "name", kind: "required" },
      { row: 1, field: "name", kind: "bad" },
      { row: 3, field: "name", kind: "twice" },
      { row: 3, field: "description", kind: "required", max: 100 },
      { row: 4, field: "description", kind: "too_long", max: 100 },
      { row: 4, field: "hint", kind: "too_long", max: 100 },
    ]);
    expect(commandProblems([row("x".repeat(33))])).toEqual([{ row: 0, field: "name", kind: "bad" }]);
    expect(commandProblems([row("ok", "tab\tfine"), row("bell", "ding\u0007")])).toEqual([{ row: 1, field: "description", kind: "bad", max: 100 }]);
    expect(commandProblems(Array.from({ length: 26 }, (_, i) => row(`c${i}`)))).toEqual([{ row: null, field: null, kind: "too_many", max: 25 }]);
    const refusal = (field: string, message: string) => commandsRefusal(new MagpieError("invalid_field", message, { field }));
    expect(refusal("commands[3].name", "commands[3].name: /a is named twice")).toEqual({ row: 3, field: "name", kind: "twice" });
    expect(refusal("commands[0].name", "commands[0].name: /a is a command of another bot of this domain")).toEqual({ row: 0, field: "name", kind: "taken" });
    expect(refusal("commands[0].name", "commands[0].name: must be 1-32 bytes of a-z, 0-9, _ and -, starting with a letter")).toEqual({ row: 0, field: "name", kind: "bad" });
    expect(refusal("commands[1].description", "commands[1].description: must not be empty")).toEqual({ row: 1, field: "description", kind: "required", max: 100 });
    expect(refusal("commands[1].hint", "commands[1].hint: is longer than 100 characters")).toEqual({ row: 1, field: "hint", kind: "too_long", max: 100 });
    expect(refusal("commands[1].hint", "commands[1].hint: something new")).toEqual({ row: 1, field: "hint", kind: "refused", why: "something new" });
    expect(refusal("commands", "commands: a bot has at most 25 commands")).toEqual({ row: null, field: null, kind: "too_many", max: 25 });
    expect(commandsRefusal(new MagpieError("not_found", "no"))).toBeNull();
    expect(moveRow([1, 2, 3], 2, 0)).toEqual([3, 1, 2]);
    expect(moveRow([1, 2, 3], 0, 5)).toEqual([1, 2, 3]);
    expect(commandsChanged([row("leave")], [{ name: "leave", description: "Does it", hint: "" }])).toBe(false);
    expect(commandsChanged([row("leave", "Does it", "[x]")], [{ name: "leave", description: "Does it", hint: "" }])).toBe(true);
  });
});
