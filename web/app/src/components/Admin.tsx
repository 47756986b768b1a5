// Administration of the caller's domain (protocol §4, §5 "Invitations and applications", §5
// "Push", §11, §11.4), for domain and server administrators: the departments and their people,
// who may register, invitations, pending applications, the LDAP directory source, how pushes
// to the domain's devices fare, and the audit log of what administrators did. Everything here is
// the domain's own (the audit log of a server administrator: the server's): a later console
// covers servers and domains as a whole.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  AdminAccount, Application, AuditRecordInfo, CreatedInvitation, Department, DepartmentChange, DepartmentMember, DomainInfo, Invitation, LdapAttributes,
  LdapGroupMap, LdapLastSync, LdapSource, LdapSourceChange, LdapSyncReport, PersonMatch, PushFailureList, RegistrationMode,
} from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import {
  AUDIT_AREAS, auditChanges, auditQueryOf, badRange, filtering, isAuditAction, NO_FILTERS, type AuditArea, type AuditFilters, type AuditScope,
} from "../lib/audit.ts";
import { formatFull } from "../lib/format.ts";
import { buildTree, flatten, movedPosition, parseEmailDomains, pathOf, pathText, possibleParents } from "../lib/org.ts";
import { displayName, errorText, isMagpieError, useClient } from "../state/client.ts";
import { saveBlob } from "../state/media.ts";
import { findPeople, missingEndpoint } from "../state/people.ts";
import { openPersonCard } from "../state/person.ts";
import { type AdminTab, ADMIN_TABS, navigate } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon, type IconName } from "./icons.tsx";
import { CreatedInvitationPanel, INVITATION_TTLS } from "./Invite.tsx";
import { Avatar, ConfirmDialog, Spinner } from "./ui.tsx";

const TAB_LABEL: Record<AdminTab, MessageKey> = {
  departments: "admin.tabDepartments", registration: "admin.tabRegistration", invitations: "admin.tabInvitations",
  applications: "admin.tabApplications", announcements: "admin.tabAnnouncements", ldap: "admin.tabLdap", push: "admin.tabPush",
  audit: "admin.tabAudit",
};
const TAB_ICON: Record<AdminTab, IconName> = {
  departments: "org", registration: "lock", invitations: "mail", applications: "userCheck", announcements: "megaphone", ldap: "refresh",
  push: "bell", audit: "clipboard",
};

/** The caller's domain: what the admin page administers. */
function useDomain(): string {
  return useClient().me.account.split("@")[1] ?? "";
}

type Confirming = { title: string; text: string; confirm: string; danger?: boolean; run: () => Promise<unknown> } | null;

export function AdminPage({ tab }: { tab: AdminTab }): JSX.Element {
  const { t } = useT();
  const client = useClient();
  const own = useDomain();
  const [domain, setDomain] = useState(own);
  // A server administrator administers any domain: pick it here (a later console does more).
  const [domains, setDomains] = useState<string[] | null>(null);
  useEffect(() => {
    if (client.me.role !== "server_admin") return;
    client.admin.domains().then((list) => setDomains(list.map((d) => d.name)), () => { /* their own domain stays */ });
  }, [client]);
  const select = (next: AdminTab) => navigate({ page: "admin", tab: next }, { replace: true });
  // On a phone the tabs scroll sideways: keep the chosen one in view.
  useEffect(() => { document.getElementById(`admin-tab-${tab}`)?.scrollIntoView?.({ block: "nearest", inline: "nearest" }); }, [tab]);
  const onKeyDown = (e: KeyboardEvent) => {
    const i = ADMIN_TABS.indexOf(tab);
    const to = e.key === "ArrowRight" ? ADMIN_TABS[(i + 1) % ADMIN_TABS.length] : e.key === "ArrowLeft" ? ADMIN_TABS[(i - 1 + ADMIN_TABS.length) % ADMIN_TABS.length] : undefined;
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
        {ADMIN_TABS.map((id) => (
          <button type="button" role="tab" key={id} id={`admin-tab-${id}`} class={`admin-tab${tab === id ? " selected" : ""}`}
            aria-selected={tab === id} aria-controls="admin-panel" tabIndex={tab === id ? 0 : -1} onClick={() => select(id)}>
            <Icon name={TAB_ICON[id]} size={16} /> {t(TAB_LABEL[id])}
          </button>
        ))}
      </div>
      <div class="page-scroll" role="tabpanel" id="admin-panel" aria-labelledby={`admin-tab-${tab}`}>
        <div class="admin-column" key={domain}>
          {tab === "departments" && <DepartmentsAdmin domain={domain} />}
          {tab === "registration" && <RegistrationAdmin domain={domain} />}
          {tab === "invitations" && <InvitationsAdmin domain={domain} />}
          {tab === "applications" && <ApplicationsAdmin domain={domain} />}
          {tab === "announcements" && <AnnouncementsAdmin domain={domain} />}
          {tab === "ldap" && <LdapAdmin domain={domain} />}
          {tab === "push" && <PushAdmin domain={domain} />}
          {tab === "audit" && <AuditAdmin domain={domain} />}
        </div>
      </div>
    </main>
  );
}

function Confirm({ confirming, onClose }: { confirming: Confirming; onClose: () => void }): JSX.Element | null {
  const { t } = useT();
  if (!confirming) return null;
  return (
    <ConfirmDialog title={confirming.title} text={confirming.text} confirm={confirming.confirm} danger={confirming.danger} onClose={onClose}
      onConfirm={async () => { try { await confirming.run(); } catch (e) { toast(errorText(e, t)); } }} />
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const adopt = (d: DomainInfo) => {
    setInfo(d);
    setMode(d.registration);
    setVerify(d.email_verification ?? false);
    setEmailDomains((d.email_domains ?? []).join(", "));
    setMembersInvite(d.members_invite ?? false);
  };
  useEffect(() => {
    // A PATCH with no field answers the domain as it is: what a domain admin can read of it.
    client.admin.updateDomain(domain, {}).then(adopt, (e: unknown) => setError(errorText(e, t)));
  }, [client, domain]);
  // Servers that verify email addresses say so in the domain's settings; older ones cannot.
  const emailSupported = info?.email_verification !== undefined;
  // Likewise for invitations by members.
  const membersInviteSupported = info?.members_invite !== undefined;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const change = {
        registration: mode,
        ...(emailSupported ? { email_verification: verify, email_domains: parseEmailDomains(emailDomains) } : {}),
        ...(membersInviteSupported ? { members_invite: membersInvite } : {}),
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
