// Administration of the caller's domain (protocol §4, §5 "Invitations and applications", §5
// "Push", §11, §11.4), for domain and server administrators: the departments and their people,
// the accounts (made one by one or imported from CSV, edited, disabled, their passwords reset
// and sessions ended), who may register, invitations, pending applications, announcements, the
// domain's forbidden words, the LDAP directory source, how pushes to the domain's devices fare,
// the audit log of what administrators did, the domain's groups and channels (their members, handed
// to another member, dissolved) without being their members, the sticker packs of the caller's own
// domain (StickersAdmin.tsx: made, and stickers added from image files), the domain's bots
// (BotsAdmin.tsx: made, their tokens and incoming webhooks), the apps of its workbench
// (AppsAdmin.tsx: H5 pages and their OAuth 2.0 clients), compliance exports of an
// account's or a conversation's messages, how long messages are kept (RetentionAdmin.tsx: the
// domain's policy, conversations' own, and the runs that delete), and who is connected.
// Everything here is the domain's own (the audit log, exports and connections of a server
// administrator: the server's; the sticker packs always the caller's own domain's). For server
// administrators the page is also the server's console (AdminConsole.tsx): the dashboard, the
// backups and the domains, one of which they pick for the rest of the page.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  AccountChange, AccountRole, AdminAccount, Application, AuditRecordInfo, CreatedInvitation, Department, DepartmentChange, DepartmentMember, DomainInfo,
  ImportedAccount, ImportRowError, Invitation, LdapAttributes, LdapGroupMap, LdapLastSync, LdapSource, LdapSourceChange, LdapSyncReport, PersonMatch,
  PushFailureList, RegistrationMode, Session,
} from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import {
  AUDIT_AREAS, auditChanges, auditQueryOf, badRange, filtering, isAuditAction, NO_FILTERS, type AuditArea, type AuditFilters, type AuditScope,
} from "../lib/audit.ts";
import {
  assignableRoles, errorsByRow, IMPORT_COLUMNS, IMPORT_FILE_BYTES_MAX, IMPORT_ROWS_MAX, importMessage, isLoginName, loginName, passwordsCsv, powersOver,
  readSheet, sameAccount, templateCsv, type AccountPowers, type RowProblem, type Sheet, type SheetError, type SheetRow,
} from "../lib/accounts.ts";
import { formatDate, formatFull } from "../lib/format.ts";
import { buildTree, flatten, movedPosition, parseEmailDomains, pathOf, pathText, possibleParents } from "../lib/org.ts";
import { displayName, errorText, isMagpieError, useClient } from "../state/client.ts";
import { saveBlob } from "../state/media.ts";
import { findPeople, missingEndpoint } from "../state/people.ts";
import { openPersonCard } from "../state/person.ts";
import { type AdminTab, adminTabsFor, navigate } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon, type IconName } from "./icons.tsx";
import { CreatedInvitationPanel, INVITATION_TTLS } from "./Invite.tsx";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { BackupsAdmin, ConnectionsAdmin, DashboardAdmin, DomainsAdmin, ExportsAdmin, GroupsAdmin, LogsAdmin, ModerationAdmin } from "./AdminConsole.tsx";
import { BotsAdmin } from "./BotsAdmin.tsx";
import { AppsAdmin } from "./AppsAdmin.tsx";
import { RetentionAdmin } from "./RetentionAdmin.tsx";
import { StickersAdmin } from "./StickersAdmin.tsx";
import { Avatar, BotBadge, copyText, Dialog, Spinner } from "./ui.tsx";

const TAB_LABEL: Record<AdminTab, MessageKey> = {
  departments: "admin.tabDepartments", accounts: "admin.tabAccounts", groups: "admin.tabGroups", stickers: "admin.tabStickers", bots: "admin.tabBots", apps: "admin.tabApps", registration: "admin.tabRegistration", invitations: "admin.tabInvitations",
  applications: "admin.tabApplications", announcements: "admin.tabAnnouncements", moderation: "admin.tabModeration", ldap: "admin.tabLdap",
  push: "admin.tabPush", audit: "admin.tabAudit", exports: "admin.tabExports", retention: "admin.tabRetention", connections: "admin.tabConnections", dashboard: "admin.tabDashboard",
  logs: "admin.tabLogs", backups: "admin.tabBackups", domains: "admin.tabDomains",
};
const TAB_ICON: Record<AdminTab, IconName> = {
  departments: "org", accounts: "users", groups: "hash", stickers: "smile", bots: "bot", apps: "grid", registration: "lock", invitations: "mail", applications: "userCheck", announcements: "megaphone",
  moderation: "filter", ldap: "refresh", push: "bell", audit: "clipboard", exports: "archive", retention: "clock", connections: "wifi", dashboard: "activity", logs: "file",
  backups: "database", domains: "globe",
};

/** The caller's domain: what the admin page administers. */
function useDomain(): string {
  return useClient().me.account.split("@")[1] ?? "";
}

export function AdminPage({ tab: asked }: { tab: AdminTab }): JSX.Element {
  const { t } = useT();
  const client = useClient();
  const own = useDomain();
  const [domain, setDomain] = useState(own);
  // The server's sections are its administrators' only: another account asking for one (an
  // old link) gets the first section instead.
  const tabs = adminTabsFor(client.me.role);
  const tab = tabs.includes(asked) ? asked : tabs[0]!;
  useEffect(() => { if (tab !== asked) navigate({ page: "admin", tab }, { replace: true }); }, [tab, asked]);
  // A server administrator administers any domain: picked here, or from the Domains section.
  const [domains, setDomains] = useState<string[] | null>(null);
  useEffect(() => {
    if (client.me.role !== "server_admin") return;
    client.admin.domains().then((list) => setDomains(list.map((d) => d.name)), () => { /* their own domain stays */ });
  }, [client]);
  const select = (next: AdminTab) => navigate({ page: "admin", tab: next }, { replace: true });
  const manage = (name: string) => { setDomain(name); select("registration"); };
  // On a phone the tabs scroll sideways: keep the chosen one in view.
  useEffect(() => { document.getElementById(`admin-tab-${tab}`)?.scrollIntoView?.({ block: "nearest", inline: "nearest" }); }, [tab]);
  const onKeyDown = (e: KeyboardEvent) => {
    const i = tabs.indexOf(tab);
    const to = e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length] : e.key === "ArrowLeft" ? tabs[(i - 1 + tabs.length) % tabs.length] : undefined;
    if (!to) return;
    e.preventDefault();
    select(to);
    requestAnimationFrame(() => document.getElementById(`admin-tab-${to}`)?.focus());
  };
  return (
    <main class="page admin-page" aria-labelledby="admin-title">
      <header class="page-header admin-header">
        <h1 id="admin-title">{t("admin.title")}</h1>
        {domains && domains.length > 1
          ? <select class="select admin-domain-select" aria-label={t("admin.domain")} value={domain} onChange={(e) => setDomain(e.currentTarget.value)}>
              {domains.map((d) => <option key={d} value={d}>{d}</option>)}
            </select>
          : <span class="muted admin-domain">{domain}</span>}
      </header>
      <div class="admin-tabs" role="tablist" aria-label={t("admin.title")} onKeyDown={onKeyDown}>
        {tabs.map((id) => (
          <button type="button" role="tab" key={id} id={`admin-tab-${id}`} class={`admin-tab${tab === id ? " selected" : ""}`}
            aria-selected={tab === id} aria-controls="admin-panel" tabIndex={tab === id ? 0 : -1} onClick={() => select(id)}>
            <Icon name={TAB_ICON[id]} size={16} /> {t(TAB_LABEL[id])}
          </button>
        ))}
      </div>
      <div class="page-scroll" role="tabpanel" id="admin-panel" aria-labelledby={`admin-tab-${tab}`}>
        <div class="admin-column" key={domain}>
          {tab === "departments" && <DepartmentsAdmin domain={domain} />}
          {tab === "accounts" && <AccountsAdmin domain={domain} />}
          {tab === "groups" && <GroupsAdmin domain={domain} />}
          {tab === "stickers" && <StickersAdmin domain={domain} />}
          {tab === "bots" && <BotsAdmin domain={domain} />}
          {tab === "apps" && <AppsAdmin domain={domain} />}
          {tab === "registration" && <RegistrationAdmin domain={domain} />}
          {tab === "invitations" && <InvitationsAdmin domain={domain} />}
          {tab === "applications" && <ApplicationsAdmin domain={domain} />}
          {tab === "announcements" && <AnnouncementsAdmin domain={domain} />}
          {tab === "moderation" && <ModerationAdmin domain={domain} />}
          {tab === "ldap" && <LdapAdmin domain={domain} />}
          {tab === "push" && <PushAdmin domain={domain} />}
          {tab === "audit" && <AuditAdmin domain={domain} />}
          {tab === "exports" && <ExportsAdmin domain={domain} />}
          {tab === "retention" && <RetentionAdmin domain={domain} />}
          {tab === "connections" && <ConnectionsAdmin domain={domain} />}
          {tab === "dashboard" && <DashboardAdmin />}
          {tab === "logs" && <LogsAdmin />}
          {tab === "backups" && <BackupsAdmin />}
          {tab === "domains" && <DomainsAdmin domain={domain} onManage={manage} onChanged={(list) => setDomains(list.map((d) => d.name))} />}
        </div>
      </div>
    </main>
  );
}

// ---- Departments ------------------------------------------------------------------------------

function DepartmentsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [list, setList] = useState<Department[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    let live = true;
    client.admin.departmentTree(domain).then((l) => { if (live) { setList(l); setError(null); } }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [client, domain, version]);
  useEffect(() => client.on("directory_changed", reload), [client]);

  if (error) return <p class="form-error" role="alert">{errorText(error, t)}</p>;
  if (!list) return <Spinner label={t("common.loading")} />;
  const tree = buildTree(list);
  const current = selected !== null ? tree.byId.get(selected) : undefined;
  return (
    <div class="admin-split">
      <section class="card-section" aria-labelledby="adm-tree-title">
        <h2 id="adm-tree-title">{t("admin.deptTree")}</h2>
        {list.length === 0 && <p class="muted">{t("dir.empty")}</p>}
        <ul class="admin-tree" role="list" aria-label={t("admin.deptTree")}>
          {flatten(tree).map(({ department: d, depth }) => (
            <li key={d.id}>
              <button type="button" class={`dept-row dept-name${selected === d.id ? " active" : ""}`} style={{ paddingLeft: `${10 + depth * 18}px` }}
                aria-current={selected === d.id ? "true" : undefined} onClick={() => setSelected(d.id)}>
                <span class="dept-label">{d.name}</span>{" "}
                <span class="dept-count" aria-label={t("dir.peopleCount", { count: d.member_count })}>{d.member_count}</span>
              </button>
            </li>
          ))}
        </ul>
        <NewDepartmentForm domain={domain} departments={list} parent={selected} onCreated={(d) => { setSelected(d.id); reload(); }} />
      </section>
      {current
        ? <DepartmentEditor key={current.id} department={current} departments={list} onChanged={reload} onDeleted={() => { setSelected(null); reload(); }} />
        : <section class="card-section admin-placeholder"><p class="muted">{t("admin.pickDepartment")}</p></section>}
    </div>
  );
}

function NewDepartmentForm(props: { domain: string; departments: Department[]; parent: number | null; onCreated: (d: Department) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [name, setName] = useState("");
  const [parent, setParent] = useState<string>(props.parent === null ? "" : String(props.parent));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setParent(props.parent === null ? "" : String(props.parent)), [props.parent]);
  const tree = buildTree(props.departments);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const d = await client.admin.createDepartment(props.domain, { name: name.trim(), ...(parent ? { parent: Number(parent) } : {}) });
      setName("");
      toast(t("admin.deptCreated", { name: d.name }), "info");
      props.onCreated(d);
    } catch (err) {
      setError(departmentError(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack admin-subform" onSubmit={submit} aria-labelledby="adm-new-dept">
      <h3 id="adm-new-dept" class="subhead">{t("admin.newDepartment")}</h3>
      <div class="field">
        <label for="adm-new-name">{t("admin.deptName")}</label>
        <input id="adm-new-name" class="input" value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="adm-new-parent">{t("admin.deptParent")}</label>
        <select id="adm-new-parent" class="select" value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
          <option value="">{t("admin.topLevel")}</option>
          {flatten(tree).map(({ department: d }) => <option key={d.id} value={String(d.id)}>{pathText(pathOf(tree, d.id))}</option>)}
        </select>
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      <div><button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}><Icon name="plus" size={16} /> {t("admin.addDepartment")}</button></div>
    </form>
  );
}

function departmentError(err: unknown, t: (k: MessageKey, p?: Record<string, string | number>) => string): string {
  if (isMagpieError(err)) {
    if (err.code === "already_exists") return t("admin.deptNameTaken");
    if (err.code === "conflict") return t("admin.deptHasChildren");
    if (err.code === "invalid_field" && err.field === "parent") return t("admin.deptBadParent");
    if (err.code === "invalid_field" && err.field === "name") return t("admin.deptBadName");
    if (err.code === "not_found") return t("admin.deptNotFound");
    if (err.code === "limit_exceeded") return t("admin.deptTooDeep");
  }
  return errorText(err, t);
}

