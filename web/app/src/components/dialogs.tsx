// Dialogs that pick people or conversations: new chat, new group, add members, forward, and
// the Ctrl/Cmd+K quick switcher (whose last option opens search).

import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Profile } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { attempt, conversationTitle, errorText, useClient, useClientVersion } from "../state/client.ts";
import { openConversationRoute } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Avatar, BotBadge, Dialog, Spinner } from "./ui.tsx";
import { filterConversations } from "./ConversationList.tsx";
import { findPeople } from "../state/people.ts";
import { Icon } from "./icons.tsx";

/** The directory search, debounced; leaves out me and `exclude`. */
function usePeopleSearch(query: string, exclude: ReadonlySet<string>): { results: Profile[]; loading: boolean } {
  const client = useClient();
  const { t } = useT();
  const [results, setResults] = useState<Profile[]>([]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    setLoading(true);
    const id = setTimeout(() => {
      // Words find people by name, pinyin and initials (§7.15); nothing typed lists the directory.
      const text = query.trim();
      (text ? findPeople(client, text).then((found) => found.map((m) => m.profile)) : client.searchAccounts("")).then(
        (r) => { if (live) { setResults(r); setLoading(false); } },
        (e: unknown) => { if (live) { setResults([]); setLoading(false); toast(errorText(e, t)); } },
      );
    }, query ? 200 : 0);
    return () => { live = false; clearTimeout(id); };
  }, [query]);
  const me = client.me.account;
  return { results: results.filter((p) => p.account !== me && !exclude.has(p.account)), loading };
}

function PersonLine({ p }: { p: Profile }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  return (
    <>
      <Avatar name={p.display_name} seed={p.account} url={p.avatar} size={32} presence={client.presence(p.account)?.status} />
      <span class="person-text">
        <span class="person-name">{p.display_name}{p.bot && <BotBadge />}</span>
        <span class="person-addr">{p.account}</span>
      </span>
    </>
  );
}

export function NewChatDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [query, setQuery] = useState("");
  const { results, loading } = usePeopleSearch(query, useMemo(() => new Set<string>(), []));
  const [busy, setBusy] = useState(false);
  const start = async (p: Profile) => {
    setBusy(true);
    try {
      const c = await client.openDirect(p.account);
      onClose();
      openConversationRoute(c.id);
    } catch (e) {
      toast(errorText(e, t));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t("newChat.title")} onClose={onClose} size="sm">
      <input class="input" type="search" aria-label={t("newChat.search")} placeholder={t("newChat.searchPlaceholder")} value={query}
        onInput={(e) => setQuery(e.currentTarget.value)} />
      <ul class="people-list" role="list" aria-label={t("newChat.results")} aria-busy={loading}>
        {results.map((p) => (
          <li key={p.account}>
            <button type="button" class="person-row" aria-label={p.display_name} disabled={busy} onClick={() => void start(p)}>
              <PersonLine p={p} />
            </button>
          </li>
        ))}
      </ul>
      {loading && results.length === 0 && <div class="center-pad"><Spinner label={t("common.loading")} /></div>}
      {!loading && results.length === 0 && <p class="muted center-pad">{t("newChat.noResults")}</p>}
    </Dialog>
  );
}

/** Checkboxes of people from the directory search, with the chosen ones kept across queries. */
export function PeoplePicker(props: { selected: Map<string, Profile>; onToggle: (p: Profile, on: boolean) => void; exclude?: ReadonlySet<string> }): JSX.Element {
  const { t } = useT();
  const [query, setQuery] = useState("");
  const exclude = props.exclude ?? EMPTY;
  const { results, loading } = usePeopleSearch(query, exclude);
  return (
    <div class="picker">
      {props.selected.size > 0 && (
        <div class="chips" aria-label={t("newGroup.selected", { count: props.selected.size })}>
          {[...props.selected.values()].map((p) => (
            <button type="button" class="chip" key={p.account} aria-label={t("newGroup.unselect", { name: p.display_name })} onClick={() => props.onToggle(p, false)}>
              {p.display_name} <Icon name="close" size={12} />
            </button>
          ))}
        </div>
      )}
      <span class="field-label" aria-hidden="true">{t("newGroup.members")}</span>
      <input class="input" type="search" aria-label={t("newChat.search")} placeholder={t("newChat.searchPlaceholder")} value={query}
        onInput={(e) => setQuery(e.currentTarget.value)} />
      <ul class="people-list" role="list" aria-label={t("newChat.results")} aria-busy={loading}>
        {results.map((p) => (
          <li key={p.account}>
            <label class="person-row">
              <input type="checkbox" aria-label={p.display_name} checked={props.selected.has(p.account)}
                onChange={(e) => props.onToggle(p, e.currentTarget.checked)} />
              <PersonLine p={p} />
            </label>
          </li>
        ))}
      </ul>
      {loading && results.length === 0 && <div class="center-pad"><Spinner label={t("common.loading")} /></div>}
      {!loading && results.length === 0 && <p class="muted center-pad">{t("newChat.noResults")}</p>}
    </div>
  );
}
const EMPTY: ReadonlySet<string> = new Set();

