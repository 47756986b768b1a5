// One row of the message list: a day separator, a system notice, or a message with its
// sender, reply quote, content, reactions, state and actions.

import type { JSX } from "preact";
import { memo } from "preact/compat";
import { useRef, useState } from "preact/hooks";
import type { ChatClient, Conversation, Member, MessageView, Receipts } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import { str } from "../lib/body.ts";
import { formatClock, formatDay, formatFull, formatListTime } from "../lib/format.ts";
import { previewText } from "../lib/preview.ts";
import { systemText } from "../lib/system.ts";
import { QUICK_REACTIONS } from "../lib/emoji.ts";
import { canEdit, canForward, canPin, canReact, canRecall, canSave, canSelect, postBlock } from "../lib/permissions.ts";
import type { Row } from "../lib/rows.ts";
import { attempt, displayName, errorText, findMessage, useClientState, useNames, usePresence, useProfile } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { openPersonCard } from "../state/person.ts";
import { Avatar, BotBadge, Menu, type MenuItem, Popover, Spinner, copyText } from "./ui.tsx";
import { MessageContent, mentionedNames } from "./content.tsx";
import { EmojiPicker } from "./EmojiPicker.tsx";
import { RowTabbable, useRowTabIndex } from "../state/rowtab.ts";

/** What every row of one conversation shares. Stable while the conversation's kind and my
 * role stay, so that a new message re-renders its own row and not the others. */
export interface RowEnv {
  client: ChatClient;
  conversation: number;
  group: boolean;
  /** I am an owner or admin here. */
  moderator: boolean;
  /** What changes often (the summary, the members, the clock) and the chat's actions: read
   * when an action needs them, never a reason to re-render the rows. */
  live: { current: RowLive };
  /** The root of the thread these rows are shown in (beside the chat); undefined in the chat. */
  thread?: number | undefined;
}

export interface RowLive {
  conversation: Conversation;
  members: Member[] | undefined;
  now: number;
  reply: (v: MessageView) => void;
  edit: (v: MessageView) => void;
  forward: (v: MessageView) => void;
  openImage: (fileId: string, name?: string) => void;
  jumpTo: (seq: number) => void;
  /** The seqs pinned in this conversation, as far as loaded. */
  pinned: ReadonlySet<number>;
  /** My membership ended: the history stays readable, nothing more can be done in it. */
  left: boolean;
  pin: (v: MessageView, on: boolean) => void;
  save: (v: MessageView) => void;
  /** Starts selecting messages (issue 23), with this one selected. */
  select: (v: MessageView) => void;
  /** While selecting: a click (or Space) on a message; `extend` for Shift (a run). */
  toggleSelected: (v: MessageView, extend: boolean) => void;
  /** Opens the thread of this root beside the chat (§7.12). */
  openThread: (root: number) => void;
}

/** A message shown in the chat, or in the thread the rows are shown in. */
function findShown(client: ChatClient, env: RowEnv, seq: number): MessageView | undefined {
  if (env.thread !== undefined) {
    const thread = client.thread(env.conversation, env.thread);
    if (thread?.root.entry.seq === seq) return thread.root;
    const reply = thread?.replies.find((m) => m.entry.seq === seq);
    if (reply) return reply;
  }
  return findMessage(client.view(env.conversation), seq);
}

/** A row while messages are being selected: whether it is, or cannot be. Undefined otherwise. */
export type RowSelection = "selected" | "unselected" | "unavailable";

export const DaySeparator = memo(function DaySeparator({ atMs, now }: { atMs: number; now: number }): JSX.Element {
  const { t, locale } = useT();
  const label = formatDay(atMs, now, locale, t("time.today"), t("time.yesterday"));
  return (
    <div class="day-separator" role="separator" aria-label={label}>
      <span aria-hidden="true">{label}</span>
    </div>
  );
});

function UnreadDivider(): JSX.Element {
  const { t } = useT();
  return (
    <div class="unread-divider" role="separator" aria-label={t("chat.unreadDivider")}>
      <span aria-hidden="true">{t("chat.unreadDivider")}</span>
    </div>
  );
}

