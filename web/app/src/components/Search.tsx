// Search (issue 16, protocol §7.14): messages, people, groups and files. One view, shown two
// ways: the global search, a dialog that the quick switcher (Ctrl/Cmd+K) opens with what was
// typed in it, and "search in this chat", a pane beside the chat with the conversation's chip
// set (Ctrl/Cmd+F in a chat). Filters are chips; a message's snippet marks what matched; a
// result opens its message in its conversation, scrolled to and highlighted.

import type { JSX } from "preact";
import { useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import type { Entry, FileType, GroupMatch, PersonMatch, SearchResult } from "@magpie/sdk";
import { isThreadOnly } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey, Translate } from "../i18n/index.ts";
import { formatFull, formatListTime } from "../lib/format.ts";
import { notPruned } from "../lib/retention.ts";
import {
  NO_FILTERS, filesQuery, messagesQuery, moveIndex, narrowed, searchable, snippetParts,
  type DateRange, type Has, type SearchFilters,
} from "../lib/search.ts";
import { attempt, conversationTitle, displayName, errorText, isMagpieError, useClient, useClientVersion, useNow } from "../state/client.ts";
import { navigate, openConversationRoute } from "../state/router.ts";
import type { SearchStart, SearchTab } from "../state/search.ts";
import { downloadFile } from "../state/media.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, BotBadge, Dialog, IconButton, Spinner } from "./ui.tsx";
import { filterConversations } from "./ConversationList.tsx";
import { findPeople, missingEndpoint } from "../state/people.ts";


/** Results per page. */
const PAGE_LEN = 20;
/** People and groups listed at most (one page: they are found by name, best match first). */
const NAMES_LEN = 30;
/** How long typing pauses before a search is asked (the server allows about two a second). */
const TYPING_PAUSE_MS = 300;

const TABS: SearchTab[] = ["messages", "people", "groups", "files"];
const TAB_LABEL: Record<SearchTab, MessageKey> = {
  messages: "search.tabMessages", people: "search.tabPeople", groups: "search.tabGroups", files: "search.tabFiles",
};
const RANGES: DateRange[] = ["any", "day", "week", "month", "year", "custom"];
const RANGE_LABEL: Record<DateRange, MessageKey> = {
  any: "search.rangeAny", day: "search.rangeDay", week: "search.rangeWeek", month: "search.rangeMonth",
  year: "search.rangeYear", custom: "search.rangeCustom",
};
const HAS: Has[] = ["file", "image", "link"];
const HAS_LABEL: Record<Has, MessageKey> = { file: "search.hasFile", image: "search.hasImage", link: "search.hasLink" };
const FILE_TYPES: FileType[] = ["image", "video", "audio", "document", "spreadsheet", "presentation", "archive", "other"];
const FILE_TYPE_LABEL: Record<FileType, MessageKey> = {
  image: "search.typeImage", video: "search.typeVideo", audio: "search.typeAudio", document: "search.typeDocument",
  spreadsheet: "search.typeSpreadsheet", presentation: "search.typePresentation", archive: "search.typeArchive", other: "search.typeOther",
};
const MATCHED_LABEL: Partial<Record<PersonMatch["matched"], MessageKey>> = {
  pinyin: "search.matchedPinyin", initials: "search.matchedInitials", login: "search.matchedLogin",
  email: "search.matchedEmail", phone: "search.matchedPhone",
};

/** Opens a found message in its conversation, scrolled to and highlighted; a reply that is
 * only in its thread opens that thread. */
export function openFoundMessage(entry: Pick<Entry, "conversation" | "seq" | "thread" | "broadcast">): void {
  if (isThreadOnly(entry) && entry.thread !== undefined) navigate({ page: "chats", conversation: entry.conversation, thread: entry.thread });
  else navigate({ page: "chats", conversation: entry.conversation, seq: entry.seq });
}

/** The global search, over the app. */
export function SearchDialog({ start, onClose }: { start: SearchStart; onClose: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <Dialog title={t("search.title")} onClose={onClose} size="lg" class="search-dialog">
      <SearchView start={start} onOpenMessage={(r) => { onClose(); openFoundMessage(r.entry); }} onDone={onClose} />
    </Dialog>
  );
}

/** "Search in this chat": a pane beside the chat, its conversation's chip set. A result of this
 * chat is scrolled to with the pane left open; one of another (the chip removed) opens there. */
