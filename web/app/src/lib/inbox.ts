// The notification centre's rules, without IO: the list the panel shows and the bell's count,
// changed by pages and by the account's events (each change a new state), and the sentence that
// says what each notification is about. The store that feeds them is state/inbox.ts.

import type { Notification } from "@magpie/sdk";
import type { MessageKey, Params, Translate } from "../i18n/index.ts";
import type { IconName } from "../components/icons.tsx";

/** The bell's badge shows this many at most, then "99+". */
export const BADGE_COUNT_MAX = 99;

export interface InboxState {
  /** The loaded notifications, newest first (only unread ones were asked for when `unreadOnly`). */
  items: Notification[];
  /** Older ones remain to be loaded. */
  more: boolean;
  /** How many of all the account's notifications are unread: the server's count, kept current
   * by the events as far as they tell it exactly. */
  unread: number;
  /** The "Unread only" filter the loaded pages were asked with. */
  unreadOnly: boolean;
  /** Whether a first page came since the client started (false: nothing to show yet). */
  loaded: boolean;
}

export const EMPTY_INBOX: InboxState = { items: [], more: false, unread: 0, unreadOnly: false, loaded: false };

/** An account event of the notification centre, as the store records it. */
export type InboxEvent =
  | { kind: "added"; notification: Notification }
  | { kind: "read"; ids: number[]; upTo: number | null }
  | { kind: "removed"; ids: number[] };

/** A state after an event, and whether its count is exact: false when the event touched
 * notifications that are not loaded, whose read state this client cannot know (then the count
 * is read again from the server). */
export interface Applied { state: InboxState; exact: boolean }

/** The badge's text: nothing at 0, the count up to 99, then "99+". */
export function badgeText(unread: number): string | null {
  if (unread <= 0) return null;
  return unread > BADGE_COUNT_MAX ? `${BADGE_COUNT_MAX}+` : String(unread);
}

/** Applies one event. A notification already held is not added again (a catch-up may replay
 * what a page brought), and the count moves only for notifications whose read state changes. */
export function applyEvent(state: InboxState, event: InboxEvent): Applied {
  switch (event.kind) {
    case "added": {
      const n = event.notification;
      if (state.items.some((i) => i.id === n.id)) return { state, exact: true };
      // Newest first: in its place by id (events come in order, so this is nearly always the top).
      const items = [...state.items];
      const at = items.findIndex((i) => i.id < n.id);
      // An id older than all loaded ones belongs to a page not loaded yet: the count only.
      if (at === -1 && state.more) return { state: { ...state, unread: state.unread + (n.read ? 0 : 1) }, exact: true };
      items.splice(at === -1 ? items.length : at, 0, n);
      return { state: { ...state, items, unread: state.unread + (n.read ? 0 : 1) }, exact: true };
    }
    case "read": {
      const ids = new Set(event.ids);
      const upTo = event.upTo;
      let turned = 0;
      const items = state.items.map((i) => {
        if (i.read || !(ids.has(i.id) || (upTo !== null && i.id <= upTo))) return i;
        turned += 1;
        return { ...i, read: true };
      });
      // Exact when every unread notification that the event may reach is loaded: all of them,
      // with no older page left (with "Unread only", those left out are read anyway), or else
      // every id it names, and no `up_to`, which reaches into the pages not loaded.
      const held = new Set(state.items.map((i) => i.id));
      const exact = state.loaded && (!state.more || (upTo === null && event.ids.every((id) => held.has(id))));
      if (turned === 0) return { state, exact };
      return { state: { ...state, items, unread: Math.max(0, state.unread - turned) }, exact };
    }
    case "removed": {
      const ids = new Set(event.ids);
      const gone = state.items.filter((i) => ids.has(i.id));
      const exact = state.loaded && (!state.more || gone.length === ids.size);
      if (gone.length === 0) return { state, exact };
      const unread = gone.filter((i) => !i.read).length;
      return {
        state: { ...state, items: state.items.filter((i) => !ids.has(i.id)), unread: Math.max(0, state.unread - unread) },
        exact,
      };
    }
  }
}

