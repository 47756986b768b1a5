// The signed-in screen: the navigation rail, the page of the current route, the connection
// banner, toasts, the quick switcher and the global search. Also keeps the tab title and
// notifications, holds the notification centre (the rail's bell), follows this browser's push
// subscription, and after a long absence says what was missed.

import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ChatClient, ConnectionStatus } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import { conversationTitle, displayName, useClientState, useWakeAt } from "../state/client.ts";
import { navigate, openConversationRoute, useRoute } from "../state/router.ts";
import { dismissToast, toast, useToasts } from "../state/toast.ts";
import { notificationsWanted, permission, shouldNotify } from "../state/notify.ts";
import { documentTitle, unreadTotal } from "../lib/title.ts";
import { nextMuteEnd } from "../lib/conversationNotify.ts";
import { previewText } from "../lib/preview.ts";
import { awayLongEnough, summarize, type AwaySummary } from "../lib/offlineSummary.ts";
import { followSubscriptionChanges } from "../lib/webPush.ts";
import { followConnection } from "../state/away.ts";
import { Icon, type IconName } from "./icons.tsx";
import { Avatar } from "./ui.tsx";
import { ConversationList } from "./ConversationList.tsx";
import { ChatView } from "./ChatView.tsx";
import { ContactsPage } from "./Contacts.tsx";
import { SavedPage } from "./Saved.tsx";
import { SettingsPage } from "./Settings.tsx";
import { QuickSwitcher } from "./dialogs.tsx";
import { SearchDialog } from "./Search.tsx";
import { OPEN_SEARCH_EVENT, type SearchStart } from "../state/search.ts";
import { OPEN_PERSON_EVENT } from "../state/person.ts";
import { DirectoryPage } from "./Directory.tsx";
import { WorkbenchPage } from "./Workbench.tsx";
import { AdminPage } from "./Admin.tsx";
import { PersonCard } from "./PersonCard.tsx";
import { OfflineSummary } from "./OfflineSummary.tsx";
import { InboxBell } from "./Inbox.tsx";
import { Inbox } from "../state/inbox.ts";

