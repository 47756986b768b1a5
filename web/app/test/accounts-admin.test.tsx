// Administration → Accounts, against a fake server: the list by login name with each account's
// role, state and date, paged with `after` and searched once typing pauses; what an
// administrator may do to whom; disabling, editing, a password reset shown once; a new account
// with the server's refusals on their fields; and the import from CSV: the dry run's errors on
// the sheet's lines, the bound, the import itself and the CSV of passwords.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import {
  MagpieError, type AccountChange, type AdminAccount, type AdminAccountQuery, type ImportAccountsReport, type ImportAccountsRequest, type NewAccount,
  type Session,
} from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ACCOUNT_SEARCH_DEBOUNCE_MS, AdminPage } from "../src/components/Admin.tsx";
import { ADMIN_TABS, parseRoute, routePath } from "../src/state/router.ts";
import { FakeClient } from "./fake-client.ts";

// jsdom's Blob cannot read itself as text (browsers' can): read it with a FileReader.
if (!("text" in Blob.prototype)) {
  Object.defineProperty(Blob.prototype, "text", {
    value(this: Blob) {
      return new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as string);
        reader.onerror = () => reject(reader.error);
        reader.readAsText(this);
      });
    },
  });
}

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); vi.restoreAllMocks(); vi.useRealTimers(); });