export function SearchPane({ conversation, onClose, onJump }: {
  conversation: number; onClose: () => void; onJump: (seq: number) => void;
}): JSX.Element {
  const { t } = useT();
  const start = useMemo<SearchStart>(() => ({ q: "", filters: { conversation } }), [conversation]);
  return (
    <aside class="info-pane search-pane" aria-label={t("search.inChat")}
      onKeyDown={(e) => { if (e.key === "Escape" && !e.defaultPrevented) { e.stopPropagation(); onClose(); } }}>
      <header class="pane-header">
        <h2>{t("search.inChat")}</h2>
        <IconButton icon="close" label={t("common.close")} onClick={onClose} />
      </header>
      <div class="search-pane-body">
        <SearchView start={start} tabs={["messages", "files"]} autofocus
          onOpenMessage={(r) => {
            if (r.conversation === conversation && !isThreadOnly(r.entry)) onJump(r.seq);
            else openFoundMessage(r.entry);
          }} />
      </div>
    </aside>
  );
}

function SearchView(props: {
  start: SearchStart; tabs?: SearchTab[]; autofocus?: boolean;
  onOpenMessage: (r: SearchResult) => void;
  /** After a person's or a group's conversation opened. */
  onDone?: () => void;
}): JSX.Element {
  const { t } = useT();
  const tabs = props.tabs ?? TABS;
  const [q, setQ] = useState(props.start.q);
  const [asked, setAsked] = useState(props.start.q);
  const [tab, setTab] = useState<SearchTab>(props.start.tab ?? "messages");
  const [filters, setFilters] = useState<SearchFilters>({ ...NO_FILTERS, ...props.start.filters });
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLDivElement>(null);
  // The dialog and a chat's pane may both be up: their tabs' ids must differ.
  const ids = useId();
  useEffect(() => { if (props.autofocus) input.current?.focus(); }, []);
  // Searching as one types, once the typing pauses; Enter asks at once.
  useEffect(() => {
    if (q === asked) return;
    const id = setTimeout(() => setAsked(q), TYPING_PAUSE_MS);
    return () => clearTimeout(id);
  }, [q]);
  const results = () => Array.from(list.current?.querySelectorAll<HTMLElement>("[data-result]") ?? []);
  const onInputKey = (e: KeyboardEvent) => {
    if (e.key === "Enter") { e.preventDefault(); setAsked(q); }
    else if (e.key === "ArrowDown") { const first = results()[0]; if (first) { e.preventDefault(); first.focus(); } }
  };
  // ↑/↓, Home and End move among the results; ↑ from the first goes back to the box.
  const onListKey = (e: KeyboardEvent) => {
    const items = results();
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    if (e.key === "ArrowUp" && i === 0) { e.preventDefault(); input.current?.focus(); return; }
    const next = moveIndex(e.key, i, items.length);
    if (next !== undefined) { e.preventDefault(); items[next]?.focus(); }
  };
  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(tab);
    const next = e.key === "ArrowRight" ? (i + 1) % tabs.length : e.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(tabs[next]!);
    requestAnimationFrame(() => document.getElementById(`${ids}-tab-${tabs[next]}`)?.focus());
  };
  return (
    <div class="search-view">
      <div class="search-box">
        <Icon name="search" size={18} />
        <input ref={input} class="input search-input" type="search" aria-label={t("search.input")} placeholder={t("search.placeholder")}
          data-autofocus value={q} onInput={(e) => setQ(e.currentTarget.value)} onKeyDown={onInputKey} enterKeyHint="search" />
      </div>
      {tabs.length > 1 && (
        <div class="search-tabs" role="tablist" aria-label={t("search.tabs")} onKeyDown={onTabKey}>
          {tabs.map((k) => (
            <button key={k} type="button" role="tab" id={`${ids}-tab-${k}`} aria-selected={tab === k} aria-controls={`${ids}-panel`}
              tabIndex={tab === k ? 0 : -1} class={`shared-tab${tab === k ? " selected" : ""}`} onClick={() => setTab(k)}>{t(TAB_LABEL[k])}</button>
          ))}
        </div>
      )}
      <div class="search-panel" id={`${ids}-panel`} role={tabs.length > 1 ? "tabpanel" : undefined}
        aria-labelledby={tabs.length > 1 ? `${ids}-tab-${tab}` : undefined}>
        {(tab === "messages" || tab === "files") && <FilterChips tab={tab} filters={filters} onChange={setFilters} />}
        <div class="search-results" ref={list} onKeyDown={onListKey}>
          {tab === "messages" && <MessageResults q={asked} filters={filters} onOpen={props.onOpenMessage} />}
          {tab === "files" && <FileResults q={asked} filters={filters} onOpen={props.onOpenMessage} />}
          {tab === "people" && <PeopleResults q={asked} onDone={props.onDone} />}
          {tab === "groups" && <GroupResults q={asked} onDone={props.onDone} />}
        </div>
      </div>
    </div>
  );
}