export function RowView({ row, env, now, flash, active, selection }: {
  row: Row; env: RowEnv; now: number; flash: boolean; active: boolean; selection?: RowSelection | undefined;
}): JSX.Element {
  if (row.type === "day") return <DaySeparator atMs={row.atMs} now={now} />;
  if (row.type === "unread") return <UnreadDivider />;
  const { view } = row;
  if (view.entry.kind === "system") return <SystemNotice view={view} env={env} />;
  return <MessageRow view={view} continued={row.continued} env={env} flash={flash} active={active} selection={selection} />;
}

/** The accounts a system entry names. */
function namedIn(body: Record<string, unknown> | null): string[] {
  const out: string[] = [];
  for (const field of ["by", "member", "from", "to"]) if (typeof body?.[field] === "string") out.push(body[field] as string);
  if (Array.isArray(body?.members)) for (const m of body.members) if (typeof m === "string") out.push(m);
  return out;
}

const SystemNotice = memo(function SystemNotice({ view, env }: { view: MessageView; env: RowEnv }): JSX.Element {
  const { t, locale } = useT();
  const nameOf = useNames(env.client, namedIn(view.entry.body));
  return (
    <div class="system-notice" data-testid="system-notice" data-seq={view.entry.seq} title={formatFull(view.entry.at_ms, locale)}>
      <span>{systemText(view.entry.body, t, nameOf, locale)}</span>
    </div>
  );
});

const STATE_KEYS: Record<string, MessageKey> = {
  sending: "msg.stateSending", sent: "msg.stateSent", delivered: "msg.stateDelivered", read: "msg.stateRead", failed: "msg.stateFailed",
};

function StateIcon({ state }: { state: string }): JSX.Element {
  const { t } = useT();
  const key = STATE_KEYS[state];
  if (!key) return <></>;
  const icon = state === "sending" ? "clock" : state === "sent" ? "check" : state === "failed" ? "alert" : "checks";
  return <span class={`state-icon state-${state}`} role="img" aria-label={t(key)} title={t(key)}><Icon name={icon} size={14} /></span>;
}

/** One message. Memoised: it re-renders when its MessageView (which the SDK keeps while the
 * message does not change), its neighbour grouping or its highlight changes, and when a name,
 * avatar or quoted message it shows changes (through its own subscriptions). */