function DepartmentEditor(props: { department: Department; departments: Department[]; onChanged: () => void; onDeleted: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const d = props.department;
  const tree = buildTree(props.departments);
  const [name, setName] = useState(d.name);
  const [parent, setParent] = useState(d.parent === undefined ? "" : String(d.parent));
  const [manager, setManager] = useState(d.manager ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    const change: DepartmentChange = {};
    if (name.trim() !== d.name) change.name = name.trim();
    const nextParent = parent ? Number(parent) : undefined;
    if (nextParent !== d.parent) change.parent = nextParent ?? null;
    const nextManager = manager.trim() || undefined;
    if (nextManager !== d.manager) change.manager = nextManager ?? null;
    if (Object.keys(change).length === 0) return;
    setBusy(true);
    setError(null);
    try {
      await client.admin.updateDepartment(d.id, change);
      toast(t("common.saved"), "info");
      props.onChanged();
    } catch (err) {
      setError(departmentError(err, t));
    } finally {
      setBusy(false);
    }
  };
  const move = async (direction: -1 | 1) => {
    const position = movedPosition(tree, d.id, direction);
    if (position === undefined) return;
    try {
      await client.admin.updateDepartment(d.id, { position });
      props.onChanged();
    } catch (err) {
      toast(departmentError(err, t));
    }
  };
  const canUp = movedPosition(tree, d.id, -1) !== undefined;
  const canDown = movedPosition(tree, d.id, 1) !== undefined;
  return (
    <section class="card-section" aria-labelledby="adm-dept-title">
      <h2 id="adm-dept-title">{pathText(pathOf(tree, d.id))}</h2>
      <form class="stack" onSubmit={save}>
        <div class="field">
          <label for="adm-dept-name">{t("admin.deptName")}</label>
          <input id="adm-dept-name" class="input" value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="adm-dept-parent">{t("admin.deptParent")}</label>
          <select id="adm-dept-parent" class="select" value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
            <option value="">{t("admin.topLevel")}</option>
            {possibleParents(tree, d.id).map((p) => <option key={p.id} value={String(p.id)}>{pathText(pathOf(tree, p.id))}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="adm-dept-manager">{t("admin.deptManager")}</label>
          <input id="adm-dept-manager" class="input" value={manager} placeholder="alice@example.com" inputMode="email" autoCapitalize="none" spellcheck={false}
            onInput={(e) => setManager(e.currentTarget.value)} aria-describedby="adm-dept-manager-hint" />
          <span id="adm-dept-manager-hint" class="muted small">{t("admin.deptManagerHint")}</span>
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="row-actions wrap">
          <button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>{t("admin.saveDepartment")}</button>
          <button type="button" class="btn" disabled={!canUp} onClick={() => void move(-1)}>{t("admin.moveUp")}</button>
          <button type="button" class="btn" disabled={!canDown} onClick={() => void move(1)}>{t("admin.moveDown")}</button>
          <button type="button" class="btn btn-danger-ghost" onClick={() => setConfirming({
            title: t("admin.deleteDepartment"), text: t("admin.confirmDeleteDepartment", { name: d.name }), confirm: t("admin.deleteDepartment"), danger: true,
            run: async () => {
              try { await client.admin.deleteDepartment(d.id); props.onDeleted(); } catch (err) { toast(departmentError(err, t)); }
            },
          })}><Icon name="trash" size={16} /> {t("admin.deleteDepartment")}</button>
        </div>
      </form>
      <DepartmentChat department={d} onChanged={props.onChanged} />
      <DepartmentPeople department={d} />
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </section>
  );
}

/** The department's group chat (§11 "Department chats"): made with everyone in it, and from then
 * on its members follow the department's people. Dissolving it is asked first: its members keep
 * its history, but nobody posts in it again. */
function DepartmentChat({ department: d, onChanged }: { department: Department; onChanged: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const set = async (chat: boolean) => {
    setBusy(true);
    try {
      await client.admin.updateDepartment(d.id, { chat });
      toast(t(chat ? "admin.deptChatMade" : "admin.deptChatDissolved", { name: d.name }), "info");
      onChanged();
    } catch (err) {
      toast(isMagpieError(err) && err.code === "limit_exceeded" ? t("admin.deptChatTooBig") : departmentError(err, t));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (on: boolean) => {
    if (on) { void set(true); return; }
    setConfirming({ title: t("admin.deptChatOff"), text: t("admin.confirmDeptChatOff", { name: d.name }), confirm: t("admin.deptChatOff"), danger: true, run: () => set(false) });
  };
  return (
    <div class="admin-dept-chat">
      <label class="switch-row">
        <span>
          <strong>{t("admin.deptChat")}</strong>
          <span class="muted small" id={`adm-dept-chat-hint-${d.id}`}>{t("admin.deptChatHint")}</span>
        </span>
        <input type="checkbox" role="switch" checked={d.chat !== undefined} disabled={busy} aria-describedby={`adm-dept-chat-hint-${d.id}`}
          onChange={(e) => { const on = e.currentTarget.checked; e.currentTarget.checked = d.chat !== undefined; toggle(on); }} />
      </label>
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </div>
  );
}

function DepartmentPeople({ department: d }: { department: Department }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [members, setMembers] = useState<DepartmentMember[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);
  useEffect(() => {
    let live = true;
    // People are read as members read them, in the caller's own domain: a server administrator
    // looking after another domain sees its tree but not its people (the server has no
    // administrator's list of a department's people).
    client.departmentMembers(d.id, { limit: 200 }).then((m) => { if (live) { setMembers(m); setError(null); } }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [client, d.id, version]);
  if (error) return <p class="muted small admin-people" role="status">{isMagpieError(error) && error.code === "not_found" ? t("admin.peopleElsewhere") : errorText(error, t)}</p>;
  return (
    <div class="admin-people">
      <h3 class="subhead">{t("admin.deptPeople", { count: members?.length ?? 0 })}</h3>
      {!members && <Spinner label={t("common.loading")} />}
      {members && members.length === 0 && <p class="muted small">{t("dir.noPeople")}</p>}
      <ul class="people-list" role="list" aria-label={t("admin.deptPeopleList", { name: d.name })}>
        {members?.map((m) => <MemberRow key={m.profile.account} department={d.id} member={m} onChanged={reload} />)}
      </ul>
      <AddMemberForm department={d} onAdded={reload} />
    </div>
  );
}

function MemberRow({ department, member, onChanged }: { department: number; member: DepartmentMember; onChanged: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const p = member.profile;
  const [title, setTitle] = useState(member.title ?? "");
  const changed = title.trim() !== (member.title ?? "");
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await client.admin.setDepartmentMember(department, p.account, title.trim() || undefined);
      toast(t("common.saved"), "info");
      onChanged();
    } catch (err) {
      toast(errorText(err, t));
    }
  };
  const remove = async () => {
    try {
      await client.admin.removeDepartmentMember(department, p.account);
      onChanged();
    } catch (err) {
      toast(errorText(err, t));
    }
  };
  return (
    <li class="person-row static admin-member">
      <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={32} />
      <span class="person-text">
        <button type="button" class="btn-link person-name" onClick={() => openPersonCard(p.account)}>{p.display_name}</button>
        <span class="person-addr">{p.account}</span>
      </span>
      <form class="row-actions" onSubmit={save}>
        <input class="input input-small" value={title} maxLength={64} placeholder={t("admin.title_")} aria-label={t("admin.titleOf", { name: p.display_name })}
          onInput={(e) => setTitle(e.currentTarget.value)} />
        {changed && <button type="submit" class="btn btn-small btn-primary">{t("common.save")}</button>}
        <button type="button" class="btn btn-small" aria-label={t("admin.removeFromNamed", { name: p.display_name })} onClick={() => void remove()}>{t("admin.removeFrom")}</button>
      </form>
    </li>
  );
}

function AddMemberForm({ department, onAdded }: { department: Department; onAdded: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [q, setQ] = useState("");
  const [picked, setPicked] = useState<string | null>(null);
  const [found, setFound] = useState<PersonMatch[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (picked || !q.trim()) { setFound([]); return; }
    let live = true;
    const timer = setTimeout(() => {
      findPeople(client, q.trim(), 8).then((r) => { if (live) setFound(r); }, () => { if (live) setFound([]); });
    }, 200);
    return () => { live = false; clearTimeout(timer); };
  }, [client, q, picked]);
  const account = picked ?? (/^[^@\s]+@[^@\s]+$/.test(q.trim()) ? q.trim() : null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!account) return;
    setBusy(true);
    try {
      await client.admin.setDepartmentMember(department.id, account, title.trim() || undefined);
      toast(t("admin.memberAdded", { name: displayName(client, account), department: department.name }), "info");
      setQ(""); setPicked(null); setTitle("");
      onAdded();
    } catch (err) {
      toast(isMagpieError(err) && err.code === "not_found" ? t("admin.noSuchPerson") : errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack admin-subform" onSubmit={submit} aria-labelledby="adm-add-member">
      <h3 id="adm-add-member" class="subhead">{t("admin.addPerson")}</h3>
      <div class="field">
        <label for="adm-member-q">{t("admin.person")}</label>
        <input id="adm-member-q" class="input" value={picked ? displayName(client, picked) : q} autoComplete="off" placeholder={t("admin.personPlaceholder")}
          readOnly={!!picked} onInput={(e) => setQ(e.currentTarget.value)} />
        {picked && <button type="button" class="btn-link small" onClick={() => { setPicked(null); setQ(""); }}>{t("admin.pickAnother")}</button>}
        {found.length > 0 && (
          <ul class="people-list admin-picker" role="list" aria-label={t("admin.matches")}>
            {found.map(({ profile: p }) => (
              <li key={p.account}>
                <button type="button" class="person-row" onClick={() => { setPicked(p.account); setFound([]); }}>
                  <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={28} />
                  <span class="person-text"><span class="person-name">{p.display_name}</span><span class="person-addr">{p.account}</span></span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div class="field">
        <label for="adm-member-title">{t("admin.title_")}</label>
        <input id="adm-member-title" class="input" value={title} maxLength={64} onInput={(e) => setTitle(e.currentTarget.value)} />
      </div>
      <div><button type="submit" class="btn btn-primary" disabled={busy || !account}>{t("admin.addToDepartment")}</button></div>
    </form>
  );
}

// ---- Accounts -----------------------------------------------------------------------------------

/** Accounts a page of the list asks for (the server gives at most 100). */
const ACCOUNTS_PAGE_LEN = 50;
/** How long the search waits after the last keystroke before it asks the server. */
export const ACCOUNT_SEARCH_DEBOUNCE_MS = 250;
/** Characters of a password the form makes (as many as the server's own). */
const MADE_PASSWORD_CHARS = 16;
/** What a made password is made of: no characters that read alike (0/O, 1/l/I), as the server's. */
const PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A strong password, from the browser's cryptographic randomness. */
function makePassword(): string {
  const bytes = crypto.getRandomValues(new Uint32Array(MADE_PASSWORD_CHARS));
  return Array.from(bytes, (b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join("");
}

const ROLE_LABEL: Record<AccountRole, MessageKey> = {
  member: "admin.accRole.member", domain_admin: "admin.accRole.domain_admin", server_admin: "admin.accRole.server_admin",
};

type T = (k: MessageKey, p?: Record<string, string | number>) => string;

/** An account field's name, for a message about it. */
function fieldLabel(field: string, t: T): string {
  if (field === "account" || field === "name") return t("admin.accFieldAccount");
  if (field === "display_name") return t("admin.accDisplayName");
  if (field === "role") return t("admin.accRole");
  if (field === "password") return t("admin.accPassword");
  return field;
}

/** What the server said of a field (of an import's row, or of the form's request), in the
 * viewer's words where the app knows the message, else as the server wrote it. */
function fieldProblem(error: { field: string; message: string }, t: T, lineOf: (row: number) => number | undefined = () => undefined): string {
  const m = importMessage(error, lineOf);
  if (!m) return error.message.replace(/^[a-z_]+: /, "");
  switch (m.key) {
    case "duplicate": return t("admin.accProblemDuplicate", { line: m.line });
    case "exists": return t("admin.accProblemExists");
    case "role_above": return t("admin.accProblemRoleAbove");
    case "other_domain": return t("admin.accProblemOtherDomain", { domain: m.domain });
    case "password_short": return t("admin.accProblemPasswordShort", { min: m.min });
    case "password_weak": return t("admin.accProblemPasswordWeak");
    case "bad_name": return t("admin.accProblemBadName");
    case "too_long": return t("admin.accProblemTooLong", { max: m.max });
    case "empty": return t("admin.accProblemEmpty");
  }
}

/** A domain's accounts, by login name: searched, paged, each with its role, whether it is
 * disabled and when it was made, and what its administrators do to it (edit, disable or enable,
 * reset its password, end its sessions); and new accounts, one by one or many from a CSV file. */
function AccountsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const me = client.me;
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [accounts, setAccounts] = useState<AdminAccount[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"load" | "more" | null>("load");
  const [panel, setPanel] = useState<"new" | "import" | null>(null);
  const [editing, setEditing] = useState<AdminAccount | null>(null);
  const [sessionsOf, setSessionsOf] = useState<AdminAccount | null>(null);
  const [made, setMade] = useState<{ account: AdminAccount; password: string } | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  // Only the newest load's answer counts: a slower older one (another search) is dropped.
  const latest = useRef(0);

  // The search asks once typing pauses; Enter asks at once.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), ACCOUNT_SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q]);

  const failure = (e: unknown): string => {
    if (isMagpieError(e) && e.code === "forbidden") return t("admin.accForbidden");
    return errorText(e, t);
  };
  const load = async (after?: string) => {
    const mine = ++latest.current;
    setBusy(after === undefined ? "load" : "more");
    try {
      const page = await client.admin.adminAccounts({ domain, ...(query ? { q: query } : {}), ...(after ? { after } : {}), limit: ACCOUNTS_PAGE_LEN });
      if (mine !== latest.current) return;
      setAccounts((shown) => (after === undefined ? page : [...(shown ?? []), ...page]));
      // A page shorter than asked for is the last.
      setMore(page.length >= ACCOUNTS_PAGE_LEN);
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // The accounts shown stay when a further page fails; a first page's failure leaves none,
      // rather than another search's accounts under this one.
      if (after === undefined) { setAccounts(null); setMore(false); }
      setError(failure(e));
    } finally {
      if (mine === latest.current) setBusy(null);
    }
  };
  useEffect(() => { void load(); }, [client, domain, query]);

  const replace = (updated: AdminAccount) =>
    setAccounts((shown) => shown?.map((a) => (sameAccount(a.account, updated.account) ? updated : a)) ?? null);
  const last = accounts?.[accounts.length - 1];
  const togglePanel = (which: "new" | "import") => setPanel(panel === which ? null : which);

  const disable = (a: AdminAccount) => setConfirming({
    title: t("admin.accDisable"), text: t("admin.accConfirmDisable", { name: a.display_name, account: a.account }), confirm: t("admin.accDisable"), danger: true,
    run: async () => { replace(await client.admin.disableAccount(a.account)); toast(t("admin.accDisabledDone", { name: a.display_name }), "info"); },
  });
  const enable = (a: AdminAccount) => setConfirming({
    title: t("admin.accEnable"), text: t("admin.accConfirmEnable", { name: a.display_name, account: a.account }), confirm: t("admin.accEnable"),
    run: async () => { replace(await client.admin.enableAccount(a.account)); toast(t("admin.accEnabledDone", { name: a.display_name }), "info"); },
  });
  const resetPassword = (a: AdminAccount) => setConfirming({
    title: t("admin.accResetPassword"), text: t("admin.accConfirmReset", { name: a.display_name, account: a.account }), confirm: t("admin.accResetPassword"), danger: true,
    run: async () => {
      const { password } = await client.admin.resetAccountPassword(a.account);
      if (password) setMade({ account: a, password });
      else toast(t("admin.accPasswordSet", { name: a.display_name }), "info");
    },
  });

  return (
    <>
      <section class="card-section accounts-section" aria-labelledby="adm-acc" aria-busy={busy !== null}>
        <div class="section-head">
          <h2 id="adm-acc">{t("admin.accTitle")}</h2>
          <span class="row-actions wrap">
            <button type="button" class={`btn btn-small${panel === "new" ? " btn-primary" : ""}`} aria-expanded={panel === "new"} aria-controls="adm-acc-panel"
              onClick={() => togglePanel("new")}><Icon name="userPlus" size={14} /> {t("admin.accNew")}</button>
            <button type="button" class={`btn btn-small${panel === "import" ? " btn-primary" : ""}`} aria-expanded={panel === "import"} aria-controls="adm-acc-panel"
              onClick={() => togglePanel("import")}><Icon name="file" size={14} /> {t("admin.accImport")}</button>
          </span>
        </div>
        <p class="muted small admin-intro">{t("admin.accHint", { domain })}</p>
        <form class="accounts-search" role="search" aria-label={t("admin.accSearchLabel")} onSubmit={(e) => { e.preventDefault(); setQuery(q.trim()); }}>
          <label for="adm-acc-q" class="visually-hidden">{t("admin.accSearch")}</label>
          <span class="search-box accounts-search-box">
            <Icon name="search" size={16} />
            <input id="adm-acc-q" class="input" type="search" value={q} maxLength={64} autoComplete="off" autoCapitalize="none" spellcheck={false}
              placeholder={t("admin.accSearchPlaceholder")} onInput={(e) => setQ(e.currentTarget.value)} />
          </span>
        </form>
        {error && <p class="form-error" role="alert" data-testid="accounts-error">{error}</p>}
        {!accounts && !error && <Spinner label={t("common.loading")} />}
        {accounts && accounts.length === 0 && (
          <p class="muted accounts-empty" data-testid="accounts-empty">{query ? t("admin.accNoMatch", { q: query }) : t("admin.accNone")}</p>
        )}
        {accounts && accounts.length > 0 && (
          <ul class="account-list" role="list" aria-label={t("admin.accList")}>
            {accounts.map((a) => (
              <AccountRow key={a.account} account={a} powers={powersOver(me, a)} self={sameAccount(me.account, a.account)}
                onEdit={() => setEditing(a)} onSessions={() => setSessionsOf(a)} onResetPassword={() => resetPassword(a)}
                onDisable={() => disable(a)} onEnable={() => enable(a)} />
            ))}
          </ul>
        )}
        <div class="audit-foot">
          <span class="muted small" role="status">
            {accounts && accounts.length > 0 && (accounts.length === 1 ? t("admin.accShownOne") : t("admin.accShown", { count: accounts.length }))}
          </span>
          {accounts && more && last && (
            <button type="button" class="btn" disabled={busy !== null} onClick={() => void load(loginName(last.account))}>
              {busy === "more" ? t("common.loading") : t("admin.accMore")}</button>
          )}
        </div>
      </section>
      <div id="adm-acc-panel">
        {panel === "new" && <NewAccountForm domain={domain} onClose={() => setPanel(null)} onCreated={() => void load()} />}
        {panel === "import" && <ImportAccounts domain={domain} onClose={() => setPanel(null)} onImported={() => void load()} />}
      </div>
      {editing && <EditAccountDialog account={editing} powers={powersOver(me, editing)} onClose={() => setEditing(null)} onSaved={replace} />}
      {sessionsOf && <AccountSessionsDialog account={sessionsOf} self={sameAccount(me.account, sessionsOf.account)} onClose={() => setSessionsOf(null)} />}
      {made && <MadePasswordDialog account={made.account} password={made.password} onClose={() => setMade(null)} />}
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </>
  );
}

function AccountRow(props: {
  account: AdminAccount; powers: AccountPowers; self: boolean;
  onEdit: () => void; onSessions: () => void; onResetPassword: () => void; onDisable: () => void; onEnable: () => void;
}): JSX.Element {
  const { account: a, powers } = props;
  const { t, locale } = useT();
  const name = a.display_name;
  // A bot has no password (it acts with tokens, made under Bots): none to reset.
  const password = powers.password && !a.bot;
  const any = powers.edit || powers.sessions || password || powers.disable;
  return (
    <li class={`account-row${a.disabled ? " is-disabled" : ""}`} data-testid="account-row" data-account={a.account}>
      <Avatar name={a.display_name} seed={a.account} url={a.avatar} size={36} />
      <span class="person-text">
        <span class="person-name">
          <span class="account-name" data-testid="account-name">{name}</span>{a.bot && <BotBadge />}{" "}
          <span class={`tag account-role account-role-${a.role}`} data-testid="account-role">{t(ROLE_LABEL[a.role])}</span>
          {a.disabled && <>{" "}<span class="tag account-disabled" data-testid="account-disabled">{t("admin.accDisabled")}</span></>}
          {props.self && <>{" "}<span class="tag">{t("admin.accYou")}</span></>}
        </span>
        <span class="person-addr">
          <span data-testid="account-address">{a.account}</span>{" · "}
          <time dateTime={new Date(a.created_at_ms).toISOString()}>{t("admin.accCreatedOn", { date: formatDate(a.created_at_ms, locale) })}</time>
        </span>
      </span>
      <span class="row-actions wrap account-actions">
        {!any && <span class="muted small">{t("admin.accOutOfReach")}</span>}
        {powers.edit && (
          <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.accEditNamed", { name })} onClick={props.onEdit}>
            <Icon name="edit" size={14} /> {t("admin.accEdit")}</button>
        )}
        {powers.sessions && (
          <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.accSessionsNamed", { name })} onClick={props.onSessions}>
            <Icon name="monitor" size={14} /> {t("admin.accSessions")}</button>
        )}
        {password && (
          <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.accResetPasswordNamed", { name })} onClick={props.onResetPassword}>
            <Icon name="key" size={14} /> {t("admin.accResetPassword")}</button>
        )}
        {powers.disable && (a.disabled
          ? <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.accEnableNamed", { name })} onClick={props.onEnable}>
              <Icon name="check" size={14} /> {t("admin.accEnable")}</button>
          : <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.accDisableNamed", { name })} onClick={props.onDisable}>
              <Icon name="ban" size={14} /> {t("admin.accDisable")}</button>)}
      </span>
    </li>
  );
}

function EditAccountDialog(props: { account: AdminAccount; powers: AccountPowers; onClose: () => void; onSaved: (a: AdminAccount) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const a = props.account;
  const [name, setName] = useState(a.display_name);
  const [role, setRole] = useState<AccountRole>(a.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: "display_name" | "role" | null; text: string } | null>(null);
  const roles = props.powers.role ? assignableRoles(client.me.role) : [a.role];
  const save = async (e: Event) => {
    e.preventDefault();
    const change: AccountChange = {};
    if (!name.trim()) { setError({ field: "display_name", text: t("admin.accProblemEmpty") }); return; }
    if (name.trim() !== a.display_name) change.display_name = name.trim();
    if (props.powers.role && role !== a.role) change.role = role;
    if (Object.keys(change).length === 0) { props.onClose(); return; }
    setBusy(true);
    setError(null);
    try {
      props.onSaved(await client.admin.updateAccount(a.account, change));
      toast(t("common.saved"), "info");
      props.onClose();
    } catch (err) {
      if (isMagpieError(err) && (err.code === "invalid_field" || err.code === "too_large") && err.field === "display_name") {
        setError({ field: "display_name", text: fieldProblem({ field: "display_name", message: err.message }, t) });
      } else if (isMagpieError(err) && err.code === "forbidden") {
        setError({ field: "role", text: t("admin.accRoleForbidden") });
      } else {
        setError({ field: null, text: errorText(err, t) });
      }
    } finally {
      setBusy(false);
    }
  };
  const describedBy = (field: "display_name" | "role", hint?: string) =>
    [hint, error?.field === field ? `acc-edit-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <Dialog title={t("admin.accEditTitle", { name: a.display_name })} onClose={props.onClose} size="sm"
      footer={<>
        <button type="button" class="btn" onClick={props.onClose}>{t("common.cancel")}</button>
        <button type="submit" form="acc-edit-form" class="btn btn-primary" disabled={busy}>{t("common.save")}</button>
      </>}>
      <form id="acc-edit-form" class="stack" noValidate onSubmit={save}>
        <p class="muted small">{a.account}</p>
        <div class="field">
          <label for="acc-edit-display_name">{t("admin.accDisplayName")}</label>
          <input id="acc-edit-display_name" class="input" value={name} maxLength={64} aria-invalid={error?.field === "display_name"}
            aria-describedby={describedBy("display_name")} onInput={(e) => setName(e.currentTarget.value)} />
          {error?.field === "display_name" && <span id="acc-edit-display_name-error" class="field-error" role="alert">{error.text}</span>}
        </div>
        <div class="field">
          <label for="acc-edit-role">{t("admin.accRole")}</label>
          <select id="acc-edit-role" class="select" value={role} disabled={!props.powers.role} aria-invalid={error?.field === "role"}
            aria-describedby={describedBy("role", props.powers.role ? undefined : "acc-edit-role-hint")}
            onChange={(e) => setRole(e.currentTarget.value as AccountRole)}>
            {roles.map((r) => <option key={r} value={r}>{t(ROLE_LABEL[r])}</option>)}
          </select>
          {!props.powers.role && <span id="acc-edit-role-hint" class="muted small">{t("admin.accOwnRole")}</span>}
          {error?.field === "role" && <span id="acc-edit-role-error" class="field-error" role="alert">{error.text}</span>}
        </div>
        {error?.field === null && <p class="form-error" role="alert">{error.text}</p>}
      </form>
    </Dialog>
  );
}

/** An account's live sessions: the device, where from, when it signed in and was last seen;
 * each ended on its own, or all at once. */
function AccountSessionsDialog(props: { account: AdminAccount; self: boolean; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const a = props.account;
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const load = () => client.admin.accountSessions(a.account).then(
    (s) => { setSessions([...s].sort((x, y) => y.last_seen_at_ms - x.last_seen_at_ms)); setError(null); },
    (e: unknown) => setError(errorText(e, t)),
  );
  useEffect(() => { void load(); }, [client, a.account]);
  const device = (s: Session) => s.device || t("settings.unknownDevice");
  const others = sessions?.filter((s) => !s.current) ?? [];
  return (
    <>
      <Dialog title={t("admin.accSessionsTitle", { name: a.display_name })} onClose={props.onClose} size="md"
        footer={<>
          {!props.self && (
            <button type="button" class="btn btn-danger-ghost" disabled={others.length === 0} onClick={() => setConfirming({
              title: t("admin.accSignOutEverywhere"), text: t("admin.accConfirmSignOutEverywhere", { name: a.display_name }),
              confirm: t("admin.accSignOutEverywhere"), danger: true,
              run: async () => { await client.admin.revokeAccountSessions(a.account); toast(t("admin.accSignedOutEverywhere", { name: a.display_name }), "info"); await load(); },
            })}><Icon name="logOut" size={14} /> {t("admin.accSignOutEverywhere")}</button>
          )}
          <button type="button" class="btn" onClick={props.onClose}>{t("common.close")}</button>
        </>}>
        <p class="muted small">{a.account}</p>
        {error && <p class="form-error" role="alert">{error}</p>}
        {!sessions && !error && <Spinner label={t("common.loading")} />}
        {sessions && sessions.length === 0 && <p class="muted" data-testid="sessions-empty">{t("admin.accNoSessions")}</p>}
        {sessions && sessions.length > 0 && (
          <ul class="session-list" role="list" aria-label={t("admin.accSessionsOf", { name: a.display_name })}>
            {sessions.map((s) => (
              <li key={s.id} class={`session-row${s.current ? " current" : ""}`} data-testid="account-session">
                <span class="session-icon" aria-hidden="true"><Icon name="monitor" size={20} /></span>
                <span class="person-text">
                  <span class="person-name">{device(s)}{s.current && <span class="tag">{t("settings.thisSession")}</span>}</span>
                  <span class="person-addr" data-testid="account-session-detail">{[
                    s.ip, t("admin.accLastSeen", { time: formatFull(s.last_seen_at_ms, locale) }), t("admin.accSignedInAt", { time: formatFull(s.created_at_ms, locale) }),
                  ].filter(Boolean).join(" · ")}</span>
                </span>
                {!s.current && (
                  <button type="button" class="btn btn-small" aria-label={t("admin.accEndSessionNamed", { device: device(s) })} onClick={() => setConfirming({
                    title: t("admin.accEndSession"), text: t("admin.accConfirmEndSession", { device: device(s), name: a.display_name }),
                    confirm: t("admin.accEndSession"), danger: true,
                    run: async () => { await client.admin.revokeAccountSession(a.account, s.id); await load(); },
                  })}>{t("admin.accEndSession")}</button>
                )}
              </li>
            ))}
          </ul>
        )}
        {props.self && <p class="muted small">{t("admin.accOwnSessions")}</p>}
      </Dialog>
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </>
  );
}

/** A password the server made: shown this once, with a button that copies it. */
function MadePasswordDialog(props: { account: AdminAccount; password: string; onClose: () => void }): JSX.Element {
  const { t } = useT();
  const copy = async () => { await copyText(props.password); toast(t("admin.copied"), "info"); };
  return (
    <Dialog title={t("admin.accMadePasswordTitle", { name: props.account.display_name })} onClose={props.onClose} size="sm"
      footer={<button type="button" class="btn btn-primary" onClick={props.onClose}>{t("admin.done")}</button>}>
      <div class="stack">
        <p class="notice notice-warn" role="note">{t("admin.accPasswordOnce")}</p>
        <div class="field">
          <span class="field-label" id="acc-made-password-label">{t("admin.accNewPasswordOf", { account: props.account.account })}</span>
          <div class="copy-row">
            <code class="copy-value" aria-labelledby="acc-made-password-label" data-testid="made-password">{props.password}</code>
            <button type="button" class="btn btn-small" aria-label={t("admin.accCopyPassword")} onClick={() => void copy()}>
              <Icon name="copy" size={14} /> {t("admin.copy")}</button>
          </div>
        </div>
        <p class="muted small">{t("admin.accSignedOutByReset")}</p>
      </div>
    </Dialog>
  );
}

type NewAccountField = "name" | "display_name" | "role" | "password";

/** Which field of the new-account form a refusal is about, and what to say there. */
function newAccountError(err: unknown, t: T): { field: NewAccountField | null; text: string } {
  if (isMagpieError(err)) {
    if (err.code === "already_exists") return { field: "name", text: t("admin.accProblemExists") };
    if (err.code === "forbidden") return { field: "role", text: t("admin.accRoleForbidden") };
    if ((err.code === "invalid_field" || err.code === "too_large") && err.field) {
      const field: NewAccountField | null = err.field === "account" || err.field === "name" || err.field === "domain" ? "name"
        : err.field === "display_name" || err.field === "password" || err.field === "role" ? err.field : null;
      const text = fieldProblem({ field: err.field === "name" || err.field === "domain" ? "account" : err.field, message: err.message }, t);
      if (field) return { field, text };
    }
    if (err.code === "not_found") return { field: null, text: t("admin.accNoDomain") };
  }
  return { field: null, text: errorText(err, t) };
}

function NewAccountForm(props: { domain: string; onClose: () => void; onCreated: (a: AdminAccount) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [name, setName] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<AccountRole>("member");
  const [password, setPassword] = useState("");
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: NewAccountField | null; text: string } | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => { first.current?.focus(); }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const login = name.trim().toLowerCase();
    if (!login) { setError({ field: "name", text: t("admin.accProblemEmpty") }); return; }
    if (!isLoginName(login)) { setError({ field: "name", text: t("admin.accProblemBadName") }); return; }
    if (!password) { setError({ field: "password", text: t("admin.accPasswordRequired") }); return; }
    setBusy(true);
    setError(null);
    try {
      const made = await client.admin.createAccount({
        account: `${login}@${props.domain}`, password, role, ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      });
      toast(t("admin.accCreated", { name: made.display_name, account: made.account }), "info");
      setName(""); setDisplayName(""); setPassword(""); setRole("member"); setShown(false);
      props.onCreated(made);
      first.current?.focus();
    } catch (err) {
      setError(newAccountError(err, t));
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: NewAccountField) => error?.field === field;
  const describedBy = (field: NewAccountField, hint?: string) => [hint, invalid(field) ? `acc-new-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const fieldError = (field: NewAccountField) => invalid(field) && <span id={`acc-new-${field}-error`} class="field-error" role="alert">{error!.text}</span>;
  return (
    <section class="card-section" aria-labelledby="adm-acc-new">
      <h2 id="adm-acc-new">{t("admin.accNewTitle")}</h2>
      <form class="stack" noValidate onSubmit={submit}>
        <div class="form-grid">
          <div class="field">
            <label for="acc-new-name">{t("admin.accLoginName")}</label>
            <span class="input-suffixed">
              <input id="acc-new-name" ref={first} class="input" value={name} maxLength={64} autoComplete="off" autoCapitalize="none" spellcheck={false}
                aria-invalid={invalid("name")} aria-describedby={describedBy("name", "acc-new-name-hint")} onInput={(e) => setName(e.currentTarget.value)} />
              <span class="input-suffix" aria-hidden="true">@{props.domain}</span>
            </span>
            <span id="acc-new-name-hint" class="muted small">{t("admin.accLoginNameHint", { domain: props.domain })}</span>
            {fieldError("name")}
          </div>
          <div class="field">
            <label for="acc-new-display_name">{t("admin.accDisplayNameOptional")}</label>
            <input id="acc-new-display_name" class="input" value={displayName} maxLength={64} aria-invalid={invalid("display_name")}
              aria-describedby={describedBy("display_name")} onInput={(e) => setDisplayName(e.currentTarget.value)} />
            {fieldError("display_name")}
          </div>
          <div class="field">
            <label for="acc-new-role">{t("admin.accRole")}</label>
            <select id="acc-new-role" class="select" value={role} aria-invalid={invalid("role")} aria-describedby={describedBy("role")}
              onChange={(e) => setRole(e.currentTarget.value as AccountRole)}>
              {assignableRoles(client.me.role).map((r) => <option key={r} value={r}>{t(ROLE_LABEL[r])}</option>)}
            </select>
            {fieldError("role")}
          </div>
          <div class="field">
            <label for="acc-new-password">{t("admin.accPassword")}</label>
            <span class="input-with-button">
              <input id="acc-new-password" class="input" type={shown ? "text" : "password"} value={password} autoComplete="new-password" spellcheck={false}
                aria-invalid={invalid("password")} aria-describedby={describedBy("password", "acc-new-password-hint")} onInput={(e) => setPassword(e.currentTarget.value)} />
              <button type="button" class="btn" onClick={() => { setPassword(makePassword()); setShown(true); }}>{t("admin.accMakePassword")}</button>
            </span>
            <label class="check-row small"><input type="checkbox" checked={shown} onChange={(e) => setShown(e.currentTarget.checked)} /> {t("admin.accShowPassword")}</label>
            <span id="acc-new-password-hint" class="muted small">{t("auth.passwordHint")}</span>
            {fieldError("password")}
          </div>
        </div>
        {error && error.field === null && <p class="form-error" role="alert">{error.text}</p>}
        <div class="row-actions wrap">
          <button type="submit" class="btn btn-primary" disabled={busy}><Icon name="userPlus" size={16} /> {t("admin.accCreate")}</button>
          <button type="button" class="btn" onClick={props.onClose}>{t("common.close")}</button>
        </div>
      </form>
    </section>
  );
}

/** Why a text is no import sheet, in words. */
function sheetErrorText(error: SheetError, t: T): string {
  switch (error.kind) {
    case "syntax": return t(error.reason === "unclosed_quote" ? "admin.accCsvUnclosedQuote" : "admin.accCsvTextAfterQuote", { line: error.line });
    case "empty": return t("admin.accCsvEmpty");
    case "no_account_column": return t("admin.accCsvNoAccount");
    case "unknown_column": return t("admin.accCsvUnknownColumn", { column: error.column, position: error.position });
    case "duplicate_column": return t("admin.accCsvDuplicateColumn", { column: error.column });
    case "no_rows": return t("admin.accCsvNoRows");
    case "too_many_rows": return t("admin.accCsvTooManyRows", { count: error.count, max: error.max });
  }
}

function rowProblemText(problem: RowProblem, t: T): string {
  if (problem.kind === "bad_role") return t("admin.accFieldProblem", { field: t("admin.accRole"), problem: t("admin.accProblemBadRole", { value: problem.value }) });
  return t("admin.accProblemExtraFields", { count: problem.count, columns: problem.columns });
}

/** The dry run of a sheet: under way, done with the server's errors by row, or failed. */
type Check = { state: "checking" } | { state: "checked"; errors: Map<number, ImportRowError[]> } | { state: "failed"; text: string };

/** An import from CSV: a file (or pasted text) read into rows, shown, checked by the server at
 * once (a dry run) with each bad row's errors on its line, and made only when every row is
 * good; then the accounts made with the passwords the server made, to copy or download. */
function ImportAccounts(props: { domain: string; onClose: () => void; onImported: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [pasted, setPasted] = useState("");
  const [source, setSource] = useState<string | null>(null);
  const [sheet, setSheet] = useState<Sheet | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [check, setCheck] = useState<Check | null>(null);
  const [busy, setBusy] = useState(false);
  const [onlyBad, setOnlyBad] = useState(false);
  const [imported, setImported] = useState<{ created: ImportedAccount[]; sheet: Sheet } | null>(null);
  // Only the newest sheet's dry run counts.
  const latest = useRef(0);

  const importFailure = (e: unknown): string => {
    if (isMagpieError(e) && e.code === "forbidden") return t("admin.accForbidden");
    if (isMagpieError(e) && e.code === "not_found") return t("admin.accNoDomain");
    if (isMagpieError(e) && e.code === "too_large") return t("admin.accCsvTooLarge", { max: IMPORT_FILE_BYTES_MAX / (1024 * 1024) });
    return errorText(e, t);
  };
  const dryRun = async (next: Sheet) => {
    const mine = ++latest.current;
    setCheck({ state: "checking" });
    try {
      const report = await client.admin.importAccounts({ domain: props.domain, rows: next.rows.map((r) => r.row), dry_run: true });
      if (mine !== latest.current) return;
      setCheck({ state: "checked", errors: errorsByRow(report.errors) });
      setOnlyBad(report.errors.length > 0 || next.rows.some((r) => r.problems.length > 0));
    } catch (e) {
      if (mine !== latest.current) return;
      setCheck({ state: "failed", text: importFailure(e) });
    }
  };
  const read = (text: string, from: string) => {
    latest.current += 1;
    setImported(null);
    setCheck(null);
    const result = readSheet(text);
    setSource(from);
    if (!result.ok) { setSheet(null); setReadError(sheetErrorText(result.error, t)); return; }
    setReadError(null);
    setSheet(result.sheet);
    setOnlyBad(false);
    void dryRun(result.sheet);
  };
  const pick = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    // Cleared, so that choosing the same file again (once fixed) reads it again.
    input.value = "";
    if (!file) return;
    if (file.size > IMPORT_FILE_BYTES_MAX) {
      latest.current += 1;
      setSheet(null); setCheck(null); setImported(null); setSource(file.name);
      setReadError(t("admin.accCsvTooLarge", { max: IMPORT_FILE_BYTES_MAX / (1024 * 1024) }));
      return;
    }
    read(await file.text(), file.name);
  };
  const runImport = async () => {
    if (!sheet) return;
    const mine = ++latest.current;
    setBusy(true);
    try {
      const report = await client.admin.importAccounts({ domain: props.domain, rows: sheet.rows.map((r) => r.row) });
      if (mine !== latest.current) return;
      if (report.errors.length > 0 || report.created.length === 0) {
        // Something changed since the dry run (a name taken meanwhile): nothing was made.
        setCheck({ state: "checked", errors: errorsByRow(report.errors) });
        setOnlyBad(true);
        return;
      }
      setImported({ created: report.created, sheet });
      setSheet(null);
      setCheck(null);
      setPasted("");
      props.onImported();
    } catch (e) {
      if (mine === latest.current) setCheck({ state: "failed", text: importFailure(e) });
    } finally {
      setBusy(false);
    }
  };
  const template = () => saveBlob(new Blob([templateCsv(props.domain)], { type: "text/csv;charset=utf-8" }), IMPORT_TEMPLATE_NAME);

  const problemsOf = (i: number): string[] => {
    if (!sheet) return [];
    const lineOf = (row: number) => sheet.rows[row]?.line;
    const server = check?.state === "checked" ? (check.errors.get(i) ?? []) : [];
    return [
      ...sheet.rows[i]!.problems.map((p) => rowProblemText(p, t)),
      ...server.map((e) => t("admin.accFieldProblem", { field: fieldLabel(e.field, t), problem: fieldProblem(e, t, lineOf) })),
    ];
  };
  const bad = sheet ? sheet.rows.map((_, i) => i).filter((i) => problemsOf(i).length > 0) : [];
  const badSet = new Set(bad);
  const clean = sheet !== null && check?.state === "checked" && bad.length === 0;
  const count = sheet?.rows.length ?? 0;
  // A role the app does not know shows as the file has it; none is a member.
  const roleCell = (r: SheetRow): ComponentChildren => {
    const unknown = r.problems.find((p) => p.kind === "bad_role");
    if (unknown?.kind === "bad_role") return <span class="import-bad-value">{unknown.value}</span>;
    return r.row.role ? t(ROLE_LABEL[r.row.role]) : <span class="muted">{t(ROLE_LABEL.member)}</span>;
  };
  const shownRows = sheet ? sheet.rows.map((r, i) => ({ r, i })).filter(({ i }) => !onlyBad || badSet.has(i)) : [];
  return (
    <section class="card-section import-section" aria-labelledby="adm-acc-import" aria-busy={check?.state === "checking" || busy}>
      <h2 id="adm-acc-import">{t("admin.accImportTitle")}</h2>
      <p class="muted small admin-intro">{t("admin.accImportHint", { domain: props.domain, max: IMPORT_ROWS_MAX })}</p>
      <p class="import-columns small"><code>{IMPORT_COLUMNS.join(",")}</code>{" "}
        <button type="button" class="btn-link small" onClick={template}>{t("admin.accImportTemplate")}</button></p>
      <div class="form-grid import-sources">
        <div class="field">
          <label for="acc-import-file">{t("admin.accImportFile")}</label>
          <input id="acc-import-file" class="input input-file" type="file" accept=".csv,text/csv" onChange={(e) => void pick(e)} />
        </div>
        <div class="field">
          <label for="acc-import-text">{t("admin.accImportPaste")}</label>
          <textarea id="acc-import-text" class="input" rows={4} value={pasted} spellcheck={false} placeholder={`${IMPORT_COLUMNS.join(",")}\nwang.wei,王伟,member,`}
            onInput={(e) => setPasted(e.currentTarget.value)} />
          <div><button type="button" class="btn btn-small" disabled={!pasted.trim()} onClick={() => read(pasted, t("admin.accImportPasted"))}>{t("admin.accImportReadPasted")}</button></div>
        </div>
      </div>
      {readError && <p class="form-error" role="alert" data-testid="import-read-error">{source && `${source}: `}{readError}</p>}
      {sheet && (
        <div class="import-preview">
          <p class="import-summary" role="status" data-testid="import-summary">
            {check?.state === "checking" && t("admin.accImportChecking", { count, source: source ?? "" })}
            {check?.state === "checked" && (bad.length === 0
              ? t("admin.accImportClean", { count, source: source ?? "" })
              : t("admin.accImportBad", { bad: bad.length, count, source: source ?? "" }))}
          </p>
          {check?.state === "failed" && <p class="form-error" role="alert" data-testid="import-check-error">{check.text}</p>}
          {bad.length > 0 && (
            <ul class="import-problems" role="list" aria-label={t("admin.accImportProblems")} data-testid="import-problems">
              {bad.slice(0, IMPORT_PROBLEMS_LISTED).map((i) => (
                <li key={i} data-line={sheet.rows[i]!.line}>{t("admin.accImportLine", { line: sheet.rows[i]!.line, problems: problemsOf(i).join(t("admin.accProblemSep")) })}</li>
              ))}
              {bad.length > IMPORT_PROBLEMS_LISTED && <li class="muted">{t("admin.accImportMoreProblems", { count: bad.length - IMPORT_PROBLEMS_LISTED })}</li>}
            </ul>
          )}
          <div class="import-toolbar">
            <label class="check-row small"><input type="checkbox" checked={onlyBad} disabled={bad.length === 0} onChange={(e) => setOnlyBad(e.currentTarget.checked)} /> {t("admin.accImportOnlyBad")}</label>
          </div>
          <div class="table-scroll import-table-scroll" role="region" tabIndex={0} aria-label={t("admin.accImportPreview")}>
            <table class="report-table import-table">
              <caption class="visually-hidden">{t("admin.accImportPreview")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.accImportLineColumn")}</th><th scope="col">{t("admin.accFieldAccount")}</th><th scope="col">{t("admin.accDisplayName")}</th>
                  <th scope="col">{t("admin.accRole")}</th><th scope="col">{t("admin.accPassword")}</th><th scope="col">{t("admin.accImportCheck")}</th>
                </tr>
              </thead>
              <tbody>
                {shownRows.map(({ r, i }) => {
                  const problems = problemsOf(i);
                  return (
                    <tr key={i} class={problems.length ? "import-bad" : undefined} data-testid="import-row" data-line={r.line} data-ok={String(problems.length === 0)}>
                      <td class="numeric">{r.line}</td>
                      <td class="import-account">{r.row.account || <span class="muted">—</span>}</td>
                      <td>{r.row.display_name ?? <span class="muted">{t("admin.accImportAsLogin")}</span>}</td>
                      <td>{roleCell(r)}</td>
                      <td>{r.row.password !== undefined ? t("admin.accImportPasswordGiven") : <span class="muted">{t("admin.accImportPasswordMade")}</span>}</td>
                      <td class="import-check" data-testid="import-row-check">
                        {problems.length > 0
                          ? <ul class="import-row-problems">{problems.map((p, k) => <li key={k}>{p}</li>)}</ul>
                          : check?.state === "checked" ? <span class="import-ok"><Icon name="check" size={14} /> {t("admin.accImportRowOk")}</span>
                          : <span class="muted">…</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div class="row-actions wrap import-actions">
            <button type="button" class="btn btn-primary" disabled={!clean || busy} aria-describedby={clean ? undefined : "acc-import-why"} onClick={() => void runImport()}>
              <Icon name="userPlus" size={16} /> {busy ? t("admin.accImporting") : count === 1 ? t("admin.accImportOne") : t("admin.accImportCount", { count })}</button>
            {!clean && <span id="acc-import-why" class="muted small">{t("admin.accImportWhy")}</span>}
          </div>
        </div>
      )}
      {imported && <ImportedAccounts domain={props.domain} created={imported.created} sheet={imported.sheet} onDone={() => setImported(null)} />}
      <div class="import-foot"><button type="button" class="btn" onClick={props.onClose}>{t("common.close")}</button></div>
    </section>
  );
}

/** Bad rows the list above the table names one by one; the table marks them all. */
const IMPORT_PROBLEMS_LISTED = 20;
/** The names the files an import saves are given. */
export const IMPORT_TEMPLATE_NAME = "magpie-accounts-template.csv";
export const importPasswordsName = (domain: string) => `magpie-passwords-${domain}.csv`;

/** The accounts an import made, with the passwords the server made (shown only now). */
function ImportedAccounts(props: { domain: string; created: ImportedAccount[]; sheet: Sheet; onDone: () => void }): JSX.Element {
  const { t } = useT();
  const { created } = props;
  const download = () => {
    saveBlob(new Blob([passwordsCsv(created, props.sheet)], { type: "text/csv;charset=utf-8" }), importPasswordsName(props.domain));
    toast(t("admin.accImportDownloaded"), "info");
  };
  return (
    <div class="import-made" role="region" aria-labelledby="acc-imported-title" data-testid="import-made">
      <h3 id="acc-imported-title">{created.length === 1 ? t("admin.accImportedOne") : t("admin.accImported", { count: created.length })}</h3>
      <p class="notice notice-warn" role="note">{t("admin.accImportPasswordsOnce")}</p>
      <div class="row-actions wrap">
        <button type="button" class="btn btn-primary" onClick={download}><Icon name="download" size={16} /> {t("admin.accImportDownload")}</button>
        <button type="button" class="btn" onClick={props.onDone}>{t("admin.done")}</button>
      </div>
      <div class="table-scroll import-table-scroll" role="region" tabIndex={0} aria-label={t("admin.accImportMadeTable")}>
        <table class="report-table import-table">
          <caption class="visually-hidden">{t("admin.accImportMadeTable")}</caption>
          <thead>
            <tr><th scope="col">{t("admin.accFieldAccount")}</th><th scope="col">{t("admin.accDisplayName")}</th><th scope="col">{t("admin.accRole")}</th><th scope="col">{t("admin.accPassword")}</th></tr>
          </thead>
          <tbody>
            {created.map((c) => (
              <tr key={c.account.account} data-testid="imported-account" data-account={c.account.account}>
                <td>{c.account.account}</td>
                <td>{c.account.display_name}</td>
                <td>{t(ROLE_LABEL[c.account.role])}</td>
                <td>{c.password ? <code class="import-password" data-testid="imported-password">{c.password}</code> : <span class="muted">{t("admin.accImportPasswordFromFile")}</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

// ---- Registration ------------------------------------------------------------------------------

const MODES: RegistrationMode[] = ["closed", "open", "invitation", "approval"];

function RegistrationAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [info, setInfo] = useState<DomainInfo | null>(null);
  const [mode, setMode] = useState<RegistrationMode>("closed");
  const [verify, setVerify] = useState(false);
  const [emailDomains, setEmailDomains] = useState("");
  const [membersInvite, setMembersInvite] = useState(false);
  const [membersMakeBots, setMembersMakeBots] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const adopt = (d: DomainInfo) => {
    setInfo(d);
    setMode(d.registration);
    setVerify(d.email_verification ?? false);
    setEmailDomains((d.email_domains ?? []).join(", "));
    setMembersInvite(d.members_invite ?? false);
    setMembersMakeBots(d.members_make_bots ?? false);
  };
  useEffect(() => {
    // A PATCH with no field answers the domain as it is: what a domain admin can read of it.
    client.admin.updateDomain(domain, {}).then(adopt, (e: unknown) => setError(errorText(e, t)));
  }, [client, domain]);
  // Servers that verify email addresses say so in the domain's settings; older ones cannot.
  const emailSupported = info?.email_verification !== undefined;
  // Likewise for invitations by members.
  const membersInviteSupported = info?.members_invite !== undefined;
  // And for bots made by members.
  const membersMakeBotsSupported = info?.members_make_bots !== undefined;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const change = {
        registration: mode,
        ...(emailSupported ? { email_verification: verify, email_domains: parseEmailDomains(emailDomains) } : {}),
        ...(membersInviteSupported ? { members_invite: membersInvite } : {}),
        ...(membersMakeBotsSupported ? { members_make_bots: membersMakeBots } : {}),
      };
      adopt(await client.admin.updateDomain(domain, change));
      toast(t("common.saved"), "info");
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  if (!info) return error ? <p class="form-error" role="alert">{error}</p> : <Spinner label={t("common.loading")} />;
  return (
    <section class="card-section" aria-labelledby="adm-reg-title">
      <h2 id="adm-reg-title">{t("admin.registrationTitle")}</h2>
      <form class="stack" onSubmit={save}>
        <fieldset class="mode-options">
          <legend class="field-label">{t("admin.registrationMode")}</legend>
          {MODES.map((m) => (
            <label key={m} class={`mode-option${mode === m ? " active" : ""}`}>
              <input type="radio" name="registration" value={m} checked={mode === m} onChange={() => setMode(m)} />
              <span><strong>{t(`admin.mode.${m}`)}</strong><span class="muted small">{t(`admin.modeHint.${m}`)}</span></span>
            </label>
          ))}
        </fieldset>
        <label class="switch-row">
          <span><strong>{t("admin.emailVerification")}</strong><span class="muted small">{emailSupported ? t("admin.emailVerificationHint") : t("admin.emailUnsupported")}</span></span>
          <input type="checkbox" role="switch" checked={verify} disabled={!emailSupported} onChange={(e) => setVerify(e.currentTarget.checked)} />
        </label>
        <div class="field">
          <label for="adm-email-domains">{t("admin.emailDomains")}</label>
          <input id="adm-email-domains" class="input" value={emailDomains} disabled={!emailSupported} placeholder="acme.com, acme.cn"
            onInput={(e) => setEmailDomains(e.currentTarget.value)} aria-describedby="adm-email-domains-hint" />
          <span id="adm-email-domains-hint" class="muted small">{t("admin.emailDomainsHint")}</span>
        </div>
        <label class="switch-row">
          <span><strong>{t("admin.membersInvite")}</strong><span class="muted small">{membersInviteSupported ? t("admin.membersInviteHint") : t("admin.membersInviteUnsupported")}</span></span>
          <input type="checkbox" role="switch" checked={membersInvite} disabled={!membersInviteSupported} onChange={(e) => setMembersInvite(e.currentTarget.checked)} />
        </label>
        <label class="switch-row">
          <span><strong>{t("admin.membersMakeBots")}</strong><span class="muted small">{membersMakeBotsSupported ? t("admin.membersMakeBotsHint") : t("admin.membersMakeBotsUnsupported")}</span></span>
          <input type="checkbox" role="switch" checked={membersMakeBots} disabled={!membersMakeBotsSupported} onChange={(e) => setMembersMakeBots(e.currentTarget.checked)} />
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div><button type="submit" class="btn btn-primary" disabled={busy}>{t("admin.saveRegistration")}</button></div>
      </form>
    </section>
  );
}

// ---- Invitations --------------------------------------------------------------------------------

function InvitationsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [list, setList] = useState<Invitation[] | null>(null);
  const [mode, setMode] = useState<RegistrationMode | null>(null);
  const [uses, setUses] = useState("1");
  const [ttl, setTtl] = useState(String(7 * 86_400));
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const load = () => client.admin.invitations(domain).then(setList, (e: unknown) => setError(errorText(e, t)));
  useEffect(() => {
    void load();
    client.admin.updateDomain(domain, {}).then((d) => setMode(d.registration), () => { /* the notice just stays away */ });
  }, [client, domain]);

  const create = async (e: Event) => {
    e.preventDefault();
    const usesMax = Math.round(Number(uses));
    if (!Number.isFinite(usesMax) || usesMax < 1 || usesMax > 10_000) { setError(t("admin.badUses")); return; }
    setBusy(true);
    setError(null);
    try {
      const made = await client.admin.createInvitation(domain, { uses_max: usesMax, ttl_secs: Number(ttl), ...(note.trim() ? { note: note.trim() } : {}) });
      setCreated(made);
      setNote("");
      void load();
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {mode && mode !== "invitation" && (
        <p class="notice" role="note">{t("admin.invitationsModeNote", { mode: t(`admin.mode.${mode}`) })}{" "}
          <button type="button" class="btn-link" onClick={() => navigate({ page: "admin", tab: "registration" }, { replace: true })}>{t("admin.changeMode")}</button></p>
      )}
      <section class="card-section" aria-labelledby="adm-inv-new">
        <h2 id="adm-inv-new">{t("admin.newInvitation")}</h2>
        <form class="inline-form" onSubmit={create}>
          <div class="field">
            <label for="adm-inv-uses">{t("admin.uses")}</label>
            <input id="adm-inv-uses" class="input input-narrow" type="number" min={1} max={10000} value={uses} onInput={(e) => setUses(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="adm-inv-ttl">{t("admin.expires")}</label>
            <select id="adm-inv-ttl" class="select" value={ttl} onChange={(e) => setTtl(e.currentTarget.value)}>
              {INVITATION_TTLS.map((x) => <option key={x.secs} value={String(x.secs)}>{t(x.key)}</option>)}
            </select>
          </div>
          <div class="field grow">
            <label for="adm-inv-note">{t("admin.note")}</label>
            <input id="adm-inv-note" class="input" value={note} maxLength={256} placeholder={t("admin.notePlaceholder")} onInput={(e) => setNote(e.currentTarget.value)} />
          </div>
          <button type="submit" class="btn btn-primary" disabled={busy}>{t("admin.createInvitation")}</button>
        </form>
        {error && <p class="form-error" role="alert">{error}</p>}
        {created && <CreatedInvitationPanel created={created} domain={domain} idPrefix="adm-inv" onDone={() => setCreated(null)} />}
      </section>
      <section class="card-section" aria-labelledby="adm-inv-list">
        <h2 id="adm-inv-list">{t("admin.liveInvitations", { count: list?.length ?? 0 })}</h2>
        {!list && <Spinner label={t("common.loading")} />}
        {list && list.length === 0 && <p class="muted">{t("admin.noInvitations")}</p>}
        <ul class="session-list" role="list" aria-label={t("admin.tabInvitations")}>
          {list?.map((inv) => {
            const label = inv.note || t("admin.invitationNumber", { id: inv.id });
            return (
              <li key={inv.id} class="session-row">
                <span class="session-icon" aria-hidden="true"><Icon name="mail" size={18} /></span>
                <span class="person-text">
                  <span class="person-name">{label}{inv.uses >= inv.uses_max && <span class="tag">{t("admin.usedUp")}</span>}</span>
                  <span class="person-addr">{[
                    t("admin.usesOf", { uses: inv.uses, max: inv.uses_max }),
                    t("admin.expiresAt", { time: formatFull(inv.expires_at_ms, locale) }),
                    inv.created_by ? t("admin.createdBy", { name: displayName(client, inv.created_by) }) : t("admin.createdByCli"),
                  ].join(" · ")}</span>
                </span>
                <button type="button" class="btn btn-small" aria-label={t("admin.revokeNamed", { name: label })} onClick={() => setConfirming({
                  title: t("admin.revokeInvitation"), text: t("admin.confirmRevokeInvitation", { name: label }), confirm: t("admin.revokeInvitation"), danger: true,
                  run: async () => { await client.admin.revokeInvitation(domain, inv.id); await load(); },
                })}>{t("admin.revoke")}</button>
              </li>
            );
          })}
        </ul>
      </section>
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </>
  );
}

// ---- Applications -------------------------------------------------------------------------------

function ApplicationsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [list, setList] = useState<Application[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const load = () => client.admin.applications(domain).then((l) => { setList(l); setError(null); }, (e: unknown) => setError(errorText(e, t)));
  useEffect(() => { void load(); }, [client, domain]);
  const decide = async (account: AdminAccount, approve: boolean) => {
    try {
      await (approve ? client.admin.approve(account.account) : client.admin.reject(account.account));
      toast(t(approve ? "admin.approved" : "admin.rejected", { name: account.display_name }), "info");
    } catch (err) {
      toast(errorText(err, t));
    }
    await load();
  };
  return (
    <section class="card-section" aria-labelledby="adm-apps">
      <div class="section-head">
        <h2 id="adm-apps">{t("admin.pendingApplications", { count: list?.length ?? 0 })}</h2>
        <button type="button" class="btn btn-small" onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {!list && !error && <Spinner label={t("common.loading")} />}
      {list && list.length === 0 && <p class="muted">{t("admin.noApplications")}</p>}
      <ul class="session-list" role="list" aria-label={t("admin.tabApplications")}>
        {list?.map(({ account: a, applied_at_ms }) => (
          <li key={a.account} class="session-row">
            <Avatar name={a.display_name} seed={a.account} url={a.avatar} size={38} />
            <span class="person-text">
              <span class="person-name">{a.display_name}</span>
              <span class="person-addr">{[a.account, a.email, t("admin.appliedAt", { time: formatFull(applied_at_ms, locale) })].filter(Boolean).join(" · ")}</span>
            </span>
            <span class="row-actions">
              <button type="button" class="btn btn-small btn-primary" aria-label={t("admin.approveNamed", { name: a.display_name })} onClick={() => void decide(a, true)}>{t("admin.approve")}</button>
              <button type="button" class="btn btn-small" aria-label={t("admin.rejectNamed", { name: a.display_name })} onClick={() => setConfirming({
                title: t("admin.reject"), text: t("admin.confirmReject", { name: a.display_name }), confirm: t("admin.reject"), danger: true,
                run: () => decide(a, false),
              })}>{t("admin.reject")}</button>
            </span>
          </li>
        ))}
      </ul>
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </section>
  );
}

// ---- Announcements ------------------------------------------------------------------------------

/** The longest announcement, in characters (the server's bound). */
export const ANNOUNCEMENT_CHARS_MAX = 2000;

/** An announcement to everyone in the domain: each member gets it in their notifications. */
function AnnouncementsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const own = useDomain();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const chars = Array.from(text).length;
  const send = async (e: Event) => {
    e.preventDefault();
    const trimmed = text.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      // The caller's own domain is the server's default; a server administrator may pick another.
      const { notified } = await client.admin.announce({ text: trimmed, ...(domain === own ? {} : { domain }) });
      setSent(notified);
      setText("");
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card-section" aria-labelledby="adm-announce">
      <h2 id="adm-announce">{t("admin.announceTitle")}</h2>
      <p class="muted small admin-intro">{t("admin.announceHint", { domain })}</p>
      <form class="stack" onSubmit={send}>
        <div class="field">
          <label for="adm-announce-text">{t("admin.announceText")}</label>
          <textarea id="adm-announce-text" class="input" rows={5} maxLength={ANNOUNCEMENT_CHARS_MAX} value={text}
            aria-describedby="adm-announce-count" onInput={(e) => { setText(e.currentTarget.value); setSent(null); }} />
          <span id="adm-announce-count" class="muted small announce-count">{t("admin.announceChars", { count: chars, max: ANNOUNCEMENT_CHARS_MAX })}</span>
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="row-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !text.trim()}><Icon name="megaphone" size={14} /> {t("admin.announceSend")}</button>
          <span role="status" class="announce-sent" data-testid="announce-sent">
            {sent !== null && (sent === 1 ? t("admin.announceSentOne") : t("admin.announceSent", { count: sent }))}
          </span>
        </div>
      </form>
    </section>
  );
}

// ---- Push delivery ------------------------------------------------------------------------------

/** How each kind of device is reached, as the table names it; a kind this app does not know
 * (a newer server's) shows as the server spells it. */
const PUSH_KINDS: Record<string, MessageKey> = {
  web_push: "admin.pushKind.web_push", gateway: "admin.pushKind.gateway", apns: "admin.pushKind.apns", fcm: "admin.pushKind.fcm",
};

/** Pushes given up and devices dropped for the domain's accounts, newest first, and how many
 * pushes wait in the outbox: for an administrator asking why someone's phone stays quiet. */
function PushAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [list, setList] = useState<PushFailureList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    try {
      setList(await client.admin.pushFailures(domain));
      setError(null);
    } catch (e) {
      // A server from before push reports answers that the endpoint does not exist.
      setError(missingEndpoint(e) ? t("admin.pushUnsupported") : errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { void load(); }, [client, domain]);
  return (
    <section class="card-section" aria-labelledby="adm-push" aria-busy={busy}>
      <div class="section-head">
        <h2 id="adm-push">{t("admin.pushTitle")}</h2>
        <button type="button" class="btn btn-small" disabled={busy} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
      </div>
      <p class="muted small admin-intro">{t("admin.pushHint")}</p>
      {error && <p class="form-error" role="alert">{error}</p>}
      {!list && !error && <Spinner label={t("common.loading")} />}
      {list && (
        <>
          <dl class="report-counts">
            <div><dt>{t("admin.pushOutbox")}</dt><dd data-testid="push-outbox">{list.outbox_len}</dd></div>
          </dl>
          {list.failures.length === 0
            ? <p class="muted" data-testid="push-none">{t("admin.pushNone")}</p>
            : (
              <div class="table-scroll">
                <table class="report-table push-failures">
                  <caption class="visually-hidden">{t("admin.pushFailures")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("admin.pushTime")}</th><th scope="col">{t("admin.pushAccount")}</th><th scope="col">{t("admin.pushKind")}</th>
                      <th scope="col">{t("admin.pushAttempts")}</th><th scope="col">{t("admin.pushDropped")}</th><th scope="col">{t("admin.pushError")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.failures.map((f) => (
                      <tr key={f.id}>
                        <td><time dateTime={new Date(f.at_ms).toISOString()}>{formatFull(f.at_ms, locale)}</time></td>
                        <td>{f.account}</td>
                        <td>{f.kind in PUSH_KINDS ? t(PUSH_KINDS[f.kind]!) : f.kind}</td>
                        <td class="numeric">{f.attempts}</td>
                        <td>{f.target_dropped ? t("admin.pushYes") : t("admin.pushNo")}</td>
                        <td>{f.error}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </>
      )}
    </section>
  );
}

// ---- Audit log ----------------------------------------------------------------------------------

/** Records a page of the audit log asks for. */
const AUDIT_PAGE_LEN = 50;
/** The name an export is saved under, as the server's Content-Disposition names it. */
export const AUDIT_EXPORT_NAME = "magpie-audit.jsonl";

/** The administrative actions done in the domain (a server administrator's: on the server),
 * newest first, each with who did it (their role then), from where, to what, and the fields it
 * changed before → after; filtered by actor, action, target and dates, paged, and exported as
 * JSON Lines with the same filters. */
function AuditAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const serverAdmin = client.me.role === "server_admin";
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>(NO_FILTERS);
  const [records, setRecords] = useState<AuditRecordInfo[] | null>(null);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"load" | "more" | "export" | null>("load");
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  // Only the newest load's answer counts: a slower older one (other filters) is dropped.
  const latest = useRef(0);

  const query = auditQueryOf(applied, { serverAdmin, domain });
  const failure = (e: unknown): string => {
    if (isMagpieError(e) && e.code === "forbidden") return t("admin.auditForbidden");
    // A server from before the audit log answers that the endpoint does not exist (a domain
    // asked for by name that does not exist answers not_found too).
    if (missingEndpoint(e) && query.domain === undefined) return t("admin.auditUnsupported");
    return errorText(e, t);
  };
  const load = async (before?: number) => {
    const mine = ++latest.current;
    setBusy(before === undefined ? "load" : "more");
    try {
      const page = await client.admin.auditLog({ ...query, ...(before === undefined ? {} : { before }), limit: AUDIT_PAGE_LEN });
      if (mine !== latest.current) return;
      setRecords((shown) => (before === undefined ? page.records : [...(shown ?? []), ...page.records]));
      setNext(page.next_before);
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // The records shown stay when a further page fails; a first page's failure leaves none,
      // rather than another filter's records under these filters.
      if (before === undefined) { setRecords(null); setNext(undefined); }
      setError(failure(e));
    } finally {
      if (mine === latest.current) setBusy(null);
    }
  };
  useEffect(() => { setOpen(new Set()); void load(); }, [client, domain, applied]);

  const set = <K extends keyof AuditFilters>(key: K, value: AuditFilters[K]) => setDraft({ ...draft, [key]: value });
  const apply = (e: Event) => {
    e.preventDefault();
    if (badRange(draft)) { setFormError(t("admin.auditBadRange")); return; }
    setFormError(null);
    setApplied({ ...draft });
  };
  const clear = () => {
    const none = { ...NO_FILTERS, scope: draft.scope };
    setFormError(null);
    setDraft(none);
    setApplied(none);
  };
  const exportLog = async () => {
    setBusy("export");
    setExportError(null);
    try {
      saveBlob(await client.admin.exportAudit(query), AUDIT_EXPORT_NAME);
      toast(t("admin.auditExported"), "info");
    } catch (e) {
      setExportError(failure(e));
    } finally {
      setBusy(null);
    }
  };
  const toggle = (id: number) => {
    const next = new Set(open);
    if (!next.delete(id)) next.add(id);
    setOpen(next);
  };
  const areaLabel = (area: AuditArea) => t(`admin.auditArea.${area}`);
  const scopes: [AuditScope, string][] = [
    ["all", t("admin.auditScopeAll")], ["domain", t("admin.auditScopeDomain", { domain })], ["deployment", t("admin.auditScopeDeployment")],
  ];
  const columns = serverAdmin ? 7 : 6;
  return (
    <section class="card-section audit-section" aria-labelledby="adm-audit" aria-busy={busy === "load" || busy === "more"}>
      <div class="section-head">
        <h2 id="adm-audit">{t("admin.auditTitle")}</h2>
        <span class="row-actions">
          <button type="button" class="btn btn-small" disabled={busy !== null} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
          <button type="button" class="btn btn-small" disabled={busy !== null} onClick={() => void exportLog()}>
            <Icon name="download" size={14} /> {busy === "export" ? t("admin.auditExporting") : t("admin.auditExport")}</button>
        </span>
      </div>
      <p class="muted small admin-intro">{serverAdmin ? t("admin.auditHintServer") : t("admin.auditHint", { domain })}</p>
      <form class="inline-form audit-filters" role="search" aria-label={t("admin.auditFilters")} noValidate onSubmit={apply}>
        {serverAdmin && (
          <div class="field">
            <label for="adm-audit-scope">{t("admin.auditScope")}</label>
            <select id="adm-audit-scope" class="select" value={draft.scope} onChange={(e) => set("scope", e.currentTarget.value as AuditScope)}>
              {scopes.map(([id, label]) => <option key={id} value={id}>{label}</option>)}
            </select>
          </div>
        )}
        <div class="field">
          <label for="adm-audit-actor">{t("admin.auditActor")}</label>
          <input id="adm-audit-actor" class="input" value={draft.actor} maxLength={200} autoCapitalize="none" spellcheck={false}
            placeholder={t("admin.auditActorPlaceholder")} onInput={(e) => set("actor", e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="adm-audit-action">{t("admin.auditAction")}</label>
          <select id="adm-audit-action" class="select" value={draft.action} onChange={(e) => set("action", e.currentTarget.value)}>
            <option value="">{t("admin.auditAllActions")}</option>
            {(Object.keys(AUDIT_AREAS) as AuditArea[]).map((area) => (
              <optgroup key={area} label={areaLabel(area)}>
                <option value={area}>{t("admin.auditAllInArea", { area: areaLabel(area) })}</option>
                {AUDIT_AREAS[area].map((action) => <option key={action} value={action}>{t(`admin.auditAction.${action}`)}</option>)}
              </optgroup>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="adm-audit-target">{t("admin.auditTarget")}</label>
          <input id="adm-audit-target" class="input" value={draft.target} maxLength={200} autoCapitalize="none" spellcheck={false}
            placeholder={t("admin.auditTargetPlaceholder")} onInput={(e) => set("target", e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="adm-audit-from">{t("admin.auditFrom")}</label>
          <input id="adm-audit-from" class="input" type="date" value={draft.from} max={draft.to || undefined} onInput={(e) => set("from", e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="adm-audit-to">{t("admin.auditTo")}</label>
          <input id="adm-audit-to" class="input" type="date" value={draft.to} min={draft.from || undefined} onInput={(e) => set("to", e.currentTarget.value)} />
        </div>
        <span class="row-actions">
          <button type="submit" class="btn btn-primary"><Icon name="search" size={14} /> {t("admin.auditApply")}</button>
          {(filtering(draft) || filtering(applied)) && <button type="button" class="btn" onClick={clear}>{t("admin.auditClear")}</button>}
        </span>
      </form>
      {formError && <p class="form-error" role="alert">{formError}</p>}
      {exportError && <p class="form-error" role="alert" data-testid="audit-export-error">{exportError}</p>}
      {error && <p class="form-error" role="alert" data-testid="audit-error">{error}</p>}
      {!records && !error && <Spinner label={t("common.loading")} />}
      {records && records.length === 0 && (
        <p class="muted audit-empty" data-testid="audit-empty">{filtering(applied) ? t("admin.auditNoMatch") : t("admin.auditEmpty")}</p>
      )}
      {records && records.length > 0 && (
        <div class="table-scroll">
          <table class="report-table audit-table">
            <caption class="visually-hidden">{t("admin.auditRecords")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.auditTime")}</th><th scope="col">{t("admin.auditActor")}</th><th scope="col">{t("admin.auditIp")}</th>
                <th scope="col">{t("admin.auditAction")}</th><th scope="col">{t("admin.auditTarget")}</th>
                {serverAdmin && <th scope="col">{t("admin.auditDomain")}</th>}
                <th scope="col">{t("admin.auditChanges")}</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => <AuditRow key={r.id} record={r} serverAdmin={serverAdmin} columns={columns} open={open.has(r.id)} onToggle={() => toggle(r.id)} />)}
            </tbody>
          </table>
        </div>
      )}
      <div class="audit-foot">
        <span class="muted small" role="status">
          {records && records.length > 0 && (records.length === 1 ? t("admin.auditShownOne") : t("admin.auditShown", { count: records.length }))}
        </span>
        {records && next !== undefined && (
          <button type="button" class="btn" disabled={busy !== null} onClick={() => void load(next)}>
            {busy === "more" ? t("common.loading") : t("admin.auditMore")}</button>
        )}
      </div>
    </section>
  );
}

/** What an action is called in the viewer's language; one this app does not know (a newer
 * server's) by its name. */
function useActionLabel(): (action: string) => string {
  const { t } = useT();
  return (action) => (isAuditAction(action) ? t(`admin.auditAction.${action}`) : action);
}

const AUDIT_ROLES = ["server_admin", "domain_admin", "member", "operator"] as const;

function AuditRow(props: { record: AuditRecordInfo; serverAdmin: boolean; columns: number; open: boolean; onToggle: () => void }): JSX.Element {
  const { record: r, open } = props;
  const { t, locale } = useT();
  const actionLabel = useActionLabel()(r.action);
  const role = r.actor.role as string;
  const known = (AUDIT_ROLES as readonly string[]).includes(role);
  const detail = `audit-detail-${r.id}`;
  return (
    <>
      <tr data-testid="audit-record" data-id={r.id} data-action={r.action} class={open ? "audit-open" : undefined}>
        <td><time dateTime={new Date(r.at_ms).toISOString()}>{formatFull(r.at_ms, locale)}</time></td>
        <td class="audit-actor">
          <span class="audit-actor-name">{r.actor.name}</span>{" "}
          <span class={`tag audit-role${known ? ` audit-role-${role}` : ""}`} data-testid="audit-role">
            {known ? t(`admin.auditRole.${role as (typeof AUDIT_ROLES)[number]}`) : role}
          </span>
        </td>
        <td class="audit-ip">{r.ip ?? <span class="muted">—</span>}</td>
        <td class="audit-action">
          <span data-testid="audit-action">{actionLabel}</span>
          {actionLabel !== r.action && <>{" "}<code class="audit-action-name">{r.action}</code></>}
        </td>
        <td class="audit-target">{r.target}</td>
        {props.serverAdmin && <td>{r.domain ?? <span class="muted">{t("admin.auditDeployment")}</span>}</td>}
        <td>
          <button type="button" class="btn btn-small audit-toggle" aria-expanded={open} aria-controls={open ? detail : undefined}
            aria-label={t("admin.auditDetailsOf", { action: actionLabel, target: r.target })} onClick={props.onToggle}>
            <Icon name={open ? "chevronDown" : "chevronRight"} size={14} /> {t("admin.auditDetails")}
          </button>
        </td>
      </tr>
      {open && (
        <tr class="audit-detail" id={detail}>
          <td colSpan={props.columns}>
            <AuditDiff record={r} label={t("admin.auditChangesOf", { action: actionLabel, target: r.target })} />
            {r.actor.session !== undefined && <p class="muted small audit-session">{t("admin.auditSession", { id: r.actor.session })}</p>}
          </td>
        </tr>
      )}
    </>
  );
}

/** Each field the action recorded: its value before → after, the changed ones marked. */
function AuditDiff({ record, label }: { record: AuditRecordInfo; label: string }): JSX.Element {
  const { t } = useT();
  const changes = auditChanges(record);
  if (changes.length === 0) return <p class="muted small">{t("admin.auditNoFields")}</p>;
  return (
    <table class="audit-diff" data-testid="audit-diff">
      <caption class="visually-hidden">{label}</caption>
      <thead>
        <tr><th scope="col">{t("admin.auditField")}</th><th scope="col">{t("admin.auditBefore")}</th><th scope="col">{t("admin.auditAfter")}</th></tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field} class={c.changed ? "audit-changed" : undefined} data-testid="audit-field" data-field={c.field} data-changed={String(c.changed)}>
            <th scope="row"><code>{c.field}</code>{c.changed && <>{" "}<span class="tag audit-changed-tag">{t("admin.auditChanged")}</span></>}</th>
            <td class={`audit-before${c.before === undefined ? " audit-absent" : ""}`} data-testid="audit-before"><AuditValue field={c.field} value={c.before} /></td>
            <td class={`audit-after${c.after === undefined ? " audit-absent" : ""}`} data-testid="audit-after"><span class="audit-arrow" aria-hidden="true">→ </span><AuditValue field={c.field} value={c.after} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A recorded value as a person reads it: text as it is, times (`…_ms`) as dates, yes/no, lists
 * joined, anything else as JSON. */
function AuditValue({ field, value }: { field: string; value: unknown }): JSX.Element {
  const { t, locale } = useT();
  if (value === undefined) return <span class="muted">{t("admin.auditNotSet")}</span>;
  if (value === null) return <span class="muted">{t("admin.auditNone")}</span>;
  if (value === "" || (Array.isArray(value) && value.length === 0)) return <span class="muted">{t("admin.auditEmptyList")}</span>;
  if (typeof value === "boolean") return <>{t(value ? "admin.auditYes" : "admin.auditNo")}</>;
  if (typeof value === "number" && field.endsWith("_ms") && Math.abs(value) <= 8.64e15) {
    return <time dateTime={new Date(value).toISOString()}>{formatFull(value, locale)}</time>;
  }
  if (typeof value === "string" || typeof value === "number") return <>{String(value)}</>;
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) return <>{value.join(", ")}</>;
  return <code class="audit-json">{JSON.stringify(value)}</code>;
}

// ---- LDAP -----------------------------------------------------------------------------------------

const DEFAULT_ATTRIBUTES: LdapAttributes = { login: "uid", display_name: "cn", email: "mail", phone: "telephoneNumber", title: "title", manager: "manager" };
const ATTRIBUTE_KEYS: (keyof LdapAttributes)[] = ["login", "display_name", "email", "phone", "title", "manager", "department"];

/** What the server uses for a group setting left empty (§11.4). */
const DEFAULT_GROUP_FILTER = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))";
const DEFAULT_MEMBER_ATTRIBUTES = "member, uniqueMember, memberUid";
/** A source lists members in at most this many attributes. */
const MEMBER_ATTRIBUTES_MAX = 8;

interface LdapForm {
  url: string; starttls: boolean; bind_dn: string; bind_password: string; base_dns: string; people_filter: string; disabled_filter: string;
  attributes: Record<keyof LdapAttributes, string>; login_enabled: boolean; sync_interval_secs: string;
  /** Whether the source follows directory groups, and how: empty fields are the server's defaults. */
  groups_enabled: boolean; group_base_dns: string; group_filter: string; group_member_attributes: string; group_name: string;
}

function formOf(source: LdapSource | null): LdapForm {
  const attributes = { ...DEFAULT_ATTRIBUTES, department: "", ...(source?.attributes ?? {}) } as Record<keyof LdapAttributes, string>;
  const groups = source?.groups;
  return {
    url: source?.url ?? "", starttls: source?.starttls ?? false, bind_dn: source?.bind_dn ?? "", bind_password: "",
    base_dns: (source?.base_dns ?? []).join("\n"), people_filter: source?.people_filter ?? "(objectClass=inetOrgPerson)",
    disabled_filter: source?.disabled_filter ?? "", attributes, login_enabled: source?.login_enabled ?? false,
    sync_interval_secs: String(source?.sync_interval_secs ?? 0),
    groups_enabled: groups !== undefined, group_base_dns: (groups?.base_dns ?? []).join("\n"), group_filter: groups?.filter ?? "",
    group_member_attributes: (groups?.member_attributes ?? []).join(", "), group_name: groups?.name ?? "",
  };
}

/** The group settings to send: only what the form says, so that the server's defaults fill the rest. */
export function groupMapOf(form: Pick<LdapForm, "group_base_dns" | "group_filter" | "group_member_attributes" | "group_name">): LdapGroupMap {
  const baseDns = form.group_base_dns.split("\n").map((s) => s.trim()).filter(Boolean);
  const memberAttributes = form.group_member_attributes.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
  return {
    ...(baseDns.length ? { base_dns: baseDns } : {}),
    ...(form.group_filter.trim() ? { filter: form.group_filter.trim() } : {}),
    ...(memberAttributes.length ? { member_attributes: memberAttributes } : {}),
    ...(form.group_name.trim() ? { name: form.group_name.trim() } : {}),
  };
}

function ldapError(err: unknown, t: (k: MessageKey, p?: Record<string, string | number>) => string): string {
  if (isMagpieError(err)) {
    if (err.code === "unavailable") return t("admin.ldapUnavailable");
    if (err.code === "invalid_field" && err.field === "ldap") return t("admin.ldapRefused");
    if (err.code === "invalid_field" && err.field) return t("admin.ldapBadField", { field: err.field });
  }
  return errorText(err, t);
}

function LdapAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [source, setSource] = useState<LdapSource | null | undefined>(undefined);
  const [form, setForm] = useState<LdapForm>(formOf(null));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tested, setTested] = useState<number | null>(null);
  const [report, setReport] = useState<LdapSyncReport | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const adopt = (s: LdapSource | null) => { setSource(s); setForm(formOf(s)); };
  const load = () => client.admin.ldapSource(domain).then(adopt, (e: unknown) => {
    if (isMagpieError(e) && e.code === "not_found") adopt(null);
    else setError(errorText(e, t));
  });
  useEffect(() => { void load(); }, [client, domain]);

  const set = <K extends keyof LdapForm>(key: K, value: LdapForm[K]) => setForm({ ...form, [key]: value });
  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try { await action(); } catch (err) { setError(ldapError(err, t)); } finally { setBusy(null); }
  };
  const save = (e: Event) => {
    e.preventDefault();
    const interval = Math.round(Number(form.sync_interval_secs) || 0);
    if (interval !== 0 && interval < 60) { setError(t("admin.ldapBadInterval")); return; }
    const groups = form.groups_enabled ? groupMapOf(form) : undefined;
    if ((groups?.member_attributes?.length ?? 0) > MEMBER_ATTRIBUTES_MAX) { setError(t("admin.ldapTooManyMemberAttributes", { max: MEMBER_ATTRIBUTES_MAX })); return; }
    const attributes = Object.fromEntries(ATTRIBUTE_KEYS.map((k) => [k, form.attributes[k].trim()]).filter(([, v]) => v)) as unknown as LdapAttributes;
    const change: LdapSourceChange = {
      url: form.url.trim(), starttls: form.starttls, bind_dn: form.bind_dn.trim(),
      base_dns: form.base_dns.split("\n").map((s) => s.trim()).filter(Boolean),
      ...(form.bind_password ? { bind_password: form.bind_password } : {}),
      ...(form.people_filter.trim() ? { people_filter: form.people_filter.trim() } : {}),
      ...(form.disabled_filter.trim() ? { disabled_filter: form.disabled_filter.trim() } : {}),
      attributes: { ...DEFAULT_ATTRIBUTES, ...attributes }, login_enabled: form.login_enabled, sync_interval_secs: interval,
      // Left out, the source follows no groups.
      ...(groups ? { groups } : {}),
    };
    void run("save", async () => { adopt(await client.admin.setLdapSource(domain, change)); toast(t("common.saved"), "info"); });
  };
  if (source === undefined) return error ? <p class="form-error" role="alert">{error}</p> : <Spinner label={t("common.loading")} />;
  const field = (id: keyof LdapForm & string, label: MessageKey, props: { placeholder?: string; type?: string; min?: number; required?: boolean; autoComplete?: string } = {}) => (
    <div class="field">
      <label for={`ldap-${id}`}>{t(label)}</label>
      <input id={`ldap-${id}`} class="input" value={form[id] as string} autoCapitalize="none" spellcheck={false}
        onInput={(e) => set(id, e.currentTarget.value as never)} {...props} />
    </div>
  );
  return (
    <>
      <section class="card-section" aria-labelledby="adm-ldap-title">
        <h2 id="adm-ldap-title">{t("admin.ldapTitle")}</h2>
        <p class="muted small ldap-intro">{source ? t("admin.ldapConfigured") : t("admin.ldapNone")}</p>
        <form class="stack" onSubmit={save}>
          <div class="form-grid">
            {field("url", "admin.ldapUrl", { placeholder: "ldaps://ldap.example.com:636", required: true })}
            {field("bind_dn", "admin.ldapBindDn", { placeholder: "cn=magpie,ou=services,dc=example,dc=com" })}
            {field("bind_password", "admin.ldapBindPassword", { type: "password", autoComplete: "new-password", placeholder: source?.bind_password_set ? t("admin.ldapPasswordKept") : "" })}
            {field("sync_interval_secs", "admin.ldapInterval", { type: "number", min: 0 })}
          </div>
          <label class="check-row"><input type="checkbox" checked={form.starttls} onChange={(e) => set("starttls", e.currentTarget.checked)} /> {t("admin.ldapStarttls")}</label>
          <div class="field">
            <label for="ldap-base-dns">{t("admin.ldapBaseDns")}</label>
            <textarea id="ldap-base-dns" class="input" rows={2} value={form.base_dns} spellcheck={false} placeholder="ou=people,dc=example,dc=com"
              onInput={(e) => set("base_dns", e.currentTarget.value)} aria-describedby="ldap-base-dns-hint" />
            <span id="ldap-base-dns-hint" class="muted small">{t("admin.ldapBaseDnsHint")}</span>
          </div>
          <div class="form-grid">
            {field("people_filter", "admin.ldapPeopleFilter")}
            {field("disabled_filter", "admin.ldapDisabledFilter", { placeholder: "(employeeType=former)" })}
          </div>
          <fieldset class="ldap-attributes">
            <legend class="field-label">{t("admin.ldapAttributes")}</legend>
            <div class="form-grid">
              {ATTRIBUTE_KEYS.map((k) => (
                <div class="field" key={k}>
                  <label for={`ldap-attr-${k}`}>{t(`admin.ldapAttr.${k}`)}</label>
                  <input id={`ldap-attr-${k}`} class="input" value={form.attributes[k]} spellcheck={false} autoCapitalize="none"
                    placeholder={k === "department" ? t("admin.ldapDepartmentFromOus") : DEFAULT_ATTRIBUTES[k as Exclude<keyof LdapAttributes, "department">]}
                    onInput={(e) => set("attributes", { ...form.attributes, [k]: e.currentTarget.value })} />
                </div>
              ))}
            </div>
          </fieldset>
          <fieldset class="ldap-groups">
            <legend class="field-label">{t("admin.ldapGroups")}</legend>
            <label class="switch-row">
              <span><strong>{t("admin.ldapGroupsFollow")}</strong><span class="muted small">{t("admin.ldapGroupsHint")}</span></span>
              <input type="checkbox" role="switch" checked={form.groups_enabled} onChange={(e) => set("groups_enabled", e.currentTarget.checked)} />
            </label>
            {form.groups_enabled && <>
              <div class="field">
                <label for="ldap-group-base-dns">{t("admin.ldapGroupBaseDns")}</label>
                <textarea id="ldap-group-base-dns" class="input" rows={2} value={form.group_base_dns} spellcheck={false} placeholder="ou=groups,dc=example,dc=com"
                  onInput={(e) => set("group_base_dns", e.currentTarget.value)} aria-describedby="ldap-group-base-dns-hint" />
                <span id="ldap-group-base-dns-hint" class="muted small">{t("admin.ldapGroupBaseDnsHint")}</span>
              </div>
              <div class="field">
                <label for="ldap-group-filter">{t("admin.ldapGroupFilter")}</label>
                <input id="ldap-group-filter" class="input" value={form.group_filter} autoCapitalize="none" spellcheck={false} placeholder={DEFAULT_GROUP_FILTER}
                  onInput={(e) => set("group_filter", e.currentTarget.value)} />
              </div>
              <div class="form-grid">
                <div class="field">
                  <label for="ldap-group-member-attributes">{t("admin.ldapGroupMemberAttributes")}</label>
                  <input id="ldap-group-member-attributes" class="input" value={form.group_member_attributes} autoCapitalize="none" spellcheck={false}
                    placeholder={DEFAULT_MEMBER_ATTRIBUTES} onInput={(e) => set("group_member_attributes", e.currentTarget.value)}
                    aria-describedby="ldap-group-member-attributes-hint" />
                  <span id="ldap-group-member-attributes-hint" class="muted small">{t("admin.ldapGroupMemberAttributesHint")}</span>
                </div>
                <div class="field">
                  <label for="ldap-group-name">{t("admin.ldapGroupName")}</label>
                  <input id="ldap-group-name" class="input" value={form.group_name} autoCapitalize="none" spellcheck={false} placeholder="cn"
                    onInput={(e) => set("group_name", e.currentTarget.value)} />
                </div>
              </div>
            </>}
          </fieldset>
          <label class="switch-row">
            <span><strong>{t("admin.ldapLogin")}</strong><span class="muted small">{t("admin.ldapLoginHint")}</span></span>
            <input type="checkbox" role="switch" checked={form.login_enabled} onChange={(e) => set("login_enabled", e.currentTarget.checked)} />
          </label>
          {error && <p class="form-error" role="alert">{error}</p>}
          <div class="row-actions wrap">
            <button type="submit" class="btn btn-primary" disabled={busy !== null || !form.url.trim()}>{t("admin.ldapSave")}</button>
            {source && <>
              <button type="button" class="btn" disabled={busy !== null} onClick={() => void run("test", async () => { setTested((await client.admin.testLdapSource(domain)).people); })}>
                {busy === "test" ? t("admin.ldapTesting") : t("admin.ldapTest")}</button>
              <button type="button" class="btn" disabled={busy !== null} onClick={() => void run("dry", async () => { setReport(await client.admin.syncLdap(domain, true)); })}>
                {busy === "dry" ? t("admin.ldapSyncing") : t("admin.ldapDryRun")}</button>
              <button type="button" class="btn" disabled={busy !== null} onClick={() => void run("sync", async () => { setReport(await client.admin.syncLdap(domain, false)); void load(); })}>
                {busy === "sync" ? t("admin.ldapSyncing") : t("admin.ldapSyncNow")}</button>
              <button type="button" class="btn" disabled={busy !== null} aria-describedby="ldap-incremental-hint"
                onClick={() => void run("incremental", async () => { setReport(await client.admin.syncLdap(domain, false, { incremental: true })); void load(); })}>
                {busy === "incremental" ? t("admin.ldapSyncing") : t("admin.ldapSyncIncremental")}</button>
              <button type="button" class="btn btn-danger-ghost" disabled={busy !== null} onClick={() => setConfirming({
                title: t("admin.ldapRemove"), text: t("admin.confirmLdapRemove"), confirm: t("admin.ldapRemove"), danger: true,
                run: async () => { await client.admin.deleteLdapSource(domain); setReport(null); setTested(null); adopt(null); },
              })}>{t("admin.ldapRemove")}</button>
            </>}
          </div>
          {source && <p id="ldap-incremental-hint" class="muted small">{t("admin.ldapIncrementalHint")}</p>}
          {tested !== null && <p class="notice" role="status">{t("admin.ldapTestOk", { count: tested })}</p>}
        </form>
      </section>
      {report && <SyncReport report={report} heading={report.dry_run ? t("admin.ldapDryRunReport") : t("admin.ldapSyncReport")} />}
      {source?.last_sync && <LastSync last={source.last_sync} />}
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </>
  );
}

/** The last real sync, as the server keeps it: when it ended, full or incremental, and the report
 * it answered or the error it failed with. */
function LastSync({ last }: { last: LdapLastSync }): JSX.Element {
  const { t, locale } = useT();
  const heading = t("admin.ldapLastSyncAt", { time: formatFull(last.at_ms, locale) });
  if (last.report) return <SyncReport report={{ ...last.report, incremental: last.incremental }} heading={heading} error={last.error} testId="ldap-last-sync" />;
  return (
    <section class="card-section" aria-label={heading} data-testid="ldap-last-sync">
      <h2>{heading}</h2>
      <p class="muted small">{t(last.incremental ? "admin.ldapIncremental" : "admin.ldapFull")}</p>
      {last.error && <p class="form-error">{t("admin.ldapLastSyncFailed", { error: last.error })}</p>}
    </section>
  );
}

/** The counts a report shows, in this order; those a server leaves out (one that predates
 * directory groups and managers) are not shown. */
const COUNTS: [keyof LdapSyncReport, MessageKey][] = [
  ["people_seen", "admin.rPeopleSeen"], ["accounts_created", "admin.rCreated"], ["accounts_updated", "admin.rUpdated"],
  ["accounts_disabled", "admin.rDisabled"], ["accounts_enabled", "admin.rEnabled"], ["departments_created", "admin.rDepartments"],
  ["memberships_set", "admin.rJoined"], ["memberships_removed", "admin.rLeft"], ["managers_set", "admin.rManagers"],
  ["groups_seen", "admin.rGroupsSeen"], ["groups_created", "admin.rGroupsCreated"], ["groups_renamed", "admin.rGroupsRenamed"],
  ["groups_dissolved", "admin.rGroupsDissolved"], ["group_members_added", "admin.rGroupMembersAdded"],
  ["group_members_removed", "admin.rGroupMembersRemoved"], ["skipped", "admin.rSkipped"],
];

const OPS: Record<string, MessageKey> = {
  create_account: "admin.op.create_account", update_account: "admin.op.update_account", disable_account: "admin.op.disable_account",
  enable_account: "admin.op.enable_account", create_department: "admin.op.create_department", join_department: "admin.op.join_department",
  leave_department: "admin.op.leave_department", set_manager: "admin.op.set_manager", create_group: "admin.op.create_group",
  rename_group: "admin.op.rename_group", dissolve_group: "admin.op.dissolve_group", join_group: "admin.op.join_group",
  leave_group: "admin.op.leave_group", skip: "admin.op.skip",
};

function SyncReport(props: { report: LdapSyncReport; heading: string; error?: string | undefined; testId?: string }): JSX.Element {
  const { report, heading, error } = props;
  const { t } = useT();
  const opLabel = (op: string): string => (op in OPS ? t(OPS[op]!) : op);
  const detail = (c: LdapSyncReport["changes"][number]): ComponentChildren => [
    c.account, c.display_name && `“${c.display_name}”`, c.department, c.title && `(${c.title})`, c.fields?.length ? c.fields.join(", ") : undefined,
    c.from && c.group ? `“${c.from}” → “${c.group}”` : c.group && `“${c.group}”`,
    c.op === "set_manager" ? (c.manager ? t("admin.ldapManagerIs", { manager: c.manager }) : t("admin.ldapManagerCleared")) : undefined,
    c.dn, c.reason,
  ].filter(Boolean).join(" · ");
  return (
    <section class="card-section" aria-label={heading} data-testid={props.testId}>
      <h2>{heading}</h2>
      {report.incremental !== undefined && <p class="muted small">{t(report.incremental ? "admin.ldapIncremental" : "admin.ldapFull")}</p>}
      {report.dry_run && <p class="notice">{t("admin.ldapDryRunNote")}</p>}
      {error && <p class="form-error">{t("admin.ldapLastSyncFailed", { error })}</p>}
      <dl class="report-counts">
        {COUNTS.filter(([k]) => report[k] !== undefined).map(([k, label]) => <div key={k}><dt>{t(label)}</dt><dd>{String(report[k])}</dd></div>)}
      </dl>
      {report.changes.length === 0
        ? <p class="muted">{t("admin.ldapNoChanges")}</p>
        : (
          <table class="report-table">
            <caption class="visually-hidden">{t("admin.ldapChanges")}</caption>
            <thead><tr><th scope="col">{t("admin.ldapChange")}</th><th scope="col">{t("admin.ldapDetail")}</th></tr></thead>
            <tbody>
              {report.changes.map((c, i) => <tr key={i}><td>{opLabel(c.op)}</td><td>{detail(c)}</td></tr>)}
            </tbody>
          </table>
        )}
      {report.changes.length >= 200 && <p class="muted small">{t("admin.ldapFirstChanges")}</p>}
    </section>
  );
}