/** The state a first page gives, with the events that came while it was on its way applied
 * on top: an event the page already reflects changes nothing (a notification it holds is not
 * added twice; one it has read is not counted twice), one it does not is applied. That holds
 * because the first page always holds the newest notifications. */
export function withFirstPage(
  page: { items: Notification[]; more: boolean; unread: number }, unreadOnly: boolean, during: readonly InboxEvent[],
): Applied {
  let state: InboxState = { items: page.items, more: page.more, unread: page.unread, unreadOnly, loaded: true };
  let exact = true;
  for (const event of during) {
    const applied = applyEvent(state, event);
    state = applied.state;
    exact &&= applied.exact;
  }
  return { state, exact };
}

/** The state with an older page appended. The count stays: the events since the page was asked
 * for moved it already; they are applied again to the page's items only, which may predate them. */
export function withOlderPage(state: InboxState, page: { items: Notification[]; more: boolean }, during: readonly InboxEvent[]): InboxState {
  const held = new Set(state.items.map((i) => i.id));
  const oldest = state.items.at(-1)?.id ?? Infinity;
  let older: InboxState = { ...state, items: page.items.filter((i) => !held.has(i.id) && i.id < oldest), more: page.more, loaded: true };
  for (const event of during) if (event.kind !== "added") older = applyEvent(older, event).state;
  return { ...state, items: [...state.items, ...older.items], more: page.more };
}

// ---- What a notification says ------------------------------------------------------------------

/** Whether a notification is about a group or channel by name (else a direct chat, or nothing). */
function inGroup(n: Notification): boolean {
  return n.conversation !== undefined && n.direct !== true;
}

/** The sentence of a notification, as a key and its parameters: "Bob mentioned you in Design". */
export function sentenceOf(n: Notification, names: { actor: string; conversation: string }): { key: MessageKey; params: Params } {
  const params: Params = { name: names.actor, conversation: names.conversation, emoji: n.emoji ?? "" };
  const group = inGroup(n);
  switch (n.kind) {
    case "mention": return { key: group ? "inbox.mention" : "inbox.mentionDirect", params };
    case "reply": return { key: group ? "inbox.reply" : "inbox.replyDirect", params };
    case "reaction": return { key: group ? "inbox.reaction" : "inbox.reactionDirect", params };
    case "friend_request": return { key: "inbox.friendRequest", params };
    case "application": return { key: "inbox.application", params };
    case "announcement":
      return n.conversation !== undefined ? { key: "inbox.groupAnnouncement", params } : { key: "inbox.domainAnnouncement", params };
    // The actor is the bot; the item's text says the URL and the last error.
    case "app_disabled": return { key: "inbox.appDisabled", params };
    default:
      // A kind a newer server sends: said plainly rather than left out.
      return { key: "inbox.other", params };
  }
}

/** The sentence split where the actor's name goes, so that the name can be set apart; the
 * parts read, joined, exactly as the sentence. */
export function sentenceParts(key: MessageKey, params: Params, t: Translate): { text: string; name: boolean }[] {
  const marker = "\u0000name\u0000";
  const whole = t(key, { ...params, name: marker });
  return whole.split(/(\u0000name\u0000)/).filter((p) => p !== "").map((p) => (p === marker ? { text: String(params.name), name: true } : { text: p, name: false }));
}

/** The icon of each kind; a kind this app does not know gets the bell. */
export function iconOf(n: Notification): IconName {
  switch (n.kind) {
    case "mention": return "at";
    case "reply": return "reply";
    case "reaction": return "smilePlus";
    case "friend_request": return "userPlus";
    case "application": return "userCheck";
    case "announcement": return "megaphone";
    case "app_disabled": return "alert";
    default: return "bell";
  }
}