const MessageRow = memo(function MessageRow(props: {
  view: MessageView; continued: boolean; env: RowEnv; flash: boolean; active: boolean; selection: RowSelection | undefined;
}): JSX.Element {
  const { view, continued, env, flash, active, selection } = props;
  const selecting = selection !== undefined;
  const selectable = selection === "selected" || selection === "unselected";
  // Roving focus (state/rowtab.ts): this row is a Tab stop, and its controls are in the Tab
  // order, only while it is the log's active message.
  const tab = active ? undefined : -1;
  const { t, locale } = useT();
  const { entry, mine } = view;
  const { client, group } = env;
  const me = client.me.account;
  const actionsRef = useRef<HTMLButtonElement>(null);
  const [menu, setMenu] = useState(false);
  const [picker, setPickerMode] = useState<"quick" | "full" | null>(null);
  const [pickerAnchor, setPickerAnchor] = useState<HTMLElement | null>(null);
  const setPicker = (mode: "quick" | "full" | null, anchor?: HTMLElement | null) => {
    if (anchor !== undefined) setPickerAnchor(anchor);
    else if (mode === "quick" && picker === null) setPickerAnchor(actionsRef.current);
    setPickerMode(mode);
  };
  const recalled = entry.recalled_at_ms !== undefined || (entry.body == null && !entry.hidden);
  const hidden = entry.hidden === true;
  const stored = entry.seq > 0;
  const replied = useClientState(client, () => (entry.reply_to !== undefined ? findShown(client, env, entry.reply_to) : undefined));
  // A reply that was also sent to the chat says, in the chat, which thread it answers.
  const inChat = env.thread === undefined;
  const threadRoot = useClientState(client, () => (inChat && entry.thread !== undefined ? findMessage(client.view(env.conversation), entry.thread) : undefined));
  const nameOf = useNames(client, [entry.sender, ...(entry.mentions ?? []), entry.forwarded_from?.sender, replied?.entry.sender, threadRoot?.entry.sender]);
  const senderName = nameOf(entry.sender);
  const senderProfile = useProfile(client, mine ? undefined : entry.sender);
  const avatar = senderProfile?.avatar;
  const bot = senderProfile?.bot === true;
  const presence = usePresence(client, mine || group ? undefined : entry.sender);
  const conversation = env.conversation;

  const react = (emoji: string, on: boolean) => void attempt(() => client.react(conversation, entry.seq, emoji, on), t, (m) => toast(m));
  const textOf = (): string | undefined => {
    if (entry.kind === "text" || entry.kind === "markdown") return str(entry.body, "text");
    if (entry.kind === "code") return str(entry.body, "code");
    return undefined;
  };

  // The actions, from the conversation as it is now: worked out only while the menu is open.
  const items = (): MenuItem[] => {
    const { conversation: conv, members, now } = env.live.current;
    const copyable = textOf();
    const live = stored && !recalled && !hidden;
    const mayPost = postBlock(conv, now) === null;
    return [
      { label: t("msg.reply"), icon: "reply", hidden: !live || !mayPost, onSelect: () => env.live.current.reply(view) },
      // In the chat: the thread of a root, or of the broadcast reply's root (§7.12).
      { label: t("thread.replyInThread"), icon: "threads", hidden: !live || !mayPost || !inChat || env.live.current.left,
        onSelect: () => env.live.current.openThread(entry.thread ?? entry.seq) },
      { label: t("msg.edit"), icon: "edit", hidden: !canEdit(entry, conv, me, now), onSelect: () => env.live.current.edit(view) },
      { label: t("msg.recall"), icon: "undo", hidden: !canRecall(entry, conv, members, me, now),
        onSelect: () => void attempt(() => client.recall(conversation, entry.seq), t, (m) => toast(m)) },
      { label: t("msg.forward"), icon: "forward", hidden: !canForward(entry), onSelect: () => env.live.current.forward(view) },
      { label: env.live.current.pinned.has(entry.seq) ? t("msg.unpin") : t("msg.pin"), icon: "pin", hidden: env.live.current.left || !canPin(entry, conv),
        onSelect: () => env.live.current.pin(view, !env.live.current.pinned.has(entry.seq)) },
      { label: t("msg.save"), icon: "bookmark", hidden: env.live.current.left || !canSave(entry), onSelect: () => env.live.current.save(view) },
      { label: t("msg.react"), icon: "smilePlus", hidden: !canReact(entry), onSelect: () => setPicker("quick") },
      { label: t("msg.copy"), icon: "copy", hidden: copyable === undefined || recalled,
        onSelect: () => void copyText(copyable ?? "").then(() => toast(t("msg.copied"), "info")) },
      { label: t("select.start"), icon: "checkSquare", hidden: !canSelect(entry) || !inChat, onSelect: () => env.live.current.select(view) },
      { label: t("msg.deleteForMe"), icon: "trash", danger: true, hidden: !stored || hidden,
        onSelect: () => void attempt(() => client.hide(conversation, [entry.seq]), t, (m) => toast(m)) },
    ];
  };

  const mineReactions = new Set((entry.reactions ?? []).filter((r) => r.accounts.includes(me)).map((r) => r.emoji));
  const uploading = view.progress ?? (view.state === "sending" && entry.client_msg_id ? client.uploadProgress(entry.client_msg_id) : undefined);

  const mentionsMe = !mine && !recalled && (entry.mention_all === true || (entry.mentions ?? []).includes(me));
  const classes = ["msg", mine ? "mine" : "theirs", mentionsMe ? "mentions-me" : "", continued ? "continued" : "", flash ? "flash" : "", menu || picker ? "menu-open" : "",
    selecting ? "selecting" : "", selection === "selected" ? "selected" : ""].filter(Boolean).join(" ");
  const sticker = entry.kind === "sticker" && !recalled && !hidden;
  // What a screen reader says when the message gets the focus; its content is read as usual.
  const label = t("msg.rowLabel", {
    name: mine ? t("preview.you") : bot ? t("bot.named", { name: senderName }) : senderName,
    time: formatClock(entry.at_ms, locale),
    text: previewText(entry, { t, locale, nameOf }),
  });

  return (
    <div class={classes} data-testid="message" data-seq={stored ? entry.seq : undefined} data-key={view.key} data-state={mine ? view.state : undefined}
      data-kind={entry.kind} role="article" aria-label={label} tabIndex={active ? 0 : -1}
      onClickCapture={selecting ? (e) => {
        // While selecting, a click anywhere on a message selects it (or not): its links,
        // images and buttons do nothing else. The checkbox itself toggles as usual (a prevented
        // click would put its old state back after the render that shows the new one).
        if (!(e.target instanceof HTMLInputElement && e.target.classList.contains("msg-check"))) e.preventDefault();
        e.stopPropagation();
        if (selectable) env.live.current.toggleSelected(view, e.shiftKey);
      } : undefined}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return;
        if (selecting) {
          // Space or Enter on the message selects it (Shift: the run to it).
          if ((e.key === " " || e.key === "Enter") && selectable) { e.preventDefault(); env.live.current.toggleSelected(view, e.shiftKey); }
          return;
        }
        // On the message itself: Enter (or the menu key, or Shift+F10) opens its actions.
        if (e.key === "Enter" || e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey)) {
          e.preventDefault();
          setPicker(null);
          setMenu(true);
        }
      }}>
      <RowTabbable.Provider value={active}>
      {selectable && (
        <input type="checkbox" class="msg-check" checked={selection === "selected"} tabIndex={tab} aria-label={t("select.one")}
          // The row's click handler decides (also for Shift): this only shows the state.
          onChange={() => {}} />
      )}
      {!mine && (
        <div class="msg-avatar">{!continued && (
          // Out of the tab order (one stop per message is enough): the sender's name below is the
          // keyboard's way to the card in groups, and in a direct chat the card is the peer's.
          <button type="button" class="msg-avatar-btn" tabIndex={-1} aria-label={t("card.open", { name: senderName })} title={senderName}
            onClick={() => openPersonCard(entry.sender)}>
            <Avatar name={senderName} seed={entry.sender} url={avatar} size={36} presence={presence} />
          </button>
        )}</div>
      )}
      <div class="msg-main">
        {!continued && !mine && group && (
          <div class="msg-sender">
            <button type="button" class="msg-sender-btn" tabIndex={tab} onClick={() => openPersonCard(entry.sender)}>{senderName}</button>
            {bot && <BotBadge />}
          </div>
        )}
        {inChat && entry.thread !== undefined && (
          <button type="button" class="thread-origin" tabIndex={tab} onClick={() => env.live.current.openThread(entry.thread!)}>
            <Icon name="threads" size={12} />
            <span>{threadRoot ? t("thread.repliedTo", { text: previewText(threadRoot.entry, { t, locale, nameOf }) }) : t("thread.repliedToUnknown")}</span>
          </button>
        )}
        <div class="msg-line">
          {recalled ? (
            <div class="bubble bubble-note"><Icon name="undo" size={14} /> {t("msg.recalled")}</div>
          ) : hidden ? (
            <div class="bubble bubble-note"><Icon name="trash" size={14} /> {t("msg.hidden")}</div>
          ) : (
            <div class={`bubble kind-${entry.kind}${sticker ? " bubble-bare" : ""}`}>
              {entry.forwarded_from && <div class="forwarded-label"><Icon name="forward" size={12} /> {t("msg.forwardedFrom", { name: nameOf(entry.forwarded_from.sender) })}</div>}
              {entry.reply_to !== undefined && (
                <button type="button" class="quote" tabIndex={tab} onClick={() => env.live.current.jumpTo(entry.reply_to!)}>
                  {replied
                    ? <><span class="quote-name">{nameOf(replied.entry.sender)}</span><span class="quote-text">{previewText(replied.entry, { t, locale, nameOf })}</span></>
                    : <span class="quote-text">{t("msg.originalMessage")}</span>}
                </button>
              )}
              <MessageContent entry={entry} mentioned={mentionedNames(entry, nameOf)} onOpenImage={(fileId, name) => env.live.current.openImage(fileId, name)} />
              {uploading && (
                <div class="upload-progress" role="progressbar" aria-label={t("msg.uploading")} aria-valuemin={0} aria-valuemax={100}
                  aria-valuenow={uploading.total ? Math.round((uploading.sent / uploading.total) * 100) : 0}>
                  <span style={{ width: `${uploading.total ? (uploading.sent / uploading.total) * 100 : 0}%` }} />
                </div>
              )}
            </div>
          )}
          <span class="msg-meta">
            {entry.edited_at_ms !== undefined && !recalled && <span class="edited">{t("msg.edited")}</span>}
            <time dateTime={new Date(entry.at_ms).toISOString()} title={formatFull(entry.at_ms, locale)}>{formatClock(entry.at_ms, locale)}</time>
            {mine && view.state && view.state !== "failed" && <StateIcon state={view.state} />}
          </span>
          <div class="msg-actions" hidden={selecting}>
            <button type="button" ref={actionsRef} class="icon-btn small" aria-label={t("msg.actions")} title={t("msg.actions")} tabIndex={tab}
              aria-haspopup="menu" aria-expanded={menu} onClick={() => { setPicker(null); setMenu(!menu); }}>
              <Icon name="more" size={16} />
            </button>
          </div>
        </div>
        {(entry.reactions?.length ?? 0) > 0 && !recalled && (
          <div class="reactions" role="group" aria-label={t("msg.reactions")}>
            {entry.reactions!.map((r) => (
              <button type="button" key={r.emoji} class={`reaction${mineReactions.has(r.emoji) ? " mine" : ""}`} aria-pressed={mineReactions.has(r.emoji)} tabIndex={tab}
                aria-label={t("msg.reactionLabel", { emoji: r.emoji, count: r.accounts.length })} title={r.accounts.map((a) => displayName(client, a)).join(", ")}
                onClick={() => react(r.emoji, !mineReactions.has(r.emoji))}>
                <span class="reaction-emoji">{r.emoji}</span><span class="reaction-count">{r.accounts.length}</span>
              </button>
            ))}
            <button type="button" class="reaction add-reaction" aria-label={t("msg.addReaction")} title={t("msg.addReaction")} tabIndex={tab}
              onClick={(e) => setPicker("quick", e.currentTarget as HTMLElement)}><Icon name="smilePlus" size={14} /></button>
          </div>
        )}
        {inChat && stored && (entry.thread_summary?.replies ?? 0) > 0 && (
          <button type="button" class="thread-summary" data-testid="thread-summary" tabIndex={tab} onClick={() => env.live.current.openThread(entry.seq)}>
            <Icon name="threads" size={14} />
            <span class="thread-count">{entry.thread_summary!.replies === 1 ? t("thread.oneReply") : t("thread.replies", { count: entry.thread_summary!.replies })}</span>
            <span class="thread-last">{t("thread.lastReply", { time: formatListTime(entry.thread_summary!.last_at_ms, Date.now(), locale, t("time.yesterday")) })}</span>
          </button>
        )}
        {!inChat && entry.broadcast && <span class="thread-broadcast muted small">{t("thread.sentToChat")}</span>}
        {mine && view.state === "failed" && (
          <div class="msg-failed" role="alert">
            <Icon name="alert" size={14} />
            <span>{t("msg.stateFailed")}{view.error ? ` — ${errorText(view.error, t)}` : ""}</span>
            <button type="button" class="btn btn-small" tabIndex={tab} onClick={() => entry.client_msg_id && client.retry(conversation, entry.client_msg_id)}>{t("msg.retry")}</button>
            <button type="button" class="btn btn-small btn-ghost" tabIndex={tab} onClick={() => entry.client_msg_id && client.discard(conversation, entry.client_msg_id)}>{t("msg.discard")}</button>
          </div>
        )}
        {mine && group && stored && view.readBy !== undefined && !recalled && (entry.sender === me || env.moderator) && (
          <ReadBy env={env} seq={entry.seq} count={view.readBy} />
        )}
      </div>
      </RowTabbable.Provider>
      {menu && <Menu anchor={actionsRef.current} label={t("msg.actions")} items={items()} onClose={() => setMenu(false)} />}
      {picker === "quick" && (
        <Popover anchor={pickerAnchor} onClose={() => setPicker(null)} class="reaction-picker" role="dialog" label={t("msg.react")}>
          {QUICK_REACTIONS.map((e) => (
            <button type="button" key={e} class="emoji-btn" aria-label={t("msg.reactWith", { emoji: e })}
              onClick={() => { setPicker(null); react(e, !mineReactions.has(e)); }}>{e}</button>
          ))}
          <button type="button" class="icon-btn small" aria-label={t("msg.moreEmoji")} title={t("msg.moreEmoji")} onClick={() => setPicker("full")}><Icon name="plus" size={16} /></button>
        </Popover>
      )}
      {picker === "full" && (
        <EmojiPicker anchor={pickerAnchor} onClose={() => setPicker(null)} onPick={(e) => { setPicker(null); react(e, !mineReactions.has(e)); }} />
      )}
    </div>
  );
});

