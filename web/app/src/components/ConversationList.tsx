// The list of conversations: pinned first, then by activity (the SDK's order), with unread and
// mention badges, a preview of the last message, pin, mute (for a while or for good) and
// mark unread, and filter-as-you-type.

import type { JSX } from "preact";
import { memo } from "preact/compat";
import { useRef, useState } from "preact/hooks";
import { isMuted, type ChatClient, type Conversation, type Entry } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { attempt, conversationTitle, displayName, sameFields, useClient, useClientState, useNow, useWakeAt } from "../state/client.ts";
import { openConversationRoute } from "../state/router.ts";
import { openSearch } from "../state/search.ts";
import { toast } from "../state/toast.ts";
import { previewText } from "../lib/preview.ts";
import { formatListTime } from "../lib/format.ts";
import { muteEnd } from "../lib/conversationNotify.ts";
import { Icon } from "./icons.tsx";
import { Avatar, IconButton, Menu } from "./ui.tsx";
import { NewChatDialog, NewGroupDialog } from "./dialogs.tsx";
import { MuteDialog, muteLabel } from "./ConversationNotify.tsx";

/** Conversations whose title (or peer address) contains the filter, ignoring case. */
export function filterConversations<T extends { title: string; address?: string | undefined }>(items: T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return items;
  return items.filter((i) => i.title.toLowerCase().includes(q) || (i.address ?? "").toLowerCase().includes(q));
}

export function ConversationList({ activeId }: { activeId: number | undefined }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const now = useNow(60_000);
  const [query, setQuery] = useState("");
  const [dialog, setDialog] = useState<"chat" | "group" | null>(null);

  // The list's own subscription: the conversations (the SDK replaces only those that changed)
  // and their titles. A new message re-renders this list and its one item, not the others.
  const items = useClientState(client, () => client.conversations().map((c) => ({ c, title: conversationTitle(client, c, t), address: c.peer })), sameListItems);
  const shown = filterConversations(items, query);

  return (
    <section class="list-pane" aria-label={t("list.title")}>
      <header class="pane-header">
        <h1>{t("list.title")}</h1>
        <div class="pane-actions">
          <IconButton icon="search" label={t("search.open")} onClick={() => openSearch()} haspopup="dialog" />
          <IconButton icon="edit" label={t("list.newChat")} onClick={() => setDialog("chat")} haspopup="dialog" />
          <IconButton icon="userPlus" label={t("list.newGroup")} onClick={() => setDialog("group")} haspopup="dialog" />
        </div>
      </header>
      <div class="search-box">
        <Icon name="search" size={16} />
        <input class="input" type="search" aria-label={t("list.filter")} placeholder={t("list.filterPlaceholder")} value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setQuery("");
            if (e.key === "Enter" && shown[0]) openConversationRoute(shown[0].c.id);
          }} />
      </div>
      {/* Above the list, which takes the rest of the pane: below it, it would sit at the bottom. */}
      {items.length === 0 && <p class="list-empty">{t("list.empty")}</p>}
      {items.length > 0 && shown.length === 0 && <p class="list-empty">{t("list.noMatch", { query: query.trim() })}</p>}
      {query.trim() && (
        <button type="button" class="btn-link list-search" onClick={() => openSearch({ q: query.trim() })}>
          <Icon name="search" size={14} />{t("switcher.searchFor", { q: query.trim() })}
        </button>
      )}
      <ul class="conv-list" role="list" aria-label={t("list.label")}>
        {shown.map(({ c, title }) => (
          <ConversationItem key={c.id} conversation={c} title={title} active={c.id === activeId} now={now} />
        ))}
      </ul>
      {dialog === "chat" && <NewChatDialog onClose={() => setDialog(null)} />}
      {dialog === "group" && <NewGroupDialog onClose={() => setDialog(null)} />}
    </section>
  );
}

function sameListItems(a: ListItem[], b: ListItem[]): boolean {
  return a.length === b.length && a.every((x, i) => x.c === b[i]!.c && x.title === b[i]!.title);
}

interface ListItem { c: Conversation; title: string; address: string | undefined }

/** What an item shows beyond its summary, from its own subscription. */
function itemState(client: ChatClient, c: Conversation) {
  // Messages still in the outbox are newer than anything stored: the newest of them.
  const pending = client.outbox(c.id);
  const outgoing = pending[pending.length - 1];
  const last = client.preview(c.id) ?? c.last_message;
  return {
    last,
    typing: (client.view(c.id)?.typing.length ?? 0) > 0,
    outgoingKey: outgoing?.key, outgoingState: outgoing?.state, outgoingEntry: outgoing?.entry,
    presence: c.kind === "direct" && c.peer ? client.presence(c.peer)?.status : undefined,
    avatar: c.kind === "direct" && c.peer ? client.profile(c.peer)?.avatar : c.avatar,
    names: last ? [last.sender, ...namedIn(last)].map((a) => displayName(client, a)).join("\u0000") : "",
  };
}

/** Accounts a preview may name: the sender, and those a system notice is about. */
function namedIn(entry: Entry): string[] {
  const body = entry.body;
  const out: string[] = [];
  for (const field of ["by", "member", "from", "to"]) if (typeof body?.[field] === "string") out.push(body[field] as string);
  if (Array.isArray(body?.members)) for (const m of body.members) if (typeof m === "string") out.push(m);
  return out;
}

