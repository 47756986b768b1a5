// Registration in every mode, the waiting and declined screens, the password reset, the
// directory and a person's card: their accessible names and what they show, on the real
// components with a stand-in server (fetch) or the fake client.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AuthScreen } from "../src/components/Auth.tsx";
import { DirectoryPage } from "../src/components/Directory.tsx";
import { PersonCard } from "../src/components/PersonCard.tsx";
import { FakeClient } from "./fake-client.ts";

let root: HTMLElement;
// The form asks the server a moment after typing stops: the tests move a fake clock instead of
// waiting on the real one.
beforeEach(() => { vi.useFakeTimers(); root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); vi.unstubAllGlobals(); vi.useRealTimers(); });

function mount(node: preact.ComponentChildren, client = new FakeClient(), locale: "en" | "zh" = "en"): void {
  act(() => { render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root); });
}
const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const label = (name: string) => $$("label").find((l) => text(l) === name);
const field = (name: string) => {
  const l = label(name);
  return l ? root.querySelector<HTMLInputElement>(`#${l.getAttribute("for")}`) : null;
};
const button = (name: string) => $$("button").find((b) => text(b) === name || b.getAttribute("aria-label") === name);
const type = (name: string, value: string) => act(() => {
  const input = field(name)!;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
});
const click = (name: string) => act(() => { button(name)!.click(); });

/** Moves the fake clock on, 10 ms at a time (running the timers due and settling promises),
 * until the condition holds. */
async function until(condition: () => unknown, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await act(async () => { await vi.advanceTimersByTimeAsync(10); });
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A stand-in server: answers by method and path, records the requests. */
function serve(answers: Record<string, { status: number; body?: unknown }>): { method: string; path: string; body: unknown }[] {
  const seen: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const path = new URL(url, "http://x").pathname;
    const method = init.method ?? "GET";
    seen.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const answer = answers[`${method} ${path}`] ?? { status: 404, body: { error: { code: "not_found", message: "no such endpoint" } } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status });
  });
  return seen;
}

const domainAnswer = (registration: string, extra: object = {}) => ({
  status: 200, body: { domain: "acme.example", registration, email_verification: false, email_domains: [], password_reset: true, members_invite: false, ...extra },
});

