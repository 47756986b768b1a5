// The directory (protocol §11): the domain's departments as a tree with their head counts, a
// department's people with their titles, and a search over departments and people. Follows
// `directory_changed`, so an administrator's change shows at once. A person opens their card.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Department, DepartmentMatch, DepartmentMember, PersonMatch } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { buildTree, pathOf, pathText, type DepartmentTree } from "../lib/org.ts";
import { displayName, errorText, isMagpieError, useClient, useClientVersion } from "../state/client.ts";
import { findPeople, missingEndpoint } from "../state/people.ts";
import { openPersonCard } from "../state/person.ts";
import { navigate } from "../state/router.ts";
import { Icon } from "./icons.tsx";
import { Avatar, BotBadge, IconButton, Spinner } from "./ui.tsx";

/** People per page of a department (the server's most). */
const MEMBERS_PAGE_LEN = 200;
/** Results per kind in a search. */
const SEARCH_LEN = 20;
const SEARCH_DELAY_MS = 250;

type Loaded<T> = { state: "loading" } | { state: "error"; error: unknown } | { state: "ready"; value: T };

export function DirectoryPage({ department }: { department?: number | undefined }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [tree, setTree] = useState<Loaded<DepartmentTree>>({ state: "loading" });
  const [version, setVersion] = useState(0);
  const [q, setQ] = useState("");

  useEffect(() => {
    let live = true;
    client.departments().then(
      (list) => { if (live) setTree({ state: "ready", value: buildTree(list) }); },
      (error: unknown) => { if (live) setTree(missingEndpoint(error) ? { state: "ready", value: buildTree([]) } : { state: "error", error }); },
    );
    return () => { live = false; };
  }, [client, version]);
  // An administrator's change (or a directory sync) reaches every open client: read again.
  useEffect(() => client.on("directory_changed", () => setVersion((v) => v + 1)), [client]);

  const ready = tree.state === "ready" ? tree.value : undefined;
  const selected = department !== undefined ? ready?.byId.get(department) : undefined;

  return (
    <main class={`directory-layout${department !== undefined ? " has-selection" : ""}`} aria-labelledby="directory-title">
      <section class="list-pane directory-pane" aria-labelledby="directory-title">
        <header class="pane-header"><h1 id="directory-title">{t("dir.title")}</h1></header>
        <div class="search-box" role="search">
          <Icon name="search" size={16} />
          <input class="input" type="search" aria-label={t("dir.search")} placeholder={t("dir.searchPlaceholder")} value={q}
            onInput={(e) => setQ(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === "Escape" && q) { e.preventDefault(); setQ(""); } }} />
        </div>
        <div class="directory-scroll">
          {q.trim()
            ? <DirectorySearch q={q.trim()} onPick={(id) => { setQ(""); navigate({ page: "directory", department: id }); }} />
            : tree.state === "loading" ? <div class="center-pad"><Spinner label={t("common.loading")} /></div>
            : tree.state === "error" ? <LoadError error={tree.error} onRetry={() => setVersion((v) => v + 1)} />
            : <DepartmentTreeView tree={tree.value} selected={department} />}
        </div>
      </section>
      <section class="page directory-detail" aria-label={selected ? selected.name : t("dir.overview")}>
        {ready && selected
          ? <DepartmentView key={selected.id} tree={ready} department={selected} version={version} />
          : ready && department !== undefined
            ? <div class="chat-empty"><p>{t("dir.gone")}</p><button type="button" class="btn" onClick={() => navigate({ page: "directory" })}>{t("dir.backToTop")}</button></div>
            : <Overview tree={ready} />}
      </section>
    </main>
  );
}

function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <div class="list-empty" role="alert">
      <p>{errorText(error, t)}</p>
      <button type="button" class="btn btn-small" onClick={onRetry}>{t("common.retry")}</button>
    </div>
  );
}

/** The tree: each department a link that opens it, with a toggle for its children. The path
 * to the open department is expanded. */