export function Shell({ client, onSignOut }: { client: ChatClient; onSignOut: () => void }): JSX.Element {
  const { t, locale } = useT();
  const route = useRoute();
  const [switcher, setSwitcher] = useState(false);
  // The global search, opened from the switcher with what was typed there (issue 16).
  const [search, setSearch] = useState<SearchStart | null>(null);
  useEffect(() => {
    const open = (e: Event) => setSearch((e as CustomEvent<SearchStart>).detail);
    window.addEventListener(OPEN_SEARCH_EVENT, open);
    return () => window.removeEventListener(OPEN_SEARCH_EVENT, open);
  }, []);
  // A person's card, opened from anywhere (openPersonCard).
  const [person, setPerson] = useState<string | null>(null);
  useEffect(() => {
    const open = (e: Event) => setPerson((e as CustomEvent<string>).detail);
    window.addEventListener(OPEN_PERSON_EVENT, open);
    return () => window.removeEventListener(OPEN_PERSON_EVENT, open);
  }, []);
  // After a start or a reconnect that ends a long absence: what was missed, once the first
  // sync has brought the conversation list up to date.
  const [away, setAway] = useState<{ summary: AwaySummary; sinceMs: number } | null>(null);
  useEffect(() => followConnection(client, (lastMs, nowMs) => {
    if (lastMs === null || !awayLongEnough(lastMs, nowMs)) return;
    const summary = summarize(client.conversations(), nowMs);
    if (summary) setAway({ summary, sinceMs: lastMs });
  }), [client]);
  // The notification centre: its first page once online (again after each reconnect), then
  // the account's events; the bell shows its count and opens its panel.
  const inbox = useMemo(() => new Inbox(client), [client]);
  useEffect(() => inbox.start(), [inbox]);
  // The browser renewed or dropped this browser's push subscription (the service worker says
  // so, now or since the last start): register the new one in its place.
  useEffect(() => followSubscriptionChanges(client), [client]);
  // Only what the shell shows: the pages subscribe to their own parts of the client.
  const unread = useClientState(client, () => unreadTotal(client.conversations(), Date.now()));
  // A timed mute that ends adds its conversation's count back, with no change to say so.
  useWakeAt(useClientState(client, () => nextMuteEnd(client.conversations(), Date.now())));
  const me = useClientState(client, () => client.me);
  const myPresence = useClientState(client, () => client.presence(client.me.account)?.status ?? (client.status === "online" ? "online" : "offline"));

  // Tab title.
  useEffect(() => { document.title = documentTitle(unread, t("app.name")); }, [unread, locale]);
  useEffect(() => () => { document.title = "Magpie"; }, []);

  // Notifications while the tab is hidden.
  useEffect(() => client.on("message", (conversation, entry) => {
    // Cheap first: a busy group sends many while the tab is visible, and needs nothing then.
    if (document.visibilityState !== "hidden") return;
    const context = { me: client.me.account, nowMs: Date.now(), visibility: document.visibilityState, wanted: notificationsWanted(), perm: permission() };
    if (!shouldNotify(conversation, entry, context)) return;
    const nameOf = (a: string) => displayName(client, a);
    const title = conversationTitle(client, conversation, t);
    const text = previewText(entry, { t, locale, nameOf });
    const body = conversation.kind === "direct" ? text : `${nameOf(entry.sender)}: ${text}`;
    try {
      const n = new Notification(title, { body, tag: `conv-${conversation.id}`, lang: locale === "zh" ? "zh-CN" : "en" });
      n.onclick = () => { window.focus(); openConversationRoute(conversation.id); n.close(); };
    } catch { /* some browsers only allow notifications from a service worker */ }
  }), [client, locale]);

  // Ctrl/Cmd+K: the quick switcher.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearch(null);
        setSwitcher((v) => !v);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Incoming friend requests: a badge on Contacts, and a toast when one arrives.
  const [requests, setRequests] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () => client.friendRequests().then((r) => { if (live) setRequests(r.incoming.length); }, () => { /* keep the last count */ });
    load();
    const kinds = new Set(["friend_request", "friend_request_closed", "contact_added", "block_changed"]);
    const offEvent = client.on("account_event", (e) => { if (kinds.has(e.event.kind)) load(); });
    const offRequest = client.on("friend_request", (from) => toast(t("contacts.incomingToast", { name: displayName(client, from) }), "info"));
    return () => { live = false; offEvent(); offRequest(); };
  }, [client, locale]);

  const open = route.page === "chats" ? route.conversation : undefined;
  const chatsUnread = unread;
  // A badge is read out with the label (and the visible number is part of the name).
  const isAdmin = me.role === "domain_admin" || me.role === "server_admin";
  const nav: { page: "chats" | "contacts" | "directory" | "workbench" | "saved" | "admin" | "settings"; icon: IconName; label: MessageKey; badge?: number; badgeLabel?: MessageKey }[] = [
    { page: "chats", icon: "chat", label: "nav.chats", badge: chatsUnread, badgeLabel: "nav.withBadge" },
    { page: "contacts", icon: "contacts", label: "nav.contacts", badge: requests, badgeLabel: "nav.withRequests" },
    { page: "directory", icon: "org", label: "nav.directory" },
    { page: "workbench", icon: "grid", label: "nav.workbench" },
    { page: "saved", icon: "bookmark", label: "nav.saved" },
    ...(isAdmin ? [{ page: "admin" as const, icon: "shield" as const, label: "nav.admin" as const }] : []),
    { page: "settings", icon: "settings", label: "nav.settings" },
  ];

  return (
    <div class={`shell page-${route.page}${open !== undefined ? " has-conversation" : ""}`}>
      <StatusBanner client={client} />
      <div class="shell-body">
        <nav class="rail" aria-label={t("nav.main")}>
          <div class="rail-brand" aria-hidden="true">鹊</div>
          {nav.map((n) => (
            <button type="button" key={n.page} class={`rail-btn${route.page === n.page ? " active" : ""}`}
              aria-label={n.badge && n.badgeLabel ? t(n.badgeLabel, { label: t(n.label), count: n.badge > 99 ? "99+" : n.badge }) : t(n.label)}
              aria-current={route.page === n.page ? "page" : undefined} title={t(n.label)}
              onClick={() => navigate(n.page === "chats" ? { page: "chats" } : { page: n.page })}>
              <Icon name={n.icon} size={22} />
              <span class="rail-label" aria-hidden="true">{t(n.label)}</span>
              {/* A space, so that the visible text reads "Chats 3" as the name does. */}
              {n.badge ? <>{" "}<span class="rail-badge" aria-hidden="true">{n.badge > 99 ? "99+" : n.badge}</span></> : null}
            </button>
          ))}
          <InboxBell inbox={inbox} />
          <div class="rail-spacer" />
          <button type="button" class="rail-me" aria-label={t("settings.profile")} title={me.display_name}
            onClick={() => navigate({ page: "settings" })}>
            <Avatar name={me.display_name} seed={me.account} url={me.avatar} size={34} presence={myPresence} />
          </button>
        </nav>
        {route.page === "chats" && (
          <div class="chats-layout">
            <ConversationList activeId={open} />
            {open !== undefined
              ? <ChatView key={open} id={open} seq={route.page === "chats" ? route.seq : undefined} thread={route.page === "chats" ? route.thread : undefined} />
              : <div class="chat-empty"><div class="brand-mark large" aria-hidden="true">鹊</div><p>{t("chat.selectPrompt")}</p><p class="muted small">{t("chat.switcherHint")}</p></div>}
          </div>
        )}
        {route.page === "contacts" && <ContactsPage />}
        {route.page === "saved" && <SavedPage />}
        {route.page === "settings" && <SettingsPage onSignOut={onSignOut} />}
        {route.page === "directory" && <DirectoryPage department={route.department} />}
        {route.page === "workbench" && <WorkbenchPage app={route.app} />}
        {route.page === "admin" && (isAdmin ? <AdminPage tab={route.tab ?? "departments"} /> : <div class="chat-empty"><p>{t("error.forbidden")}</p></div>)}
      </div>
      <Toasts />
      {switcher && <QuickSwitcher onClose={() => setSwitcher(false)} onSearch={(q) => { setSwitcher(false); setSearch({ q }); }} />}
      {search && <SearchDialog start={search} onClose={() => setSearch(null)} />}
      {person && <PersonCard key={person} account={person} onClose={() => setPerson(null)} onOpen={setPerson} />}
      {away && <OfflineSummary summary={away.summary} sinceMs={away.sinceMs} onClose={() => setAway(null)} />}
    </div>
  );
}