function mount(client: FakeClient, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab="accounts" /></ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const section = () => root.querySelector<HTMLElement>('section[aria-labelledby="adm-acc"]')!;
const importSection = () => root.querySelector<HTMLElement>('section[aria-labelledby="adm-acc-import"]')!;
const rows = () => [...section().querySelectorAll<HTMLElement>('[data-testid="account-row"]')];
const row = (account: string) => section().querySelector<HTMLElement>(`[data-testid="account-row"][data-account="${account}"]`)!;
const buttonIn = (scope: ParentNode, name: string) =>
  [...scope.querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
const button = (scope: ParentNode, name: string) => {
  const found = buttonIn(scope, name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};
const dialog = (name: string) =>
  [...root.querySelectorAll<HTMLElement>('[role="dialog"], [role="alertdialog"]')].find((d) => text(d.querySelector("h2")) === name);
/** Lets the page take the fake's answers (given at once) until nothing is loading. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
function change(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}
async function click(el: HTMLElement | undefined): Promise<void> {
  if (!el) throw new Error("nothing to click");
  act(() => { el.click(); });
  await settle();
}

const CREATED_MS = Date.UTC(2026, 0, 2, 12);
const acct = (name: string, extra: Partial<AdminAccount> = {}): AdminAccount => ({
  account: `${name}@x`, display_name: name[0]!.toUpperCase() + name.slice(1), role: "member", disabled: false, created_at_ms: CREATED_MS, ...extra,
});

/** A fake server's accounts: listed as the server lists them (by login name, `q` in the login or
 * display name, after a login name, `limit` at a time), and changed by the admin calls. */
function withAccounts(accounts: AdminAccount[], options: { role?: AdminAccount["role"]; importer?: (r: ImportAccountsRequest) => ImportAccountsReport } = {}) {
  const client = new FakeClient();
  client.me = { ...client.me, account: "alice@x", display_name: "Alice", role: options.role ?? "domain_admin" };
  const store = [...accounts];
  const asked: AdminAccountQuery[] = [];
  const calls: [string, ...unknown[]][] = [];
  const imports: ImportAccountsRequest[] = [];
  const find = (account: string) => store.find((a) => a.account === account)!;
  const sessions: Session[] = [
    { id: 7, device: "Firefox on Linux", ip: "203.0.113.5", created_at_ms: CREATED_MS, last_seen_at_ms: CREATED_MS + 60_000, expires_at_ms: CREATED_MS + 9e9, current: false },
  ];
  client.admin = {
    domains: async () => [],
    adminAccounts: async (query: AdminAccountQuery = {}) => {
      asked.push(query);
      const q = (query.q ?? "").toLowerCase();
      const login = (a: AdminAccount) => a.account.split("@")[0]!;
      return store
        .filter((a) => !q || login(a).includes(q) || a.display_name.toLowerCase().includes(q))
        .sort((a, b) => (login(a) < login(b) ? -1 : 1))
        .filter((a) => !query.after || login(a) > query.after)
        .slice(0, query.limit ?? 50);
    },
    createAccount: async (account: NewAccount) => {
      calls.push(["create", account]);
      if (account.password.length < 12) throw new MagpieError("invalid_field", "password: must be at least 12 characters", { status: 422, field: "password" });
      if (store.some((a) => a.account === account.account)) throw new MagpieError("already_exists", "account already exists", { status: 409 });
      const made = acct(account.account.split("@")[0]!, { display_name: account.display_name ?? account.account.split("@")[0]!, role: account.role ?? "member" });
      store.push(made);
      return made;
    },
    updateAccount: async (account: string, change: AccountChange) => {
      calls.push(["update", account, change]);
      Object.assign(find(account), change);
      return { ...find(account) };
    },
    disableAccount: async (account: string) => { calls.push(["disable", account]); find(account).disabled = true; return { ...find(account) }; },
    enableAccount: async (account: string) => { calls.push(["enable", account]); find(account).disabled = false; return { ...find(account) }; },
    resetAccountPassword: async (account: string, password?: string) => { calls.push(["reset", account, password]); return { password: "Made2345PasswordX" }; },
    accountSessions: async (account: string) => { calls.push(["sessions", account]); return [...sessions]; },
    revokeAccountSession: async (account: string, id: number) => { calls.push(["end", account, id]); sessions.splice(sessions.findIndex((s) => s.id === id), 1); },
    revokeAccountSessions: async (account: string) => { calls.push(["end all", account]); sessions.length = 0; },
    importAccounts: async (request: ImportAccountsRequest) => {
      imports.push(request);
      return options.importer ? options.importer(request) : { dry_run: !!request.dry_run, errors: [], created: [] };
    },
  } as unknown as typeof client.admin;
  return { client, asked, calls, imports, store };
}

describe("the accounts tab", () => {
  it("is a tab of its own, with its route", () => {
    expect(ADMIN_TABS).toContain("accounts");
    expect(parseRoute("/admin/accounts")).toEqual({ page: "admin", tab: "accounts" });
    expect(routePath({ page: "admin", tab: "accounts" })).toBe("/admin/accounts");
  });

  it("lists the domain's accounts with their role, state and date, and only the actions the caller may take", async () => {
    const { client, asked } = withAccounts([
      acct("bob", { disabled: true }), acct("alice", { role: "domain_admin" }), acct("root", { role: "server_admin", display_name: "Root" }),
      acct("carol", { role: "domain_admin", display_name: "<b>Carol</b>" }),
    ]);
    mount(client);
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Accounts");
    expect(asked).toEqual([{ domain: "x", limit: 50 }]);
    expect(rows().map((r) => r.dataset.account)).toEqual(["alice@x", "bob@x", "carol@x", "root@x"]);
    expect(text(row("alice@x").querySelector(".person-name"))).toBe("Alice Domain admin You");
    expect(text(row("bob@x").querySelector(".person-name"))).toBe("Bob Member Disabled");
    expect(text(row("carol@x").querySelector(".person-name"))).toBe("<b>Carol</b> Domain admin");
    expect(row("carol@x").querySelector("b")).toBeNull();
    expect(text(row("bob@x").querySelector(".person-addr"))).toBe("bob@x · Created Jan 2, 2026");
    expect(row("bob@x").querySelector("time")!.getAttribute("datetime")).toBe(new Date(CREATED_MS).toISOString());
    const actions = (account: string) => [...row(account).querySelectorAll("button")].map((b) => b.getAttribute("aria-label"));
    expect(actions("alice@x")).toEqual(["Edit Alice", "Sessions of Alice"]);
    expect(actions("bob@x")).toEqual(["Edit Bob", "Sessions of Bob", "Reset password for Bob", "Enable Bob"]);
    expect(actions("carol@x")).toEqual(["Edit <b>Carol</b>", "Sessions of <b>Carol</b>", "Reset password for <b>Carol</b>", "Disable <b>Carol</b>"]);
    // A server administrator is out of a domain administrator's reach.
    expect(actions("root@x")).toEqual([]);
    expect(text(row("root@x").querySelector(".account-actions"))).toBe("Managed by a server administrator");
    expect(text(section().querySelector('[role="status"]'))).toBe("4 accounts shown");
  });

  it("pages with the last login name, until a page comes back short", async () => {
    const many = Array.from({ length: 120 }, (_, i) => acct(`user${String(i).padStart(3, "0")}`));
    const { client, asked } = withAccounts(many);
    mount(client);
    await settle();
    expect(rows()).toHaveLength(50);
    await click(button(section(), "Load more"));
    expect(asked[1]).toEqual({ domain: "x", after: "user049", limit: 50 });
    expect(rows()).toHaveLength(100);
    await click(button(section(), "Load more"));
    expect(asked[2]).toEqual({ domain: "x", after: "user099", limit: 50 });
    expect(rows()).toHaveLength(120);
    expect(buttonIn(section(), "Load more")).toBeUndefined();
    expect(text(section().querySelector('[role="status"]'))).toBe("120 accounts shown");
  });

  it("searches once typing pauses, or at once on Enter, and says when nothing matches", async () => {
    vi.useFakeTimers();
    const { client, asked } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob", { display_name: "Robert" }), acct("carol")]);
    mount(client);
    await settle();
    const box = section().querySelector<HTMLInputElement>('input[type="search"]')!;
    expect(root.querySelector(`label[for="${box.id}"]`)!.textContent).toBe("Search by login or display name");
    change(box, "rob");
    act(() => { vi.advanceTimersByTime(ACCOUNT_SEARCH_DEBOUNCE_MS - 1); });
    change(box, "robe");
    act(() => { vi.advanceTimersByTime(ACCOUNT_SEARCH_DEBOUNCE_MS - 1); });
    // Still typing: nothing asked.
    expect(asked).toHaveLength(1);
    act(() => { vi.advanceTimersByTime(1); });
    await settle();
    expect(asked[1]).toEqual({ domain: "x", q: "robe", limit: 50 });
    expect(rows().map((r) => r.dataset.account)).toEqual(["bob@x"]);

    change(box, "  nobody ");
    act(() => { box.form!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true })); });
    await settle();
    expect(asked[2]).toEqual({ domain: "x", q: "nobody", limit: 50 });
    expect(text(section().querySelector('[data-testid="accounts-empty"]'))).toBe("No account's login or display name contains “nobody”.");
    act(() => { vi.advanceTimersByTime(ACCOUNT_SEARCH_DEBOUNCE_MS); });
    await settle();
    // The pause after Enter asks nothing new.
    expect(asked).toHaveLength(3);
  });

  it("disables and enables an account, asked first", async () => {
    const { client, calls } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob")]);
    mount(client);
    await settle();
    await click(button(row("bob@x"), "Disable Bob"));
    const confirm = dialog("Disable")!;
    expect(confirm.getAttribute("role")).toBe("alertdialog");
    expect(text(confirm.querySelector("p"))).toContain("Disable Bob (bob@x)? They are signed out on every device at once");
    expect(calls).toEqual([]);
    await click(button(confirm, "Disable"));
    expect(calls).toEqual([["disable", "bob@x"]]);
    expect(text(row("bob@x").querySelector('[data-testid="account-disabled"]'))).toBe("Disabled");
    await click(button(row("bob@x"), "Enable Bob"));
    await click(button(dialog("Enable")!, "Enable"));
    expect(calls[1]).toEqual(["enable", "bob@x"]);
    expect(row("bob@x").querySelector('[data-testid="account-disabled"]')).toBeNull();
  });

  it("edits a display name and a role within the caller's own, and never the caller's own role", async () => {
    const { client, calls } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob")]);
    mount(client);
    await settle();
    await click(button(row("bob@x"), "Edit Bob"));
    const edit = dialog("Edit Bob")!;
    const role = edit.querySelector<HTMLSelectElement>("#acc-edit-role")!;
    expect([...role.options].map((o) => [o.value, text(o)])).toEqual([["member", "Member"], ["domain_admin", "Domain admin"]]);
    // Nothing changed: nothing sent.
    await click(button(edit, "Save"));
    expect(calls).toEqual([]);
    expect(dialog("Edit Bob")).toBeUndefined();

    await click(button(row("bob@x"), "Edit Bob"));
    const again = dialog("Edit Bob")!;
    change(again.querySelector<HTMLInputElement>("#acc-edit-display_name")!, "  Robert ");
    change(again.querySelector<HTMLSelectElement>("#acc-edit-role")!, "domain_admin");
    await click(button(again, "Save"));
    expect(calls).toEqual([["update", "bob@x", { display_name: "Robert", role: "domain_admin" }]]);
    expect(text(row("bob@x").querySelector(".person-name"))).toBe("Robert Domain admin");

    await click(button(row("alice@x"), "Edit Alice"));
    const own = dialog("Edit Alice")!;
    const ownRole = own.querySelector<HTMLSelectElement>("#acc-edit-role")!;
    expect(ownRole.disabled).toBe(true);
    expect(text(document.getElementById(ownRole.getAttribute("aria-describedby")!))).toBe("You can't change your own role.");
    change(own.querySelector<HTMLInputElement>("#acc-edit-display_name")!, "Alice W");
    await click(button(own, "Save"));
    // The role is not sent for oneself.
    expect(calls[1]).toEqual(["update", "alice@x", { display_name: "Alice W" }]);
  });

  it("shows a reset password once, after asking, with a copy button", async () => {
    const { client, calls } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob")]);
    const copied: string[] = [];
    Object.defineProperty(navigator, "clipboard", { value: { writeText: async (s: string) => { copied.push(s); } }, configurable: true });
    mount(client);
    await settle();
    await click(button(row("bob@x"), "Reset password for Bob"));
    expect(calls).toEqual([]);
    await click(button(dialog("Reset password")!, "Reset password"));
    expect(calls).toEqual([["reset", "bob@x", undefined]]);
    const shown = dialog("New password for Bob")!;
    expect(text(shown.querySelector('[role="note"]'))).toBe("Copy it now and hand it over safely: it won't be shown again.");
    const code = shown.querySelector('[data-testid="made-password"]')!;
    expect(code.textContent).toBe("Made2345PasswordX");
    expect(text(document.getElementById(code.getAttribute("aria-labelledby")!))).toBe("New password of bob@x");
    await click(button(shown, "Copy password"));
    expect(copied).toEqual(["Made2345PasswordX"]);
    await click(button(shown, "Done"));
    expect(dialog("New password for Bob")).toBeUndefined();
    expect(root.textContent).not.toContain("Made2345PasswordX");
  });

  it("lists an account's sessions, ends one, and signs it out everywhere", async () => {
    const { client, calls } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob")]);
    mount(client);
    await settle();
    await click(button(row("bob@x"), "Sessions of Bob"));
    const panel = dialog("Sessions of Bob")!;
    const sessions = () => [...panel.querySelectorAll('[data-testid="account-session"]')];
    expect(sessions().map((s) => text(s.querySelector(".person-name")))).toEqual(["Firefox on Linux"]);
    expect(text(sessions()[0]!.querySelector('[data-testid="account-session-detail"]'))).toMatch(/^203\.0\.113\.5 · last seen .+ · signed in .+$/);
    await click(button(panel, "End session on Firefox on Linux"));
    await click(button(dialog("End session")!, "End session"));
    expect(calls.slice(1)).toEqual([["end", "bob@x", 7], ["sessions", "bob@x"]]);
    expect(text(panel.querySelector('[data-testid="sessions-empty"]'))).toBe("Not signed in anywhere.");
    expect(button(panel, "Sign out everywhere").disabled).toBe(true);
  });

  it("makes an account, with the server's refusals on their fields", async () => {
    const { client, calls } = withAccounts([acct("alice", { role: "domain_admin" }), acct("bob")]);
    mount(client);
    await settle();
    const toggle = button(section(), "New account");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    await click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const form = root.querySelector<HTMLElement>('section[aria-labelledby="adm-acc-new"]')!;
    const name = form.querySelector<HTMLInputElement>("#acc-new-name")!;
    const password = form.querySelector<HTMLInputElement>("#acc-new-password")!;
    expect(text(form.querySelector(".input-suffix"))).toBe("@x");
    expect([...form.querySelectorAll<HTMLOptionElement>("#acc-new-role option")].map((o) => o.value)).toEqual(["member", "domain_admin"]);

    // What the form can tell itself.
    change(name, "Bad Name");
    await click(button(form, "Create account"));
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(text(document.getElementById("acc-new-name-error"))).toBe("only letters a–z, digits, “.”, “_” and “-”, starting and ending with a letter or digit");
    expect(name.getAttribute("aria-describedby")).toBe("acc-new-name-hint acc-new-name-error");
    expect(calls).toEqual([]);

    // What the server says, on its field.
    change(name, "Bob");
    change(password, "short");
    await click(button(form, "Create account"));
    expect(password.getAttribute("aria-invalid")).toBe("true");
    expect(text(document.getElementById("acc-new-password-error"))).toBe("must have at least 12 characters");
    expect(name.getAttribute("aria-invalid")).toBe("false");
    change(password, "long-enough-password");
    await click(button(form, "Create account"));
    expect(text(document.getElementById("acc-new-name-error"))).toBe("an account with this name exists already");

    change(name, "dave");
    change(form.querySelector<HTMLInputElement>("#acc-new-display_name")!, "Dave D");
    change(form.querySelector<HTMLSelectElement>("#acc-new-role")!, "domain_admin");
    await click(button(form, "Make one"));
    expect(password.type).toBe("text");
    expect(password.value).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{16}$/);
    const made = password.value;
    await click(button(form, "Create account"));
    expect(calls.at(-1)).toEqual(["create", { account: "dave@x", password: made, role: "domain_admin", display_name: "Dave D" }]);
    expect(text(row("dave@x").querySelector(".person-name"))).toBe("Dave D Domain admin");
    expect(name.value).toBe("");
    expect(password.value).toBe("");
    expect(form.querySelector('[role="alert"]')).toBeNull();
  });
});