function DepartmentTreeView({ tree, selected }: { tree: DepartmentTree; selected?: number | undefined }): JSX.Element {
  const { t } = useT();
  const [open, setOpen] = useState<Set<number>>(() => new Set());
  // Expand the way down to the open department (also when it is opened from a card or search).
  useEffect(() => {
    if (selected === undefined) return;
    const up = pathOf(tree, selected).slice(0, -1).map((d) => d.id);
    if (up.some((id) => !open.has(id))) setOpen(new Set([...open, ...up]));
  }, [tree, selected]);
  const top = tree.children.get(null) ?? [];
  if (top.length === 0) return <p class="list-empty">{t("dir.empty")}</p>;
  const toggle = (id: number) => {
    const next = new Set(open);
    if (!next.delete(id)) next.add(id);
    setOpen(next);
  };
  const branch = (list: Department[], depth: number): JSX.Element => (
    <ul class="dept-tree" role={depth === 0 ? "list" : undefined} aria-label={depth === 0 ? t("dir.departments") : undefined}>
      {list.map((d) => {
        const kids = tree.children.get(d.id) ?? [];
        const expanded = open.has(d.id);
        return (
          <li key={d.id}>
            <div class={`dept-row${selected === d.id ? " active" : ""}`} style={{ paddingLeft: `${8 + depth * 16}px` }}>
              {kids.length > 0
                ? <IconButton icon={expanded ? "chevronDown" : "chevronRight"} size={16} class="small dept-toggle" expanded={expanded}
                    label={t(expanded ? "dir.collapse" : "dir.expand", { name: d.name })} onClick={() => toggle(d.id)} />
                : <span class="dept-toggle-space" aria-hidden="true" />}
              <button type="button" class="dept-name" aria-current={selected === d.id ? "true" : undefined}
                onClick={() => navigate({ page: "directory", department: d.id })}>
                <span class="dept-label">{d.name}</span>{" "}
                <span class="dept-count" aria-label={t("dir.peopleCount", { count: d.total_count })}>{d.total_count}</span>
              </button>
            </div>
            {kids.length > 0 && expanded && branch(kids, depth + 1)}
          </li>
        );
      })}
    </ul>
  );
  return <nav aria-label={t("dir.departments")}>{branch(top, 0)}</nav>;
}