/** The filters of messages and files, as chips: selects that read as their value, toggles. */
function FilterChips({ tab, filters: f, onChange }: { tab: "messages" | "files"; filters: SearchFilters; onChange: (f: SearchFilters) => void }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const set = (change: Partial<SearchFilters>) => onChange({ ...f, ...change });
  const conversations = client.conversations().map((c) => ({ id: c.id, title: conversationTitle(client, c, t) }));
  // The people one may mean: me, the peers of direct chats, and the members of the chosen chat.
  const people = new Set<string>([client.me.account]);
  for (const c of client.conversations()) if (c.kind === "direct" && c.peer) people.add(c.peer);
  if (f.conversation !== undefined) for (const m of client.view(f.conversation)?.members ?? []) people.add(m.account);
  if (f.sender !== undefined) people.add(f.sender);
  const senders = [...people].map((a) => ({ account: a, name: a === client.me.account ? t("search.fromMe") : displayName(client, a) }));
  return (
    <div class="chips search-chips" role="group" aria-label={t("search.filters")}>
      <select class={`chip chip-select${f.conversation !== undefined ? " active" : ""}`} aria-label={t("search.in")}
        value={f.conversation === undefined ? "" : String(f.conversation)}
        onChange={(e) => set({ conversation: e.currentTarget.value ? Number(e.currentTarget.value) : undefined })}>
        <option value="">{t("search.inAll")}</option>
        {conversations.map((c) => <option key={c.id} value={String(c.id)}>{c.title}</option>)}
      </select>
      <select class={`chip chip-select${f.sender !== undefined ? " active" : ""}`} aria-label={t("search.from")}
        value={f.sender ?? ""} onChange={(e) => set({ sender: e.currentTarget.value || undefined })}>
        <option value="">{t("search.fromAnyone")}</option>
        {senders.map((s) => <option key={s.account} value={s.account}>{s.name}</option>)}
      </select>
      <select class={`chip chip-select${f.range !== "any" ? " active" : ""}`} aria-label={t("search.date")}
        value={f.range} onChange={(e) => set({ range: e.currentTarget.value as DateRange })}>
        {RANGES.map((r) => <option key={r} value={r}>{t(RANGE_LABEL[r])}</option>)}
      </select>
      {f.range === "custom" && (
        <>
          <input type="date" class="chip chip-date" aria-label={t("search.dateFrom")} value={f.from ?? ""} onInput={(e) => set({ from: e.currentTarget.value || undefined })} />
          <input type="date" class="chip chip-date" aria-label={t("search.dateTo")} value={f.to ?? ""} onInput={(e) => set({ to: e.currentTarget.value || undefined })} />
        </>
      )}
      {tab === "messages" ? (
        <>
          {HAS.map((h) => (
            <button key={h} type="button" class="chip chip-toggle" aria-pressed={f.has === h} onClick={() => set({ has: f.has === h ? undefined : h })}>{t(HAS_LABEL[h])}</button>
          ))}
          <button type="button" class="chip chip-toggle" aria-pressed={f.mentionsMe} onClick={() => set({ mentionsMe: !f.mentionsMe })}>{t("search.mentionsMe")}</button>
        </>
      ) : (
        <select class={`chip chip-select${f.fileType !== undefined ? " active" : ""}`} aria-label={t("search.fileType")}
          value={f.fileType ?? ""} onChange={(e) => set({ fileType: (e.currentTarget.value || undefined) as FileType | undefined })}>
          <option value="">{t("search.typeAny")}</option>
          {FILE_TYPES.map((k) => <option key={k} value={k}>{t(FILE_TYPE_LABEL[k])}</option>)}
        </select>
      )}
      <select class="chip chip-select" aria-label={t("search.order")} value={f.order} onChange={(e) => set({ order: e.currentTarget.value as SearchFilters["order"] })}>
        <option value="relevance">{t("search.orderRelevance")}</option>
        <option value="newest">{t("search.orderNewest")}</option>
      </select>
      {narrowed(f, tab) && (
        <button type="button" class="btn-link search-clear" onClick={() => onChange({ ...NO_FILTERS, order: f.order })}>{t("search.clear")}</button>
      )}
    </div>
  );
}

