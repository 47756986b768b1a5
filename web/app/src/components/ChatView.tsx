// One conversation: header, announcement, the message log, typing indicator and composer, with
// drag-and-drop of files and the group info pane.

import type { JSX } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ConversationView, MessageView, Pin } from "@magpie/sdk";
import { BLOCK_ENTRIES_MAX, PAGE_LEN, isMuted } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatFull, formatListTime } from "../lib/format.ts";
import { canEdit, canForward, canSelect, isGroupLike, isModerator, mayPin, postBlock } from "../lib/permissions.ts";
import { previewText } from "../lib/preview.ts";
import { type Selection, chunks, extendTo, selectOne, selectedInOrder, toggle } from "../lib/selection.ts";
import { attempt, conversationTitle, displayName, errorText, findMessage, useClient, useClientState, useNames, useNow, useProfile, useWakeAt } from "../state/client.ts";
import { muteEnd } from "../lib/conversationNotify.ts";
import { navigate } from "../state/router.ts";
import { rememberPreview } from "../state/media.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, BotBadge, ConfirmDialog, Dialog, IconButton, MenuButton, Spinner } from "./ui.tsx";
import { openPersonCard } from "../state/person.ts";
import { MessageList, type MessageListHandle } from "./MessageList.tsx";
import type { RowEnv, RowLive } from "./Message.tsx";
import { Composer } from "./Composer.tsx";
import { ImageViewer } from "./content.tsx";
import { ForwardDialog } from "./dialogs.tsx";
import { GroupInfo } from "./GroupInfo.tsx";
import { SharedPanel } from "./SharedPanel.tsx";
import { ThreadList, ThreadPanel } from "./ThreadPanel.tsx";
import { ScheduledBar } from "./Scheduled.tsx";
import { SearchPane } from "./Search.tsx";
import { MuteDialog, muteLabel } from "./ConversationNotify.tsx";
import type { EphemeralAnswer } from "../lib/commands.ts";

/** Pages loaded at most to reach the first unread message when a conversation opens (past
 * them it opens at the oldest loaded message, under the divider). */
const UNREAD_PAGES_MAX = 20;
/** Pages loaded at most to reach a message that a link, a pin or a search result goes to: as
 * many as the SDK keeps of one conversation (BLOCK_ENTRIES_MAX), since it drops the oldest
 * beyond that. A message further back is not shown, and a toast says so. */
const JUMP_PAGES_MAX = Math.floor(BLOCK_ENTRIES_MAX / PAGE_LEN) - 1;
/** Messages one forward names, and one delete-for-me: the servers' defaults allow 100 and 200
 * (forward_messages_max, history_page_len_max); deletes are sent in runs of this many. */
const FORWARD_SEQS_MAX = 100;
const HIDE_SEQS_MAX = 100;

export function typingText(names: string[], t: (k: "chat.typingOne" | "chat.typingTwo" | "chat.typingMany", p?: Record<string, string>) => string): string {
  if (names.length === 0) return "";
  if (names.length === 1) return t("chat.typingOne", { name: names[0]! });
  if (names.length === 2) return t("chat.typingTwo", { a: names[0]!, b: names[1]! });
  return t("chat.typingMany");
}

/** `seq`: a message to bring into view once the chat is open (a link to it, a saved message).
 * `thread`: the root of a thread to show beside the chat (§7.12). */