function useSelection(): [Map<string, Profile>, (p: Profile, on: boolean) => void] {
  const [selected, setSelected] = useState(() => new Map<string, Profile>());
  const toggle = (p: Profile, on: boolean) => setSelected((prev) => {
    const next = new Map(prev);
    if (on) next.set(p.account, p); else next.delete(p.account);
    return next;
  });
  return [selected, toggle];
}

export function NewGroupDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [name, setName] = useState("");
  const [channel, setChannel] = useState(false);
  const [selected, toggle] = useSelection();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) { setError(t("newGroup.nameRequired")); return; }
    setBusy(true);
    try {
      const c = await client.createGroup(channel ? "channel" : "group", name.trim(), [...selected.keys()]);
      onClose();
      openConversationRoute(c.id);
    } catch (err) {
      setError(errorText(err, t));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t("newGroup.title")} onClose={onClose} size="md">
      <form onSubmit={create} class="stack">
        <div class="field">
          <label for="new-group-name">{t("newGroup.name")}</label>
          <input id="new-group-name" class="input" type="text" value={name} maxLength={64} data-autofocus
            onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <label class="check-row">
          <input type="checkbox" checked={channel} onChange={(e) => setChannel(e.currentTarget.checked)} />
          <span>{t("newGroup.channel")}</span>
        </label>
        <PeoplePicker selected={selected} onToggle={toggle} />
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>{t("common.cancel")}</button>
          <button type="submit" class="btn btn-primary" disabled={busy}>{t("newGroup.create")}</button>
        </div>
      </form>
    </Dialog>
  );
}