interface Page<R> { results: R[]; total: number; next?: string | undefined }
interface Paged<R> { results: R[]; total: number; next?: string | undefined; loading: boolean; error: unknown; asked: boolean }

/** Pages of a search, asked again from the first when `key` changes; a page that comes back
 * after a newer search was asked is dropped. A result that a later page repeats (the index
 * moved between two pages) is shown once. */
function usePaged<R extends { conversation: number; seq: number }>(key: string, enabled: boolean, ask: (cursor?: string) => Promise<Page<R>>) {
  const empty: Paged<R> = { results: [], total: 0, loading: false, error: undefined, asked: false };
  const [state, setState] = useState<Paged<R>>(empty);
  const asking = useRef(0);
  const lastCursor = useRef<string | undefined>(undefined);
  const run = (cursor?: string) => {
    const mine = ++asking.current;
    lastCursor.current = cursor;
    setState((s) => ({ ...(cursor === undefined ? empty : s), loading: true, error: undefined, asked: true }));
    ask(cursor).then(
      (page) => {
        if (asking.current !== mine) return;
        setState((s) => {
          const known = new Set(cursor === undefined ? [] : s.results.map((r) => `${r.conversation}:${r.seq}`));
          const fresh = page.results.filter((r) => !known.has(`${r.conversation}:${r.seq}`));
          return { results: cursor === undefined ? fresh : [...s.results, ...fresh], total: page.total, next: page.next, loading: false, error: undefined, asked: true };
        });
      },
      (error: unknown) => { if (asking.current === mine) setState((s) => ({ ...s, loading: false, error })); },
    );
  };
  useEffect(() => {
    if (enabled) run();
    else { asking.current++; setState(empty); }
  }, [key, enabled]);
  return {
    ...state,
    more: () => { if (state.next !== undefined && !state.loading) run(state.next); },
    retry: () => run(lastCursor.current),
  };
}

function MessageResults({ q, filters, onOpen }: { q: string; filters: SearchFilters; onOpen: (r: SearchResult) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const enabled = searchable("messages", q, filters);
  // The date range's bounds are taken when the search is asked, not at every render.
  const paged = useNotPruned(usePaged<SearchResult>(JSON.stringify([q, filters]), enabled, (cursor) =>
    client.searchMessages(messagesQuery(q, filters, Date.now(), cursor, PAGE_LEN))));
  if (!enabled) return <p class="search-state muted">{t("search.hintMessages")}</p>;
  return (
    <ResultList paged={paged} q={q} filtered={narrowed(filters, "messages")} label={t("search.tabMessages")}>
      {paged.results.map((r) => <MessageResult key={`${r.conversation}:${r.seq}`} r={r} onOpen={onOpen} />)}
    </ResultList>
  );
}

function FileResults({ q, filters, onOpen }: { q: string; filters: SearchFilters; onOpen: (r: SearchResult) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const enabled = searchable("files", q, filters);
  const paged = useNotPruned(usePaged<SearchResult>(JSON.stringify([q, filters]), enabled, (cursor) =>
    client.searchFiles(filesQuery(q, filters, Date.now(), cursor, PAGE_LEN))));
  if (!enabled) return <p class="search-state muted">{t("search.hintFiles")}</p>;
  return (
    <ResultList paged={paged} q={q} filtered={narrowed(filters, "files")} label={t("search.tabFiles")}>
      {paged.results.map((r) => <MessageResult key={`${r.conversation}:${r.seq}`} r={r} file onOpen={onOpen} />)}
    </ResultList>
  );
}

/** The pages less the results whose messages retention deleted since they were found (the
 * index may also lag behind a run for a moment), counted out of the total too. */
function useNotPruned(paged: ReturnType<typeof usePaged<SearchResult>>): ReturnType<typeof usePaged<SearchResult>> {
  const client = useClient();
  useClientVersion(client);
  const marks = new Map(client.conversations().map((c) => [c.id, c.pruned_through]));
  const results = notPruned(paged.results, (id) => marks.get(id));
  return results === paged.results ? paged : { ...paged, results, total: Math.max(0, paged.total - (paged.results.length - results.length)) };
}

/** A page's state around its results: the count, nothing found, a failure, more. */
function ResultList({ paged, q, filtered, label, children }: {
  paged: ReturnType<typeof usePaged<SearchResult>>; q: string; filtered: boolean; label: string; children: JSX.Element[];
}): JSX.Element {
  const { t } = useT();
  const more = useRef<HTMLButtonElement>(null);
  // Scrolling to the end asks for the next page, as the button does.
  useEffect(() => {
    const el = more.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const seen = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) paged.more(); });
    seen.observe(el);
    return () => seen.disconnect();
  });
  const first = !paged.asked || (paged.loading && paged.results.length === 0);
  return (
    <>
      <p class="search-count muted small" role="status">
        {first ? "" : paged.error && paged.results.length === 0 ? "" : t(paged.total === 1 ? "search.countOne" : "search.count", { count: paged.total })}
      </p>
      {first && !paged.error ? <div class="search-state"><Spinner label={t("search.searching")} /></div>
        : paged.results.length === 0 && !paged.error ? <p class="search-state muted" data-testid="search-empty">{filtered ? t("search.noneFiltered", { q }) : t("search.none", { q })}</p>
        : <ul class="search-list" aria-label={label}>{children}</ul>}
      {paged.error !== undefined && <SearchError error={paged.error} onRetry={paged.retry} />}
      {paged.next !== undefined && !paged.error && paged.results.length > 0 && (
        <button ref={more} type="button" class="btn shared-more" disabled={paged.loading} onClick={paged.more}>
          {paged.loading ? t("search.searching") : t("search.more")}
        </button>
      )}
    </>
  );
}

