// Threads (issue 23, protocol §7.12) beside the chat: one thread's panel (its root, its
// replies in the message rows of the chat, a composer with "also send to the group", follow
// and unfollow), and the list of the conversation's threads that the user follows. At desktop
// width a pane beside the chat, like the files pane; on a phone the whole screen, with a back
// button. The SDK keeps both current; these only load them and render them.

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation, Member, MessageView, Thread } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatFull, formatListTime } from "../lib/format.ts";
import { canEdit, postBlock } from "../lib/permissions.ts";
import { previewText } from "../lib/preview.ts";
import { buildRows } from "../lib/rows.ts";
import { attempt, conversationTitle, errorText, useClient, useClientState, useNames, useNow } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Composer } from "./Composer.tsx";
import { Icon } from "./icons.tsx";
import { RowView, type RowEnv, type RowLive } from "./Message.tsx";
import { Avatar, IconButton, Spinner } from "./ui.tsx";

/** How near the end of the replies (px) still counts as being at it. */
const AT_END_PX = 24;

export function ThreadPanel(props: {
  conversation: Conversation; root: number; members: Member[] | undefined; group: boolean; moderator: boolean;
  /** The chat's row actions: forwarding, images, pins and saving work here as there. */
  chatLive: { current: RowLive };
  onClose: () => void;
}): JSX.Element {
  const { conversation: conv, root } = props;
  const id = conv.id;
  const client = useClient();
  const { t, locale } = useT();
  const now = useNow(15_000);
  const [opened, setOpened] = useState<"loading" | "ok" | "failed">("loading");
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [flash, setFlash] = useState<string | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);
  const focusComposer = useRef<(() => void) | null>(null);

  useEffect(() => {
    let live = true;
    setOpened("loading");
    client.openThread(id, root).then(() => live && setOpened("ok"), (e: unknown) => {
      if (!live) return;
      setOpened("failed");
      toast(errorText(e, t));
    });
    return () => { live = false; client.closeThread(id, root); };
  }, [id, root]);
  // The focus moves into the panel when it opens (back to the message when it closes: the
  // chat does that).
  useEffect(() => { heading.current?.focus({ preventScroll: true }); }, [root]);

  const view = useClientState(client, () => client.thread(id, root));
  const title = conversationTitle(client, conv, t);

  // Stays at the newest reply while it is there, as the chat does.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  });
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_PX;
    markRead();
  };
  // Seeing the newest reply reads the thread (update_thread read_seq), on every device.
  const markRead = () => {
    if (opened !== "ok" || !atEnd.current || document.visibilityState !== "visible") return;
    client.markThreadRead(id, root);
  };
  const newest = view?.replies.reduce((m, r) => Math.max(m, r.entry.seq), 0) ?? 0;
  useEffect(markRead, [opened, newest, view?.readSeq]);
  useEffect(() => {
    document.addEventListener("visibilitychange", markRead);
    window.addEventListener("focus", markRead);
    return () => { document.removeEventListener("visibilitychange", markRead); window.removeEventListener("focus", markRead); };
  });

  const live = useRef<RowLive>(null as unknown as RowLive);
  live.current = {
    ...props.chatLive.current,
    reply: (v) => { setEditing(null); setReplyTo(v); },
    edit: (v) => { setReplyTo(null); setEditing(v); },
    // Selecting many is the chat's; a thread's messages are forwarded or deleted one by one.
    select: () => {},
    toggleSelected: () => {},
    openThread: () => {},
    jumpTo: (seq) => {
      const row = scroller.current?.querySelector<HTMLElement>(`[data-testid="message"][data-seq="${seq}"]`);
      if (!row) { toast(t("chat.originalNotLoaded"), "info"); return; }
      row.scrollIntoView({ block: "center" });
      setFlash(String(seq));
      setTimeout(() => setFlash(undefined), 1600);
    },
  };
  const env = useMemo<RowEnv>(() => ({ client, conversation: id, group: props.group, moderator: props.moderator, live, thread: root }),
    [client, id, props.group, props.moderator, root]);
  const rows = useMemo(() => buildRows(view?.replies ?? []), [view?.replies]);

  const following = view?.following ?? false;
  const toggleFollow = () => void attempt(() => client.updateThread(id, root, { following: !following }), t, (m) => toast(m))
    .then((ok) => { if (ok) toast(t(following ? "thread.unfollowed" : "thread.followed"), "info"); });
  const older = () => {
    setLoadingOlder(true);
    atEnd.current = false;
    client.loadOlderReplies(id, root).then(
      // The button is gone once the first reply is there: the focus goes to that reply rather
      // than to nowhere (then Escape and the arrow keys would not reach the panel).
      () => requestAnimationFrame(() => {
        if (document.activeElement === document.body) scroller.current?.querySelector<HTMLElement>('[role="log"] [data-testid="message"]')?.focus();
      }),
      (e: unknown) => toast(errorText(e, t)),
    ).finally(() => setLoadingOlder(false));
  };
  const editLast = () => {
    const replies = view?.replies ?? [];
    for (let i = replies.length - 1; i >= 0; i--) {
      const m = replies[i]!;
      if (m.mine && canEdit(m.entry, conv, client.me.account, Date.now())) { live.current.edit(m); return; }
    }
  };
  const block = postBlock(conv, now);
  const count = view?.root.entry.thread_summary?.replies ?? view?.replies.length ?? 0;

  return (
    <aside class="info-pane thread-pane" aria-label={t("thread.title")} data-testid="thread-panel"
      onKeyDown={(e) => { if (e.key === "Escape" && !e.defaultPrevented) { e.stopPropagation(); props.onClose(); } }}>
      <header class="pane-header thread-header">
        <IconButton icon="back" label={t("nav.back")} class="back-btn" onClick={props.onClose} />
        <div class="thread-heading">
          <h2 ref={heading} tabIndex={-1}>{t("thread.title")}</h2>
          <p class="muted small">{title}</p>
        </div>
        {view && (
          <button type="button" class={`btn btn-small${following ? "" : " btn-primary"}`} data-testid="thread-follow" onClick={toggleFollow}>
            <Icon name={following ? "bellOff" : "bell"} size={14} /><span>{following ? t("thread.unfollow") : t("thread.follow")}</span>
          </button>
        )}
        <IconButton icon="close" label={t("thread.close")} class="pane-close" onClick={props.onClose} />
      </header>
      <div class="thread-scroll" ref={scroller} onScroll={onScroll}>
        {!view ? (
          // Not there once opened: its root was deleted since (retention), or never was.
          <div class="center-pad">{opened === "loading" ? <Spinner label={t("common.loading")} /> : <p class="muted">{t("thread.notFound")}</p>}</div>
        ) : (
          <>
            <div class="thread-root">
              <RowView row={{ type: "message", key: view.root.key, view: view.root, continued: false }} env={env} now={now}
                flash={flash === view.root.key} active={true} />
            </div>
            <div class="thread-divider" role="separator" aria-label={count === 1 ? t("thread.oneReply") : t("thread.replies", { count })}>
              <span aria-hidden="true">{count === 1 ? t("thread.oneReply") : t("thread.replies", { count })}</span>
            </div>
            {!view.atStart && (
              <button type="button" class="btn btn-small thread-older" disabled={loadingOlder} onClick={older}>{t("thread.loadOlder")}</button>
            )}
            <div role="log" aria-label={t("thread.repliesLabel")} class="thread-replies">
              {rows.length === 0 && <p class="muted small thread-empty">{t("thread.noReplies")}</p>}
              {rows.map((row) => (
                <div key={row.key} class="row">
                  <RowView row={row} env={env} now={now} flash={row.key === flash} active={true} />
                </div>
              ))}
            </div>
          </>
        )}
      </div>
      {view && (props.chatLive.current.left ? (
        <div class="composer-blocked" role="note"><Icon name="logOut" size={16} />{t("composer.left")}</div>
      ) : block ? (
        <div class="composer-blocked" role="note">
          <Icon name="lock" size={16} />
          {block === "channel" ? t("composer.blockedChannel") : block === "mute_all" ? t("composer.blockedMuteAll")
            : t("composer.blockedMuted", { time: formatFull(conv.me.muted_until_ms ?? 0, locale) })}
        </div>
      ) : (
        <Composer key={root} conversation={conv} members={props.members} title={title} replyTo={replyTo} editing={editing} thread={root}
          onCancelReply={() => setReplyTo(null)} onCancelEdit={() => setEditing(null)} onEditLast={editLast}
          onSent={() => { atEnd.current = true; const el = scroller.current; if (el) el.scrollTop = el.scrollHeight; }} focusRef={focusComposer} />
      ))}
    </aside>
  );
}

