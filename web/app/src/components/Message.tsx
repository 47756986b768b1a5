// One row of the message list: a day separator, a system notice, or a message with its
// sender, reply quote, content, reactions, state and actions.

import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { ChatClient, Conversation, Member, MessageView, Receipts } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import { str } from "../lib/body.ts";
import { formatClock, formatDay, formatFull } from "../lib/format.ts";
import { previewText } from "../lib/preview.ts";
import { systemText } from "../lib/system.ts";
import { QUICK_REACTIONS } from "../lib/emoji.ts";
import { canEdit, canForward, canReact, canRecall, canSeeReceipts, isGroupLike, postBlock } from "../lib/permissions.ts";
import type { Row } from "../lib/rows.ts";
import { attempt, errorText } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, Menu, Popover, Spinner, copyText } from "./ui.tsx";
import { MessageContent, mentionedNames } from "./content.tsx";
import { EmojiPicker } from "./EmojiPicker.tsx";

export interface ChatCtx {
  client: ChatClient;
  conversation: Conversation;
  members: Member[] | undefined;
  now: number;
  nameOf: (account: string) => string;
  reply: (v: MessageView) => void;
  edit: (v: MessageView) => void;
  forward: (v: MessageView) => void;
  openImage: (fileId: string, name?: string) => void;
  jumpTo: (seq: number) => void;
  find: (seq: number) => MessageView | undefined;
  highlightKey: string | undefined;
}

export function DaySeparator({ atMs, now }: { atMs: number; now: number }): JSX.Element {
  const { t, locale } = useT();
  const label = formatDay(atMs, now, locale, t("time.today"), t("time.yesterday"));
  return (
    <div class="day-separator" role="separator" aria-label={label}>
      <span aria-hidden="true">{label}</span>
    </div>
  );
}

export function RowView({ row, ctx }: { row: Row; ctx: ChatCtx }): JSX.Element {
  if (row.type === "day") return <DaySeparator atMs={row.atMs} now={ctx.now} />;
  const { view } = row;
  if (view.entry.kind === "system") return <SystemNotice view={view} ctx={ctx} />;
  return <MessageRow view={view} continued={row.continued} ctx={ctx} />;
}

function SystemNotice({ view, ctx }: { view: MessageView; ctx: ChatCtx }): JSX.Element {
  const { t, locale } = useT();
  return (
    <div class="system-notice" data-testid="system-notice" data-seq={view.entry.seq} title={formatFull(view.entry.at_ms, locale)}>
      <span>{systemText(view.entry.body, t, ctx.nameOf, locale)}</span>
    </div>
  );
}

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