/** What a failed search says: too many searches (and for how long), search being off (or not
 * there: an older server), or the failure as any request's. */
export function searchErrorText(e: unknown, t: Translate): string {
  if (isMagpieError(e) && e.code === "rate_limited") return t("search.rateLimited", { secs: e.retryAfterSecs ?? 1 });
  // Search off, or a server from before this kind of search (no such endpoint).
  if ((isMagpieError(e) && e.code === "unavailable") || missingEndpoint(e)) return t("search.unavailable");
  return errorText(e, t);
}

function SearchError({ error, onRetry }: { error: unknown; onRetry: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <div class="search-state search-error" role="alert" data-testid="search-error">
      <Icon name="alert" size={18} />
      <span>{searchErrorText(error, t)}</span>
      <button type="button" class="btn btn-small" onClick={onRetry}>{t("search.retry")}</button>
    </div>
  );
}

function MessageResult({ r, file, onOpen }: { r: SearchResult; file?: boolean; onOpen: (r: SearchResult) => void }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t, locale } = useT();
  const now = useNow(60_000);
  const conv = client.conversations().find((c) => c.id === r.conversation);
  const where = conv ? conversationTitle(client, conv, t) : t("search.unknownConversation");
  const sender = displayName(client, r.sender);
  const parts = snippetParts(r.snippet);
  const body = (r.entry.body ?? {}) as Record<string, unknown>;
  const fileId = typeof body.file === "string" ? body.file : undefined;
  const fileName = typeof body.name === "string" ? body.name : r.snippet.text;
  const fileType = r.file_type;
  return (
    <li class="search-result" data-testid="search-result" data-conversation={r.conversation} data-seq={r.seq}>
      <button type="button" class="search-result-main" data-result onClick={() => onOpen(r)}>
        {file
          ? <span class="type-badge" aria-hidden="true"><Icon name={fileType === "image" ? "image" : "file"} size={16} /></span>
          : <Avatar name={sender} seed={r.sender} url={client.profile(r.sender)?.avatar} size={32} />}
        <span class="search-result-text">
          <span class="search-result-meta">
            <span class="search-result-who">{conv?.kind === "direct" ? sender : t("search.senderIn", { name: sender, conversation: where })}</span>
            <time class="muted small" dateTime={new Date(r.at_ms).toISOString()} title={formatFull(r.at_ms, locale)}>{formatListTime(r.at_ms, now, locale, t("time.yesterday"))}</time>
          </span>
          <span class="search-snippet">{parts.map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}</span>
          {file && fileType && <span class="muted small">{t(FILE_TYPE_LABEL[fileType])}</span>}
        </span>
      </button>
      {file && fileId && (
        <IconButton icon="download" label={t("shared.download", { name: fileName })}
          onClick={() => void attempt(() => downloadFile(client, fileId, fileName), t, (m) => toast(m))} />
      )}
    </li>
  );
}