/** Departments and people found by name, pinyin or initials. */
function DirectorySearch({ q, onPick }: { q: string; onPick: (department: number) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [found, setFound] = useState<Loaded<{ departments: DepartmentMatch[]; people: PersonMatch[] }>>({ state: "loading" });
  useEffect(() => {
    let live = true;
    setFound({ state: "loading" });
    const timer = setTimeout(() => {
      // Nothing to look for in it (punctuation only): nothing is found by it.
      const departments = client.searchDepartments(q, SEARCH_LEN).catch((e: unknown) => {
        if (isMagpieError(e) && (e.code === "invalid_field" || missingEndpoint(e))) return [];
        throw e;
      });
      Promise.all([departments, findPeople(client, q, SEARCH_LEN)]).then(
        ([d, p]) => { if (live) setFound({ state: "ready", value: { departments: d, people: p } }); },
        (error: unknown) => { if (live) setFound({ state: "error", error }); },
      );
    }, SEARCH_DELAY_MS);
    return () => { live = false; clearTimeout(timer); };
  }, [client, q]);
  if (found.state === "loading") return <div class="center-pad"><Spinner label={t("common.loading")} /></div>;
  if (found.state === "error") return <p class="list-empty" role="alert">{errorText(found.error, t)}</p>;
  const { departments, people } = found.value;
  if (departments.length === 0 && people.length === 0) return <p class="list-empty" role="status">{t("dir.noMatch", { query: q })}</p>;
  return (
    <div class="dir-results">
      {departments.length > 0 && <>
        <h2 class="subhead dir-results-head">{t("dir.departments")}</h2>
        <ul class="people-list" role="list" aria-label={t("dir.departmentResults")}>
          {departments.map((d) => (
            <li key={d.department}>
              <button type="button" class="person-row" onClick={() => onPick(d.department)}>
                <span class="dept-icon" aria-hidden="true"><Icon name="org" size={18} /></span>
                <span class="person-text">
                  <span class="person-name">{d.path[d.path.length - 1]?.name ?? ""}</span>
                  <span class="person-addr">{pathText(d.path)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      </>}
      {people.length > 0 && <>
        <h2 class="subhead dir-results-head">{t("dir.people")}</h2>
        <ul class="people-list" role="list" aria-label={t("dir.peopleResults")}>
          {people.map(({ profile: p }) => (
            <li key={p.account}>
              <button type="button" class="person-row" onClick={() => openPersonCard(p.account)}>
                <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={32} />
                <span class="person-text">
                  <span class="person-name">{p.display_name}{p.bot && <BotBadge />}</span>
                  <span class="person-addr">{p.account}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      </>}
    </div>
  );
}

/** With no department open: the top of the tree. */
function Overview({ tree }: { tree: DepartmentTree | undefined }): JSX.Element {
  const { t } = useT();
  const client = useClient();
  const domain = client.me.account.split("@")[1] ?? "";
  const top = tree?.children.get(null) ?? [];
  const total = top.reduce((n, d) => n + d.total_count, 0);
  return (
    <>
      <header class="page-header"><h2 class="dir-heading">{domain}</h2></header>
      <div class="page-scroll">
        <div class="dir-column">
          {!tree && <Spinner label={t("common.loading")} />}
          {tree && top.length === 0 && <p class="muted">{t("dir.emptyHint")}</p>}
          {top.length > 0 && <>
            <p class="muted">{t("dir.overviewCounts", { departments: tree!.byId.size, people: total })}</p>
            <SubDepartments list={top} />
          </>}
        </div>
      </div>
    </>
  );
}

function SubDepartments({ list }: { list: Department[] }): JSX.Element {
  const { t } = useT();
  return (
    <section class="card-section" aria-labelledby="dir-sub-title">
      <h3 id="dir-sub-title" class="dir-section-title">{t("dir.subDepartments")}</h3>
      <ul class="people-list" role="list">
        {list.map((d) => (
          <li key={d.id}>
            <button type="button" class="person-row" onClick={() => navigate({ page: "directory", department: d.id })}>
              <span class="dept-icon" aria-hidden="true"><Icon name="org" size={18} /></span>
              <span class="person-text"><span class="person-name">{d.name}</span></span>
              <span class="muted small">{t("dir.peopleCount", { count: d.total_count })}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One department: its path, manager, the departments under it and its people. */
function DepartmentView({ tree, department: d, version }: { tree: DepartmentTree; department: Department; version: number }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const [members, setMembers] = useState<Loaded<{ list: DepartmentMember[]; more: boolean }>>({ state: "loading" });
  const [loadingMore, setLoadingMore] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    client.departmentMembers(d.id, { limit: MEMBERS_PAGE_LEN }).then(
      (list) => { if (live) setMembers({ state: "ready", value: { list, more: list.length === MEMBERS_PAGE_LEN } }); },
      (error: unknown) => { if (live) setMembers({ state: "error", error }); },
    );
    return () => { live = false; };
  }, [client, d.id, version]);

  const more = async () => {
    if (members.state !== "ready") return;
    setLoadingMore(true);
    const last = members.value.list[members.value.list.length - 1]?.profile.account.split("@")[0];
    try {
      const page = await client.departmentMembers(d.id, { after: last, limit: MEMBERS_PAGE_LEN });
      setMembers({ state: "ready", value: { list: [...members.value.list, ...page], more: page.length === MEMBERS_PAGE_LEN } });
    } finally {
      setLoadingMore(false);
    }
  };

  const path = pathOf(tree, d.id);
  const kids = tree.children.get(d.id) ?? [];
  return (
    <>
      <header class="page-header dir-header">
        <button type="button" class="icon-btn back-btn" aria-label={t("nav.back")} onClick={() => navigate({ page: "directory" })}><Icon name="back" /></button>
        <div class="dir-header-text">
          <nav aria-label={t("dir.path")} class="breadcrumb">
            <ol>
              {path.slice(0, -1).map((p) => (
                <li key={p.id}><button type="button" class="btn-link" onClick={() => navigate({ page: "directory", department: p.id })}>{p.name}</button></li>
              ))}
            </ol>
          </nav>
          <h2 ref={heading} tabIndex={-1} class="dir-heading">{d.name}</h2>
        </div>
      </header>
      <div class="page-scroll">
        <div class="dir-column">
          <p class="muted dir-counts">
            {t("dir.counts", { direct: d.member_count, total: d.total_count })}
            {d.manager && <>{" · "}{t("card.manager")}{" "}
              <button type="button" class="btn-link" onClick={() => openPersonCard(d.manager!)}>{displayName(client, d.manager)}</button></>}
          </p>
          {kids.length > 0 && <SubDepartments list={kids} />}
          <section class="card-section" aria-labelledby="dir-people-title">
            <h3 id="dir-people-title" class="dir-section-title">{t("dir.peopleIn", { name: d.name })}</h3>
            {members.state === "loading" && <Spinner label={t("common.loading")} />}
            {members.state === "error" && <p class="muted" role="alert">{errorText(members.error, t)}</p>}
            {members.state === "ready" && members.value.list.length === 0 && <p class="muted">{t("dir.noPeople")}</p>}
            {members.state === "ready" && (
              <ul class="people-list" role="list" aria-label={t("dir.peopleIn", { name: d.name })}>
                {members.value.list.map(({ profile: p, title }) => (
                  <li key={p.account}>
                    <button type="button" class="person-row" data-testid="dir-person" onClick={() => openPersonCard(p.account)}>
                      <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={36} presence={client.presence(p.account)?.status} />
                      <span class="person-text">
                        <span class="person-name">{p.display_name}{p.bot && <BotBadge />}{d.manager === p.account && <span class="tag">{t("dir.managerTag")}</span>}</span>
                        <span class="person-addr">{title ? `${title} · ${p.account}` : p.account}</span>
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {members.state === "ready" && members.value.more && (
              <button type="button" class="btn btn-small dir-more" onClick={() => void more()} disabled={loadingMore}>{t("dir.more")}</button>
            )}
          </section>
        </div>
      </div>
    </>
  );
}
