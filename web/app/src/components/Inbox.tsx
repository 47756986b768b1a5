// The notification centre: a bell in the navigation rail with the unread count, and the panel it
// opens. The panel lists the account's notifications newest first, each with its kind's icon,
// a sentence of who did what ("Bob mentioned you in Design"), a preview, its time and a dot
// while unread; it filters to the unread ones, marks all read, and loads older ones as it
// scrolls. An item marks itself read and opens what it is about. What the list holds and how
// events change it is state/inbox.ts and lib/inbox.ts.

import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { ChatClient, Notification } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import { formatFull, formatListTime } from "../lib/format.ts";
import { badgeText, iconOf, sentenceOf, sentenceParts } from "../lib/inbox.ts";
import { conversationTitle, displayName, errorText, useClient, useClientVersion, useNow } from "../state/client.ts";
import { type Inbox, useInbox } from "../state/inbox.ts";
import { navigate, type Route } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Popover, Spinner } from "./ui.tsx";

/** How close to the end of the list (in pixels) scrolling asks for the older page. */
const LOAD_OLDER_MARGIN_PX = 120;

/** Where an item leads: a route, "expand" (an announcement to the domain: it only shows its
 * whole text), or nowhere (an application seen by someone who no longer administers). */
export function targetOf(n: Notification, isAdmin: boolean): Route | "expand" | null {
  switch (n.kind) {
    case "mention":
    case "reply":
    case "reaction":
      if (n.conversation === undefined) return null;
      // A reply in a thread opens the thread (the chat may not show it).
      if (n.thread !== undefined) return { page: "chats", conversation: n.conversation, thread: n.thread };
      return n.seq !== undefined ? { page: "chats", conversation: n.conversation, seq: n.seq } : { page: "chats", conversation: n.conversation };
    case "friend_request":
      return { page: "contacts" };
    case "application":
      return isAdmin ? { page: "admin", tab: "applications" } : null;
    case "announcement":
      return n.conversation !== undefined ? { page: "chats", conversation: n.conversation } : "expand";
    // A bot's subscription was disabled: where its managers enable it again (an administrator's
    // Bots tab, a member's My bots in Settings).
    case "app_disabled":
      return isAdmin ? { page: "admin", tab: "bots" } : { page: "settings" };
    default:
      return n.conversation !== undefined ? { page: "chats", conversation: n.conversation } : null;
  }
}

/** The names a notification's sentence uses: the actor's name at the time (else as known now),
 * and the group's (else as this client knows it). */
function namesOf(client: ChatClient, n: Notification, t: Translate): { actor: string; conversation: string } {
  const actor = n.actor_name || (n.actor ? displayName(client, n.actor) : t("inbox.someone"));
  let conversation = n.conversation_name ?? "";
  if (!conversation && n.conversation !== undefined) {
    const known = client.conversations().find((c) => c.id === n.conversation);
    conversation = known ? conversationTitle(client, known, t) : t("list.untitledGroup");
  }
  return { actor, conversation };
}

/** The sentence of a notification as text, for tests and for anything that needs it plain. */
export function sentenceText(client: ChatClient, n: Notification, t: Translate): string {
  const { key, params } = sentenceOf(n, namesOf(client, n, t));
  return t(key, params);
}

/** The bell of the navigation rail and its panel. */
export function InboxBell({ inbox }: { inbox: Inbox }): JSX.Element {
  const { t } = useT();
  const view = useInbox(inbox);
  const ref = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const badge = badgeText(view.unread);
  // As the other rail buttons: the badge is read out with the label.
  const label = badge ? t("nav.withBadge", { label: t("nav.inbox"), count: badge }) : t("nav.inbox");
  return (
    <>
      <button type="button" ref={ref} class={`rail-btn${open ? " active" : ""}`} aria-label={label} title={t("nav.inbox")}
        aria-haspopup="dialog" aria-expanded={open} data-testid="inbox-bell"
        onClick={() => setOpen((v) => !v)}
        onKeyDown={(e) => { if (e.key === "Escape" && open) { e.preventDefault(); setOpen(false); } }}>
        <Icon name="bell" size={22} />
        <span class="rail-label" aria-hidden="true">{t("nav.inbox")}</span>
        {badge && <>{" "}<span class="rail-badge" aria-hidden="true" data-testid="inbox-badge">{badge}</span></>}
      </button>
      {open && <InboxPanel inbox={inbox} anchor={ref.current} onClose={() => setOpen(false)} />}
    </>
  );
}