/** The conversation's threads that the user follows, the newest reply first. */
export function ThreadList({ conversation, onOpen, onClose }: {
  conversation: Conversation; onOpen: (root: number) => void; onClose: () => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const threads = useClientState(client, () => client.threads(conversation.id));
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => { heading.current?.focus({ preventScroll: true }); }, []);
  useEffect(() => { client.loadThreads(conversation.id).catch((e: unknown) => toast(errorText(e, t))); }, [conversation.id]);
  return (
    <aside class="info-pane thread-list-pane" aria-label={t("thread.listTitle")}
      onKeyDown={(e) => { if (e.key === "Escape" && !e.defaultPrevented) { e.stopPropagation(); onClose(); } }}>
      <header class="pane-header">
        <IconButton icon="back" label={t("nav.back")} class="back-btn" onClick={onClose} />
        <h2 ref={heading} tabIndex={-1}>{t("thread.listTitle")}</h2>
        <IconButton icon="close" label={t("common.close")} class="pane-close" onClick={onClose} />
      </header>
      <div class="info-scroll">
        {!threads ? <div class="center-pad"><Spinner label={t("common.loading")} /></div>
          : threads.length === 0 ? <p class="shared-empty muted">{t("thread.listEmpty")}</p>
          : (
            <ul class="thread-list" role="list" aria-label={t("thread.listTitle")}>
              {threads.map((thread) => <ThreadItem key={thread.root.seq} thread={thread} onOpen={onOpen} />)}
            </ul>
          )}
      </div>
    </aside>
  );
}