const STATUS_TEXT: Partial<Record<ConnectionStatus, MessageKey>> = {
  offline: "status.offline",
  syncing: "status.syncing",
};

/** The connection banner (role="status"): hidden while online. */
function StatusBanner({ client }: { client: ChatClient }): JSX.Element {
  const { t } = useT();
  // Read with the subscription, not before it: a client that got online between the first
  // render and the subscription would otherwise leave "Connecting…" up until the next change
  // of status, which may be the next disconnect.
  const sdkStatus = useClientState(client, () => client.status);
  const everOnline = useRef(sdkStatus === "online");
  if (sdkStatus === "online") everOnline.current = true;
  // The browser knows it is offline before a quiet socket does: say so at once.
  const [browserOnline, setBrowserOnline] = useState(() => navigator.onLine !== false);
  useEffect(() => {
    const on = () => setBrowserOnline(true);
    const off = () => setBrowserOnline(false);
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => { window.removeEventListener("online", on); window.removeEventListener("offline", off); };
  }, []);
  const status: ConnectionStatus = !browserOnline && sdkStatus !== "signed_out" ? "offline" : sdkStatus;
  // A short connecting/syncing blip right after start is not worth a banner.
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (status === "online" || status === "signed_out") { setShown(false); return; }
    if (status === "offline" || everOnline.current) { setShown(true); return; }
    const id = setTimeout(() => setShown(true), 1500);
    return () => clearTimeout(id);
  }, [status]);
  const key: MessageKey = status === "connecting" ? (everOnline.current ? "status.reconnecting" : "status.connecting") : STATUS_TEXT[status] ?? "status.connecting";
  const visible = shown && status !== "online" && status !== "signed_out";
  return (
    <div class={`status-banner status-${status}`} role="status" hidden={!visible}>
      {visible && <><Icon name={status === "offline" ? "wifiOff" : "refresh"} size={16} class={status === "offline" ? "" : "spin"} /><span>{t(key)}</span></>}
    </div>
  );
}

function Toasts(): JSX.Element {
  const toasts = useToasts();
  const { t } = useT();
  return (
    <div class="toasts">
      {toasts.map((x) => (
        <div key={x.id} class={`toast toast-${x.kind}`} role={x.kind === "error" ? "alert" : undefined}>
          <span>{x.text}</span>
          <button type="button" class="icon-btn small" aria-label={t("common.close")} onClick={() => dismissToast(x.id)}><Icon name="close" size={14} /></button>
        </div>
      ))}
    </div>
  );
}