function MessageRow({ view, continued, ctx }: { view: MessageView; continued: boolean; ctx: ChatCtx }): JSX.Element {
  const { t, locale } = useT();
  const { entry, mine } = view;
  const { client, conversation: conv } = ctx;
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
  const group = isGroupLike(conv);
  const senderName = ctx.nameOf(entry.sender);

  const react = (emoji: string, on: boolean) => void attempt(() => client.react(conv.id, entry.seq, emoji, on), t, (m) => toast(m));
  const textOf = (): string | undefined => {
    if (entry.kind === "text" || entry.kind === "markdown") return str(entry.body, "text");
    if (entry.kind === "code") return str(entry.body, "code");
    return undefined;
  };
  const copyable = textOf();
  const live = stored && !recalled && !hidden;
  const mayPost = postBlock(conv, ctx.now) === null;

  const items = [
    { label: t("msg.reply"), icon: "reply" as const, hidden: !live || !mayPost, onSelect: () => ctx.reply(view) },
    { label: t("msg.edit"), icon: "edit" as const, hidden: !canEdit(entry, conv, me, ctx.now), onSelect: () => ctx.edit(view) },
    { label: t("msg.recall"), icon: "undo" as const, hidden: !canRecall(entry, conv, ctx.members, me, ctx.now),
      onSelect: () => void attempt(() => client.recall(conv.id, entry.seq), t, (m) => toast(m)) },
    { label: t("msg.forward"), icon: "forward" as const, hidden: !canForward(entry), onSelect: () => ctx.forward(view) },
    { label: t("msg.react"), icon: "smilePlus" as const, hidden: !canReact(entry), onSelect: () => setPicker("quick") },
    { label: t("msg.copy"), icon: "copy" as const, hidden: copyable === undefined || recalled,
      onSelect: () => void copyText(copyable ?? "").then(() => toast(t("msg.copied"), "info")) },
    { label: t("msg.deleteForMe"), icon: "trash" as const, danger: true, hidden: !stored || hidden,
      onSelect: () => void attempt(() => client.hide(conv.id, [entry.seq]), t, (m) => toast(m)) },
  ];

  const replied = entry.reply_to !== undefined ? ctx.find(entry.reply_to) : undefined;
  const mineReactions = new Set((entry.reactions ?? []).filter((r) => r.accounts.includes(me)).map((r) => r.emoji));
  const uploading = view.progress ?? (view.state === "sending" && entry.client_msg_id ? client.uploadProgress(entry.client_msg_id) : undefined);

  const mentionsMe = !mine && !recalled && (entry.mention_all === true || (entry.mentions ?? []).includes(me));
  const classes = ["msg", mine ? "mine" : "theirs", mentionsMe ? "mentions-me" : "", continued ? "continued" : "", ctx.highlightKey === view.key ? "flash" : "", menu || picker ? "menu-open" : ""].filter(Boolean).join(" ");
  const sticker = entry.kind === "sticker" && !recalled && !hidden;

  return (
    <div class={classes} data-testid="message" data-seq={stored ? entry.seq : undefined} data-key={view.key} data-state={mine ? view.state : undefined}
      data-kind={entry.kind}>
      {!mine && (
        <div class="msg-avatar">{!continued && <Avatar name={senderName} seed={entry.sender} url={client.profile(entry.sender)?.avatar} size={36}
          presence={group ? undefined : client.presence(entry.sender)?.status} />}</div>
      )}
      <div class="msg-main">
        {!continued && !mine && group && <div class="msg-sender">{senderName}</div>}
        <div class="msg-line">
          {recalled ? (
            <div class="bubble bubble-note"><Icon name="undo" size={14} /> {t("msg.recalled")}</div>
          ) : hidden ? (
            <div class="bubble bubble-note"><Icon name="trash" size={14} /> {t("msg.hidden")}</div>
          ) : (
            <div class={`bubble kind-${entry.kind}${sticker ? " bubble-bare" : ""}`}>
              {entry.forwarded_from && <div class="forwarded-label"><Icon name="forward" size={12} /> {t("msg.forwardedFrom", { name: ctx.nameOf(entry.forwarded_from.sender) })}</div>}
              {entry.reply_to !== undefined && (
                <button type="button" class="quote" onClick={() => ctx.jumpTo(entry.reply_to!)}>
                  {replied
                    ? <><span class="quote-name">{ctx.nameOf(replied.entry.sender)}</span><span class="quote-text">{previewText(replied.entry, { t, locale, nameOf: ctx.nameOf })}</span></>
                    : <span class="quote-text">{t("msg.originalMessage")}</span>}
                </button>
              )}
              <MessageContent entry={entry} mentioned={mentionedNames(entry, ctx.nameOf)} onOpenImage={ctx.openImage} />
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
          <div class="msg-actions">
            <button type="button" ref={actionsRef} class="icon-btn small" aria-label={t("msg.actions")} title={t("msg.actions")}
              aria-haspopup="menu" aria-expanded={menu} onClick={() => { setPicker(null); setMenu(!menu); }}>
              <Icon name="more" size={16} />
            </button>
          </div>
        </div>
        {(entry.reactions?.length ?? 0) > 0 && !recalled && (
          <div class="reactions" role="group" aria-label={t("msg.reactions")}>
            {entry.reactions!.map((r) => (
              <button type="button" key={r.emoji} class={`reaction${mineReactions.has(r.emoji) ? " mine" : ""}`} aria-pressed={mineReactions.has(r.emoji)}
                aria-label={t("msg.reactionLabel", { emoji: r.emoji, count: r.accounts.length })} title={r.accounts.map(ctx.nameOf).join(", ")}
                onClick={() => react(r.emoji, !mineReactions.has(r.emoji))}>
                <span class="reaction-emoji">{r.emoji}</span><span class="reaction-count">{r.accounts.length}</span>
              </button>
            ))}
            <button type="button" class="reaction add-reaction" aria-label={t("msg.addReaction")} title={t("msg.addReaction")}
              onClick={(e) => setPicker("quick", e.currentTarget as HTMLElement)}><Icon name="smilePlus" size={14} /></button>
          </div>
        )}
        {mine && view.state === "failed" && (
          <div class="msg-failed" role="alert">
            <Icon name="alert" size={14} />
            <span>{t("msg.stateFailed")}{view.error ? ` — ${errorText(view.error, t)}` : ""}</span>
            <button type="button" class="btn btn-small" onClick={() => entry.client_msg_id && client.retry(conv.id, entry.client_msg_id)}>{t("msg.retry")}</button>
            <button type="button" class="btn btn-small btn-ghost" onClick={() => entry.client_msg_id && client.discard(conv.id, entry.client_msg_id)}>{t("msg.discard")}</button>
          </div>
        )}
        {mine && group && stored && view.readBy !== undefined && !recalled && canSeeReceipts(entry, conv, client.me.account) && (
          <ReadBy ctx={ctx} seq={entry.seq} count={view.readBy} />
        )}
      </div>
      {menu && <Menu anchor={actionsRef.current} label={t("msg.actions")} items={items} onClose={() => setMenu(false)} />}
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
}

function ReadBy({ ctx, seq, count }: { ctx: ChatCtx; seq: number; count: number }): JSX.Element {
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
    ctx.client.receipts(ctx.conversation.id, seq).then((r) => {
      setReceipts(r);
      // The count on the button comes from the members' marks as last listed: bring it up to date.
      ctx.client.refreshMembers(ctx.conversation.id).catch(() => { /* the count stays as it was */ });
    }, (e: unknown) => setError(errorText(e, t)));
  };
  const section = (key: MessageKey, accounts: string[]) => accounts.length > 0 && (
    <div class="receipt-group">
      <h3>{t(key, { count: accounts.length })}</h3>
      <ul role="list">
        {accounts.map((a) => <li key={a} class="person-row static"><Avatar name={ctx.nameOf(a)} seed={a} size={24} /><span>{ctx.nameOf(a)}</span></li>)}
      </ul>
    </div>
  );
  return (
    <div class="read-by">
      <button type="button" ref={ref} class="btn-link small" aria-haspopup="dialog" aria-expanded={open} onClick={toggle}>{t("msg.readBy", { count })}</button>
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