const sameItemState = (a: ReturnType<typeof itemState>, b: ReturnType<typeof itemState>) =>
  sameFields({ ...a, outgoingEntry: undefined }, { ...b, outgoingEntry: undefined }) &&
  (a.outgoingEntry === b.outgoingEntry || (a.outgoingEntry?.body === b.outgoingEntry?.body && a.outgoingEntry?.at_ms === b.outgoingEntry?.at_ms));

const ConversationItem = memo(function ConversationItem(props: { conversation: Conversation; title: string; active: boolean; now: number }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { conversation: c, title } = props;
  const optionsRef = useRef<HTMLButtonElement>(null);
  const [menu, setMenu] = useState(false);
  const [muting, setMuting] = useState(false);
  // A timed mute ends by itself: the item is drawn again then.
  const nowMs = Date.now();
  const muted = isMuted(c, nowMs);
  const mutedText = muted ? muteLabel(c, nowMs, t, locale) : "";
  useWakeAt(muteEnd(c, nowMs));
  const nameOf = (a: string) => (a === client.me.account ? t("preview.you") : displayName(client, a));
  const state = useClientState(client, () => itemState(client, c), sameItemState);
  const last = state.last;
  const typing = state.typing;
  const outgoing = state.outgoingEntry ? { entry: state.outgoingEntry, state: state.outgoingState } : undefined;

  let preview: JSX.Element | string = "";
  if (typing && !props.active) {
    preview = <span class="accent">{t("list.typing")}</span>;
  } else if (c.me.draft && !props.active) {
    preview = <><span class="draft">{t("list.draft")}</span> {c.me.draft}</>;
  } else if (outgoing && (!last || outgoing.entry.at_ms >= last.at_ms)) {
    const text = previewText(outgoing.entry, { t, locale, nameOf: (a) => displayName(client, a) });
    preview = outgoing.state === "failed"
      ? <><span class="draft">{t("list.failed")}</span> {text}</>
      : <><Icon name="clock" size={12} class="inline-icon" /> {text}</>;
  } else if (last) {
    const text = previewText(last, { t, locale, nameOf: (a) => displayName(client, a) });
    const showSender = c.kind !== "direct" && last.kind !== "system" && last.recalled_at_ms === undefined;
    preview = showSender ? `${nameOf(last.sender)}: ${text}` : text;
  } else {
    preview = <span class="muted-preview">{t("list.noMessages")}</span>;
  }
  const time = c.last_activity_ms ? formatListTime(last?.at_ms ?? c.last_activity_ms, props.now, locale, t("time.yesterday")) : "";
  const presence = state.presence;

  const toggle = (settings: { pinned?: boolean; muted?: false; marked_unread?: boolean }) =>
    attempt(() => client.updateSettings(c.id, settings), t, (m) => toast(m));

  return (
    <li class={`conv-item${props.active ? " active" : ""}${c.me.pinned ? " pinned" : ""}`}
      onContextMenu={(e) => { e.preventDefault(); setMenu(true); }}>
      <button type="button" class="conv-main" aria-current={props.active ? "true" : undefined} onClick={() => openConversationRoute(c.id)}>
        <span class="conv-title-row">
          <span class="conv-title">{title}</span>
          {muted && <span class="conv-flag" role="img" aria-label={mutedText} title={mutedText} data-testid="muted-flag"><Icon name="bellOff" size={13} /></span>}
          {c.me.pinned && <span class="conv-flag" role="img" aria-label={t("list.pinned")} title={t("list.pinned")}><Icon name="pin" size={13} /></span>}
          <span class="conv-time">{time}</span>
        </span>
        <span class="conv-preview-row">
          <span class="conv-preview">{preview}</span>
          {c.mentions > 0 && <span class="badge badge-mention" role="img" aria-label={t("list.mentioned")}>@</span>}
          {c.unread > 0 && (
            <span class={`badge${muted ? " badge-muted" : ""}`} role="img" data-testid="unread-badge" aria-label={t("list.unread", { count: c.unread })}>
              {c.unread > 99 ? "99+" : c.unread}
            </span>
          )}
          {c.unread === 0 && c.me.marked_unread && (
            <span class={`badge badge-dot${muted ? " badge-muted" : ""}`} role="img" data-testid="marked-unread" aria-label={t("list.markedUnread")} />
          )}
        </span>
      </button>
      <span class="conv-avatar">
        <Avatar name={title} seed={c.kind === "direct" ? c.peer ?? String(c.id) : `g${c.id}`} group={c.kind !== "direct"}
          url={state.avatar} size={42} presence={presence} />
      </span>
      <button type="button" class="icon-btn conv-options" ref={optionsRef} aria-label={t("list.options")} title={t("list.options")}
        aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}>
        <Icon name="more" size={18} />
      </button>
      {menu && (
        <Menu anchor={optionsRef.current} label={t("list.options")} onClose={() => setMenu(false)} items={[
          { label: c.me.pinned ? t("list.unpin") : t("list.pin"), icon: "pin", onSelect: () => void toggle({ pinned: !c.me.pinned }) },
          muted
            ? { label: t("list.unmute"), icon: "bell", onSelect: () => void toggle({ muted: false }) }
            : { label: t("list.mute"), icon: "bellOff", dialog: true, onSelect: () => setMuting(true) },
          c.unread > 0 || c.me.marked_unread
            ? { label: t("list.markRead"), icon: "check", onSelect: () => client.markRead(c.id) }
            : { label: t("list.markUnread"), icon: "info", onSelect: () => void toggle({ marked_unread: true }) },
        ]} />
      )}
      {muting && <MuteDialog conversation={c.id} onClose={() => setMuting(false)} />}
    </li>
  );
});