export function AddMembersDialog({ conversation, existing, onClose }: { conversation: number; existing: ReadonlySet<string>; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [selected, toggle] = useSelection();
  const [busy, setBusy] = useState(false);
  const add = async () => {
    setBusy(true);
    const ok = await attempt(async () => {
      await client.addMembers(conversation, [...selected.keys()]);
      await client.refreshMembers(conversation);
    }, t, (m) => toast(m));
    setBusy(false);
    if (ok) onClose();
  };
  return (
    <Dialog title={t("group.addMembers")} onClose={onClose} size="md"
      footer={<>
        <button type="button" class="btn" onClick={onClose}>{t("common.cancel")}</button>
        <button type="button" class="btn btn-primary" disabled={busy || selected.size === 0} onClick={() => void add()}>{t("group.add")}</button>
      </>}>
      <PeoplePicker selected={selected} onToggle={toggle} exclude={existing} />
    </Dialog>
  );
}

/** Picks a conversation (forward, quick switcher). `search`: the last option searches for
 * what was typed (the quick switcher's way into search). */
function ConversationPicker(props: { label: string; onPick: (id: number) => void; exclude?: number; busy?: boolean; search?: (q: string) => void }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const items = filterConversations(
    client.conversations().filter((c) => c.id !== props.exclude).map((c) => ({ c, title: conversationTitle(client, c, t), address: c.peer })),
    query,
  ).slice(0, 50);
  const count = items.length + (props.search ? 1 : 0);
  const pick = (i: number) => {
    const item = items[i];
    if (item) props.onPick(item.c.id);
    else if (i === items.length) props.search?.(query.trim());
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => Math.min(a + 1, count - 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
    else if (e.key === "Enter") { e.preventDefault(); pick(active); }
  };
  const activeId = items[active] ? `conv-pick-${items[active].c.id}` : props.search && active === items.length ? "conv-pick-search" : undefined;
  return (
    <>
      <input class="input" type="search" role="combobox" aria-expanded="true" aria-controls="conv-picker-list" aria-label={props.label} data-autofocus
        aria-activedescendant={activeId}
        placeholder={t("switcher.placeholder")} value={query} onKeyDown={onKeyDown}
        onInput={(e) => { setQuery(e.currentTarget.value); setActive(0); }} />
      <ul class="people-list" id="conv-picker-list" role="listbox" aria-label={props.label}>
        {items.map(({ c, title }, i) => (
          <li key={c.id} id={`conv-pick-${c.id}`} role="option" aria-selected={i === active} class={`person-row${i === active ? " active" : ""}`}
            onMouseEnter={() => setActive(i)} onClick={() => !props.busy && pick(i)}>
            <Avatar name={title} seed={c.kind === "direct" ? c.peer ?? "" : `g${c.id}`} group={c.kind !== "direct"} size={30}
              presence={c.kind === "direct" && c.peer ? client.presence(c.peer)?.status : undefined} />
            <span class="person-text"><span class="person-name">{title}</span>
              {c.kind !== "direct" && <span class="person-addr">{t("chat.members", { count: c.member_count })}</span>}</span>
          </li>
        ))}
        {props.search && (
          <li id="conv-pick-search" role="option" aria-selected={active === items.length} data-testid="switcher-search"
            class={`person-row switcher-search${active === items.length ? " active" : ""}`}
            onMouseEnter={() => setActive(items.length)} onClick={() => pick(items.length)}>
            <span class="switcher-search-icon" aria-hidden="true"><Icon name="search" size={18} /></span>
            <span class="person-text"><span class="person-name">{query.trim() ? t("switcher.searchFor", { q: query.trim() }) : t("switcher.searchAll")}</span></span>
          </li>
        )}
      </ul>
      {items.length === 0 && !props.search && <p class="muted center-pad">{t("switcher.none")}</p>}
    </>
  );
}

/** Ctrl/Cmd+K: jumps to a conversation, or searches for what was typed (issue 16). */
export function QuickSwitcher({ onClose, onSearch }: { onClose: () => void; onSearch?: (q: string) => void }): JSX.Element {
  const { t } = useT();
  return (
    <Dialog title={t("switcher.title")} onClose={onClose} size="sm" class="switcher">
      <ConversationPicker label={t("switcher.title")} onPick={(id) => { onClose(); openConversationRoute(id); }}
        {...(onSearch ? { search: onSearch } : {})} />
    </Dialog>
  );
}

export function ForwardDialog({ from, seqs, onClose, onDone }: { from: number; seqs: number[]; onClose: () => void; onDone?: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [busy, setBusy] = useState(false);
  // Several messages go as one merged message (the server's `forward` with several seqs), or
  // each as its own copy, in the order shown.
  const [merged, setMerged] = useState(true);
  const forward = async (to: number) => {
    setBusy(true);
    const c = client.conversations().find((x) => x.id === to);
    const ok = await attempt(async () => {
      if (merged || seqs.length === 1) await client.forward(to, from, seqs);
      else for (const seq of seqs) await client.forward(to, from, [seq]);
    }, t, (m) => toast(m));
    setBusy(false);
    if (ok) {
      onClose();
      onDone?.();
      toast(t("forward.done", { name: c ? conversationTitle(client, c, t) : "" }), "info");
    }
  };
  return (
    <Dialog title={seqs.length > 1 ? t("forward.titleMany", { count: seqs.length }) : t("forward.title")} onClose={onClose} size="sm">
      {seqs.length > 1 && (
        <fieldset class="forward-mode">
          <legend>{t("forward.how")}</legend>
          <label><input type="radio" name="forward-mode" checked={merged} onChange={() => setMerged(true)} /> {t("forward.merged")}</label>
          <label><input type="radio" name="forward-mode" checked={!merged} onChange={() => setMerged(false)} /> {t("forward.separate")}</label>
        </fieldset>
      )}
      <ConversationPicker label={t("forward.search")} onPick={(id) => void forward(id)} busy={busy} />
    </Dialog>
  );
}
