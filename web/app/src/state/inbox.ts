// The notification centre of one signed-in client, for the bell and its panel: the first page is
// loaded once the client is online, and again after every reconnect (the unread count comes with
// it); the account's events keep it current; older pages load on demand; the "Unread only"
// filter loads the first page again; reads are shown at once and sent. The rules are
// lib/inbox.ts; this holds the state and does the IO.

import { useLayoutEffect, useReducer, useRef } from "preact/hooks";
import type { ChatClient, Notification } from "@magpie/sdk";
import { EMPTY_INBOX, applyEvent, withFirstPage, withOlderPage, type InboxEvent, type InboxState } from "../lib/inbox.ts";

/** Notifications per page the panel asks for. */
export const INBOX_PAGE_LEN = 30;
/** Events that leave the count unsure are followed by one count request after this pause, so
 * that a burst of them costs one. */
const COUNT_REFRESH_DELAY_MS = 250;

/** What the bell and the panel render. */
export interface InboxView extends InboxState {
  /** A first page is on its way. */
  loading: boolean;
  /** The last first page failed (the panel offers to try again). */
  failed: boolean;
  /** An older page is on its way. */
  loadingOlder: boolean;
}

/** A request under way and the events that came meanwhile, to apply to its answer. */
interface Load { during: InboxEvent[] }

export class Inbox {
  private current: InboxView = { ...EMPTY_INBOX, loading: false, failed: false, loadingOlder: false };
  private readonly listeners = new Set<() => void>();
  private firstLoad: Load | null = null;
  private olderLoad: Load | null = null;
  private countLoad: Load | null = null;
  private countTimer: ReturnType<typeof setTimeout> | undefined;
  /** Notifications added by events so far: a read's answer counts the unread as they were when
   * the server answered, which may be before or after an addition that came meanwhile. */
  private added = 0;

  constructor(private readonly client: ChatClient) {}