function ReadBy({ env, seq, count }: { env: RowEnv; seq: number; count: number }): JSX.Element {
  const { t } = useT();
  const ref = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [receipts, setReceipts] = useState<Receipts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = () => {
    if (open) { setOpen(false); return; }
    setOpen(true);
    setReceipts(null);
    setError(null);
    env.client.receipts(env.conversation, seq).then((r) => {
      setReceipts(r);
      // The count on the button comes from the members' marks as last listed: bring it up to date.
      env.client.refreshMembers(env.conversation).catch(() => { /* the count stays as it was */ });
    }, (e: unknown) => setError(errorText(e, t)));
  };
  const section = (key: MessageKey, accounts: string[]) => accounts.length > 0 && (
    <div class="receipt-group">
      <h3>{t(key, { count: accounts.length })}</h3>
      <ul role="list">
        {accounts.map((a) => <li key={a} class="person-row static"><Avatar name={displayName(env.client, a)} seed={a} size={24} /><span>{displayName(env.client, a)}</span></li>)}
      </ul>
    </div>
  );
  return (
    <div class="read-by">
      <button type="button" ref={ref} class="btn-link small" aria-haspopup="dialog" aria-expanded={open} tabIndex={useRowTabIndex()} onClick={toggle}>{t("msg.readBy", { count })}</button>
      {open && (
        <Popover anchor={ref.current} onClose={() => setOpen(false)} class="receipts" role="dialog" label={t("msg.receipts")} align="end" prefer="above" focusFirst={false}>
          <h2 class="popover-title">{t("msg.receipts")}</h2>
          {error && <p class="form-error">{error}</p>}
          {!receipts && !error && <div class="center-pad"><Spinner label={t("common.loading")} /></div>}
          {receipts && <>
            {section("receipts.read", receipts.read)}
            {section("receipts.delivered", receipts.delivered)}
            {section("receipts.unread", receipts.unread)}
            {receipts.read.length + receipts.delivered.length + receipts.unread.length === 0 && <p class="muted">{t("receipts.none")}</p>}
          </>}
        </Popover>
      )}
    </div>
  );
}