export function ChatView({ id, seq, thread }: { id: number; seq?: number | undefined; thread?: number | undefined }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const now = useNow(15_000);
  const [opened, setOpened] = useState<"loading" | "ok" | "failed">("loading");
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [forwarding, setForwarding] = useState<number[] | null>(null);
  // Several messages selected to forward or delete (issue 23); null while not selecting.
  const [selection, setSelection] = useState<Selection | null>(null);
  const [confirmHide, setConfirmHide] = useState<number[] | null>(null);
  const [image, setImage] = useState<{ fileId: string; name?: string | undefined } | null>(null);
  const [info, setInfo] = useState(false);
  const [shared, setShared] = useState(false);
  const [drag, setDrag] = useState(false);
  const [highlightKey, setHighlightKey] = useState<string | undefined>(undefined);
  const [confirmBlock, setConfirmBlock] = useState(false);
  const [muting, setMuting] = useState(false);
  const [announcementHidden, setAnnouncementHidden] = useState<string | null>(null);
  const [pinsOpen, setPinsOpen] = useState(false);
  const [threadsOpen, setThreadsOpen] = useState(false);
  // "Search in this chat" (issue 16), beside the chat like the other panes.
  const [searching, setSearching] = useState(false);
  /** A message to bring into view: loaded (older pages first) and scrolled to, then cleared. */
  const [target, setTarget] = useState<number | null>(seq ?? null);
  useEffect(() => { if (seq !== undefined) setTarget(seq); }, [seq]);
  const listHandle = useRef<MessageListHandle | null>(null);
  const focusComposer = useRef<(() => void) | null>(null);
  const atBottom = useRef(true);
  // Apps' answers to slash commands for this person only (issue 18): shown in this view until
  // dismissed or the conversation is left, kept nowhere else.
  const [answers, setAnswers] = useState<EphemeralAnswer[]>([]);
  const answerCount = useRef(0);
  const addAnswer = useCallback((answer: Omit<EphemeralAnswer, "key" | "atMs" | "afterSeq">) => {
    const afterSeq = (client.view(id)?.messages ?? []).reduce((m, v) => Math.max(m, v.entry.seq), 0);
    answerCount.current += 1;
    setAnswers((shown) => [...shown, { ...answer, key: `answer:${answerCount.current}`, atMs: Date.now(), afterSeq }]);
  }, [client, id]);
  const dismissAnswer = useCallback((key: string) => {
    setAnswers((shown) => shown.filter((a) => a.key !== key));
    // The dismissed answer had the focus: it goes to the composer.
    requestAnimationFrame(() => focusComposer.current?.());
  }, []);

  useEffect(() => {
    let live = true;
    setOpened("loading");
    client.openConversation(id).then(() => live && setOpened("ok"), (e: unknown) => { if (live) { setOpened("failed"); toast(errorText(e, t)); } });
    return () => { live = false; };
  }, [id]);

  // This view's own subscription: the SDK keeps the view object while nothing in it changes.
  const view = useClientState(client, () => client.view(id));
  const conv = useClientState(client, () => client.view(id)?.conversation ?? client.conversations().find((c) => c.id === id));

  // Members change with system entries: refresh them when a new one shows up.
  const lastSystemSeq = useMemo(() => {
    let seq = 0;
    for (const m of view?.messages ?? []) if (m.entry.kind === "system" && m.entry.seq > seq) seq = m.entry.seq;
    return seq;
  }, [view?.messages]);
  const refreshedAt = useRef(0);
  useEffect(() => {
    if (!conv || !isGroupLike(conv) || opened !== "ok") return;
    if (refreshedAt.current === 0) { refreshedAt.current = lastSystemSeq; return; }
    if (lastSystemSeq > refreshedAt.current) {
      refreshedAt.current = lastSystemSeq;
      client.refreshMembers(id).catch(() => { /* shown as it was */ });
    }
  }, [lastSystemSeq, opened]);

  // "Read by N" comes from the members' marks: listed when the chat opens, then raised by the
  // server's `marks` events as members read my messages (protocol §7.7). Those are ephemeral:
  // after a reconnect the marks are listed again.
  const status = useClientState(client, () => client.status);
  const wasOnline = useRef(true);
  useEffect(() => {
    const online = status === "online";
    if (online && !wasOnline.current && conv && isGroupLike(conv) && opened === "ok") {
      client.refreshMembers(id).catch(() => { /* shown as it was */ });
    }
    wasOnline.current = online;
  }, [status, opened, id]);

  // Unread: the chat opens at the first message after the read mark it was opened with (older
  // pages are loaded until that one is), and is marked read as far as messages have been seen.
  const openedWith = useRef<{ readSeq: number; unread: number } | null>(null);
  if (!openedWith.current && conv) openedWith.current = { readSeq: conv.me.read_seq, unread: conv.unread };
  const [unreadAfter, setUnreadAfter] = useState<number | null | undefined>(undefined);
  useEffect(() => {
    if (opened === "failed") { setUnreadAfter(null); return; }
    if (opened !== "ok" || unreadAfter !== undefined) return;
    const start = openedWith.current;
    if (!start || start.unread === 0) { setUnreadAfter(null); return; }
    let live = true;
    const oldest = () => client.view(id)?.messages.find((m) => m.entry.seq > 0)?.entry.seq ?? Infinity;
    void (async () => {
      for (let page = 0; page < UNREAD_PAGES_MAX; page++) {
        const v = client.view(id);
        if (!v || v.atStart || oldest() <= start.readSeq + 1) break;
        try { await client.loadOlder(id); } catch { break; }
        if (!live) return;
      }
      if (live) setUnreadAfter(start.readSeq);
    })();
    return () => { live = false; };
  }, [opened]);
  // A chat marked unread is read once opened, even when every message in it was read before
  // (then no message of others comes into view to say so). Marked unread while open, it stays
  // so until it is opened again.
  useEffect(() => {
    if (opened === "ok" && client.view(id)?.conversation.me.marked_unread) client.markRead(id);
  }, [opened, id]);
  // Pinned messages (§7.5): loaded once the chat is open; the SDK keeps them current (pins and
  // unpins by anyone, recalls, deletes for me, reconnects).
  const pins = useClientState(client, () => client.pins(id));
  useEffect(() => {
    if (opened === "ok") client.loadPins(id).catch(() => { /* the bar stays as it was */ });
  }, [opened, id]);
  const pinned = useMemo<ReadonlySet<number>>(() => new Set((pins ?? []).map((p) => p.entry.seq)), [pins]);
  // The threads the user follows here (§7.12), for the header's unread badge: loaded once the
  // chat is open, kept current by the SDK.
  const followedThreads = useClientState(client, () => client.threads(id));
  useEffect(() => {
    if (opened === "ok") client.loadThreads(id).catch(() => { /* the badge stays as it was */ });
  }, [opened, id]);
  const threadUnread = (followedThreads ?? []).reduce((n, th) => n + th.unread, 0);
  // A thread opens beside the chat by its route (/c/{id}/thread/{root}), so that the browser's
  // back button closes it and a link opens it. Closing it puts the focus back on its message.
  const openThread = useCallback((root: number) => {
    setShared(false);
    setInfo(false);
    setThreadsOpen(false);
    setSearching(false);
    navigate({ page: "chats", conversation: id, thread: root });
  }, [id]);
  const closeThread = useCallback(() => {
    const root = thread;
    navigate({ page: "chats", conversation: id });
    requestAnimationFrame(() => {
      const row = document.querySelector<HTMLElement>(`.message-list [data-testid="message"][data-seq="${root}"]`);
      if (row) row.focus();
      else focusComposer.current?.();
    });
  }, [id, thread]);
  const pinNames = useNames(client, (pins ?? []).flatMap((p) => [p.entry.sender, p.pinned_by]));

  // Going to a message that may not be loaded yet: older pages load until it is (as many as
  // for the first unread message), once the list has been put in its first place.
  useEffect(() => {
    if (target === null || opened !== "ok" || unreadAfter === undefined) return;
    let alive = true;
    void (async () => {
      for (let page = 0; page < JUMP_PAGES_MAX; page++) {
        const v = client.view(id);
        if (!v || findMessage(v, target)) break;
        const oldest = v.messages.find((m) => m.entry.seq > 0)?.entry.seq ?? Infinity;
        if (v.atStart || oldest <= target) break;
        try { await client.loadOlder(id); } catch { break; }
        if (!alive) return;
      }
      // The rows of what just loaded are rendered by the next frame.
      requestAnimationFrame(() => {
        if (!alive) return;
        const v = client.view(id);
        if (findMessage(v, target)) live.current.jumpTo(target);
        else if (target <= (v?.conversation.pruned_through ?? 0)) toast(t("chat.messagePruned"), "info");
        else toast(t("chat.tooFarBack"), "info");
        setTarget(null);
        if (seq !== undefined) navigate({ page: "chats", conversation: id }, { replace: true });
      });
    })();
    return () => { alive = false; };
  }, [target, opened, unreadAfter]);

  const toggleSearch = () => {
    if (thread !== undefined) closeThread();
    setSearching(!searching); setShared(false); setInfo(false); setThreadsOpen(false);
  };
  const closeSearch = useCallback(() => {
    setSearching(false);
    requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="search-in-chat"]')?.focus());
  }, []);
  // Ctrl/Cmd+F searches this chat (the pane's box takes the focus again when it is open), unless
  // a dialog is up: the browser's own find is a click away in its menu.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== "f") return;
      if (document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      if (thread !== undefined) closeThread();
      setShared(false); setInfo(false); setThreadsOpen(false);
      setSearching(true);
      requestAnimationFrame(() => document.querySelector<HTMLInputElement>(".search-pane .search-input")?.focus());
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [thread, closeThread]);

  const onSeen = useCallback((seq: number) => {
    // Seeing the newest message marks everything read (operations and notices after it too).
    const newest = client.view(id)?.messages.reduce((m, v) => Math.max(m, v.entry.seq), 0) ?? 0;
    client.markRead(id, seq >= newest ? undefined : seq);
  }, [client, id]);

  const members = view?.members;
  const group = !!conv && isGroupLike(conv);
  const moderator = !!conv && isModerator(conv);
  const peer = conv?.kind === "direct" ? conv.peer : undefined;
  const presenceInfo = useClientState(client, () => (peer && peer !== client.me.account ? client.presence(peer) : undefined));
  const presence = presenceInfo?.status;
  const peerProfile = useProfile(client, peer);
  const peerAvatar = peerProfile?.avatar;
  const peerBot = peerProfile?.bot === true;
  useNames(client, [peer]);

  const live = useRef<RowLive>(null as unknown as RowLive);
  if (conv) {
    live.current = {
      conversation: conv, members, now,
      reply: (v) => { setEditing(null); setReplyTo(v); },
      edit: (v) => { setReplyTo(null); setEditing(v); },
      forward: (v) => setForwarding([v.entry.seq]),
      select: (v) => {
        setSelection(selectOne(v.entry.seq));
        // The menu that started it is gone: the focus goes to the message.
        requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-testid="message"][data-seq="${v.entry.seq}"]`)?.focus());
      },
      toggleSelected: (v, extend) => setSelection((s) => s && (extend ? extendTo(s, selectableSeqs(), v.entry.seq) : toggle(s, v.entry.seq))),
      openImage: (fileId, name) => setImage({ fileId, name }),
      jumpTo: (seq) => {
        if (listHandle.current?.scrollToSeq(seq)) {
          setHighlightKey(findMessage(client.view(id), seq)?.key);
          setTimeout(() => setHighlightKey(undefined), 1600);
        } else toast(t("chat.originalNotLoaded"), "info");
      },
      pinned,
      left: view?.left === true,
      pin: (v, on) => void attempt(() => (on ? client.pin(id, v.entry.seq) : client.unpin(id, v.entry.seq)), t, (m) => toast(m))
        .then((ok) => { if (ok) toast(t(on ? "pins.pinned" : "pins.unpinned"), "info"); }),
      save: (v) => void attempt(() => client.saveMessage(id, v.entry.seq), t, (m) => toast(m))
        .then((ok) => { if (ok) toast(t("msg.saved"), "info"); }),
      openThread,
    };
  }
  /** The seqs that may be selected, in the order shown. */
  function selectableSeqs(): number[] {
    return (client.view(id)?.messages ?? []).filter((m) => canSelect(m.entry)).map((m) => m.entry.seq);
  }
  // Escape leaves selecting (unless a dialog is open: Escape is the dialog's), and the composer
  // that comes back takes the focus.
  const selecting = selection !== null;
  // Before the selection bar is painted: an Escape pressed the moment it shows must find it
  // listening (with useEffect, a busy page painted the bar first and lost that Escape).
  useLayoutEffect(() => {
    if (!selecting) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented || document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      setSelection(null);
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      requestAnimationFrame(() => focusComposer.current?.());
    };
  }, [selecting]);
  const env = useMemo<RowEnv>(() => ({ client, conversation: id, group, moderator, live }), [client, id, group, moderator]);
  // A timed mute ends by itself: the header (and the info pane) are drawn again then.
  const nowMs = Date.now();
  useWakeAt(conv ? muteEnd(conv, nowMs) : undefined);

  if (!conv || !view) {
    return (
      <section class="chat-pane">
        <header class="chat-header"><IconButton icon="back" label={t("nav.back")} class="back-btn" onClick={() => navigate({ page: "chats" })} /></header>
        <div class="chat-empty">{opened === "failed" || (opened === "ok" && !conv) ? <p>{t("chat.notFound")}</p> : <Spinner label={t("common.loading")} />}</div>
      </section>
    );
  }

  const title = conversationTitle(client, conv, t);
  const nameOf = (a: string) => displayName(client, a);
  const muted = isMuted(conv, nowMs);
  const mutedText = muted ? muteLabel(conv, nowMs, t, locale) : "";

  const editLast = () => {
    for (let i = view.messages.length - 1; i >= 0; i--) {
      const m = view.messages[i]!;
      if (m.mine && canEdit(m.entry, conv, client.me.account, Date.now())) { live.current.edit(m); return; }
    }
  };

  const subtitle = group
    ? t("chat.members", { count: conv.member_count })
    : presenceInfo
      ? presenceInfo.status === "offline" && presenceInfo.last_seen_ms
        ? t("presence.lastSeen", { time: formatListTime(presenceInfo.last_seen_ms, Date.now(), locale, t("time.yesterday")) })
        : t(`presence.${presenceInfo.status}`) + (presenceInfo.text ? ` · ${presenceInfo.text}` : "")
      : peer ?? "";
  const typing = view.typing.filter((a) => a !== client.me.account).map(nameOf);
  const block = postBlock(conv, now);
  const announcement = group && conv.announcement && announcementHidden !== conv.announcement ? conv.announcement : null;
  const latestPin = pins?.[0];
  const mayUnpin = mayPin(conv) && !view.left;
  const pinText = (p: Pin) => previewText(p.entry, { t, locale, nameOf: pinNames });
  const unpin = (p: Pin) => void live.current.pin({ key: String(p.entry.seq), entry: p.entry, mine: false }, false);

  const onDragOver = (e: DragEvent) => {
    if (!block && e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) { e.preventDefault(); setDrag(true); }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDrag(false);
    if (block) return;
    const files = Array.from(e.dataTransfer?.files ?? []);
    for (const f of files) rememberPreview(client.sendFile(id, f), f);
    if (files.length) listHandle.current?.scrollToBottom();
  };

  return (
    <div class={`chat-with-info${(info && group) || shared || threadsOpen || searching || thread !== undefined ? " info-open" : ""}`}>
      <section class="chat-pane" aria-label={title} onDragOver={onDragOver} onDragLeave={(e) => { if (e.currentTarget === e.target) setDrag(false); }} onDrop={onDrop}>
        <header class="chat-header">
          <IconButton icon="back" label={t("nav.back")} class="back-btn" onClick={() => navigate({ page: "chats" })} />
          <Avatar name={title} seed={peer ?? `g${conv.id}`} group={group} size={36} url={peer ? peerAvatar : conv.avatar}
            presence={presence} />
          <div class="chat-title">
            <h2><span class="title-text">{title}</span>{peerBot && <BotBadge />}{muted && <span class="title-flag" role="img" aria-label={mutedText} title={mutedText}><Icon name="bellOff" size={14} /></span>}</h2>
            <p class="muted small">{subtitle}</p>
          </div>
          <div class="chat-actions">
            <IconButton icon="search" label={t("search.inChat")} pressed={searching} onClick={toggleSearch} testid="search-in-chat" />
            <button type="button" class="icon-btn threads-btn" data-testid="threads-button" aria-pressed={threadsOpen}
              aria-label={threadUnread > 0 ? t("nav.withBadge", { label: t("thread.list"), count: threadUnread }) : t("thread.list")} title={t("thread.list")}
              onClick={() => { if (thread !== undefined) closeThread(); setThreadsOpen(!threadsOpen); setShared(false); setInfo(false); setSearching(false); }}>
              <Icon name="threads" size={20} />
              {threadUnread > 0 && <span class="icon-badge" aria-hidden="true" data-testid="threads-badge">{threadUnread > 99 ? "99+" : threadUnread}</span>}
            </button>
            <IconButton icon="paperclip" label={t("chat.sharedItems")} pressed={shared} onClick={() => { if (thread !== undefined) closeThread(); setShared(!shared); setInfo(false); setThreadsOpen(false); setSearching(false); }} testid="shared-button" />
            {!group && conv.peer && conv.peer !== client.me.account && <IconButton icon="info" label={t("chat.personCard")} onClick={() => openPersonCard(conv.peer!)} />}
            {group && !view.left && <IconButton icon="info" label={t("chat.groupInfo")} pressed={info} onClick={() => { if (thread !== undefined) closeThread(); setInfo(!info); setShared(false); setThreadsOpen(false); setSearching(false); }} />}
            <MenuButton icon="more" label={t("chat.options")} items={[
              { label: conv.me.pinned ? t("list.unpin") : t("list.pin"), icon: "pin", onSelect: () => void attempt(() => client.updateSettings(id, { pinned: !conv.me.pinned }), t, (m) => toast(m)) },
              muted
                ? { label: t("list.unmute"), icon: "bell", onSelect: () => void attempt(() => client.updateSettings(id, { muted: false }), t, (m) => toast(m)) }
                : { label: t("list.mute"), icon: "bellOff", dialog: true, onSelect: () => setMuting(true) },
              { label: t("contacts.block"), icon: "ban", danger: true, hidden: !peer || peer === client.me.account, onSelect: () => setConfirmBlock(true) },
            ]} />
          </div>
        </header>
        {announcement && (
          <div class="announcement" role="note">
            <Icon name="megaphone" size={16} />
            <div><strong>{t("group.announcement")}</strong><p>{announcement}</p></div>
            <IconButton icon="close" size={14} label={t("chat.dismiss")} onClick={() => setAnnouncementHidden(conv.announcement ?? null)} />
          </div>
        )}
        {latestPin && (
          <div class="pin-bar" role="region" aria-label={t("pins.label")} data-testid="pin-bar">
            <Icon name="pin" size={16} />
            <button type="button" class="pin-bar-main" title={t("pins.jumpTo", { text: pinText(latestPin) })}
              onClick={() => setTarget(latestPin.entry.seq)}>
              <strong>{pins!.length > 1 ? t("pins.latestOf", { count: pins!.length }) : t("pins.latest")}</strong>
              <span class="pin-bar-text">{pinNames(latestPin.entry.sender)}: {pinText(latestPin)}</span>
            </button>
            <IconButton icon="more" size={16} label={t("pins.showAll", { count: pins!.length })} onClick={() => setPinsOpen(true)} />
            {mayUnpin && <IconButton icon="close" size={14} label={t("pins.unpinNamed", { text: pinText(latestPin) })} onClick={() => unpin(latestPin)} />}
          </div>
        )}
        <MessageList view={view} env={env} now={now} highlightKey={highlightKey} ready={opened === "ok"} unreadAfter={unreadAfter} onSeen={onSeen} handle={listHandle} onAtBottom={(b) => { atBottom.current = b; }}
          selection={selection} answers={answers} onDismissAnswer={dismissAnswer} />
        <div class="typing-line" aria-live="polite">{typing.length > 0 && <><span class="typing-dots" aria-hidden="true"><i /><i /><i /></span>{typingText(typing, t)}</>}</div>
        {!selection && <ScheduledBar conversation={id} />}
        {selection ? (
          <SelectionBar seqs={selectedInOrder(selection, selectableSeqs())} view={view}
            onForward={setForwarding} onHide={setConfirmHide} onCancel={() => setSelection(null)} />
        ) : view.left ? (
          <div class="composer-blocked" role="note"><Icon name="logOut" size={16} />{t("composer.left")}</div>
        ) : block ? (
          <div class="composer-blocked" role="note">
            <Icon name="lock" size={16} />
            {block === "channel" ? t("composer.blockedChannel") : block === "mute_all" ? t("composer.blockedMuteAll")
              : t("composer.blockedMuted", { time: formatFull(conv.me.muted_until_ms ?? 0, locale) })}
          </div>
        ) : (
          <Composer conversation={conv} members={members} title={title} replyTo={replyTo} editing={editing}
            onCancelReply={() => setReplyTo(null)} onCancelEdit={() => setEditing(null)} onEditLast={editLast}
            onSent={() => listHandle.current?.scrollToBottom()} focusRef={focusComposer} onAnswer={addAnswer} />
        )}
        {drag && <div class="drop-overlay" aria-hidden="true"><Icon name="paperclip" size={32} /><p>{t("chat.dropHere")}</p></div>}
      </section>
      {info && group && !view.left && <GroupInfo conversation={conv} members={members} onClose={() => setInfo(false)} />}
      {pinsOpen && pins && pins.length > 0 && (
        <Dialog title={t("pins.label")} onClose={() => setPinsOpen(false)} class="pins-dialog">
          <ul class="pin-list" role="list" aria-label={t("pins.label")}>
            {pins.map((p) => (
              <li key={p.entry.seq} class="pin-item" data-testid="pin-item">
                <div class="pin-item-text">
                  <strong>{pinNames(p.entry.sender)}</strong>
                  <p>{pinText(p)}</p>
                  <span class="muted small">{t("pins.by", { name: pinNames(p.pinned_by), time: formatFull(p.pinned_at_ms, locale) })}</span>
                </div>
                <span class="row-actions">
                  <button type="button" class="btn btn-small" aria-label={t("pins.goNamed", { text: pinText(p) })}
                    onClick={() => { setPinsOpen(false); setTarget(p.entry.seq); }}>{t("pins.go")}</button>
                  {mayUnpin && <button type="button" class="btn btn-small btn-ghost" aria-label={t("pins.unpinNamed", { text: pinText(p) })}
                    onClick={() => unpin(p)}>{t("pins.unpin")}</button>}
                </span>
              </li>
            ))}
          </ul>
        </Dialog>
      )}
      {searching && (
        <SearchPane conversation={id} onClose={closeSearch}
          onJump={(seq) => {
            // On a phone the pane covers the chat: it makes way for the message.
            if (matchMedia("(max-width: 720px)").matches) setSearching(false);
            setTarget(seq);
          }} />
      )}
      {shared && <SharedPanel conversation={id} onClose={() => setShared(false)} onOpenImage={(fileId, name) => setImage({ fileId, name })} />}
      {threadsOpen && thread === undefined && <ThreadList conversation={conv} onOpen={openThread} onClose={() => {
        setThreadsOpen(false);
        requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="threads-button"]')?.focus());
      }} />}
      {thread !== undefined && (
        <ThreadPanel key={thread} conversation={conv} root={thread} members={members} group={group} moderator={moderator} chatLive={live} onClose={closeThread} />
      )}
      {forwarding && <ForwardDialog from={id} seqs={forwarding} onClose={() => setForwarding(null)} onDone={() => setSelection(null)} />}
      {confirmHide && (
        <ConfirmDialog title={t("msg.deleteForMe")} text={t("select.confirmDelete", { count: confirmHide.length })} confirm={t("msg.deleteForMe")} danger
          onConfirm={async () => {
            const ok = await attempt(async () => { for (const run of chunks(confirmHide, HIDE_SEQS_MAX)) await client.hide(id, run); }, t, (m) => toast(m));
            if (ok) { setSelection(null); toast(t("select.deleted", { count: confirmHide.length }), "info"); }
          }}
          onClose={() => setConfirmHide(null)} />
      )}
      {image && <ImageViewer fileId={image.fileId} name={image.name} onClose={() => setImage(null)} />}
      {muting && <MuteDialog conversation={id} onClose={() => setMuting(false)} />}
      {confirmBlock && peer && (
        <ConfirmDialog title={t("contacts.block")} text={t("confirm.block", { name: title })} confirm={t("contacts.block")} danger
          onConfirm={async () => { await attempt(() => client.block(peer), t, (m) => toast(m)) && toast(t("contacts.blockedToast", { name: title }), "info"); }}
          onClose={() => setConfirmBlock(false)} />
      )}
    </div>
  );
}

/** What the user can do with the messages selected (issue 23), in place of the composer. */
function SelectionBar({ seqs, view, onForward, onHide, onCancel }: {
  seqs: number[]; view: ConversationView;
  onForward: (seqs: number[]) => void; onHide: (seqs: number[]) => void; onCancel: () => void;
}): JSX.Element {
  const { t } = useT();
  const none = seqs.length === 0;
  const recalled = seqs.some((seq) => { const m = findMessage(view, seq); return !m || !canForward(m.entry); });
  const forwardBlock = seqs.length > FORWARD_SEQS_MAX ? t("select.tooMany", { count: FORWARD_SEQS_MAX }) : recalled ? t("select.notForwardable") : null;
  return (
    <div class="selection-bar" role="toolbar" aria-label={t("select.toolbar")}>
      <IconButton icon="close" label={t("select.cancel")} onClick={onCancel} />
      <span class="selection-count" role="status">{t("select.count", { count: seqs.length })}</span>
      {forwardBlock && !none && <span class="selection-note">{forwardBlock}</span>}
      <button type="button" class="btn" disabled={none || forwardBlock !== null} onClick={() => onForward(seqs)}>
        <Icon name="forward" size={16} /><span>{t("msg.forward")}</span>
      </button>
      <button type="button" class="btn btn-danger-ghost" disabled={none} onClick={() => onHide(seqs)}>
        <Icon name="trash" size={16} /><span>{t("msg.deleteForMe")}</span>
      </button>
    </div>
  );
}
