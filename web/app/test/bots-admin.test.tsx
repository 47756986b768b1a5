// Administration → Bots and Settings → My bots against a fake server: the tab is every
// administrator's, in both languages; the bots are listed with their account, display name, owner
// and state; a new bot's problems are said at their fields, before the server is asked and after
// it refused; a bot's name and description are saved, and it is disabled and enabled (confirmed);
// a token is made with its name, conversations (groups ticked and ids typed), powers and days,
// and its secret shown once in a dialog to copy, gone once the dialog is closed; a token is
// rotated (its new secret shown once the confirmation has closed) and revoked (confirmed); an
// incoming webhook is made for a group, its URL shown once with a curl command, a group the bot
// is not in said at the field, and it is deleted and rotated (confirmed); a bot's event
// subscriptions listed with their URL, events, state, counts, last error and last delivery (en and
// zh), a new one's problems said at their fields before and after the server is asked, its secret
// shown once, enabled and disabled with a switch, rotated and deleted (confirmed), in My bots
// too; the domain's settings let members make bots; a member sees My bots in Settings where the
// domain lets them or they made some; the bot badge by a bot's name in a chat, a group's members,
// the person card and the accounts tab (which offers no password to reset for a bot). The pure
// parts of lib/bots.ts too.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import {
  MagpieError, type Bot, type BotToken, type CreateBotRequest, type CreateBotTokenRequest, type CreateEventSubscriptionRequest, type CreateWebhookRequest,
  type DomainChange, type DomainInfo, type EventSubscription, type IncomingWebhook, type MessageView, type UpdateBotRequest,
  type UpdateEventSubscriptionRequest,
} from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { MyBotsSection } from "../src/components/BotsAdmin.tsx";
import { ChatView } from "../src/components/ChatView.tsx";
import { GroupInfo } from "../src/components/GroupInfo.tsx";
import { PersonCard } from "../src/components/PersonCard.tsx";
import {
  botRefusal, curlExample, NEW_TOKEN_FORM, newBotProblem, parseIds, scopePowers, subscriptionRefusal, subscriptionRequestOf, subscriptionState,
  tokenRefusal, tokenRequestOf, webhookUrl, withBot, withSubscription,
} from "../src/lib/bots.ts";
import { ADMIN_TABS, adminTabsFor, parseRoute, routePath, type AdminTab } from "../src/state/router.ts";
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
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function mountNode(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const mount = (client: FakeClient, tab: AdminTab = "bots", locale: "en" | "zh" = "en") => mountNode(client, <AdminPage tab={tab} />, locale);
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const tabs = () => [...root.querySelectorAll('[role="tab"]')].map(text);
const button = (scope: ParentNode, name: string) => {
  const found = [...scope.querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};
const dialog = () => root.querySelector<HTMLElement>('[role="alertdialog"]');
async function settle(): Promise<void> {
  // The fake's answers (given at once) go through first; then whatever still loads.
  for (let i = 0; i < 20; i++) await act(async () => { await Promise.resolve(); });
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
async function click(el: HTMLElement): Promise<void> {
  act(() => { el.click(); });
  await settle();
}
function change(el: HTMLInputElement | HTMLSelectElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}
function tick(el: HTMLInputElement, on: boolean) {
  act(() => { if (el.checked !== on) el.click(); });
}
async function submit(form: HTMLFormElement): Promise<void> {
  act(() => { form.requestSubmit(); });
  await settle();
}
const $ = (sel: string) => root.querySelector<HTMLElement>(sel);
const input = (id: string) => root.querySelector<HTMLInputElement>(`#${id}`)!;
const row = (account: string) => $(`[data-testid="bot-row"][data-account="${account}"]`)!;

const NOW = Date.now();
const bot = (name: string, extra: Partial<Bot> = {}): Bot => ({
  account: `${name}@x`, display_name: name, description: "", owner: "root@x", disabled: false, created_at_ms: NOW - 86_400_000, ...extra,
});

/** A fake server's bots of the domain `x`: its answers, what it was asked, and refusals to give. */
function withBots(role: "domain_admin" | "server_admin" | "member" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  client.convs = [conversation(7, { kind: "group", name: "Builds" }), conversation(9, { peer: "bob@x" })];
  const calls: [string, ...unknown[]][] = [];
  const state = {
    bots: [bot("approvals", { display_name: "Approvals", description: "Leave requests", owner: "bob@x" }), bot("legacy", { owner: undefined, disabled: true })],
    tokens: new Map<string, BotToken[]>(),
    hooks: new Map<string, IncomingWebhook[]>(),
    subs: new Map<string, EventSubscription[]>(),
    subRefusal: null as MagpieError | null,
    createRefusal: null as MagpieError | null,
    updateRefusal: null as MagpieError | null,
    hookRefusal: null as MagpieError | null,
    domain: { name: "x", registration: "closed", created_at_ms: 0, members_invite: false, members_make_bots: false } as DomainInfo,
    next: 100,
  };
  const find = (account: string) => {
    const b = state.bots.find((x) => x.account === account);
    if (!b) throw new MagpieError("not_found", "bot not found", { status: 404 });
    return b;
  };
  client.admin = {
    bots: async (domain?: string) => { calls.push(["bots", domain]); return state.bots.map((b) => ({ ...b })); },
    createBot: async (request: CreateBotRequest) => {
      calls.push(["create", request]);
      if (state.createRefusal) throw state.createRefusal;
      const made = bot(request.name, { display_name: request.display_name ?? request.name, description: request.description ?? "", created_at_ms: NOW });
      state.bots.push(made);
      return { ...made };
    },
    updateBot: async (account: string, change: UpdateBotRequest) => {
      calls.push(["update", account, change]);
      if (state.updateRefusal) throw state.updateRefusal;
      const b = find(account);
      Object.assign(b, change);
      if (change.disabled) { state.tokens.set(account, []); state.hooks.set(account, []); }
      return { ...b };
    },
    botTokens: async (account: string) => { find(account); return [...(state.tokens.get(account) ?? [])]; },
    createBotToken: async (account: string, request: CreateBotTokenRequest) => {
      calls.push(["token", account, request]);
      const id = state.next++;
      const token: BotToken = {
        id, name: request.name, scope: { ...(request.conversations ? { conversations: request.conversations } : {}), read: request.read ?? true, send: request.send ?? true },
        created_at_ms: NOW, last_used_at_ms: NOW, ...(request.ttl_days ? { expires_at_ms: NOW + request.ttl_days * 86_400_000 } : {}),
      };
      state.tokens.set(account, [token, ...(state.tokens.get(account) ?? [])]);
      return { ...token, token: `mgp_secret_${id}` };
    },
    rotateBotToken: async (account: string, id: number) => {
      calls.push(["rotate", account, id]);
      const old = state.tokens.get(account)!.find((x) => x.id === id)!;
      const fresh = { ...old, id: state.next++ };
      state.tokens.set(account, [fresh, ...state.tokens.get(account)!.filter((x) => x.id !== id)]);
      return { ...fresh, token: `mgp_secret_${fresh.id}` };
    },
    revokeBotToken: async (account: string, id: number) => {
      calls.push(["revoke", account, id]);
      state.tokens.set(account, state.tokens.get(account)!.filter((x) => x.id !== id));
    },
    botWebhooks: async (account: string) => { find(account); return [...(state.hooks.get(account) ?? [])]; },
    createWebhook: async (account: string, request: CreateWebhookRequest) => {
      calls.push(["hook", account, request]);
      if (state.hookRefusal) throw state.hookRefusal;
      const hook: IncomingWebhook = { id: state.next++, name: request.name, conversation: request.conversation, created_at_ms: NOW, last_used_at_ms: NOW };
      state.hooks.set(account, [hook, ...(state.hooks.get(account) ?? [])]);
      return { ...hook, path: `/v1/hooks/mgp_hook_${hook.id}` };
    },
    rotateWebhook: async (account: string, id: number) => {
      calls.push(["rotateHook", account, id]);
      const old = state.hooks.get(account)!.find((x) => x.id === id)!;
      const fresh = { ...old, id: state.next++ };
      state.hooks.set(account, [fresh, ...state.hooks.get(account)!.filter((x) => x.id !== id)]);
      return { ...fresh, path: `/v1/hooks/mgp_hook_${fresh.id}` };
    },
    deleteWebhook: async (account: string, id: number) => {
      calls.push(["deleteHook", account, id]);
      state.hooks.set(account, state.hooks.get(account)!.filter((x) => x.id !== id));
    },
    botSubscriptions: async (account: string) => { find(account); return (state.subs.get(account) ?? []).map((x) => ({ ...x })); },
    createSubscription: async (account: string, request: CreateEventSubscriptionRequest) => {
      calls.push(["sub", account, request]);
      if (state.subRefusal) throw state.subRefusal;
      const sub: EventSubscription = {
        id: state.next++, url: request.url, events: request.events, enabled: true, failures: 0, pending: 0, dropped: 0, created_at_ms: NOW,
      };
      state.subs.set(account, [...(state.subs.get(account) ?? []), sub]);
      return { ...sub, secret: `whsec_${sub.id}` };
    },
    updateSubscription: async (account: string, id: number, change: UpdateEventSubscriptionRequest) => {
      calls.push(["updateSub", account, id, change]);
      const sub = state.subs.get(account)!.find((x) => x.id === id)!;
      Object.assign(sub, change);
      // Enabling one its failures disabled clears them.
      if (change.enabled) { sub.failures = 0; delete sub.disabled_at_ms; }
      return { ...sub };
    },
    rotateSubscription: async (account: string, id: number) => {
      calls.push(["rotateSub", account, id]);
      const sub = state.subs.get(account)!.find((x) => x.id === id)!;
      return { ...sub, secret: `whsec_${id}_${state.next++}` };
    },
    deleteSubscription: async (account: string, id: number) => {
      calls.push(["deleteSub", account, id]);
      state.subs.set(account, state.subs.get(account)!.filter((x) => x.id !== id));
    },
    // Slash commands: none (commands.test.tsx has them).
    botCommands: async (account: string) => { find(account); return []; },
    adminGroups: async () => ({ groups: [{ id: 5, kind: "group", name: "Alerts", member_count: 3, created_at_ms: 0, last_activity_ms: 0, dissolved: false }] }),
    updateDomain: async (_domain: string, change: DomainChange) => {
      calls.push(["domain", change]);
      state.domain = { ...state.domain, ...change };
      return { ...state.domain };
    },
    domains: async () => [{ name: "x" }],
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  return { client, calls, state };
}

describe("the bots tab", () => {
  it("is every administrator's, with its route, in both languages", async () => {
    expect(ADMIN_TABS).toContain("bots");
    expect(adminTabsFor("domain_admin")).toContain("bots");
    expect(parseRoute("/admin/bots")).toEqual({ page: "admin", tab: "bots" });
    expect(routePath({ page: "admin", tab: "bots" })).toBe("/admin/bots");
    mount(withBots().client, "departments");
    await settle();
    expect(tabs()).toContain("Bots");
    render(null, root);
    mount(withBots().client, "bots", "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("机器人");
    expect(text(row("approvals@x").querySelector('[data-testid="bot-state"]'))).toBe("启用中");
    expect(text(row("legacy@x").querySelector('[data-testid="bot-owner"]'))).toBe("服务器运维人员");
  });

  it("lists the bots with their account, display name, owner and state", async () => {
    const { client, calls } = withBots();
    client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    mount(client);
    await settle();
    expect(calls[0]).toEqual(["bots", undefined]);
    expect(text($('[data-testid="bots-count"]'))).toBe("2 bots");
    const a = row("approvals@x");
    expect(text(a.querySelector('[data-testid="bot-display-name"]'))).toBe("Approvals");
    expect(text(a.querySelector('[data-testid="bot-description"]'))).toBe("Leave requests");
    expect(text(a.querySelector('[data-testid="bot-account"]'))).toBe("approvals@x");
    expect(text(a.querySelector('[data-testid="bot-owner"]'))).toBe("Bob");
    expect(text(a.querySelector('[data-testid="bot-state"]'))).toBe("Active");
    expect(text(row("legacy@x").querySelector('[data-testid="bot-owner"]'))).toBe("The server's operator");
    expect(text(row("legacy@x").querySelector('[data-testid="bot-state"]'))).toBe("Disabled");
    expect(button(a, "Manage Approvals").getAttribute("aria-expanded")).toBe("false");
  });

  it("says what is wrong with a new bot at its field, before and after the server is asked", async () => {
    const { client, calls, state } = withBots();
    mount(client);
    await settle();
    await click(button(root, "New bot"));
    expect(document.activeElement).toBe(input("adm-bot-new-name"));
    const form = input("adm-bot-new-name").form!;
    await submit(form);
    expect(text($("#adm-bot-new-name-error"))).toBe("Give the bot a login name.");
    expect(input("adm-bot-new-name").getAttribute("aria-invalid")).toBe("true");
    change(input("adm-bot-new-name"), "Not ok!");
    await submit(form);
    expect(text($("#adm-bot-new-name-error"))).toMatch(/^Use letters, digits/);
    change(input("adm-bot-new-name"), "ci");
    change(input("adm-bot-new-description"), "x".repeat(513));
    await submit(form);
    expect(text($("#adm-bot-new-description-error"))).toBe("At most 512 characters.");
    expect(document.activeElement).toBe(input("adm-bot-new-description"));
    expect(calls.filter(([c]) => c === "create")).toEqual([]);

    change(input("adm-bot-new-description"), "Builds");
    state.createRefusal = new MagpieError("already_exists", "the name is taken", { status: 409 });
    await submit(form);
    expect(text($("#adm-bot-new-name-error"))).toBe("That name is taken in this domain: choose another.");
    state.createRefusal = new MagpieError("invalid_field", "must not contain control characters", { status: 422, field: "display_name" });
    await submit(form);
    expect(text($("#adm-bot-new-display_name-error"))).toBe("This display name can't be used: no control or invisible characters.");
    state.createRefusal = new MagpieError("forbidden", "no", { status: 403 });
    await submit(form);
    expect(text($('[data-testid="bot-create-error"]'))).toBe("Your domain's administrators don't let members make bots.");

    state.createRefusal = null;
    change(input("adm-bot-new-display_name"), "  CI bot ");
    await submit(form);
    expect(calls.filter(([c]) => c === "create").pop()).toEqual(["create", { name: "ci", display_name: "CI bot", description: "Builds" }]);
    // Made, listed, and opened.
    expect(text(row("ci@x").querySelector('[data-testid="bot-display-name"]'))).toBe("CI bot");
    expect($("#adm-bot-new-name")).toBeNull();
    expect($('[data-testid="bot-detail"]')!.dataset.account).toBe("ci@x");
  });

  it("saves a bot's name and description, and disables and enables it when confirmed", async () => {
    const { client, calls, state } = withBots();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    expect(text($("#adm-bot-detail-title"))).toBe("Bot Approvals");
    change(input("adm-bot-edit-display_name"), "");
    await submit(input("adm-bot-edit-display_name").form!);
    expect(text($("#adm-bot-edit-display_name-error"))).toBe("Give the bot a display name.");
    change(input("adm-bot-edit-display_name"), "审批助手");
    change(input("adm-bot-edit-description"), "请假审批");
    await submit(input("adm-bot-edit-display_name").form!);
    expect(calls.filter(([c]) => c === "update")).toEqual([["update", "approvals@x", { display_name: "审批助手", description: "请假审批" }]]);
    expect(text(row("approvals@x").querySelector('[data-testid="bot-display-name"]'))).toBe("审批助手");
    state.updateRefusal = new MagpieError("invalid_field", "must not contain control characters", { status: 422, field: "description" });
    change(input("adm-bot-edit-description"), "bad");
    await submit(input("adm-bot-edit-description").form!);
    expect(text($("#adm-bot-edit-description-error"))).toBe("A description is one line, without control or invisible characters.");
    state.updateRefusal = null;

    await click(button(root, "Disable 审批助手"));
    expect(text(dialog())).toContain("Its tokens and webhooks stop at once");
    expect(calls.filter(([, , c]) => (c as UpdateBotRequest | undefined)?.disabled !== undefined)).toEqual([]);
    await click(button(dialog()!, "Disable"));
    expect(calls.pop()).toEqual(["update", "approvals@x", { disabled: true }]);
    expect(text(row("approvals@x").querySelector('[data-testid="bot-state"]'))).toBe("Disabled");
    expect(text($('[data-testid="bot-disabled-note"]'))).toBe("审批助手 is disabled: enable it to make tokens and webhooks.");
    expect(button(root, "Create token").disabled).toBe(true);
    expect(button(root, "Create webhook").disabled).toBe(true);
    await click(button(root, "Enable 审批助手"));
    await click(button(dialog()!, "Enable"));
    expect(calls.pop()).toEqual(["update", "approvals@x", { disabled: false }]);
    expect(text($('[data-testid="bot-detail-state"]'))).toBe("Active");
  });

  it("makes a token, shows its secret once, then rotates and revokes it when confirmed", async () => {
    const copied: string[] = [];
    Object.defineProperty(navigator, "clipboard", { value: { writeText: async (s: string) => { copied.push(s); } }, configurable: true });
    const { client, calls } = withBots();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    expect(text($('[data-testid="bot-tokens-none"]'))).toBe("No tokens yet.");
    const form = input("adm-bot-token-name").form!;
    await submit(form);
    expect(text($("#adm-bot-token-name-error"))).toBe("Give it a name.");
    change(input("adm-bot-token-name"), "ci");
    // Only some conversations: a group ticked (the domain's, and the caller's own) and an id typed.
    const chosen = [...root.querySelectorAll<HTMLInputElement>('input[name="adm-bot-token-reach"]')].find((r) => r.value === "chosen")!;
    tick(chosen, true);
    const groups = [...root.querySelectorAll<HTMLLabelElement>(".bot-group-list label")].map(text);
    expect(groups).toEqual(["Alerts #5", "Builds #7"]);
    await submit(form);
    expect(text($("#adm-bot-token-conversations-error"))).toBe("Choose a group or enter a conversation id.");
    tick(root.querySelector<HTMLInputElement>(".bot-group-list input")!, true);
    change(input("adm-bot-token-ids"), "12, x");
    await submit(form);
    expect(text($("#adm-bot-token-conversations-error"))).toBe("Conversation ids are whole numbers, like 12.");
    change(input("adm-bot-token-ids"), "12 5");
    tick(input("adm-bot-token-read"), false);
    const send = [...root.querySelectorAll<HTMLInputElement>(".bot-powers input")][1]!;
    tick(send, false);
    await submit(form);
    expect(text($("#adm-bot-token-scope-error"))).toBe("A token reads, sends or both: tick at least one.");
    tick(send, true);
    change(input("adm-bot-token-days"), "0");
    await submit(form);
    expect(text($("#adm-bot-token-days-error"))).toBe("Enter a number of days from 1 to 3653, or leave it empty.");
    change(input("adm-bot-token-days"), "30");
    await submit(form);
    expect(calls.filter(([c]) => c === "token")).toEqual([["token", "approvals@x", { name: "ci", conversations: [5, 12], read: false, send: true, ttl_days: 30 }]]);

    // The secret, once, with a warning and a copy button.
    const shown = dialog()!;
    expect(text(shown.querySelector("h2"))).toBe("Token ci");
    expect(text(shown.querySelector('[role="note"]'))).toMatch(/^Copy the token now: it is shown only this once/);
    expect(text(shown.querySelector('[data-testid="bot-secret"]'))).toBe("mgp_secret_100");
    await click(button(shown, "Copy token"));
    expect(copied).toEqual(["mgp_secret_100"]);
    await click(button(shown, "Done"));
    expect(dialog()).toBeNull();
    expect(root.textContent).not.toContain("mgp_secret_100");
    // Listed without it.
    const tokenRow = $('[data-testid="bot-token"][data-id="100"]')!;
    expect(text(tokenRow.querySelector('[data-testid="bot-token-name"]'))).toBe("ci");
    expect(text(tokenRow.querySelector('[data-testid="bot-token-reach"]'))).toBe("Only Alerts, Conversation 12");
    expect(text(tokenRow.querySelector('[data-testid="bot-token-may"]'))).toBe("Send only");
    // The form is empty again.
    expect(input("adm-bot-token-name").value).toBe("");

    // Rotated: confirmed first, and the new secret shown once the confirmation has closed.
    await click(button(tokenRow, "Rotate token ci"));
    expect(text(dialog())).toContain("the one in use now stops at once");
    await click(button(dialog()!, "Rotate"));
    expect(calls.pop()).toEqual(["rotate", "approvals@x", 100]);
    expect(root.querySelectorAll('[role="alertdialog"]')).toHaveLength(1);
    expect(text(dialog()!.querySelector("h2"))).toBe("New secret for token ci");
    expect(text(dialog()!.querySelector('[data-testid="bot-secret"]'))).toBe("mgp_secret_101");
    await vi.waitFor(() => expect(dialog()!.contains(document.activeElement)).toBe(true));
    await click(button(dialog()!, "Close"));
    expect(root.textContent).not.toContain("mgp_secret_101");

    // Revoked, when confirmed.
    const rotated = $('[data-testid="bot-token"][data-id="101"]')!;
    await click(button(rotated, "Revoke token ci"));
    expect(text(dialog())).toContain("Token ci stops at once: whatever uses it can no longer act as Approvals.");
    await click(button(dialog()!, "Revoke"));
    expect(calls.pop()).toEqual(["revoke", "approvals@x", 101]);
    expect(text($('[data-testid="bot-tokens-none"]'))).toBe("No tokens yet.");
  });

  it("makes an incoming webhook for a group, shows its URL once, and deletes and rotates it when confirmed", async () => {
    const { client, calls, state } = withBots();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    const form = input("adm-bot-hook-name").form!;
    change(input("adm-bot-hook-name"), "CI");
    await submit(form);
    expect(text($("#adm-bot-hook-group-error"))).toBe("Choose a group.");
    const select = root.querySelector<HTMLSelectElement>("#adm-bot-hook-group")!;
    expect([...select.options].map((o) => o.text)).toEqual(["Choose a group", "Alerts · #5", "Builds · #7", "Another conversation, by its id"]);
    // The bot is not in it: said at the field.
    state.hookRefusal = new MagpieError("not_found", "conversation not found", { status: 404 });
    change(select, "7");
    await submit(form);
    expect(text($("#adm-bot-hook-group-error"))).toBe("Approvals isn't a member of this conversation: add it in the group's info first.");
    state.hookRefusal = null;
    change(select, "id");
    change(input("adm-bot-hook-id"), "abc");
    await submit(form);
    expect(text($("#adm-bot-hook-id-error"))).toBe("A conversation id is a whole number, like 12.");
    change(select, "7");
    await submit(form);
    expect(calls.filter(([c]) => c === "hook").pop()).toEqual(["hook", "approvals@x", { name: "CI", conversation: 7 }]);

    const shown = dialog()!;
    expect(text(shown.querySelector("h2"))).toBe("Webhook CI");
    expect(text(shown.querySelector('[role="note"]'))).toContain("Anyone who has it can post to Builds as Approvals");
    const url = `${location.origin}/v1/hooks/mgp_hook_100`;
    expect(text(shown.querySelector('[data-testid="bot-webhook-url"]'))).toBe(url);
    expect(shown.querySelector('[data-testid="bot-webhook-curl"]')!.textContent).toBe(`curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' ${url}`);
    expect(button(shown, "Copy URL")).toBeTruthy();
    expect(button(shown, "Copy command")).toBeTruthy();
    await click(button(shown, "Done"));
    expect(root.textContent).not.toContain("mgp_hook_100");
    const hookRow = $('[data-testid="bot-webhook"][data-id="100"]')!;
    expect(text(hookRow.querySelector('[data-testid="bot-webhook-group"]'))).toBe("Builds");

    await click(button(hookRow, "Rotate webhook CI"));
    await click(button(dialog()!, "Rotate"));
    expect(calls.pop()).toEqual(["rotateHook", "approvals@x", 100]);
    expect(text(dialog()!.querySelector("h2"))).toBe("New URL for webhook CI");
    expect(text(dialog()!.querySelector('[data-testid="bot-webhook-url"]'))).toBe(`${location.origin}/v1/hooks/mgp_hook_101`);
    await click(button(dialog()!, "Done"));
    await click(button($('[data-testid="bot-webhook"][data-id="101"]')!, "Delete webhook CI"));
    expect(text(dialog())).toContain("Webhook CI stops at once");
    await click(button(dialog()!, "Delete"));
    expect(calls.pop()).toEqual(["deleteHook", "approvals@x", 101]);
    expect(text($('[data-testid="bot-webhooks-none"]'))).toBe("No webhooks yet.");
  });
});

describe("a bot's event subscriptions", () => {
  const HOUR_MS = 3_600_000;
  /** A bot with three subscriptions: delivering, disabled by its failures, turned off by a person. */
  function subscribed() {
    const made = withBots();
    made.state.subs.set("approvals@x", [
      { id: 1, url: "https://leave.example.com/events", events: ["message", "member"], enabled: true, failures: 2, pending: 3, dropped: 0,
        last_success_ms: NOW - HOUR_MS, created_at_ms: NOW - 2 * HOUR_MS },
      { id: 2, url: "https://down.example.com/hook", events: ["mention"], enabled: false, failures: 100, pending: 1200, dropped: 7,
        last_error: "answered 500 Internal Server Error: down", disabled_at_ms: NOW - 60_000, created_at_ms: NOW - 2 * HOUR_MS },
      { id: 3, url: "https://paused.example.com/", events: ["update", "audit"], enabled: false, failures: 0, pending: 0, dropped: 0, created_at_ms: NOW - 2 * HOUR_MS },
    ]);
    return made;
  }
  const sub = (id: number) => $(`[data-testid="bot-sub"][data-id="${id}"]`)!;
  const field = (id: number, name: string) => text(sub(id).querySelector(`[data-testid="bot-sub-${name}"]`));

  it("lists each with its URL, events, state, counts, last error and last delivery, in both languages", async () => {
    const { client } = subscribed();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    expect(text($("#adm-bot-subs-title"))).toBe("Event subscriptions");
    expect([...root.querySelectorAll<HTMLElement>('[data-testid="bot-sub"]')].map((li) => li.dataset.id)).toEqual(["1", "2", "3"]);
    expect(field(1, "url")).toBe("https://leave.example.com/events");
    expect(field(1, "events")).toBe("Messages, Members");
    expect(field(1, "state")).toBe("Enabled");
    expect(field(1, "failures")).toBe("2");
    expect(field(1, "pending")).toBe("3");
    expect(field(1, "dropped")).toBe("0");
    expect(field(1, "success")).not.toBe("Not yet");
    expect(sub(1).querySelector('[data-testid="bot-sub-error"]')).toBeNull();
    // Disabled by its failures: when, and why.
    expect(field(2, "state")).toBe("Disabled after repeated failures");
    expect(field(2, "disabled-at")).toMatch(/^since /);
    expect(field(2, "failures")).toBe("100");
    expect(field(2, "pending")).toBe("1,200");
    expect(field(2, "dropped")).toBe("7");
    expect(field(2, "error")).toBe("answered 500 Internal Server Error: down");
    expect(field(2, "success")).toBe("Not yet");
    // Turned off by a person; a kind this app does not know is shown as it is.
    expect(field(3, "state")).toBe("Disabled");
    expect(sub(3).querySelector('[data-testid="bot-sub-disabled-at"]')).toBeNull();
    expect(field(3, "events")).toBe("Updates, audit");
    expect([1, 2, 3].map((id) => sub(id).querySelector<HTMLInputElement>('input[role="switch"]')!.checked)).toEqual([true, false, false]);
    expect(sub(2).querySelector('input[role="switch"]')!.getAttribute("aria-label")).toBe("Deliver events to https://down.example.com/hook");

    render(null, root);
    mount(client, "bots", "zh");
    await settle();
    await click(button(row("approvals@x"), "管理 Approvals"));
    expect(text($("#adm-bot-subs-title"))).toBe("事件订阅");
    expect(field(1, "events")).toBe("消息、成员变动");
    expect(field(1, "state")).toBe("已启用");
    expect(field(2, "state")).toBe("因连续失败已停用");
    expect(field(2, "disabled-at")).toMatch(/^停用于 /);
    expect(field(3, "state")).toBe("已停用");
    expect(text(sub(2).querySelector(".bot-sub-error"))).toBe("最近的错误： answered 500 Internal Server Error: down");
  });

  it("says what is wrong with a new one at its field, before and after the server is asked, and shows its secret once", async () => {
    const copied: string[] = [];
    Object.defineProperty(navigator, "clipboard", { value: { writeText: async (x: string) => { copied.push(x); } }, configurable: true });
    const { client, calls, state } = withBots();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    expect(text($('[data-testid="bot-subs-none"]'))).toBe("No event subscriptions yet.");
    const form = input("adm-bot-sub-url").form!;
    const kind = (k: string) => input(`adm-bot-sub-event-${k}`);
    // Messages are ticked to begin with.
    expect(["message", "mention", "member", "update", "card_action"].map((k) => kind(k).checked)).toEqual([true, false, false, false, false]);
    // Card actions, for an app whose bot sends interactive cards.
    expect(text(kind("card_action").closest("label"))).toBe("Card actions buttons pressed on its cards, which its app answers at once");
    await submit(form);
    expect(text($("#adm-bot-sub-url-error"))).toBe("Enter your app's URL.");
    expect(document.activeElement).toBe(input("adm-bot-sub-url"));
    change(input("adm-bot-sub-url"), "leave.example.com/events");
    await submit(form);
    expect(text($("#adm-bot-sub-url-error"))).toBe("The URL starts with http:// or https://, then the host.");
    expect(input("adm-bot-sub-url").getAttribute("aria-invalid")).toBe("true");
    change(input("adm-bot-sub-url"), "https://me:pw@leave.example.com/events");
    await submit(form);
    expect(text($("#adm-bot-sub-url-error"))).toBe("Leave the user name and password out of the URL.");
    change(input("adm-bot-sub-url"), "https://leave.example.com/events");
    tick(kind("message"), false);
    await submit(form);
    expect(text($("#adm-bot-sub-events-error"))).toBe("Choose at least one kind of event.");
    expect(document.activeElement).toBe(kind("message"));
    expect(calls.filter(([c]) => c === "sub")).toEqual([]);

    // The server's refusals, at their fields.
    tick(kind("member"), true);
    tick(kind("message"), true);
    state.subRefusal = new MagpieError("invalid_field", "url: 10.0.0.5 is not a public address", { status: 422, field: "url" });
    await submit(form);
    expect(text($("#adm-bot-sub-url-error"))).toBe("The server can't send to this URL: 10.0.0.5 is not a public address");
    state.subRefusal = new MagpieError("limit_exceeded", "a bot has at most 10 event subscriptions", { status: 422 });
    await submit(form);
    expect(text($('[data-testid="bot-sub-create-error"]'))).toBe("Approvals has as many event subscriptions as a bot may (10): delete one first.");
    state.subRefusal = new MagpieError("unavailable", "outgoing webhooks are not set up on this server", { status: 503 });
    await submit(form);
    expect(text($('[data-testid="bot-sub-create-error"]'))).toBe("This server doesn't send outgoing webhooks: its operator turned them off.");
    state.subRefusal = null;
    await submit(form);
    // Sent in the form's order, whatever the order they were ticked in.
    expect(calls.filter(([c]) => c === "sub")).toEqual(Array(4).fill(["sub", "approvals@x", { url: "https://leave.example.com/events", events: ["message", "member"] }]));

    // The secret, once, with a warning and a copy button.
    const shown = dialog()!;
    expect(text(shown.querySelector("h2"))).toBe("Event subscription created");
    expect(text(shown.querySelector('[role="note"]'))).toMatch(/^Copy the secret now: it is shown only this once/);
    expect(text(shown.querySelector('[data-testid="bot-sub-secret-url"]'))).toBe("https://leave.example.com/events");
    expect(text(shown.querySelector('[data-testid="bot-sub-secret"]'))).toBe("whsec_100");
    await click(button(shown, "Copy secret"));
    expect(copied).toEqual(["whsec_100"]);
    await click(button(shown, "Done"));
    expect(dialog()).toBeNull();
    expect(root.textContent).not.toContain("whsec_100");
    // Listed without it; the form is empty again.
    expect(field(100, "url")).toBe("https://leave.example.com/events");
    expect(field(100, "events")).toBe("Messages, Members");
    expect(field(100, "state")).toBe("Enabled");
    expect(input("adm-bot-sub-url").value).toBe("");
  });

  it("is enabled and disabled with its switch, its secret rotated and it deleted when confirmed", async () => {
    const { client, calls } = subscribed();
    mount(client);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    // Off, and on again: one its failures disabled delivers again, its failures cleared.
    await click(sub(1).querySelector<HTMLInputElement>('input[role="switch"]')!);
    expect(calls.pop()).toEqual(["updateSub", "approvals@x", 1, { enabled: false }]);
    expect(field(1, "state")).toBe("Disabled");
    await click(sub(2).querySelector<HTMLInputElement>('input[role="switch"]')!);
    expect(calls.pop()).toEqual(["updateSub", "approvals@x", 2, { enabled: true }]);
    expect(field(2, "state")).toBe("Enabled");
    expect(field(2, "failures")).toBe("0");

    // Rotated: confirmed first, and the new secret shown once the confirmation has closed.
    await click(button(sub(1), "Rotate secret of https://leave.example.com/events"));
    expect(text(dialog())).toContain("the one in use now stops signing at once");
    await click(button(dialog()!, "Rotate"));
    expect(calls.pop()).toEqual(["rotateSub", "approvals@x", 1]);
    expect(root.querySelectorAll('[role="alertdialog"]')).toHaveLength(1);
    expect(text(dialog()!.querySelector("h2"))).toBe("New secret for the event subscription");
    expect(text(dialog()!.querySelector('[data-testid="bot-sub-secret"]'))).toBe("whsec_1_100");
    await vi.waitFor(() => expect(dialog()!.contains(document.activeElement)).toBe(true));
    await click(button(dialog()!, "Done"));
    expect(root.textContent).not.toContain("whsec_1_100");

    // Deleted, when confirmed.
    await click(button(sub(3), "Delete subscription to https://paused.example.com/"));
    expect(text(dialog())).toContain("Events stop going to https://paused.example.com/ at once");
    await click(button(dialog()!, "Delete"));
    expect(calls.pop()).toEqual(["deleteSub", "approvals@x", 3]);
    expect([...root.querySelectorAll<HTMLElement>('[data-testid="bot-sub"]')].map((li) => li.dataset.id)).toEqual(["1", "2"]);
  });

  it("are a member's too, for the bots they made, in Settings → My bots", async () => {
    const { client, state } = subscribed();
    client.me = { ...client.me, account: "bob@x", display_name: "Bob", role: "member" };
    state.bots = state.bots.filter((b) => b.account === "approvals@x");
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ domain: "x", members_make_bots: false }), { status: 200 }));
    mountNode(client, <MyBotsSection />);
    await settle();
    await click(button(row("approvals@x"), "Manage Approvals"));
    expect(text($("#my-bot-subs-title"))).toBe("Event subscriptions");
    expect(field(2, "state")).toBe("Disabled after repeated failures");
    expect(input("my-bot-sub-url")).not.toBeNull();
  });
});

describe("the domain's settings", () => {
  it("let members make bots", async () => {
    const { client, calls } = withBots();
    mount(client, "registration");
    await settle();
    const toggle = [...root.querySelectorAll<HTMLLabelElement>("label.switch-row")].find((l) => text(l).startsWith("Members may make bots"))!;
    const box = toggle.querySelector<HTMLInputElement>('input[role="switch"]')!;
    expect(box.checked).toBe(false);
    expect(box.disabled).toBe(false);
    tick(box, true);
    await submit(box.form!);
    expect(calls.filter(([c]) => c === "domain").pop()).toEqual(["domain", { registration: "closed", members_invite: false, members_make_bots: true }]);
    render(null, root);
    mount(client, "registration", "zh");
    await settle();
    const zh = [...root.querySelectorAll<HTMLLabelElement>("label.switch-row")].find((l) => text(l).startsWith("成员可以创建机器人"))!;
    expect(zh.querySelector<HTMLInputElement>('input[role="switch"]')!.checked).toBe(true);
  });
});

describe("Settings → My bots", () => {
  /** A member of `x` whose domain lets members make bots (or not), with these bots of their own. */
  function member(may: boolean, own: Bot[]) {
    const { client, calls, state } = withBots("member");
    client.me = { ...client.me, account: "bob@x", display_name: "Bob", role: "member" };
    state.bots = own;
    const admin = client.admin as unknown as Record<string, unknown>;
    const create = admin.createBot as (r: CreateBotRequest) => Promise<Bot>;
    admin.createBot = async (request: CreateBotRequest) => {
      if (!may) { calls.push(["create", request]); throw new MagpieError("forbidden", "no", { status: 403 }); }
      return { ...(await create(request)), owner: "bob@x" };
    };
    // What the domain lets its members do is read from its sign-up information.
    vi.stubGlobal("fetch", async (url: string) => {
      const path = new URL(url, "http://x").pathname;
      if (path !== "/v1/auth/domains/x") return new Response(null, { status: 404 });
      const info = { domain: "x", registration: "closed", email_verification: false, email_domains: [], password_reset: false, members_invite: false, members_make_bots: may };
      return new Response(JSON.stringify(info), { status: 200 });
    });
    return { client, calls, state };
  }

  it("shows the member's own bots and makes them where the domain lets members", async () => {
    const { client, calls } = member(true, []);
    mountNode(client, <MyBotsSection />);
    await settle();
    expect(text($("#my-bots-title"))).toBe("My bots");
    expect(text($('[data-testid="bots-none"]'))).toBe("You have no bots yet.");
    // Asked without a domain: the server answers the member's own.
    expect(calls[0]).toEqual(["bots", undefined]);
    await click(button(root, "New bot"));
    change(input("my-bot-new-name"), "helper");
    await submit(input("my-bot-new-name").form!);
    expect(text(row("helper@x").querySelector('[data-testid="bot-owner"]'))).toBe("You");
    expect($('[data-testid="bot-detail"]')!.dataset.account).toBe("helper@x");
  });

  it("is not there where the domain does not let members and they made none, and can't make more where it stopped", async () => {
    mountNode(member(false, []).client, <MyBotsSection />);
    await settle();
    expect(root.textContent).toBe("");
    render(null, root);
    mountNode(member(false, [bot("helper", { owner: "bob@x" })]).client, <MyBotsSection />, "zh");
    await settle();
    expect(text($("#my-bots-title"))).toBe("我的机器人");
    expect(text($('[data-testid="my-bots-off"]'))).toMatch(/^你所在域的管理员已不允许成员创建新的机器人/);
    expect([...root.querySelectorAll("button")].map(text)).not.toContain("新建机器人");
    expect(row("helper@x")).not.toBeNull();
  });

  it("is not an administrator's: they have the console", async () => {
    const { client, calls } = withBots("domain_admin");
    mountNode(client, <MyBotsSection />);
    await settle();
    expect(root.textContent).toBe("");
    expect(calls).toEqual([]);
  });
});

describe("the bot badge", () => {
  function client() {
    const c = new FakeClient();
    c.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    c.profiles.set("ci@x", { account: "ci@x", display_name: "CI", bot: true });
    return c;
  }
  const message = (seq: number, sender: string, body: Record<string, unknown>, kind = "text"): MessageView => ({
    key: String(seq), mine: false, entry: { conversation: 1, seq, id: seq, sender, kind, body, at_ms: Date.now() - 1000 },
  });

  it("marks a bot's messages by its name in a group, in words, and not a person's", () => {
    const c = client();
    c.convs = [conversation(1, { kind: "group", name: "Team", member_count: 3 })];
    c.messages.set(1, [message(1, "bob@x", { text: "hi" }), message(2, "ci@x", { text: "**Build 42** passed" }, "markdown")]);
    mountNode(c, <ChatView id={1} />);
    const rows = [...root.querySelectorAll<HTMLElement>('[data-testid="message"]')];
    expect(rows[0]!.querySelector('[data-testid="bot-badge"]')).toBeNull();
    const badge = rows[1]!.querySelector('[data-testid="bot-badge"]')!;
    expect(text(badge)).toBe("Bot");
    expect(text(badge.closest(".msg-sender"))).toBe("CI Bot");
    expect(rows[1]!.querySelector("strong")!.textContent).toBe("Build 42");
    expect(rows[1]!.getAttribute("aria-label")).toMatch(/^CI \(bot\), /);
    render(null, root);
    mountNode(c, <ChatView id={1} />, "zh");
    const zh = root.querySelectorAll<HTMLElement>('[data-testid="message"]')[1]!;
    expect(text(zh.querySelector('[data-testid="bot-badge"]'))).toBe("机器人");
    expect(zh.getAttribute("aria-label")).toMatch(/^CI（机器人）/);
  });

  it("marks a bot among a group's members and on its card", () => {
    const c = client();
    c.convs = [conversation(1, { kind: "group", name: "Team", member_count: 3 }, { role: "owner" })];
    mountNode(c, <GroupInfo conversation={c.convs[0]!} members={[
      { account: "me@x", role: "owner", joined_seq: 1, read_seq: 0, delivered_seq: 0 },
      { account: "bob@x", role: "member", joined_seq: 1, read_seq: 0, delivered_seq: 0 },
      { account: "ci@x", role: "member", joined_seq: 1, read_seq: 0, delivered_seq: 0 },
    ]} onClose={() => {}} />);
    const names = [...root.querySelectorAll(".member-list .person-name")].map(text);
    expect(names).toEqual(expect.arrayContaining(["Bob", "CI Bot"]));
    render(null, root);
    mountNode(c, <PersonCard account="ci@x" onClose={() => {}} onOpen={() => {}} />);
    expect(text(root.querySelector(".card-name"))).toBe("CI Bot");
    render(null, root);
    mountNode(c, <PersonCard account="bob@x" onClose={() => {}} onOpen={() => {}} />);
    expect(root.querySelector('[data-testid="bot-badge"]')).toBeNull();
  });
});

describe("the accounts tab", () => {
  it("badges a bot, and offers no password to reset for it", async () => {
    const { client } = withBots();
    (client.admin as unknown as Record<string, unknown>).adminAccounts = async () => [
      { account: "bob@x", display_name: "Bob", role: "member", disabled: false, created_at_ms: NOW },
      { account: "ci@x", display_name: "CI", bot: true, role: "member", disabled: false, created_at_ms: NOW },
    ];
    mount(client, "accounts");
    await settle();
    const person = $('[data-testid="account-row"][data-account="bob@x"]')!;
    const ci = $('[data-testid="account-row"][data-account="ci@x"]')!;
    expect(person.querySelector('[data-testid="bot-badge"]')).toBeNull();
    expect(text(ci.querySelector('[data-testid="bot-badge"]'))).toBe("Bot");
    expect(() => button(person, "Reset password for Bob")).not.toThrow();
    expect(() => button(ci, "Reset password for CI")).toThrow();
    expect(() => button(ci, "Disable CI")).not.toThrow();
  });
});

describe("the bots' pure parts", () => {
  it("check a new bot's fields", () => {
    expect(newBotProblem(" ", "", "")).toEqual({ field: "name", kind: "required" });
    expect(newBotProblem("-x", "", "")).toEqual({ field: "name", kind: "bad" });
    expect(newBotProblem("CI", "x".repeat(65), "")).toEqual({ field: "display_name", kind: "too_long", max: 64 });
    expect(newBotProblem("ci", "", "说".repeat(513))).toEqual({ field: "description", kind: "too_long", max: 512 });
    expect(newBotProblem("ci", "说".repeat(64), "说".repeat(512))).toBeNull();
  });

  it("read the server's refusals", () => {
    const e = (code: string, field?: string) => new MagpieError(code as "invalid_field", "x", { status: 422, ...(field ? { field } : {}) });
    expect(botRefusal(e("already_exists"))).toEqual({ field: "name", kind: "taken" });
    expect(botRefusal(e("forbidden"))).toEqual({ field: null, kind: "forbidden" });
    expect(botRefusal(e("limit_exceeded"))).toEqual({ field: null, kind: "full" });
    expect(botRefusal(e("too_large", "description"))).toEqual({ field: "description", kind: "too_long", max: 512 });
    expect(botRefusal(e("invalid_field", "description"))).toEqual({ field: "description", kind: "bad", max: 512 });
    expect(botRefusal(e("not_found"))).toEqual({ field: null, kind: "no_domain" });
    expect(botRefusal(e("internal"))).toBeNull();
    expect(tokenRefusal(e("invalid_field", "ttl_days"))).toEqual({ field: "days", kind: "bad", max: 3653 });
    expect(tokenRefusal(e("invalid_field", "scope"))).toEqual({ field: "scope", kind: "neither" });
    expect(tokenRefusal(e("not_found"))).toBeNull();
    expect(tokenRefusal(new MagpieError("invalid_field", "conversations: name at most 100", { status: 422, field: "conversations" })))
      .toEqual({ field: "conversations", kind: "too_many", max: 100 });
    expect(tokenRefusal(e("invalid_field", "conversations"))).toEqual({ field: "conversations", kind: "none", max: 100 });
  });

  it("make a token's request from its form", () => {
    expect(tokenRequestOf({ ...NEW_TOKEN_FORM, name: " ci " })).toEqual({ request: { name: "ci", read: true, send: true } });
    expect(tokenRequestOf({ ...NEW_TOKEN_FORM, name: "ci", reach: "chosen", chosen: [7, 3], ids: "3，12、40", days: "7" }))
      .toEqual({ request: { name: "ci", conversations: [3, 7, 12, 40], read: true, send: true, ttl_days: 7 } });
    expect(tokenRequestOf({ ...NEW_TOKEN_FORM, name: "ci", reach: "chosen", ids: Array.from({ length: 101 }, (_, i) => i + 1).join(" ") }))
      .toEqual({ problem: { field: "conversations", kind: "too_many", max: 100 } });
    expect(tokenRequestOf({ ...NEW_TOKEN_FORM, name: "x".repeat(65) })).toEqual({ problem: { field: "name", kind: "too_long", max: 64 } });
    expect(tokenRequestOf({ ...NEW_TOKEN_FORM, name: "ci", days: "3654" })).toEqual({ problem: { field: "days", kind: "bad", max: 3653 } });
    expect(parseIds(" 1, 2 ;3 ")).toEqual([1, 2, 3]);
    expect(parseIds("0")).toBeNull();
    expect(parseIds("")).toEqual([]);
    expect(scopePowers({ read: true, send: false })).toBe("read");
  });

  it("check a new subscription, read the server's refusals of it, and say its state", () => {
    expect(subscriptionRequestOf(" https://a.example/x ", ["update", "message"])).toEqual({ request: { url: "https://a.example/x", events: ["message", "update"] } });
    expect(subscriptionRequestOf("HTTP://a.example", ["member"])).toEqual({ request: { url: "HTTP://a.example", events: ["member"] } });
    expect(subscriptionRequestOf("", ["message"])).toEqual({ problem: { field: "url", kind: "required", max: 2048 } });
    expect(subscriptionRequestOf("ftp://a.example", ["message"])).toEqual({ problem: { field: "url", kind: "scheme", max: 2048 } });
    expect(subscriptionRequestOf("https://", ["message"])).toEqual({ problem: { field: "url", kind: "scheme", max: 2048 } });
    expect(subscriptionRequestOf(`https://a.example/${"说".repeat(700)}`, ["message"])).toEqual({ problem: { field: "url", kind: "too_long", max: 2048 } });
    expect(subscriptionRequestOf("https://u@a.example", ["message"])).toEqual({ problem: { field: "url", kind: "credentials", max: 2048 } });
    expect(subscriptionRequestOf("https://a.example", [])).toEqual({ problem: { field: "events", kind: "none" } });
    const e = (code: string, field?: string, message = "x") => new MagpieError(code as "invalid_field", message, { status: 422, ...(field ? { field } : {}) });
    expect(subscriptionRefusal(e("invalid_field", "url", "must be http:// or https://"))).toEqual({ field: "url", kind: "refused", why: "must be http:// or https://" });
    expect(subscriptionRefusal(e("invalid_field", "url", "url: 10.0.0.5 is not a public address"))).toEqual({ field: "url", kind: "refused", why: "10.0.0.5 is not a public address" });
    expect(subscriptionRefusal(e("invalid_field", "events"))).toEqual({ field: "events", kind: "none" });
    expect(subscriptionRefusal(e("limit_exceeded"))).toEqual({ field: null, kind: "full", max: 10 });
    expect(subscriptionRefusal(e("unavailable"))).toEqual({ field: null, kind: "unavailable", max: 10 });
    expect(subscriptionRefusal(e("not_found"))).toBeNull();
    expect(subscriptionState({ enabled: true })).toBe("enabled");
    expect(subscriptionState({ enabled: false, disabled_at_ms: 5 })).toBe("failed");
    expect(subscriptionState({ enabled: false })).toBe("disabled");
    const one: EventSubscription = { id: 1, url: "https://a.example", events: ["message"], enabled: true, failures: 0, pending: 0, dropped: 0, created_at_ms: 0 };
    const list = withSubscription([one], { ...one, id: 2, secret: "whsec_x" });
    expect(list.map((x) => x.id)).toEqual([1, 2]);
    expect(list[1]).not.toHaveProperty("secret");
    expect(withSubscription(list, { ...one, enabled: false }).map((x) => [x.id, x.enabled])).toEqual([[1, false], [2, true]]);
  });

  it("keep the list in order, and write the webhook's URL and command", () => {
    const list = withBot([bot("b"), bot("d")], bot("c"));
    expect(list.map((b) => b.account)).toEqual(["b@x", "c@x", "d@x"]);
    expect(withBot(list, bot("c", { disabled: true })).find((b) => b.account === "c@x")!.disabled).toBe(true);
    expect(webhookUrl("https://chat.example/", "/v1/hooks/s")).toBe("https://chat.example/v1/hooks/s");
    expect(curlExample("https://chat.example/v1/hooks/s")).toBe(`curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' https://chat.example/v1/hooks/s`);
  });
});