/** The panel: a popover with the filter, "Mark all as read" and the list. */
export function InboxPanel(props: { inbox: Inbox; anchor: HTMLElement | null; onClose: () => void }): JSX.Element {
  const { inbox, onClose } = props;
  const client = useClient();
  // Names of people and groups that arrive after the panel opened.
  useClientVersion(client);
  const { t } = useT();
  const view = useInbox(inbox);
  const now = useNow(60_000);
  const [expanded, setExpanded] = useState<number | null>(null);
  const isAdmin = client.me.role === "domain_admin" || client.me.role === "server_admin";

  const open = (n: Notification) => {
    inbox.markRead(n).catch((e: unknown) => toast(errorText(e, t)));
    const target = targetOf(n, isAdmin);
    if (target === "expand") setExpanded((id) => (id === n.id ? null : n.id));
    else if (target) {
      onClose();
      navigate(target);
    }
  };
  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLElement;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - LOAD_OLDER_MARGIN_PX) void inbox.loadOlder();
  };
  // Arrow keys move between the items, as in a menu; Tab leaves the list.
  const onListKey = (e: KeyboardEvent) => {
    const items = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>("button.inbox-item")];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const to = e.key === "ArrowDown" ? items[Math.min(i + 1, items.length - 1)]
      : e.key === "ArrowUp" ? items[Math.max(i - 1, 0)]
      : e.key === "Home" ? items[0]
      : e.key === "End" ? items[items.length - 1]
      : undefined;
    if (!to) return;
    e.preventDefault();
    to.focus();
    if (e.key === "End" || (e.key === "ArrowDown" && i >= items.length - 2)) void inbox.loadOlder();
  };

  return (
    <Popover anchor={props.anchor} onClose={onClose} role="dialog" label={t("inbox.title")} class="inbox-panel" align="start">
      <header class="inbox-header">
        <h2 class="inbox-title">{t("inbox.title")}</h2>
        <label class="inbox-filter">
          <input type="checkbox" role="switch" checked={view.unreadOnly} onChange={(e) => void inbox.setUnreadOnly(e.currentTarget.checked)} />
          <span>{t("inbox.unreadOnly")}</span>
        </label>
        <button type="button" class="btn btn-small" disabled={view.items.length === 0 || view.unread === 0}
          onClick={() => inbox.markAllRead().catch((e: unknown) => toast(errorText(e, t)))}>
          <Icon name="checks" size={14} /> {t("inbox.markAllRead")}
        </button>
      </header>
      <div class="inbox-scroll" onScroll={onScroll} aria-busy={view.loading || view.loadingOlder}>
        {!view.loaded && view.failed && (
          <div class="inbox-empty">
            <p class="form-error" role="alert">{t("inbox.loadFailed")}</p>
            <button type="button" class="btn btn-small" onClick={() => void inbox.reload()}>{t("common.retry")}</button>
          </div>
        )}
        {!view.loaded && !view.failed && <div class="inbox-empty"><Spinner label={t("common.loading")} /></div>}
        {view.loaded && view.items.length === 0 && (
          <p class="inbox-empty muted">{view.unreadOnly ? t("inbox.emptyUnread") : t("inbox.empty")}</p>
        )}
        {view.items.length > 0 && (
          <ul class="inbox-list" role="list" aria-label={t("inbox.list")} onKeyDown={onListKey}>
            {view.items.map((n) => (
              <InboxRow key={n.id} n={n} now={now} expanded={expanded === n.id} expands={targetOf(n, isAdmin) === "expand"} onOpen={open} />
            ))}
          </ul>
        )}
        {view.loaded && view.more && (
          <div class="inbox-more">
            {view.loadingOlder
              ? <Spinner label={t("common.loading")} />
              : <button type="button" class="btn btn-small btn-ghost" onClick={() => void inbox.loadOlder()}>{t("inbox.older")}</button>}
          </div>
        )}
      </div>
    </Popover>
  );
}

function InboxRow(props: { n: Notification; now: number; expanded: boolean; expands: boolean; onOpen: (n: Notification) => void }): JSX.Element {
  const { n, now } = props;
  const client = useClient();
  const { t, locale } = useT();
  const { key, params } = sentenceOf(n, namesOf(client, n, t));
  const parts = sentenceParts(key, params, t);
  return (
    <li class={`inbox-row${n.read ? "" : " unread"}`} data-testid="inbox-item" data-kind={n.kind}>
      <button type="button" class={`inbox-item${props.expanded ? " expanded" : ""}`} onClick={() => props.onOpen(n)}
        aria-expanded={props.expands ? props.expanded : undefined}>
        <span class={`inbox-icon inbox-icon-${n.kind}`} aria-hidden="true"><Icon name={iconOf(n)} size={16} /></span>
        <span class="inbox-text">
          <span class="inbox-sentence" data-testid="inbox-sentence">
            {parts.map((p, i) => (p.name ? <strong key={i}>{p.text}</strong> : p.text))}
          </span>
          {n.text && <span class="inbox-preview" data-testid="inbox-preview">{n.text}</span>}
        </span>
        <span class="inbox-side">
          <time class="muted small" dateTime={new Date(n.at_ms).toISOString()} title={formatFull(n.at_ms, locale)}>
            {formatListTime(n.at_ms, now, locale, t("time.yesterday"))}
          </time>
          {!n.read && <span class="inbox-dot" role="img" aria-label={t("inbox.unread")} data-testid="inbox-unread" />}
        </span>
      </button>
    </li>
  );
}