describe("importing accounts from CSV", () => {
  const paste = async (csv: string) => {
    change(importSection().querySelector<HTMLTextAreaElement>("#acc-import-text")!, csv);
    await click(button(importSection(), "Check pasted text"));
  };
  const tableRows = () => [...importSection().querySelectorAll<HTMLElement>('[data-testid="import-row"]')];

  it("runs a dry run at once, marks each bad row on its line, and imports only a clean sheet", async () => {
    const bad = 'account,display_name,role\nalice2,"Two\nlines",member\nbob2,Bob,boss\ncarol2,Carol,\ncarol2,"Carol, again",\n';
    const { client, imports, asked } = withAccounts([acct("alice", { role: "domain_admin" })], {
      importer: (r) => r.dry_run
        ? { dry_run: true, created: [], errors: r.rows.length === 4 ? [{ row: 3, field: "account", message: "carol2 is on row 3 already" }] : [] }
        : { dry_run: false, errors: [], created: r.rows.map((x, i) => ({ account: acct(x.account), ...(i === 1 ? {} : { password: `Made${i}PasswordAbcdefgh` }) })) },
    });
    const blobs: Blob[] = [];
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) { clicked.push(this.download); });
    Object.assign(URL, { createObjectURL: (b: Blob) => { blobs.push(b); return "blob:x"; }, revokeObjectURL: vi.fn() });
    mount(client);
    await settle();
    await click(button(section(), "Import from CSV"));
    expect(text(importSection().querySelector("h2"))).toBe("Import accounts from CSV");

    await paste(bad);
    expect(imports[0]).toEqual({
      domain: "x", dry_run: true,
      // The role the server would not read is left out; the app reports it itself.
      rows: [{ account: "alice2", display_name: "Two\nlines", role: "member" }, { account: "bob2", display_name: "Bob" }, { account: "carol2", display_name: "Carol" },
        { account: "carol2", display_name: "Carol, again" }],
    });
    expect(text(importSection().querySelector('[data-testid="import-summary"]')))
      .toBe("Pasted text: 2 of 4 rows have problems. Nothing is made until every row is good.");
    const problems = [...importSection().querySelectorAll('[data-testid="import-problems"] li')].map(text);
    expect(problems).toEqual([
      "Line 4: Role: “boss” is none of member, domain_admin, server_admin",
      "Line 6: Account: the same account as line 5",
    ]);
    // The table shows the bad rows, marked, and every row when asked.
    expect(tableRows().map((r) => [r.dataset.line, r.dataset.ok])).toEqual([["4", "false"], ["6", "false"]]);
    const onlyBad = importSection().querySelector<HTMLInputElement>(".import-toolbar input")!;
    expect(onlyBad.checked).toBe(true);
    act(() => { onlyBad.click(); });
    expect(tableRows().map((r) => [r.dataset.line, r.dataset.ok])).toEqual([["2", "true"], ["4", "false"], ["5", "true"], ["6", "false"]]);
    expect([...tableRows()[0]!.querySelectorAll("td")].map(text)).toEqual(["2", "alice2", "Two lines", "Member", "made by the server", "OK"]);
    expect([...tableRows()[1]!.querySelectorAll("td")].map(text).slice(0, 4)).toEqual(["4", "bob2", "Bob", "boss"]);
    const importButton = button(importSection(), "Import 4 accounts");
    expect(importButton.disabled).toBe(true);
    expect(text(document.getElementById(importButton.getAttribute("aria-describedby")!))).toBe("Fix the rows with problems, then choose the file again (or check the pasted text again).");
    expect(imports).toHaveLength(1);

    await paste("account,password\nalice2,\nbob2,own-password-given\ncarol2,\n");
    expect(text(importSection().querySelector('[data-testid="import-summary"]'))).toBe("Pasted text: all 3 rows are good.");
    expect(importSection().querySelector('[data-testid="import-problems"]')).toBeNull();
    await click(button(importSection(), "Import 3 accounts"));
    expect(imports.at(-1)).toEqual({ domain: "x", rows: [{ account: "alice2" }, { account: "bob2", password: "own-password-given" }, { account: "carol2" }] });
    const made = importSection().querySelector<HTMLElement>('[data-testid="import-made"]')!;
    expect(text(made.querySelector("h3"))).toBe("3 accounts were made");
    expect([...made.querySelectorAll("tbody tr")].map((r) => [...r.querySelectorAll("td")].map(text))).toEqual([
      ["alice2@x", "Alice2", "Member", "Made0PasswordAbcdefgh"], ["bob2@x", "Bob2", "Member", "from your file"], ["carol2@x", "Carol2", "Member", "Made2PasswordAbcdefgh"],
    ]);
    await click(button(made, "Download CSV of passwords"));
    expect(clicked).toEqual(["magpie-passwords-x.csv"]);
    expect(await blobs[0]!.text()).toBe("account,password\r\nalice2@x,Made0PasswordAbcdefgh\r\nbob2@x,own-password-given\r\ncarol2@x,Made2PasswordAbcdefgh\r\n");
    // The list is read again, for the new accounts.
    expect(asked).toHaveLength(2);
  });

  it("refuses more than 1,000 rows, and what is not an import sheet, before asking the server", async () => {
    const { client, imports } = withAccounts([acct("alice", { role: "domain_admin" })]);
    mount(client);
    await settle();
    await click(button(section(), "Import from CSV"));
    await paste(["account", ...Array.from({ length: 1001 }, (_, i) => `user${i}`)].join("\n"));
    expect(text(importSection().querySelector('[data-testid="import-read-error"]')))
      .toBe("Pasted text: it has 1001 accounts, and one import takes at most 1000. Split it into several files.");
    await paste("account,email\nalice,a@b\n");
    expect(text(importSection().querySelector('[data-testid="import-read-error"]')))
      .toBe("Pasted text: column 2 of the first line is “email”, which is none of account, display_name, role, password.");
    await paste('account\n"alice\n');
    expect(text(importSection().querySelector('[data-testid="import-read-error"]'))).toBe("Pasted text: line 2: a quoted field is never closed.");
    expect(imports).toEqual([]);
    expect(importSection().querySelector('[data-testid="import-row"]')).toBeNull();
  });

  it("reads a chosen file, and says it in Chinese", async () => {
    const { client, imports } = withAccounts([acct("alice", { role: "domain_admin" })], {
      importer: () => ({ dry_run: true, created: [], errors: [{ row: 0, field: "password", message: "password: must be at least 12 characters" }] }),
    });
    mount(client, "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("账号");
    await click(button(section(), "从 CSV 导入"));
    const input = importSection().querySelector<HTMLInputElement>("#acc-import-file")!;
    const file = new File(["\uFEFFaccount,password\r\n王伟,short\r\n"], "名单.csv", { type: "text/csv" });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    act(() => { input.dispatchEvent(new Event("change", { bubbles: true })); });
    await vi.waitFor(() => expect(imports).toHaveLength(1));
    await settle();
    expect(imports[0]!.rows).toEqual([{ account: "王伟", password: "short" }]);
    expect(text(importSection().querySelector('[data-testid="import-summary"]'))).toBe("名单.csv：1 行中有 1 行有问题。所有行都没有问题之前，不会创建任何账号。");
    expect([...importSection().querySelectorAll('[data-testid="import-problems"] li')].map(text)).toEqual(["第 2 行：密码：至少需要 12 个字符"]);
    expect(button(importSection(), "导入 1 个账号").disabled).toBe(true);
  });
});