  get view(): InboxView {
    return this.current;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows the client: its events, and each time it gets online. Returns the stop. */
  start(): () => void {
    const client = this.client;
    const offs = [
      client.on("notification_added", (notification) => this.apply({ kind: "added", notification })),
      client.on("notifications_read", (read) => this.apply({ kind: "read", ids: read.ids, upTo: read.up_to })),
      client.on("notifications_removed", (ids) => this.apply({ kind: "removed", ids })),
      client.on("status", (status) => { if (status === "online") void this.reload(); }),
    ];
    if (client.status === "online") void this.reload();
    return () => {
      for (const off of offs) off();
      clearTimeout(this.countTimer);
      this.firstLoad = this.olderLoad = this.countLoad = null;
    };
  }

  /** Loads the first page again, with the filter as it is. */
  async reload(): Promise<void> {
    const load: Load = { during: [] };
    this.firstLoad = load;
    // An older page asked for before belongs to the list this replaces.
    this.olderLoad = null;
    const unreadOnly = this.current.unreadOnly;
    this.set({ loading: true, loadingOlder: false });
    try {
      const page = await this.client.notifications.list({ limit: INBOX_PAGE_LEN, unreadOnly });
      if (this.firstLoad !== load) return;
      this.firstLoad = null;
      const { state, exact } = withFirstPage(page, unreadOnly, load.during);
      this.set({ ...state, loading: false, failed: false });
      if (!exact) this.refreshCountSoon();
    } catch {
      if (this.firstLoad !== load) return;
      this.firstLoad = null;
      this.set({ loading: false, failed: true });
    }
  }

  /** Loads the next older page, if there is one and nothing else is loading. */
  async loadOlder(): Promise<void> {
    const { more, items, unreadOnly } = this.current;
    const oldest = items.at(-1);
    if (!more || !oldest || this.firstLoad || this.olderLoad) return;
    const load: Load = { during: [] };
    this.olderLoad = load;
    this.set({ loadingOlder: true });
    try {
      const page = await this.client.notifications.list({ before: oldest.id, limit: INBOX_PAGE_LEN, unreadOnly });
      if (this.olderLoad !== load) return;
      this.set({ ...withOlderPage(this.current, page, load.during), loadingOlder: false });
    } catch {
      // The list stays as it is; scrolling again (or the button) asks again.
      if (this.olderLoad === load) this.set({ loadingOlder: false });
    } finally {
      if (this.olderLoad === load) this.olderLoad = null;
    }
  }

  /** Shows only the unread ones, or all again: the first page is loaded with the filter. */
  setUnreadOnly(unreadOnly: boolean): Promise<void> {
    if (unreadOnly === this.current.unreadOnly) return Promise.resolve();
    this.set({ items: [], more: false, unreadOnly, loaded: false });
    return this.reload();
  }

  /** Marks one notification read: at once here, then on the server. */
  markRead(n: Notification): Promise<void> {
    if (n.read) return Promise.resolve();
    return this.sendRead({ kind: "read", ids: [n.id], upTo: null }, { ids: [n.id] });
  }

  /** Marks read everything up to the newest notification shown. */
  markAllRead(): Promise<void> {
    const newest = this.current.items[0];
    if (!newest) return Promise.resolve();
    return this.sendRead({ kind: "read", ids: [], upTo: newest.id }, { upTo: newest.id });
  }

  private async sendRead(event: InboxEvent, which: { ids: number[] } | { upTo: number }): Promise<void> {
    // Shown read at once; a first page on its way gets it too. The server's own event for it
    // comes later and changes nothing then.
    this.firstLoad?.during.push(event);
    this.olderLoad?.during.push(event);
    this.set(applyEvent(this.current, event).state);
    const added = this.added;
    try {
      const { unread } = await this.client.notifications.read(which);
      if (this.added === added && !this.firstLoad) this.set({ unread });
      else this.refreshCountSoon();
    } catch (error) {
      // Not read on the server: the first page shows again what is.
      void this.reload();
      throw error;
    }
  }

  private apply(event: InboxEvent): void {
    if (event.kind === "added") this.added += 1;
    for (const load of [this.firstLoad, this.olderLoad, this.countLoad]) load?.during.push(event);
    const { state, exact } = applyEvent(this.current, event);
    if (state !== this.current) this.set(state);
    // Before the first page, or while one is on its way, that page brings the count.
    if (!exact && this.current.loaded && !this.firstLoad) this.refreshCountSoon();
  }

  private refreshCountSoon(): void {
    if (this.countTimer !== undefined) return;
    this.countTimer = setTimeout(() => {
      this.countTimer = undefined;
      void this.refreshCount();
    }, COUNT_REFRESH_DELAY_MS);
  }

  /** Reads the count again: the newest notification's page of one, whose count holds every
   * notification up to it. One added meanwhile and newer than it is counted on top. */
  private async refreshCount(): Promise<void> {
    if (this.firstLoad) return;
    const load: Load = { during: [] };
    this.countLoad = load;
    try {
      const page = await this.client.notifications.list({ limit: 1 });
      if (this.countLoad !== load || this.firstLoad) return;
      const newest = page.items[0]?.id ?? 0;
      const later = load.during.filter((e) => e.kind === "added" && e.notification.id > newest && !e.notification.read).length;
      this.set({ unread: page.unread + later });
    } catch {
      // The count stays as the events left it; the next connect loads the first page.
    } finally {
      if (this.countLoad === load) this.countLoad = null;
    }
  }

  private set(change: Partial<InboxView>): void {
    this.current = { ...this.current, ...change };
    for (const listener of this.listeners) listener();
  }
}

/** The inbox's view, re-rendering the caller when it changes. */
export function useInbox(inbox: Inbox): InboxView {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const view = inbox.view;
  const shown = useRef(view);
  shown.current = view;
  useLayoutEffect(() => {
    const check = () => { if (shown.current !== inbox.view) rerender(0); };
    const off = inbox.subscribe(check);
    // A change between the render and the subscription is not lost.
    check();
    return off;
  }, [inbox]);
  return view;
}