describe("registration", () => {
  it("asks for an invitation code and a verified email where the domain wants them", async () => {
    const seen = serve({
      "GET /v1/auth/domains/acme.example": domainAnswer("invitation", { email_verification: true, email_domains: ["acme.com"] }),
      "POST /v1/auth/email-code": { status: 202, body: { expires_in_secs: 600, resend_after_secs: 60 } },
    });
    mount(<AuthScreen onSignedIn={() => {}} />);
    click("Create an account");
    type("Account", "ann@acme.example");
    await until(() => label("Invitation code"), "the invitation field");
    expect(label("Email")).toBeDefined();
    expect(label("Verification code")).toBeDefined();
    expect(text(root.querySelector("#auth-email-hint"))).toBe("Use an address ending in @acme.com.");

    // An address of another domain is refused before asking the server.
    type("Email", "ann@gmail.com");
    click("Send code");
    expect(text(root.querySelector('[role="alert"]'))).toBe("This domain only accepts addresses at acme.com.");
    type("Email", "ann@acme.com");
    click("Send code");
    await until(() => button("Send again in 60s"), "the resend countdown");
    expect(button("Send again in 60s")?.hasAttribute("disabled")).toBe(true);
    expect(seen.find((r) => r.path === "/v1/auth/email-code")?.body).toEqual({ domain: "acme.example", email: "ann@acme.com", lang: "en" });

    // Without the code the form says what is missing.
    type("Password", "plum lantern orbit ann");
    type("Invitation code", "inv_x");
    act(() => { root.querySelector("form")!.requestSubmit(); });
    expect(text(root.querySelector('[role="alert"]'))).toBe("Enter your email address and the code sent to it.");
  });

  it("asks for an address, and no code, where the domain limits addresses but does not verify them", async () => {
    const seen = serve({
      "GET /v1/auth/domains/acme.example": domainAnswer("open", { email_domains: ["acme.com"] }),
      "POST /v1/auth/register": { status: 422, body: { error: { code: "invalid_field", message: "email", field: "email" } } },
    });
    mount(<AuthScreen onSignedIn={() => {}} />);
    click("Create an account");
    type("Account", "ann@acme.example");
    await until(() => label("Email"), "the email field");
    expect(label("Verification code")).toBeUndefined();
    expect(button("Send code")).toBeUndefined();
    type("Password", "plum lantern orbit ann");
    act(() => { root.querySelector("form")!.requestSubmit(); });
    expect(text(root.querySelector('[role="alert"]'))).toBe("Enter your email address.");
    type("Email", "ann@acme.com");
    act(() => { root.querySelector("form")!.requestSubmit(); });
    await until(() => seen.some((r) => r.path === "/v1/auth/register"), "the registration");
    expect(seen.find((r) => r.path === "/v1/auth/register")?.body).toMatchObject({ account: "ann@acme.example", email: "ann@acme.com" });
    expect(seen.find((r) => r.path === "/v1/auth/register")?.body).not.toHaveProperty("email_code");
  });

  it("offers the invitation field as optional where the server cannot say what a domain needs", async () => {
    serve({});
    mount(<AuthScreen onSignedIn={() => {}} />, new FakeClient(), "zh");
    click("创建账号");
    type("账号", "ann@acme.example");
    await until(() => label("邀请码（如有）"), "the optional invitation field");
    expect(label("邮箱")).toBeUndefined();
  });

  it("says when registration is closed, and sends an applicant to the waiting screen", async () => {
    serve({ "GET /v1/auth/domains/closed.example": domainAnswer("closed"), "GET /v1/auth/domains/acme.example": domainAnswer("approval"),
      "POST /v1/auth/register": { status: 202, body: { account: "ann@acme.example" } } });
    mount(<AuthScreen onSignedIn={() => {}} />);
    click("Create an account");
    type("Account", "ann@closed.example");
    await until(() => $$('[role="status"]').some((s) => text(s).startsWith("Registration is closed in closed.example")), "the closed notice");
    expect(button("Register")?.hasAttribute("disabled")).toBe(true);

    type("Account", "ann@acme.example");
    await until(() => button("Apply to join"), "the approval mode");
    expect(label("Invitation code")).toBeUndefined();
    type("Password", "plum lantern orbit ann");
    click("Apply to join");
    await until(() => $$("h1").some((h) => text(h) === "Waiting for approval"), "the waiting screen");
    expect(text(root.querySelector('[data-testid="approval-pending"] [role="status"]'))).toContain("ann@acme.example");
  });

  it("opens an invitation link with its code, and a bare name is in the invitation's domain", async () => {
    const seen = serve({ "GET /v1/auth/domains/acme.example": domainAnswer("invitation"), "POST /v1/auth/register": { status: 422, body: { error: { code: "invalid_field", message: "invitation", field: "invitation" } } } });
    mount(<AuthScreen onSignedIn={() => {}} invite={{ domain: "acme.example", code: "inv_abc" }} />);
    expect(text(root.querySelector("h1"))).toBe("Join with an invitation");
    expect(field("Invitation code")?.value).toBe("inv_abc");
    type("Account", "ann");
    type("Password", "plum lantern orbit ann");
    act(() => { root.querySelector("form")!.requestSubmit(); });
    await until(() => root.querySelector('[role="alert"]'), "the refusal");
    expect(text(root.querySelector('[role="alert"]'))).toMatch(/^That invitation code doesn't work/);
    expect(seen.find((r) => r.path === "/v1/auth/register")?.body).toMatchObject({ account: "ann@acme.example", invitation: "inv_abc" });
  });
});

describe("signing in and resetting a password", () => {
  it("shows the waiting and the declined screens for applicants", async () => {
    const refuse = (code: string) => serve({ "POST /v1/auth/login": { status: 403, body: { error: { code, message: code } } } });
    refuse("approval_pending");
    mount(<AuthScreen onSignedIn={() => {}} />);
    type("Account", "ann@acme.example");
    type("Password", "whatever it is");
    click("Sign in");
    await until(() => $$("h1").some((h) => text(h) === "Waiting for approval"), "the waiting screen");
    refuse("registration_rejected");
    click("Back to sign in");
    type("Account", "ann@acme.example");
    type("Password", "whatever it is");
    click("Sign in");
    await until(() => $$("h1").some((h) => text(h) === "Application declined"), "the declined screen");
    expect(text(root.querySelector('[role="alert"]'))).toContain("ann@acme.example");
  });

  it("resets a password with a mailed code, then asks to sign in again", async () => {
    const seen = serve({ "POST /v1/auth/password-reset/code": { status: 202, body: { expires_in_secs: 600, resend_after_secs: 60 } }, "POST /v1/auth/password-reset": { status: 204 },
      "GET /v1/auth/domains/acme.example": domainAnswer("open") });
    mount(<AuthScreen onSignedIn={() => {}} />);
    click("Forgot password?");
    type("Account", "ann@acme.example");
    click("Email me a code");
    await until(() => label("Reset code"), "the code form");
    type("Reset code", "123456");
    type("New password", "plum lantern orbit ann");
    type("Confirm password", "plum lantern orbit ann");
    click("Set new password");
    await until(() => $$("h1").some((h) => text(h) === "Sign in to Magpie"), "the sign-in form");
    expect(text(root.querySelector('[role="status"]'))).toMatch(/^Your password was changed and every session signed out/);
    expect(seen.filter((r) => r.method === "POST").map((r) => r.body)).toEqual([
      { account: "ann@acme.example", lang: "en" },
      { account: "ann@acme.example", code: "123456", new_password: "plum lantern orbit ann" },
    ]);
  });
});

describe("the directory", () => {
  const client = () => {
    const c = new FakeClient();
    c.departmentList = [
      { id: 1, name: "总部", position: 0, member_count: 0, total_count: 2 },
      { id: 2, parent: 1, name: "研发部", position: 0, manager: "carol@x", member_count: 2, total_count: 2 },
    ];
    c.departmentPeople.set(2, [
      { profile: { account: "bob@x", display_name: "王伟" }, title: "前端工程师" },
      { profile: { account: "carol@x", display_name: "<b>张敏</b>", email: "carol@acme.com" }, title: "技术总监" },
    ]);
    c.profiles.set("carol@x", { account: "carol@x", display_name: "<b>张敏</b>", email: "carol@acme.com", phone: "+86 138-0000-0000" });
    c.placementsOf.set("carol@x", { departments: [{ department: 2, path: [{ id: 1, name: "总部" }, { id: 2, name: "研发部" }], title: "技术总监", manager: "dan@x" }] });
    return c;
  };

  it("shows the tree with head counts and a department's people with their titles, as text", async () => {
    mount(<DirectoryPage department={2} />, client(), "zh");
    await until(() => $$('[data-testid="dir-person"]').length === 2, "the people");
    const tree = root.querySelector('nav[aria-label="部门"]')!;
    expect($$("button.dept-name").map((b) => b.textContent)).toEqual(["总部 2", "研发部 2"]);
    expect(tree.querySelector('[aria-current="true"]')?.textContent).toBe("研发部 2");
    expect(text(root.querySelector("h2.dir-heading"))).toBe("研发部");
    const people = $$('[data-testid="dir-person"]').map(text);
    expect(people[0]).toBe("王伟前端工程师 · bob@x");
    // A name is text, never markup.
    expect(root.querySelector('[data-testid="dir-person"] b')).toBeNull();
    expect(people[1]).toContain("<b>张敏</b>负责人技术总监");
  });

  it("opens a person's card with where they sit, their manager and their contact fields", async () => {
    mount(<PersonCard account="carol@x" onClose={() => {}} onOpen={() => {}} />, client());
    await until(() => root.querySelector(".placement"), "the placements");
    expect(root.querySelector('[role="dialog"]')?.getAttribute("aria-labelledby")).toBeTruthy();
    expect(text(root.querySelector(".dialog-header h2"))).toBe("<b>张敏</b>'s card");
    expect(text(root.querySelector(".placement-path"))).toBe("总部 / 研发部");
    expect(text(root.querySelector(".placement-title"))).toBe("技术总监");
    expect(text(root.querySelector(".placement-manager"))).toBe("Manager: dan");
    expect(root.querySelector('a[href="mailto:carol@acme.com"]')).not.toBeNull();
    expect(root.querySelector('a[href="tel:+8613800000000"]')).not.toBeNull();
    expect(button("Send message")).toBeDefined();
    // Without a manager of her own, each department's manager is shown by it.
    expect(root.querySelector('[data-testid="own-manager"]')).toBeNull();
  });

  it("shows a person's own manager, which may be none of their departments' managers", async () => {
    const c = client();
    c.profiles.set("erin@x", { account: "erin@x", display_name: "<i>Erin</i>" });
    c.placementsOf.set("carol@x", { ...c.placementsOf.get("carol@x")!, manager: "erin@x" });
    const opened: string[] = [];
    mount(<PersonCard account="carol@x" onClose={() => {}} onOpen={(a) => opened.push(a)} />, c, "zh");
    await until(() => root.querySelector('[data-testid="own-manager"]'), "the manager");
    expect(text(root.querySelector('[data-testid="own-manager"]'))).toBe("直属上级 <i>Erin</i>");
    expect(root.querySelector('[data-testid="own-manager"] i')).toBeNull();
    // The department's manager is not shown beside the person's own.
    expect(root.querySelector(".placement-manager")).toBeNull();
    click("<i>Erin</i>");
    expect(opened).toEqual(["erin@x"]);
  });
});

describe("the administration page", () => {
  it("shows the LDAP source with its group settings and last sync, tests the connection and shows a dry run's report", async () => {
    const { AdminPage } = await import("../src/components/Admin.tsx");
    const client = new FakeClient();
    const report = {
      dry_run: false, people_seen: 3, accounts_created: 1, accounts_updated: 0, accounts_disabled: 1, accounts_enabled: 0,
      departments_created: 1, memberships_set: 1, memberships_removed: 0, skipped: 1, incremental: false, managers_set: 1,
      groups_seen: 2, groups_created: 1, groups_renamed: 1, groups_dissolved: 0, group_members_added: 3, group_members_removed: 0,
      changes: [
        { op: "create_account", account: "ann@x", display_name: "<i>Ann</i>" },
        { op: "disable_account", account: "old@x", reason: "deleted" },
        { op: "set_manager", account: "ann@x", manager: "bo@x" },
        { op: "rename_group", group: "eng-all", from: "eng" },
        { op: "join_group", account: "ann@x", group: "<b>eng-all</b>" },
        { op: "skip", dn: "uid=root,dc=x", reason: "exists" },
        { op: "something_new" },
      ],
    };
    const calls: string[] = [];
    client.admin = {
      ldapSource: async () => ({
        url: "ldap://ldap.x:389", starttls: true, bind_dn: "cn=svc,dc=x", bind_password_set: true, base_dns: ["ou=people,dc=x", "ou=staff,dc=x"],
        people_filter: "(objectClass=inetOrgPerson)", attributes: { login: "uid", display_name: "cn", email: "mail", phone: "telephoneNumber", title: "title", manager: "manager" },
        login_enabled: true, sync_interval_secs: 3600, groups: { base_dns: ["ou=groups,dc=x"], member_attributes: ["member"] },
        last_sync: { at_ms: Date.UTC(2026, 0, 2, 3, 4), incremental: true, report },
      }),
      setLdapSource: async (_domain: string, change: unknown) => { calls.push(`set ${JSON.stringify((change as { groups?: unknown }).groups)}`); throw new Error("stop here"); },
      testLdapSource: async () => { calls.push("test"); return { people: 12 }; },
      syncLdap: async (_domain: string, dryRun: boolean) => { calls.push(`sync ${dryRun}`); return { ...report, dry_run: dryRun, changes: report.changes.slice(0, 1) }; },
    } as unknown as typeof client.admin;
    mount(<AdminPage tab="ldap" />, client);
    await until(() => field("Server URL"), "the form");
    expect(field("Server URL")?.value).toBe("ldap://ldap.x:389");
    expect(root.querySelector<HTMLTextAreaElement>("#ldap-base-dns")?.value).toBe("ou=people,dc=x\nou=staff,dc=x");
    expect(field("Bind password")?.placeholder).toBe("Stored — leave empty to keep it");
    // The groups it follows: what was set, and the defaults shown where nothing was.
    expect(root.querySelector<HTMLInputElement>('input[role="switch"]')?.checked).toBe(true);
    expect(root.querySelector<HTMLTextAreaElement>("#ldap-group-base-dns")?.value).toBe("ou=groups,dc=x");
    expect(field("Member attributes")?.value).toBe("member");
    expect(field("Group name attribute")?.value).toBe("");
    expect(field("Group name attribute")?.placeholder).toBe("cn");
    expect(root.querySelector('[role="tab"][aria-selected="true"]')?.textContent).toBe(" LDAP sync");

    // The last sync: its counts and its changes, user text as text.
    const last = root.querySelector('section[aria-label^="Last sync"]')!;
    expect(last).not.toBeNull();
    expect([...last.querySelectorAll(".report-counts > div")].map(text)).toEqual(expect.arrayContaining([
      "Accounts disabled1", "Managers set1", "Groups seen2", "Groups renamed1", "Added to groups3",
    ]));
    // The kind of sync is the kept one's (a scheduled incremental sync), not its report's.
    expect(text(last.querySelector("p.muted"))).toBe("Incremental: read only what changed since the sync before.");
    expect([...last.querySelectorAll("tbody tr")].map(text)).toEqual([
      "Create accountann@x · “<i>Ann</i>”", "Disable accountold@x · deleted", "Set managerann@x · manager bo@x",
      "Rename group“eng” → “eng-all”", "Join groupann@x · “<b>eng-all</b>”", "Skipuid=root,dc=x · exists", "something_new",
    ]);
    expect(last.querySelector("tbody i, tbody b")).toBeNull();

    click("Test connection");
    await until(() => $$('[role="status"]').some((s) => text(s) === "Connected: the filter finds 12 people."), "the test's result");
    click("Dry run");
    await until(() => root.querySelector('section[aria-label="Dry run: what a sync would change"]'), "the dry run's report");
    expect(text(root.querySelector('section[aria-label="Dry run: what a sync would change"] .notice'))).toBe("Nothing was changed.");
    expect(calls).toEqual(["test", "sync true"]);

    // Saving sends the group settings the form holds, and only those.
    act(() => { root.querySelector<HTMLFormElement>('section[aria-labelledby="adm-ldap-title"] form')!.requestSubmit(); });
    await until(() => calls.length === 3, "the save");
    expect(calls[2]).toBe(`set ${JSON.stringify({ base_dns: ["ou=groups,dc=x"], member_attributes: ["member"] })}`);
  });

  it("shows a last sync that failed, with when it ran and whether it was full", async () => {
    const { AdminPage } = await import("../src/components/Admin.tsx");
    const client = new FakeClient();
    client.admin = {
      ldapSource: async () => ({
        url: "ldap://ldap.x:389", starttls: false, bind_dn: "", bind_password_set: false, base_dns: ["dc=x"], people_filter: "(objectClass=inetOrgPerson)",
        attributes: { login: "uid", display_name: "cn", email: "mail", phone: "telephoneNumber", title: "title", manager: "manager" },
        login_enabled: false, sync_interval_secs: 0, last_sync: { at_ms: Date.UTC(2026, 0, 2, 3, 4), incremental: false, error: "directory unavailable" },
      }),
    } as unknown as typeof client.admin;
    mount(<AdminPage tab="ldap" />, client, "zh");
    await until(() => root.querySelector('[data-testid="ldap-last-sync"]'), "the last sync");
    const last = root.querySelector('[data-testid="ldap-last-sync"]')!;
    expect(text(last.querySelector("h2"))).toMatch(/^上次同步/);
    expect(text(last.querySelector("p.muted"))).toBe("全量同步：读取全部条目。");
    expect(text(last.querySelector(".form-error"))).toBe("同步失败：directory unavailable");
    // No directory groups: their settings stay folded away.
    expect(root.querySelector("#ldap-group-base-dns")).toBeNull();
  });

  it("turns a department's group chat on at once, and asks before dissolving it", async () => {
    const { AdminPage } = await import("../src/components/Admin.tsx");
    const client = new FakeClient();
    let tree = [{ id: 1, name: "研发部", position: 0, member_count: 2, total_count: 2 } as import("@magpie/sdk").Department];
    const changes: unknown[] = [];
    client.admin = {
      departmentTree: async () => tree,
      updateDepartment: async (id: number, change: { chat?: boolean }) => {
        changes.push(change);
        tree = tree.map((d) => (d.id === id ? { ...d, ...(change.chat ? { chat: 42 } : { chat: undefined }) } : d));
        return tree[0];
      },
    } as unknown as typeof client.admin;
    mount(<AdminPage tab="departments" />, client);
    await until(() => button("研发部 2"), "the tree");
    click("研发部 2");
    await until(() => label("Group chatA group of the department's people and those of the departments below it. Its members follow the department: people who join or leave the department join or leave the chat."), "the chat switch");
    const chatSwitch = () => root.querySelector<HTMLInputElement>(".admin-dept-chat input[role=\"switch\"]")!;
    expect(chatSwitch().checked).toBe(false);
    expect(chatSwitch().getAttribute("aria-describedby")).toBe("adm-dept-chat-hint-1");
    act(() => { chatSwitch().click(); });
    await until(() => chatSwitch().checked, "the chat made");
    expect(changes).toEqual([{ chat: true }]);
    act(() => { chatSwitch().click(); });
    // Nothing is dissolved until it is confirmed.
    await until(() => document.querySelector('[role="alertdialog"], [role="dialog"]'), "the confirmation");
    expect(changes).toEqual([{ chat: true }]);
  });

  it("lets an administrator switch invitations by members on", async () => {
    const { AdminPage } = await import("../src/components/Admin.tsx");
    const client = new FakeClient();
    const sent: unknown[] = [];
    const domain = { name: "x", registration: "invitation", direct_requires_friendship: false, email_verification: false, email_domains: [], members_invite: false, created_at_ms: 0 };
    client.admin = {
      updateDomain: async (_d: string, change: object) => { sent.push(change); return { ...domain, ...change }; },
    } as unknown as typeof client.admin;
    mount(<AdminPage tab="registration" />, client);
    await until(() => button("Save registration"), "the form");
    const toggle = $$("label.switch-row").find((l) => text(l).startsWith("Members may invite"))!.querySelector("input")!;
    expect(toggle.checked).toBe(false);
    act(() => { toggle.click(); });
    click("Save registration");
    await until(() => sent.length === 2, "the save");
    expect(sent[1]).toMatchObject({ registration: "invitation", members_invite: true });
  });
});

describe("inviting colleagues", () => {
  it("shows nothing where members may not invite", async () => {
    const seen = serve({ "GET /v1/auth/domains/x": domainAnswer("invitation", { domain: "x" }) });
    const { InviteSection } = await import("../src/components/Invite.tsx");
    mount(<InviteSection />);
    await until(() => seen.length === 1, "the question");
    // The answer settled (and any timer it set ran): still nothing.
    await act(async () => { await vi.runAllTimersAsync(); });
    expect(root.innerHTML).toBe("");
  });

  it("makes an invitation within a member's bounds, shows its code and link once, and revokes it", async () => {
    serve({ "GET /v1/auth/domains/x": domainAnswer("invitation", { domain: "x", members_invite: true }) });
    const { InviteSection } = await import("../src/components/Invite.tsx");
    const client = new FakeClient();
    mount(<InviteSection />, client, "zh");
    await until(() => $$("h2").some((h) => text(h) === "邀请同事"), "the section");
    expect(text(root.querySelector(".invite-intro"))).toBe("创建邀请码或邀请链接，让别人注册 x：最多 10 人，最长 30 天。");
    // A member chooses up to 30 days.
    expect([...root.querySelectorAll("#invite-ttl option")].map(text)).toEqual(["1 天", "7 天", "30 天"]);
    expect(field("可用次数")?.getAttribute("max")).toBe("10");
    type("可用次数", "3");
    type("备注", "<b>给小王</b>");
    act(() => { root.querySelector<HTMLFormElement>("form")!.requestSubmit(); });
    await until(() => root.querySelector('[data-testid="invitation-code"]'), "the code");
    expect(text(root.querySelector('[data-testid="invitation-code"]'))).toBe("inv_1");
    expect(text(root.querySelector('[data-testid="invitation-link"]'))).toBe(`${location.origin}/invite/x/inv_1`);
    await until(() => $$('[data-testid="my-invitation"]').length === 1, "the list");
    expect(text(root.querySelector('[data-testid="my-invitation"] .person-name'))).toBe("<b>给小王</b>");
    expect(root.querySelector('[data-testid="my-invitation"] b')).toBeNull();
    expect(text(root.querySelector('[data-testid="my-invitation"] .person-addr'))).toMatch(/^已用 0\/3/);
    click("撤销邀请 <b>给小王</b>");
    await until(() => document.querySelector('[role="alertdialog"], [role="dialog"]'), "the confirmation");
    expect(client.invitationList).toHaveLength(1);
  });
});