function ThreadItem({ thread, onOpen }: { thread: Thread; onOpen: (root: number) => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const now = useNow(60_000);
  const root = thread.root;
  const nameOf = useNames(client, [root.sender]);
  const name = root.sender === client.me.account ? t("preview.you") : nameOf(root.sender);
  const text = previewText(root, { t, locale, nameOf });
  const replies = root.thread_summary?.replies ?? 0;
  const last = root.thread_summary?.last_at_ms ?? root.at_ms;
  return (
    <li class="thread-item" data-testid="thread-item">
      <button type="button" class="thread-item-main" onClick={() => onOpen(root.seq)}>
        <Avatar name={nameOf(root.sender)} seed={root.sender} url={client.profile(root.sender)?.avatar} size={32} />
        <span class="thread-item-text">
          <span class="thread-item-head">
            <strong>{t("thread.itemLabel", { name, text })}</strong>
          </span>
          <span class="muted small">
            {replies === 1 ? t("thread.oneReply") : t("thread.replies", { count: replies })}
            {" · "}
            <time dateTime={new Date(last).toISOString()} title={formatFull(last, locale)}>{formatListTime(last, now, locale, t("time.yesterday"))}</time>
          </span>
        </span>
        {thread.unread > 0 && <span class="badge" data-testid="thread-unread" aria-label={t("list.unread", { count: thread.unread })}>{thread.unread}</span>}
      </button>
    </li>
  );
}