/** People and groups are found by name: one list, best match first. */
function useNamed<R>(q: string, ask: (q: string) => Promise<R[]>): { results: R[]; loading: boolean; error: unknown; retry: () => void } {
  const [state, setState] = useState<{ results: R[]; loading: boolean; error: unknown }>({ results: [], loading: false, error: undefined });
  const [attemptNo, setAttemptNo] = useState(0);
  useEffect(() => {
    let live = true;
    if (!q.trim()) { setState({ results: [], loading: false, error: undefined }); return; }
    setState((s) => ({ ...s, loading: true, error: undefined }));
    ask(q.trim()).then(
      (results) => { if (live) setState({ results, loading: false, error: undefined }); },
      (error: unknown) => { if (live) setState({ results: [], loading: false, error }); },
    );
    return () => { live = false; };
  }, [q, attemptNo]);
  return { ...state, retry: () => setAttemptNo((n) => n + 1) };
}

function PeopleResults({ q, onDone }: { q: string; onDone?: (() => void) | undefined }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const found = useNamed<PersonMatch>(q, (text) => findPeople(client, text, NAMES_LEN));
  const open = async (account: string) => {
    const ok = await attempt(async () => {
      const c = await client.openDirect(account);
      onDone?.();
      openConversationRoute(c.id);
    }, t, (m) => toast(m));
    return ok;
  };
  const people = found.results.filter((m) => m.profile.account !== client.me.account);
  if (!q.trim()) return <p class="search-state muted">{t("search.hintPeople")}</p>;
  return (
    <NamedList loading={found.loading} error={found.error} onRetry={found.retry} empty={people.length === 0} q={q} label={t("search.tabPeople")}>
      {people.map(({ profile: p, matched }) => (
        <li key={p.account} class="search-result" data-testid="search-person">
          <button type="button" class="search-result-main" data-result onClick={() => void open(p.account)}>
            <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={32} presence={client.presence(p.account)?.status} />
            <span class="person-text">
              <span class="person-name">{p.display_name}{p.bot && <BotBadge />}</span>
              <span class="person-addr">{p.account}{MATCHED_LABEL[matched] ? ` · ${t(MATCHED_LABEL[matched]!)}` : ""}</span>
            </span>
          </button>
        </li>
      ))}
    </NamedList>
  );
}

function GroupResults({ q, onDone }: { q: string; onDone?: (() => void) | undefined }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const found = useNamed<GroupMatch>(q, (text) => client.searchGroups(text, NAMES_LEN).catch((e: unknown) => {
    // A server from before search_groups (§7.15) answers not_found: one's own list stands in.
    if (!missingEndpoint(e)) throw e;
    const groups = client.conversations().filter((c) => c.kind !== "direct")
      .map((c) => ({ conversation: c.id, kind: c.kind as GroupMatch["kind"], title: conversationTitle(client, c, t), matched: "name" as const }));
    return filterConversations(groups, text).slice(0, NAMES_LEN);
  }));
  if (!q.trim()) return <p class="search-state muted">{t("search.hintGroups")}</p>;
  return (
    <NamedList loading={found.loading} error={found.error} onRetry={found.retry} empty={found.results.length === 0} q={q} label={t("search.tabGroups")}>
      {found.results.map((g) => {
        const members = client.conversations().find((c) => c.id === g.conversation)?.member_count;
        return (
          <li key={g.conversation} class="search-result" data-testid="search-group">
            <button type="button" class="search-result-main" data-result onClick={() => { onDone?.(); openConversationRoute(g.conversation); }}>
              <Avatar name={g.title} seed={`g${g.conversation}`} group size={32} />
              <span class="person-text">
                <span class="person-name">{g.title}</span>
                <span class="person-addr">
                  {[g.kind === "channel" ? t("search.channel") : t("search.group"), members !== undefined ? t("chat.members", { count: members }) : null,
                    MATCHED_LABEL[g.matched] ? t(MATCHED_LABEL[g.matched]!) : null].filter(Boolean).join(" · ")}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </NamedList>
  );
}

function NamedList({ loading, error, onRetry, empty, q, label, children }: {
  loading: boolean; error: unknown; onRetry: () => void; empty: boolean; q: string; label: string; children: JSX.Element[];
}): JSX.Element {
  const { t } = useT();
  if (error !== undefined) return <SearchError error={error} onRetry={onRetry} />;
  if (loading && empty) return <div class="search-state"><Spinner label={t("search.searching")} /></div>;
  if (empty) return <p class="search-state muted" data-testid="search-empty">{t("search.none", { q })}</p>;
  return <ul class="search-list" aria-label={label}>{children}</ul>;
}
