// "While you were away" (issue 17): after a long absence, the conversations with unread
// messages, those that mention the person first, each opening its conversation; muted ones
// last, under a heading of their own. What counts and in what order is lib/offlineSummary.ts;
// when to show it is the shell's (state/away.ts).

import type { JSX } from "preact";
import type { Translate } from "../i18n/index.ts";
import { useT } from "../i18n/hooks.ts";
import { SUMMARY_ITEMS_MAX, type AwaySummary, type Missed, type MissedTotal } from "../lib/offlineSummary.ts";
import { formatFull } from "../lib/format.ts";
import { conversationTitle, useClient, useNames } from "../state/client.ts";
import { openConversationRoute } from "../state/router.ts";
import { Icon } from "./icons.tsx";
import { Avatar, Dialog } from "./ui.tsx";

/** "3 mentions" / "3 条提到我". */
export function mentionsText(count: number, t: Translate): string {
  return count === 1 ? t("away.mentionsOne") : t("away.mentionsMany", { count });
}

/** "12 unread in 5 conversations, 3 mentions" / "5 个会话中有 12 条未读，3 条提到我". */
export function totalText(total: MissedTotal, t: Translate): string {
  const conversations = total.conversations === 1 ? t("away.conversationsOne") : t("away.conversationsMany", { count: total.conversations });
  return total.mentions > 0
    ? t("away.totalMentions", { unread: total.unread, conversations, mentions: mentionsText(total.mentions, t) })
    : t("away.total", { unread: total.unread, conversations });
}

export function OfflineSummary(props: { summary: AwaySummary; sinceMs: number; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { summary, onClose } = props;
  const items = summary.items.slice(0, SUMMARY_ITEMS_MAX);
  const muted = summary.muted.slice(0, SUMMARY_ITEMS_MAX);
  // Direct chats are titled by the peer's name, which may arrive after the summary opens.
  useNames(client, [...items, ...muted].map((m) => (m.conversation.kind === "direct" ? m.conversation.peer : undefined)));
  const open = (id: number) => { onClose(); openConversationRoute(id); };
  const row = (m: Missed, isMuted: boolean, first: boolean) => {
    const c = m.conversation;
    const title = conversationTitle(client, c, t);
    return (
      <li key={c.id}>
        {/* The name reads "Launch, 2 mentions, 5 unread": the badges are named images. */}
        <button type="button" class="person-row away-item" data-autofocus={first ? true : undefined} onClick={() => open(c.id)}>
          <Avatar name={title} seed={c.kind === "direct" ? c.peer ?? String(c.id) : `g${c.id}`} group={c.kind !== "direct"} size={32} />
          <span class="person-text"><span class="person-name">{title}</span></span>
          {isMuted && <span class="conv-flag" role="img" aria-label={t("list.muted")} title={t("list.muted")}><Icon name="bellOff" size={13} /></span>}
          {m.mentions > 0 && (
            <span class="badge badge-mention" role="img" aria-label={mentionsText(m.mentions, t)} data-testid="away-mentions">
              @{m.mentions > 99 ? "99+" : m.mentions}
            </span>
          )}
          <span class={`badge${isMuted ? " badge-muted" : ""}`} role="img" aria-label={t("list.unread", { count: m.unread })} data-testid="away-unread">
            {m.unread > 99 ? "99+" : m.unread}
          </span>
        </button>
      </li>
    );
  };
  const more = (shown: number, all: number) => (all > shown ? <p class="muted small">{t("away.more", { count: all - shown })}</p> : null);
  return (
    <Dialog title={t("away.title")} onClose={onClose} size="sm" class="away-summary"
      footer={<button type="button" class="btn btn-primary" onClick={onClose}>{t("away.dismiss")}</button>}>
      <p class="away-total" data-testid="away-total">{totalText(summary.total, t)}</p>
      <p class="muted small">{t("away.since", { time: formatFull(props.sinceMs, locale) })}</p>
      <ul class="people-list away-list" role="list" aria-label={t("away.listLabel")}>
        {items.map((m, i) => row(m, false, i === 0))}
      </ul>
      {more(items.length, summary.items.length)}
      {muted.length > 0 && (
        <>
          <h3 class="subhead" id="away-muted-title">{t("list.muted")}</h3>
          <p class="muted small" data-testid="away-muted-total">{totalText(summary.mutedTotal, t)}</p>
          <ul class="people-list away-list" role="list" aria-labelledby="away-muted-title">
            {muted.map((m) => row(m, true, false))}
          </ul>
          {more(muted.length, summary.muted.length)}
        </>
      )}
    </Dialog>
  );
}
