// The ChatClient of the contract: one signed-in session. It owns the connection (start, the
// reconnect loop with backoff, sign-out on 4001/4003), the sync engine and its replica, the
// outbox and its sending, read and delivery marks, typing, and the caches of profiles,
// presence and file URLs. It tells the UI about changes with `change`, batched per microtask.

import type {
  AccountEvent, Ack, ChatClient, ChatEvents, ConnectionStatus, Conversation, ConversationView, Entry, FileInfo, FriendRequests, KeyValueStorage, Marks, Me, MessageView, NotificationPrefs, Pin, PushConfig, PushTargetInfo, PushTargetRequest, Presence, PresenceStatus,
  Profile, Receipts, SavedItem, SavedPage, ScheduledChange, ScheduledMessage, SendOptions, Session, StickerPack, Thread, ThreadView,
  UploadProgress, LinkPreview, SharedKind, SharedPage, VoiceDetails, GroupMatch, PersonMatch, SearchFilesPage, SearchMessagesPage,
  CreatedInvitation, Department, DepartmentMatch, DepartmentMember, DomainAdmin, Invitation, NewInvitation, Placements,
  Notification, NotificationCentre, NotificationPage, NotificationsUnread, CardActionRequest, CardActionResult, CommandResult, OfferedCommand,
} from "./contract.ts";
import { MagpieError, asMagpieError, isSessionEnded, isTypedRefusal } from "./errors.ts";
import { FileUrls, fileMessage, uploadFile } from "./files.ts";
import { Outbox, newClientMsgId } from "./outbox.ts";
import { RestClient, type RegisterOptions } from "./rest.ts";
import { ACCOUNT_DISABLED, CLIENT_GAVE_UP, ConnectError, SESSION_REVOKED, Socket, webSocketUrl, type CloseInfo } from "./socket.ts";
import { defaultStorage, forgetSession, loadDeviceKey, loadSession, outboxKey, saveDeviceKey, saveSession } from "./storage.ts";
import { SyncEngine } from "./sync.ts";
import { threadKey } from "./replica.ts";
import { conversationView, outboxView, shareThreadView, shareView, threadView, type ViewContext } from "./views.ts";
import type {
  AppGrant, AuthorizeInfo, AuthorizeRedirect, AuthorizeRequest, WorkbenchApp,
  NotificationsQuery, ReadNotificationsRequest, SearchFilesQuery, SearchMessagesQuery, SettingsChange, WirePendingRequest,
} from "./wire.ts";

/** The first reconnect waits about this long; each failure doubles it, up to the maximum. */
const RECONNECT_DELAY_MIN_MS = 1000;
const RECONNECT_DELAY_MAX_MS = 30_000;
/** Read and delivery marks go out at most this often (§7.7 asks for "every few seconds" at
 * most; the first one after a pause goes at once). */
const MARKS_INTERVAL_MS = 1000;
/** Marks sent per flush at most; the rest wait for the next one. After a long absence every
 * conversation has news to mark delivered, and they trickle out instead of flooding. */
const MARKS_PER_FLUSH_MAX = 100;
/** Typing signals per conversation at most this often: the server relays no more (§9.2). */
const TYPING_INTERVAL_MS = 2000;
/** After a failed send that is neither refused nor a lost connection (`internal`,
 * `unavailable`), the outbox waits this long before the next attempt. */
const SEND_RETRY_DELAY_MS = 2000;
/** Profiles fetched at once; a conversation list of many direct chats asks for many. */
const PROFILE_FETCHES_MAX = 4;
/** A profile whose fetch failed for want of a network is asked for again after this. */
const PROFILE_RETRY_MS = 30_000;
/** Accounts per get_presence request (the server's bound, §9.2). */
const PRESENCE_QUERY_LEN_MAX = 500;
/** Saved messages per page that loadSaved asks for. */
const SAVED_PAGE_LEN = 50;
/** Link previews remembered per page load; past this the oldest is asked for again. */
const LINK_PREVIEWS_MAX = 500;
/** The longest voice message, in ms (§7.3: a day). */
const VOICE_DURATION_MS_MAX = 86_400_000;
/** Followed threads that loadThreads asks for: the server's most (THREADS_LIST_MAX, §7.12). */
const THREADS_LIST_MAX = 100;

/** The wait before reconnect attempt `attempt` (0 for the first after a loss): 1 s doubling
 * to 30 s, each drawn from the upper half of its range so that clients a restart threw off
 * together do not come back together. `random` is in [0, 1). */
export function reconnectDelayMs(attempt: number, random: number = Math.random()): number {
  const ceiling = Math.min(RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MIN_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

type Listeners = { [K in keyof ChatEvents]: Set<ChatEvents[K]> };

interface Upload {
  file: Blob & { name?: string };
  /** The message the uploaded file becomes (kept for a retry, which uploads again). */
  message: (info: FileInfo) => { kind: string; body: Record<string, unknown> };
  progress: UploadProgress;
  abort: AbortController;
}

export class MagpieClient implements ChatClient {
  /** The REST API with this session's token, for what the ChatClient does not cover. */
  readonly rest: RestClient;
  private currentMe: Me;
  private currentSession: Session;
  private currentStatus: ConnectionStatus = "connecting";
  private readonly engine: SyncEngine;
  private readonly outboxItems: Outbox;
  private readonly files: FileUrls;
  /** Link previews asked for in this page load, by URL (the server caches them for everyone). */
  private readonly previews = new Map<string, Promise<LinkPreview | null>>();
  /** The answers of `previews` that came, for a view that draws at once what is known. */
  private readonly previewsKnown = new Map<string, LinkPreview | null>();
  /** The server answered that previews are off: ask no more. */
  private previewsOff = false;
  private readonly listeners: Listeners = {
    change: new Set(), status: new Set(), message: new Set(), friend_request: new Set(), signed_out: new Set(),
    account_event: new Set(), directory_changed: new Set(), notify_prefs_changed: new Set(),
    notification_added: new Set(), notifications_read: new Set(), notifications_removed: new Set(),
  };

  private socket: Socket | undefined;
  private started = false;
  private signedOut = false;
  private connecting = false;
  /** The browser came back online while an attempt begun offline was still under way. */
  private backOnline = false;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private changeQueued = false;
  private conversationList: Conversation[] | undefined;
  private readonly views = new Map<number, ConversationView>();
  /** The last view built per conversation, kept across changes to share what did not change. */
  private readonly builtViews = new Map<number, ConversationView>();

  private sending = false;
  private sendRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly uploads = new Map<string, Upload>();

  private readonly readMarks = new Map<number, number>();
  private readonly deliveryMarks = new Map<number, number>();
  private marksTimer: ReturnType<typeof setTimeout> | undefined;
  private marksSentAt = 0;
  private readonly typingSentAt = new Map<number, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  /** Account → profile; null when the server said not_found. */
  private readonly profiles = new Map<string, Profile | null>();
  private readonly profilesWanted = new Set<string>();
  /** Profiles being fetched: asked for again by every render until they come, but fetched once. */
  private readonly profilesFetching = new Set<string>();
  private readonly profilesFailedAt = new Map<string, number>();
  private profileFetches = 0;
  private readonly presences = new Map<string, Presence>();
  private readonly presenceWanted = new Set<string>();

  /** Loaded pin lists, by conversation (§7.5 "Pinning"). */
  private readonly pinLists = new Map<number, Pin[]>();
  /** Per conversation, the last seq the loaded (or loading) list is known to include: a pin
   * notice after it means the list changed. */
  private readonly pinsThrough = new Map<number, number>();
  /** Per conversation, the latest load: an older answer that comes late is dropped. */
  private readonly pinLoads = new Map<number, number>();
  private pinLoadCount = 0;
  /** The saved messages loaded so far (§7.11), once loadSaved was called. */
  private savedList: SavedPage | undefined;
  /** Views of the open threads, by threadKey(): those built since the last change, and the last
   * built, to share what did not change. */
  private readonly threadViews = new Map<string, ThreadView>();
  private readonly builtThreadViews = new Map<string, ThreadView>();
  /** Per conversation, the latest load of its followed threads (an older answer is dropped),
   * and whether another must follow the one under way. */
  private readonly threadLoads = new Map<number, number>();
  private threadLoadCount = 0;
  private readonly threadsLoading = new Map<number, Promise<Thread[]>>();
  private readonly threadsAgain = new Set<number>();
  /** The threads the UI has open (by threadKey()), whatever their loads are doing. */
  private readonly threadsOpen = new Set<string>();
  /** The account's scheduled messages (§7.12), the earliest first, once loadScheduled was called. */
  private scheduledList: ScheduledMessage[] | undefined;

  /** The notification centre, over this client's WebSocket. Over the socket rather than REST:
   * the contract's `GET /v1/me/notifications` is also the path of the notification preferences,
   * while the requests' names say exactly what they are. */
  readonly notifications: NotificationCentre = {
    list: (query = {}) => {
      const request: NotificationsQuery = {
        ...(query.before === undefined ? {} : { before: query.before }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.unreadOnly ? { unread_only: true } : {}),
      };
      return this.socketRequest<NotificationPage>("list_notifications", request);
    },
    read: (which) => {
      const request: ReadNotificationsRequest = "ids" in which ? { ids: which.ids } : { up_to: which.upTo };
      return this.socketRequest<NotificationsUnread>("read_notifications", request);
    },
  };

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    session: Session,
    me: Me,
    private readonly storage: KeyValueStorage,
  ) {
    this.rest = new RestClient(baseUrl, token);
    this.currentMe = me;
    this.currentSession = session;
    this.outboxItems = new Outbox(storage, outboxKey(baseUrl, session.id));
    this.files = new FileUrls(this.rest);
    this.engine = new SyncEngine(me.account, this.rest, {
      changed: () => this.changed(),
      message: (conversation, entry) => this.emit("message", conversation, entry),
      applied: (conversation, lastSeq, entries) => {
        if (this.outboxItems.settle(conversation, lastSeq, entries, this.currentMe.account)) this.changed();
        this.notePinChanges(conversation, entries);
      },
      received: (conversation, seq) => this.queueMark(this.deliveryMarks, conversation, seq),
      accountEvent: (event) => {
        this.onKeptEvent(event);
        this.emit("account_event", event);
        if (event.event.kind === "notify_prefs_changed") this.emit("notify_prefs_changed");
        this.emitNotificationEvent(event);
      },
      friendRequest: (from, message) => this.emit("friend_request", from, message),
      overflow: () => this.socket?.close(CLIENT_GAVE_UP, "fell behind"),
      threadsStale: (conversation) => this.reloadThreads(conversation),
    });
  }

  get me(): Me {
    return this.currentMe;
  }
  get session(): Session {
    return this.currentSession;
  }
  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  on<K extends keyof ChatEvents>(event: K, listener: ChatEvents[K]): () => void {
    const set = this.listeners[event] as Set<ChatEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- Connection ---------------------------------------------------------------------

  start(): void {
    if (this.started || this.signedOut) return;
    this.started = true;
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onBrowserOnline);
      window.addEventListener("offline", this.onBrowserOffline);
    }
    void this.connect();
  }

  close(): void {
    this.stop();
    if (!this.signedOut) this.setStatus("offline");
  }

  async logout(): Promise<void> {
    try {
      await this.rest.logout();
    } catch (error) {
      // A session that is dead already is as good as logged out; anything else (no network)
      // leaves the session alive on the server, so the caller should know and try again.
      if (!isSessionEnded(error)) throw error;
    }
    this.signOut("logout");
  }

  private readonly onBrowserOnline = (): void => {
    if (!this.started || this.socket) return;
    this.reconnectAttempt = 0;
    // An attempt begun while offline is bound to fail: when it does, try again at once
    // rather than after its backoff, which may have grown to half a minute.
    if (this.connecting) this.backOnline = true;
    else void this.connect();
  };

  private readonly onBrowserOffline = (): void => {
    // A socket that was open when the network went away can look alive until the next
    // heartbeat fails. Drop it now: the status says offline at once, whatever was in flight
    // fails over to the outbox's retry, and the browser's `online` event reconnects.
    const socket = this.socket;
    if (socket) {
      this.socket = undefined;
      this.engine.disconnected();
      socket.close(CLIENT_GAVE_UP, "browser offline");
      this.scheduleReconnect();
    }
    if (this.started && !this.signedOut) this.setStatus("offline");
  };

  private async connect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (!this.started || this.socket || this.connecting) return;
    this.connecting = true;
    this.backOnline = false;
    this.setStatus("connecting");
    let socket: Socket;
    try {
      socket = await Socket.connect(webSocketUrl(this.baseUrl), this.token, {
        onEvent: (event, data) => this.onEvent(event, data),
        onClose: (close) => this.onClose(socket, close),
      });
    } catch (error) {
      this.connecting = false;
      await this.connectFailed(error);
      return;
    }
    this.connecting = false;
    if (!this.started) {
      socket.close();
      return;
    }
    this.socket = socket;
    if (!socket.isOpen) {
      // It closed between hello and here, unseen by onClose (this.socket was not it yet).
      this.onClose(socket, socket.closed!);
      return;
    }
    this.currentSession = socket.hello.session;
    this.setMe(socket.hello.me);
    this.setStatus("syncing");
    try {
      await this.engine.connected(socket);
    } catch {
      // The catch-up failed: the connection closed, or the server failed (then start over on
      // a new connection).
      if (socket.isOpen) socket.close(CLIENT_GAVE_UP, "catch-up failed");
      return;
    }
    if (this.socket !== socket) return;
    this.reconnectAttempt = 0;
    this.setStatus("online");
    void this.flushOutbox();
    this.flushMarks();
    this.queryPresence([...this.presences.keys()]);
    // A pin or unpin while away may lie outside the history this catch-up fetched; so may
    // thread replies, follows and reads.
    for (const conversation of this.pinLists.keys()) this.loadPins(conversation).catch(() => {});
    for (const conversation of new Set([...this.engine.replica.threadLists.keys(), ...[...this.engine.replica.threads.values()].map((t) => t.conversation)])) {
      this.reloadThreads(conversation);
    }
  }

  /** No hello came. Browsers hide why a handshake failed, so ask REST whether the token is
   * still good before trying again. */
  private async connectFailed(error: unknown): Promise<void> {
    if (error instanceof ConnectError && (error.close.code === SESSION_REVOKED || error.close.code === ACCOUNT_DISABLED)) {
      this.signOut(error.close.revoked ?? error.close.reason);
      return;
    }
    try {
      await this.rest.me();
    } catch (probe) {
      if (isSessionEnded(probe)) {
        this.signOut(asMagpieError(probe).code === "account_disabled" ? "account_disabled" : "revoked");
        return;
      }
    }
    if (!this.started) return;
    this.setStatus("offline");
    if (this.backOnline) {
      this.backOnline = false;
      void this.connect();
      return;
    }
    this.scheduleReconnect();
  }

  private onClose(socket: Socket, close: CloseInfo): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.engine.disconnected();
    if (close.code === SESSION_REVOKED || close.code === ACCOUNT_DISABLED) {
      this.signOut(close.revoked ?? close.reason);
      return;
    }
    if (!this.started) return;
    this.setStatus("connecting");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.started || this.reconnectTimer !== undefined) return;
    const delay = reconnectDelayMs(this.reconnectAttempt++);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private stop(): void {
    this.started = false;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.sendRetryTimer);
    clearTimeout(this.marksTimer);
    clearTimeout(this.typingTimer);
    this.reconnectTimer = this.sendRetryTimer = this.marksTimer = this.typingTimer = undefined;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onBrowserOnline);
      window.removeEventListener("offline", this.onBrowserOffline);
    }
    const socket = this.socket;
    this.socket = undefined;
    this.engine.disconnected();
    socket?.close();
  }

  /** The token is dead: stop, forget the stored session and its outbox, and say so. */
  private signOut(reason?: string): void {
    if (this.signedOut) return;
    this.signedOut = true;
    this.stop();
    for (const upload of this.uploads.values()) upload.abort.abort();
    this.uploads.clear();
    this.outboxItems.clear();
    forgetSession(this.storage, this.baseUrl, this.currentSession.id);
    this.files.clear();
    this.setStatus("signed_out");
    this.emit("signed_out", reason);
  }

  private onEvent(event: string, data: unknown): void {
    switch (event) {
      case "entry":
      case "account":
        this.engine.push(event, data);
        return;
      case "typing": {
        const { conversation, account } = data as { conversation: number; account: string };
        this.engine.replica.noteTyping(conversation, account, Date.now());
        this.scheduleTypingExpiry();
        this.changed();
        return;
      }
      case "marks": {
        const { conversation, members } = data as Marks;
        if (this.engine.replica.noteMarks(conversation, members)) this.changed();
        return;
      }
      case "presence": {
        const presence = data as Presence;
        this.presences.set(presence.account, presence);
        this.changed();
        return;
      }
      case "profile_updated":
        this.setMe(data as Me);
        return;
      case "directory_changed":
        this.emit("directory_changed");
        return;
      default:
        // session_revoked is reported with the close that follows it; newer event types are
        // ignored, as the protocol asks (§1).
        return;
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emit("status", status);
    this.changed();
  }

  private emit<K extends keyof ChatEvents>(event: K, ...args: Parameters<ChatEvents[K]>): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (...a: Parameters<ChatEvents[K]>) => void)(...args);
      } catch (error) {
        // One listener's bug must not stop the others, nor the SDK.
        console.error(`magpie: a "${event}" listener threw`, error);
      }
    }
  }

  /** Something changed: views are rebuilt when next asked for, and `change` fires once per
   * microtask however many changes there were. */
  private changed(): void {
    this.conversationList = undefined;
    this.views.clear();
    this.threadViews.clear();
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.emit("change");
    });
  }

  private setMe(me: Me): void {
    this.currentMe = me;
    saveSession(this.storage, this.baseUrl, { token: this.token, session: this.currentSession, me });
    this.changed();
  }

  /** A request over the current connection; `network` when there is none. */
  private socketRequest<T>(type: string, data: unknown): Promise<T> {
    const socket = this.socket;
    if (!socket) return Promise.reject(MagpieError.network("not connected"));
    return socket.request<T>(type, data);
  }

  /** The notification centre's account events, typed, for the screens that follow it. Their
   * fields are checked here, as for every account event: a newer server may send others. */
  private emitNotificationEvent(event: AccountEvent): void {
    const e = event.event;
    if (e.kind === "notification_added") {
      const n = e["notification"] as Partial<Notification> | undefined;
      if (n && typeof n.id === "number" && typeof n.kind === "string") this.emit("notification_added", n as Notification);
    } else if (e.kind === "notifications_read") {
      const ids = numbers(e["ids"]);
      const upTo = typeof e["up_to"] === "number" ? e["up_to"] : null;
      if (ids.length > 0 || upTo !== null) this.emit("notifications_read", { ids, up_to: upTo });
    } else if (e.kind === "notifications_removed") {
      const ids = numbers(e["ids"]);
      if (ids.length > 0) this.emit("notifications_removed", ids);
    }
  }

  // ---- Conversations --------------------------------------------------------------------

  conversations(): Conversation[] {
    this.conversationList ??= this.engine.replica.list();
    return this.conversationList;
  }

  view(conversation: number): ConversationView | undefined {
    const cached = this.views.get(conversation);
    if (cached) return cached;
    const state = this.engine.replica.get(conversation);
    if (!state) return undefined;
    const view = shareView(this.builtViews.get(conversation), conversationView(state, this.viewContext(conversation)));
    this.views.set(conversation, view);
    this.builtViews.set(conversation, view);
    return view;
  }

  preview(conversation: number): Entry | undefined {
    const state = this.engine.replica.get(conversation);
    if (!state) return undefined;
    const last = state.conversation.last_message;
    const notice = state.lastNotice;
    return notice && (!last || notice.seq > last.seq) ? notice : last;
  }

  private viewContext(conversation?: number): ViewContext {
    return {
      me: this.currentMe.account,
      outbox: this.outboxItems.list(conversation),
      profile: (account) => this.profile(account),
      progress: (id) => this.uploadProgress(id),
      nowMs: Date.now(),
    };
  }

  openConversation(conversation: number): Promise<void> {
    return this.engine.openConversation(conversation);
  }
  loadOlder(conversation: number): Promise<void> {
    return this.engine.loadOlder(conversation);
  }
  refreshMembers(conversation: number): Promise<void> {
    return this.engine.refreshMembers(conversation);
  }

  async openDirect(peer: string): Promise<Conversation> {
    return this.merged(await this.rest.createConversation({ kind: "direct", peer }));
  }
  async createGroup(kind: "group" | "channel", name: string, members: string[]): Promise<Conversation> {
    return this.merged(await this.rest.createConversation({ kind, name, members }));
  }
  addMembers(conversation: number, members: string[]): Promise<Ack> {
    return this.rest.addMembers(conversation, members);
  }
  removeMember(conversation: number, member: string): Promise<Ack> {
    return this.rest.removeMember(conversation, member);
  }
  leave(conversation: number): Promise<Ack> {
    return this.rest.leave(conversation);
  }
  dissolve(conversation: number): Promise<Ack> {
    return this.rest.dissolve(conversation);
  }
  updateGroup(
    conversation: number,
    change: { name?: string; description?: string; announcement?: string; avatar?: string; mute_all?: boolean },
  ): Promise<Ack> {
    return this.rest.updateGroup(conversation, change);
  }
  setRole(conversation: number, member: string, role: "admin" | "member"): Promise<Ack> {
    return this.rest.setRole(conversation, member, role);
  }
  transferOwnership(conversation: number, member: string): Promise<Ack> {
    return this.rest.transferOwnership(conversation, member);
  }
  muteMember(conversation: number, member: string, untilMs?: number): Promise<Ack> {
    return this.rest.muteMember(conversation, member, untilMs);
  }
  async updateSettings(conversation: number, settings: SettingsChange): Promise<Conversation> {
    return this.merged(await this.rest.updateSettings(conversation, settings));
  }

  /** Merges a conversation an answer carried and returns the replica's copy of it. */
  private async merged(conversation: Conversation): Promise<Conversation> {
    await this.engine.mergeAnswer(conversation);
    return this.engine.replica.get(conversation.id)?.conversation ?? conversation;
  }

  // ---- Messages -------------------------------------------------------------------------

  send(conversation: number, kind: string, body: Record<string, unknown>, options: SendOptions = {}): string {
    const clientMsgId = newClientMsgId();
    this.outboxItems.add({
      clientMsgId, conversation, kind, body, createdAtMs: Date.now(),
      ...(options.mentions?.length ? { mentions: options.mentions } : {}),
      ...(options.mentionAll ? { mentionAll: true } : {}),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...threadFields(options),
    });
    this.changed();
    void this.flushOutbox();
    return clientMsgId;
  }

  sendText(conversation: number, text: string, options?: SendOptions): string {
    return this.send(conversation, "text", { text }, options);
  }

  retry(_conversation: number, clientMsgId: string): void {
    if (!this.outboxItems.retry(clientMsgId)) return;
    const upload = this.uploads.get(clientMsgId);
    if (upload && this.outboxItems.get(clientMsgId)?.uploading) this.startUpload(clientMsgId, upload.file, upload.message);
    this.changed();
    void this.flushOutbox();
  }

  discard(_conversation: number, clientMsgId: string): void {
    const item = this.outboxItems.get(clientMsgId);
    // A message on its way may be stored whatever happens here, so only a failed one, or one
    // whose file is still uploading, can be dropped.
    if (!item || (item.state !== "failed" && !item.uploading)) return;
    this.uploads.get(clientMsgId)?.abort.abort();
    this.uploads.delete(clientMsgId);
    this.outboxItems.remove(clientMsgId);
    this.changed();
  }

  outbox(conversation?: number): MessageView[] {
    const context = this.viewContext(conversation);
    return this.outboxItems
      .list(conversation)
      .filter((item) => !item.ack)
      .map((item) => outboxView(item, this.engine.replica.get(item.conversation), context));
  }

  /** Sends the outbox, oldest first, one message at a time: the server stores what one
   * connection sends in order (§7.9), and waiting for each ack keeps that order also when an
   * attempt fails. Runs while online; a lost connection stops it until the next catch-up. */
  private async flushOutbox(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const socket = this.socket;
        const item = this.outboxItems.next();
        if (!item || !socket || this.currentStatus !== "online") return;
        try {
          const ack = await socket.request<Ack>("send", {
            conversation: item.conversation,
            client_msg_id: item.clientMsgId,
            kind: item.kind,
            body: item.body,
            ...(item.mentions ? { mentions: item.mentions } : {}),
            ...(item.mentionAll ? { mention_all: true } : {}),
            ...(item.replyTo !== undefined ? { reply_to: item.replyTo } : {}),
            ...(item.thread !== undefined ? { thread: item.thread } : {}),
            ...(item.broadcast ? { broadcast: true } : {}),
          });
          this.outboxItems.acked(item.clientMsgId, ack);
          const known = this.engine.replica.get(item.conversation)?.conversation;
          if (known) this.outboxItems.settle(item.conversation, known.last_seq, [], this.currentMe.account);
          this.changed();
        } catch (error) {
          const failure = asMagpieError(error);
          if (isTypedRefusal(failure)) {
            this.outboxItems.fail(item.clientMsgId, failure);
            this.changed();
            continue;
          }
          // Not refused: it may or may not be stored, so it is sent again with the same id.
          // A lost connection resends after the next catch-up; anything else after a wait.
          if (failure.code !== "network") this.retrySendsLater(failure);
          return;
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private retrySendsLater(failure: MagpieError): void {
    if (this.sendRetryTimer !== undefined) return;
    const delay = failure.retryAfterSecs !== undefined ? failure.retryAfterSecs * 1000 : SEND_RETRY_DELAY_MS;
    this.sendRetryTimer = setTimeout(() => {
      this.sendRetryTimer = undefined;
      void this.flushOutbox();
    }, delay);
  }

  edit(conversation: number, seq: number, body: Record<string, unknown>): Promise<Ack> {
    return this.rest.edit(conversation, seq, body, newClientMsgId());
  }
  recall(conversation: number, seq: number): Promise<Ack> {
    return this.rest.recall(conversation, seq, newClientMsgId());
  }
  react(conversation: number, seq: number, emoji: string, on: boolean): Promise<Ack> {
    return this.rest.react(conversation, seq, emoji, on, newClientMsgId());
  }
  forward(to: number, from: number, seqs: number[]): Promise<Ack> {
    return this.rest.forward(to, from, seqs, newClientMsgId());
  }
  cardAction(conversation: number, seq: number, request: CardActionRequest): Promise<CardActionResult> {
    return this.rest.cardAction(conversation, seq, request);
  }
  offeredCommands(conversation: number): Promise<OfferedCommand[]> {
    return this.rest.offeredCommands(conversation);
  }
  invokeCommand(conversation: number, command: string, text: string): Promise<CommandResult> {
    return this.rest.invokeCommand(conversation, command, text);
  }
  hide(conversation: number, seqs: number[]): Promise<void> {
    return this.rest.hide(conversation, seqs);
  }
  receipts(conversation: number, seq: number): Promise<Receipts> {
    return this.rest.receipts(conversation, seq);
  }

  // ---- Pinned and saved messages ------------------------------------------------------

  pins(conversation: number): Pin[] | undefined {
    return this.pinLists.get(conversation);
  }

  async loadPins(conversation: number): Promise<Pin[]> {
    const load = ++this.pinLoadCount;
    this.pinLoads.set(conversation, load);
    this.pinsThrough.set(conversation, this.engine.replica.get(conversation)?.conversation.last_seq ?? 0);
    const pins = this.notPruned(conversation, await this.rest.pins(conversation));
    if (this.pinLoads.get(conversation) === load) {
      this.pinLists.set(conversation, pins);
      this.changed();
    }
    return pins;
  }

  async pin(conversation: number, seq: number): Promise<Ack> {
    const ack = await this.rest.pin(conversation, seq);
    this.loadPins(conversation).catch(() => {});
    return ack;
  }

  async unpin(conversation: number, seq: number): Promise<Ack> {
    const ack = await this.rest.unpin(conversation, seq);
    this.loadPins(conversation).catch(() => {});
    return ack;
  }

  /** The pins whose messages retention has not deleted (an answer read before a prune). */
  private notPruned(conversation: number, pins: Pin[]): Pin[] {
    const deleted = this.engine.replica.get(conversation)?.conversation.pruned_through ?? 0;
    return pins.some((p) => p.entry.seq <= deleted) ? pins.filter((p) => p.entry.seq > deleted) : pins;
  }

  /** Entries applied to a conversation whose pins are loaded: a pin or unpin notice the list
   * may not include loads it again; a recall takes its message out (it unpins, §7.5), and so
   * does retention deleting it. */
  private notePinChanges(conversation: number, entries: Iterable<Entry>): void {
    const held = this.pinLists.get(conversation);
    if (!held) return;
    const pins = this.notPruned(conversation, held);
    if (pins !== held) {
      this.pinLists.set(conversation, pins);
      this.changed();
    }
    const through = this.pinsThrough.get(conversation) ?? 0;
    let reload = false;
    const recalled = new Set<number>();
    for (const entry of entries) {
      if (entry.seq <= through) continue;
      const event = entry.kind === "system" ? entry.body?.["event"] : undefined;
      if (event === "message_pinned" || event === "message_unpinned") reload = true;
      if (entry.kind === "recall" && entry.target !== undefined) recalled.add(entry.target);
    }
    if (reload) {
      this.loadPins(conversation).catch(() => {});
    } else if (pins.some((p) => recalled.has(p.entry.seq))) {
      this.pinLists.set(conversation, pins.filter((p) => !recalled.has(p.entry.seq)));
      this.changed();
    }
  }

  // ---- Threads (§7.12) ------------------------------------------------------------------

  thread(conversation: number, root: number): ThreadView | undefined {
    const key = threadKey(conversation, root);
    const cached = this.threadViews.get(key);
    if (cached) return cached;
    const thread = this.engine.replica.thread(conversation, root);
    const state = this.engine.replica.get(conversation);
    if (!thread || !state) return undefined;
    const view = shareThreadView(this.builtThreadViews.get(key), threadView(thread, state, this.viewContext(conversation)));
    this.threadViews.set(key, view);
    this.builtThreadViews.set(key, view);
    return view;
  }

  async openThread(conversation: number, root: number): Promise<void> {
    const key = threadKey(conversation, root);
    this.threadsOpen.add(key);
    await this.engine.openThread(conversation, root);
    // Closed while its page was on its way: it is not kept current for nobody.
    if (!this.threadsOpen.has(key)) this.engine.replica.closeThread(conversation, root);
  }

  closeThread(conversation: number, root: number): void {
    this.threadsOpen.delete(threadKey(conversation, root));
    this.engine.replica.closeThread(conversation, root);
    this.builtThreadViews.delete(threadKey(conversation, root));
    this.changed();
  }

  loadOlderReplies(conversation: number, root: number): Promise<void> {
    return this.engine.loadOlderReplies(conversation, root);
  }

  async updateThread(conversation: number, root: number, change: { following?: boolean; read_seq?: number }): Promise<Thread> {
    const thread = await this.rest.updateThread(conversation, root, change);
    this.engine.replica.noteThread(thread);
    this.changed();
    return thread;
  }

  markThreadRead(conversation: number, root: number): void {
    const thread = this.engine.replica.thread(conversation, root);
    if (!thread) return;
    const newest = Math.max(root, ...thread.replies.keys());
    if (newest <= thread.readSeq) return;
    this.engine.replica.markThreadReadLocally(conversation, root, newest);
    this.changed();
    this.updateThread(conversation, root, { read_seq: newest }).catch(() => {
      // Not read on the server: the next catch-up loads the list again, and the thread shows
      // the mark it has there when it is opened again.
    });
  }

  threads(conversation: number): Thread[] | undefined {
    return this.engine.replica.threadLists.get(conversation);
  }

  loadThreads(conversation: number): Promise<Thread[]> {
    const loading = this.threadsLoading.get(conversation);
    if (loading) return loading;
    const load = ++this.threadLoadCount;
    this.threadLoads.set(conversation, load);
    const asked = this.rest.threads({ conversation, limit: THREADS_LIST_MAX }).then((threads) => {
      if (this.threadLoads.get(conversation) === load) {
        this.engine.replica.setThreadList(conversation, threads);
        this.changed();
      }
      return this.engine.replica.threadLists.get(conversation) ?? threads;
    }).finally(() => {
      this.threadsLoading.delete(conversation);
      // Something changed while this load was on its way, which it may not show.
      if (this.threadsAgain.delete(conversation)) this.loadThreads(conversation).catch(() => {});
    });
    this.threadsLoading.set(conversation, asked);
    return asked;
  }

  /** What is held of a conversation's threads may be out of date: the list of followed ones
   * (once loaded) and the open ones are loaded again, a load under way is followed by one more. */
  private reloadThreads(conversation: number): void {
    if (this.engine.replica.threadLists.has(conversation)) {
      if (this.threadsLoading.has(conversation)) this.threadsAgain.add(conversation);
      else this.loadThreads(conversation).catch(() => {});
    }
    for (const thread of this.engine.replica.threads.values()) {
      if (thread.conversation === conversation) this.engine.openThread(conversation, thread.root.seq).catch(() => {});
    }
  }

  saved(): SavedPage | undefined {
    return this.savedList;
  }

  async loadSaved(older = false): Promise<SavedPage> {
    const held = this.savedList;
    const before = older && held ? held.items.at(-1)?.id : undefined;
    const page = await this.rest.saved({ before, limit: SAVED_PAGE_LEN });
    if (older && held && this.savedList === held) {
      const known = new Set(held.items.map((i) => i.id));
      this.savedList = { items: [...held.items, ...page.items.filter((i) => !known.has(i.id))], more: page.more };
    } else {
      this.savedList = page;
    }
    this.changed();
    return this.savedList;
  }

  async saveMessage(conversation: number, seq: number, note?: string): Promise<SavedItem> {
    const item = await this.rest.saveMessage(conversation, seq, note);
    this.putSaved(item);
    return item;
  }

  async updateSavedNote(id: number, note: string): Promise<SavedItem> {
    const item = await this.rest.updateSaved(id, note.trim() === "" ? null : note);
    this.putSaved(item);
    return item;
  }

  async removeSaved(id: number): Promise<void> {
    await this.rest.removeSaved(id);
    this.dropSaved(id);
  }

  /** Puts an item in the loaded list (newest first): in place of its old self, or where its id
   * goes, unless that is in a page not loaded yet. */
  private putSaved(item: SavedItem): void {
    const list = this.savedList;
    if (!list) return;
    const items = list.items.filter((i) => i.id !== item.id);
    const last = items.at(-1);
    if (list.more && last && item.id < last.id && !list.items.some((i) => i.id === item.id)) return;
    const at = items.findIndex((i) => i.id < item.id);
    items.splice(at === -1 ? items.length : at, 0, item);
    this.savedList = { items, more: list.more };
    this.changed();
  }

  private dropSaved(id: number): void {
    const list = this.savedList;
    if (!list?.items.some((i) => i.id === id)) return;
    this.savedList = { items: list.items.filter((i) => i.id !== id), more: list.more };
    this.changed();
  }

  // ---- Scheduled messages -----------------------------------------------------------

  scheduled(conversation?: number): ScheduledMessage[] | undefined {
    const list = this.scheduledList;
    if (!list || conversation === undefined) return list;
    return list.filter((m) => m.conversation === conversation);
  }

  async loadScheduled(): Promise<ScheduledMessage[]> {
    const list = await this.rest.scheduled();
    this.scheduledList = list;
    this.changed();
    return list;
  }

  async scheduleMessage(
    conversation: number, kind: string, body: Record<string, unknown>, sendAtMs: number, options: SendOptions = {},
  ): Promise<ScheduledMessage> {
    const message = await this.rest.scheduleMessage(conversation, {
      kind, body, send_at_ms: sendAtMs,
      ...(options.mentions?.length ? { mentions: options.mentions } : {}),
      ...(options.mentionAll ? { mention_all: true } : {}),
      ...(options.replyTo !== undefined ? { reply_to: options.replyTo } : {}),
    });
    this.putScheduled(message);
    return message;
  }

  async updateScheduled(id: number, change: ScheduledChange): Promise<ScheduledMessage> {
    const message = await this.rest.updateScheduled(id, change);
    this.putScheduled(message);
    return message;
  }

  async cancelScheduled(id: number): Promise<void> {
    await this.rest.cancelScheduled(id);
    this.dropScheduled(id);
  }

  async sendScheduledNow(id: number): Promise<Ack> {
    const ack = await this.rest.sendScheduled(id);
    this.dropScheduled(id);
    return ack;
  }

  /** Puts a scheduled message in the loaded list, in place of its old self, in time order. */
  private putScheduled(message: ScheduledMessage): void {
    const list = this.scheduledList;
    if (!list) return;
    const held = list.find((m) => m.id === message.id);
    // An answer that comes after a newer one (two events' fetches crossing) is not put back.
    if (held && changedAt(held) > changedAt(message)) return;
    const next = [...list.filter((m) => m.id !== message.id), message];
    next.sort((a, b) => a.send_at_ms - b.send_at_ms || a.id - b.id);
    this.scheduledList = next;
    this.changed();
  }

  private dropScheduled(id: number): void {
    const list = this.scheduledList;
    if (!list?.some((m) => m.id === id)) return;
    this.scheduledList = list.filter((m) => m.id !== id);
    this.changed();
  }

  /** Account events about what the SDK keeps: saved and scheduled messages, and messages
   * deleted for me (they leave the pin lists, §7.5). */
  private onKeptEvent(event: AccountEvent): void {
    const e = event.event;
    if (e.kind === "scheduled_changed" && typeof e["id"] === "number") {
      const id = e["id"];
      if (!this.scheduledList) return;
      this.rest.scheduledMessage(id).then(
        (message) => this.putScheduled(message),
        (error: unknown) => {
          if (asMagpieError(error).code === "not_found") this.dropScheduled(id);
        },
      );
    } else if ((e.kind === "scheduled_removed" || e.kind === "scheduled_sent") && typeof e["id"] === "number") {
      this.dropScheduled(e["id"]);
    } else if (e.kind === "saved_changed" && typeof e["id"] === "number") {
      const id = e["id"];
      if (!this.savedList) return;
      this.rest.savedItem(id).then(
        (item) => this.putSaved(item),
        (error: unknown) => {
          if (asMagpieError(error).code === "not_found") this.dropSaved(id);
        },
      );
    } else if (e.kind === "saved_removed" && typeof e["id"] === "number") {
      this.dropSaved(e["id"]);
    } else if (e.kind === "hidden" && typeof e["conversation"] === "number" && Array.isArray(e["seqs"])) {
      const pins = this.pinLists.get(e["conversation"]);
      const hidden = new Set(e["seqs"] as unknown[]);
      if (pins?.some((p) => hidden.has(p.entry.seq))) {
        this.pinLists.set(e["conversation"], pins.filter((p) => !hidden.has(p.entry.seq)));
        this.changed();
      }
    }
  }

  markRead(conversation: number, upTo?: number): void {
    const state = this.engine.replica.get(conversation);
    if (!state || state.left) return;
    const end = state.block?.last ?? state.conversation.last_seq;
    const seq = upTo === undefined ? end : Math.min(upTo, end);
    const me = state.conversation.me;
    // Nothing new: at or below the mark, unless the mark reaches the end while the count
    // still says unread (then the server's count is brought to zero), or the conversation was
    // marked unread (reading takes the mark away, §7.7).
    if (seq <= me.read_seq && !me.marked_unread && (seq < state.conversation.last_seq || state.conversation.unread === 0)) return;
    this.engine.replica.markReadLocally(conversation, seq);
    this.changed();
    this.queueMark(this.readMarks, conversation, seq);
  }

  private queueMark(marks: Map<number, number>, conversation: number, seq: number): void {
    marks.set(conversation, Math.max(marks.get(conversation) ?? 0, seq));
    this.scheduleMarks();
  }

  private scheduleMarks(): void {
    if (this.marksTimer !== undefined) return;
    const wait = Math.max(0, this.marksSentAt + MARKS_INTERVAL_MS - Date.now());
    this.marksTimer = setTimeout(() => {
      this.marksTimer = undefined;
      this.flushMarks();
    }, wait);
  }

  /** Sends the marks that are due. A mark that cannot go now (no connection) waits for the
   * next catch-up; the server keeps marks monotonic, so a late one is harmless. */
  private flushMarks(): void {
    const socket = this.socket;
    if (!socket || this.currentStatus !== "online") return;
    this.marksSentAt = Date.now();
    let budget = MARKS_PER_FLUSH_MAX;
    const send = (type: "mark_read" | "mark_delivered", marks: Map<number, number>): void => {
      for (const [conversation, seq] of [...marks]) {
        if (budget === 0) break;
        marks.delete(conversation);
        const state = this.engine.replica.get(conversation);
        if (!state || state.left) continue;
        const me = state.conversation.me;
        // A read mark raises the delivery mark with it (§7.7).
        if (type === "mark_delivered" && seq <= Math.max(me.delivered_seq, me.read_seq)) continue;
        budget -= 1;
        socket.request<Conversation>(type, { conversation, seq }).then(
          (answer) => this.engine.replica.noteDelivered(conversation, answer.me.delivered_seq),
          (error: unknown) => {
            if (asMagpieError(error).code === "network") this.queueMark(marks, conversation, seq);
          },
        );
      }
    };
    send("mark_read", this.readMarks);
    send("mark_delivered", this.deliveryMarks);
    if (this.readMarks.size > 0 || this.deliveryMarks.size > 0) this.scheduleMarks();
  }

  typing(conversation: number): void {
    const now = Date.now();
    if (now - (this.typingSentAt.get(conversation) ?? 0) < TYPING_INTERVAL_MS) return;
    if (!this.socket || this.currentStatus !== "online") return;
    this.typingSentAt.set(conversation, now);
    this.socket.request("typing", { conversation }).catch(() => {
      // Ephemeral: a lost typing signal needs no retry.
    });
  }

  private scheduleTypingExpiry(): void {
    clearTimeout(this.typingTimer);
    const { nextExpiryMs } = this.engine.replica.expireTyping(Date.now());
    if (nextExpiryMs === undefined) return;
    this.typingTimer = setTimeout(() => {
      this.typingTimer = undefined;
      if (this.engine.replica.expireTyping(Date.now()).changed) this.changed();
      this.scheduleTypingExpiry();
    }, nextExpiryMs - Date.now());
  }

  // ---- Files ----------------------------------------------------------------------------

  upload(file: Blob & { name?: string }, onProgress?: (p: UploadProgress) => void, signal?: AbortSignal): Promise<FileInfo> {
    return uploadFile(this.rest, file, { onProgress, signal });
  }

  sendFile(conversation: number, file: Blob & { name?: string }, options: Pick<SendOptions, "thread" | "broadcast"> = {}): string {
    const clientMsgId = newClientMsgId();
    const kind = file.type.startsWith("image/") ? "image" : "file";
    const body: Record<string, unknown> = file.name ? { name: file.name } : {};
    this.outboxItems.add({ clientMsgId, conversation, kind, body, createdAtMs: Date.now(), uploading: true, ...threadFields(options) });
    this.startUpload(clientMsgId, file, (info) => fileMessage(info, file.name));
    this.changed();
    return clientMsgId;
  }

  sendVoice(conversation: number, audio: Blob & { name?: string }, voice: VoiceDetails, options: Pick<SendOptions, "thread" | "broadcast"> = {}): string {
    const clientMsgId = newClientMsgId();
    // §7.3: 1 ms to a day. A body may carry extra fields, which the server keeps: the waveform.
    const details: Record<string, unknown> = { duration_ms: Math.min(VOICE_DURATION_MS_MAX, Math.max(1, Math.round(voice.durationMs))) };
    if (voice.waveform?.length) details.waveform = voice.waveform;
    this.outboxItems.add({ clientMsgId, conversation, kind: "voice", body: details, createdAtMs: Date.now(), uploading: true, ...threadFields(options) });
    this.startUpload(clientMsgId, audio, (info) => ({ kind: "voice", body: { file: info.id, ...details } }));
    this.changed();
    return clientMsgId;
  }

  private startUpload(clientMsgId: string, file: Blob & { name?: string }, message: Upload["message"]): void {
    const upload: Upload = { file, message, progress: { sent: 0, total: file.size }, abort: new AbortController() };
    this.uploads.set(clientMsgId, upload);
    const onProgress = (progress: UploadProgress): void => {
      upload.progress = progress;
      this.changed();
    };
    uploadFile(this.rest, file, { onProgress, signal: upload.abort.signal }).then(
      (info) => {
        if (this.uploads.get(clientMsgId) !== upload) return;
        this.uploads.delete(clientMsgId);
        const { kind, body } = message(info);
        this.outboxItems.uploaded(clientMsgId, kind, body);
        this.changed();
        void this.flushOutbox();
      },
      (error: unknown) => {
        if (this.uploads.get(clientMsgId) !== upload) return;
        // Kept, with its file, for retry().
        this.outboxItems.fail(clientMsgId, asMagpieError(error));
        this.changed();
      },
    );
  }

  uploadProgress(clientMsgId: string): UploadProgress | undefined {
    return this.uploads.get(clientMsgId)?.progress;
  }
  fileUrl(fileId: string, thumbnailSide?: 256 | 1024): Promise<string> {
    return this.files.get(fileId, thumbnailSide);
  }
  shared(conversation: number, kind: SharedKind, before?: number, limit?: number): Promise<SharedPage> {
    return this.rest.shared(conversation, kind, before, limit);
  }
  linkPreview(url: string): Promise<LinkPreview | null> {
    if (this.previewsOff) return Promise.resolve(null);
    const cached = this.previews.get(url);
    if (cached) return cached;
    const asked = this.rest.linkPreview(url).then(
      (preview) => {
        if (this.previews.get(url) === asked) this.previewsKnown.set(url, preview);
        return preview;
      },
      (error: unknown) => {
        const code = asMagpieError(error).code;
        if (code === "forbidden") this.previewsOff = true;
        // A refusal for now (rate, load, network) is asked again later; a page without a
        // preview is not, for this page load.
        if (code === "rate_limited" || code === "unavailable" || code === "network") this.previews.delete(url);
        else if (this.previews.get(url) === asked) this.previewsKnown.set(url, null);
        return null;
      },
    );
    this.previews.set(url, asked);
    while (this.previews.size > LINK_PREVIEWS_MAX) {
      const oldest = this.previews.keys().next().value as string;
      this.previews.delete(oldest);
      this.previewsKnown.delete(oldest);
    }
    return asked;
  }
  linkPreviewKnown(url: string): LinkPreview | null | undefined {
    if (this.previewsOff) return null;
    return this.previewsKnown.get(url);
  }
  linkPreviewImageUrl(url: string): Promise<string> {
    return this.files.preview(url);
  }
  cardImageUrl(conversation: number, seq: number, block: number, url: string): Promise<string> {
    return this.files.cardImage(conversation, seq, block, url);
  }
  fileInfo(fileId: string): Promise<FileInfo> {
    return this.rest.fileInfo(fileId);
  }
  stickers(): Promise<StickerPack[]> {
    return this.rest.stickers();
  }

  // ---- The organisation (§11) -------------------------------------------------------------

  departments(): Promise<Department[]> {
    return this.rest.departments();
  }
  async departmentMembers(department: number, page: { after?: string; limit?: number } = {}): Promise<DepartmentMember[]> {
    const members = await this.rest.departmentMembers(department, page);
    this.remember(members.map((m) => m.profile));
    return members;
  }
  placements(account: string): Promise<Placements> {
    return this.rest.placements(account);
  }
  searchDepartments(q: string, limit?: number): Promise<DepartmentMatch[]> {
    return this.rest.searchDepartments(q, limit);
  }
  get admin(): DomainAdmin {
    return this.rest;
  }

  // ---- The workbench ------------------------------------------------------------------------

  workbenchApps(): Promise<WorkbenchApp[]> {
    return this.rest.workbenchApps();
  }
  authorizeInfo(request: AuthorizeRequest): Promise<AuthorizeInfo> {
    return this.rest.authorizeInfo(request);
  }
  authorize(request: AuthorizeRequest): Promise<AuthorizeRedirect> {
    return this.rest.authorize(request);
  }
  appGrants(): Promise<AppGrant[]> {
    return this.rest.appGrants();
  }
  revokeAppGrant(app: number): Promise<void> {
    return this.rest.revokeAppGrant(app);
  }
  appIconUrl(app: number, icon: string): Promise<string> {
    return this.files.appIcon(app, icon);
  }

  // ---- Invitations by members (§5) --------------------------------------------------------

  myInvitations(): Promise<Invitation[]> {
    return this.rest.myInvitations();
  }
  createInvitation(invitation: NewInvitation): Promise<CreatedInvitation> {
    return this.rest.createMyInvitation(invitation);
  }
  revokeInvitation(id: number): Promise<void> {
    return this.rest.revokeMyInvitation(id);
  }

  // ---- People -----------------------------------------------------------------------------

  profile(account: string, options: { fetch?: boolean } = {}): Profile | undefined {
    if (account === this.currentMe.account) return this.currentMe;
    const cached = this.profiles.get(account);
    if (cached !== undefined) return cached ?? undefined;
    if (options.fetch === false || this.profilesFetching.has(account)) return undefined;
    const failedAt = this.profilesFailedAt.get(account);
    if (failedAt === undefined || Date.now() - failedAt > PROFILE_RETRY_MS) {
      this.profilesWanted.add(account);
      queueMicrotask(() => this.fetchProfiles());
    }
    return undefined;
  }

  /** Fetches the wanted profiles, a few at a time, so that rendering a long list costs one
   * batch of requests and not a storm. */
  private fetchProfiles(): void {
    while (this.profileFetches < PROFILE_FETCHES_MAX && this.profilesWanted.size > 0) {
      const account = this.profilesWanted.values().next().value as string;
      this.profilesWanted.delete(account);
      if (this.profiles.has(account) || this.profilesFetching.has(account)) continue;
      this.profilesFetching.add(account);
      this.profileFetches += 1;
      this.rest
        .account(account)
        .then(
          (profile) => this.profiles.set(account, profile),
          (error: unknown) => {
            if (asMagpieError(error).code === "not_found") this.profiles.set(account, null);
            else this.profilesFailedAt.set(account, Date.now());
          },
        )
        .finally(() => {
          this.profilesFetching.delete(account);
          this.profileFetches -= 1;
          this.changed();
          this.fetchProfiles();
        });
    }
  }

  private remember(profiles: Profile[]): Profile[] {
    for (const profile of profiles) this.profiles.set(profile.account, profile);
    this.changed();
    return profiles;
  }

  async searchAccounts(query: string): Promise<Profile[]> {
    return this.remember(await this.rest.accounts(query));
  }
  searchMessages(query: SearchMessagesQuery): Promise<SearchMessagesPage> {
    return this.rest.searchMessages(query);
  }
  async searchPeople(q: string, limit?: number): Promise<PersonMatch[]> {
    const found = await this.rest.searchPeople(q, limit);
    this.remember(found.map((m) => m.profile));
    return found;
  }
  searchGroups(q: string, limit?: number): Promise<GroupMatch[]> {
    return this.rest.searchGroups(q, limit);
  }
  searchFiles(query: SearchFilesQuery): Promise<SearchFilesPage> {
    return this.rest.searchFiles(query);
  }
  async updateMe(change: { display_name?: string; signature?: string; avatar?: string }): Promise<Me> {
    const me = await this.rest.updateMe(change);
    this.setMe(me);
    return me;
  }
  changePassword(current: string, next: string): Promise<void> {
    return this.rest.changePassword(current, next);
  }

  notificationPrefs(): Promise<NotificationPrefs> {
    return this.rest.notificationPrefs();
  }

  /** What this server pushes through (§5 "Push"), and the VAPID key a browser subscribes with. */
  pushConfig(): Promise<PushConfig> {
    return this.rest.pushConfig();
  }

  /** The account's devices registered for pushes. */
  pushTargets(): Promise<PushTargetInfo[]> {
    return this.rest.pushTargets();
  }

  /** Registers this device (this session) for pushes: logging out ends them. */
  addPushTarget(target: PushTargetRequest): Promise<PushTargetInfo> {
    return this.rest.addPushTarget(target);
  }

  removePushTarget(id: number): Promise<void> {
    return this.rest.removePushTarget(id);
  }

  setNotificationPrefs(prefs: NotificationPrefs): Promise<NotificationPrefs> {
    return this.rest.setNotificationPrefs(prefs);
  }
  sessions(): Promise<Session[]> {
    return this.rest.sessions();
  }
  revokeSession(id: number): Promise<void> {
    return this.rest.revokeSession(id);
  }
  async contacts(): Promise<Profile[]> {
    return this.remember(await this.rest.contacts());
  }
  async friendRequests(): Promise<FriendRequests> {
    const { incoming, outgoing } = await this.rest.friendRequests();
    const withAccount = (request: WirePendingRequest, account: string) => ({ ...request, account });
    return {
      incoming: incoming.map((r) => withAccount(r, r.from)),
      outgoing: outgoing.map((r) => withAccount(r, r.to)),
    };
  }
  sendFriendRequest(account: string, message?: string): Promise<"requested" | "added"> {
    return this.rest.sendFriendRequest(account, message);
  }
  acceptFriendRequest(account: string): Promise<void> {
    return this.rest.acceptFriendRequest(account);
  }
  rejectFriendRequest(account: string): Promise<void> {
    return this.rest.rejectFriendRequest(account);
  }
  removeContact(account: string): Promise<void> {
    return this.rest.removeContact(account);
  }
  async blocked(): Promise<Profile[]> {
    return this.remember(await this.rest.blocked());
  }
  block(account: string): Promise<void> {
    return this.rest.block(account);
  }
  unblock(account: string): Promise<void> {
    return this.rest.unblock(account);
  }

  presence(account: string): Presence | undefined {
    const known = this.presences.get(account);
    if (!known && !this.presenceWanted.has(account)) {
      this.presenceWanted.add(account);
      queueMicrotask(() => this.queryPresence([]));
    }
    return known;
  }

  /** Asks for the presence of `accounts` and of every account asked for since the last query.
   * Only pushes of changes come by themselves (§9.2), so after a reconnect the client asks
   * again for everything it shows. */
  private queryPresence(accounts: string[]): void {
    const socket = this.socket;
    if (!socket || this.currentStatus !== "online") return;
    const wanted = [...new Set([...accounts, ...this.presenceWanted])];
    this.presenceWanted.clear();
    for (let i = 0; i < wanted.length; i += PRESENCE_QUERY_LEN_MAX) {
      const batch = wanted.slice(i, i + PRESENCE_QUERY_LEN_MAX);
      socket.request<{ presence: Presence[] }>("get_presence", { accounts: batch }).then(
        ({ presence }) => {
          for (const p of presence) this.presences.set(p.account, p);
          this.changed();
        },
        () => {
          for (const account of batch) if (!this.presences.has(account)) this.presenceWanted.add(account);
        },
      );
    }
  }

  async setPresence(status: Exclude<PresenceStatus, "offline">, text?: string): Promise<void> {
    const presence = await this.rest.setPresence(status, text);
    // The answer shows `offline` while this session has no connection; the chosen status
    // applies from its next one (§9.2).
    this.presences.set(presence.account, presence);
    this.changed();
  }
}

/** The outbox fields of a thread reply's options. */
function threadFields(options: Pick<SendOptions, "thread" | "broadcast">): { thread?: number; broadcast?: boolean } {
  if (options.thread === undefined) return {};
  return options.broadcast ? { thread: options.thread, broadcast: true } : { thread: options.thread };
}

// ---- Entry points ---------------------------------------------------------------------------

/** Signs in with a password and returns the client, not started yet (call start()). The
 * device key an earlier login of the account stored is sent along, and the new one stored. */
export async function login(
  baseUrl: string,
  account: string,
  password: string,
  options: { device?: string; storage?: KeyValueStorage } = {},
): Promise<MagpieClient> {
  const storage = options.storage ?? defaultStorage();
  const deviceKey = loadDeviceKey(storage, baseUrl, account);
  const answer = await new RestClient(baseUrl).login(account, password, {
    ...(options.device === undefined ? {} : { device: options.device }),
    ...(deviceKey === undefined ? {} : { deviceKey }),
  });
  saveDeviceKey(storage, baseUrl, account, answer.device_key);
  return signedIn(baseUrl, answer, storage);
}

/** What a sign-up came to: a signed-in client (not started yet), or, in a domain whose
 * registration needs approval, an application that waits for an administrator. */
export type SignUpResult = { kind: "signed_in"; client: MagpieClient } | { kind: "pending"; account: string };

/** Creates an account in a domain that lets people register (§5 `POST /v1/auth/register`): open,
 * by invitation (`invitation`), with email verification (`email`, `emailCode`), or by approval,
 * where the answer is `pending` and logging in answers `approval_pending` until an administrator
 * decides. */
export async function signUp(
  baseUrl: string,
  account: string,
  password: string,
  options: RegisterOptions & { storage?: KeyValueStorage } = {},
): Promise<SignUpResult> {
  const { storage: given, ...fields } = options;
  const storage = given ?? defaultStorage();
  const answer = await new RestClient(baseUrl).register(account, password, fields);
  if (!("token" in answer)) return { kind: "pending", account: answer.account };
  saveDeviceKey(storage, baseUrl, account, answer.device_key);
  return { kind: "signed_in", client: signedIn(baseUrl, answer, storage) };
}

/** Creates an account and signs in, returns the client. Where the domain's registration needs
 * approval, fails with `approval_pending` (status 202): use signUp() to tell it apart. */
export async function register(
  baseUrl: string,
  account: string,
  password: string,
  options: RegisterOptions & { storage?: KeyValueStorage } = {},
): Promise<MagpieClient> {
  const result = await signUp(baseUrl, account, password, options);
  if (result.kind === "pending") {
    throw new MagpieError("approval_pending", "the application waits for an administrator's approval", { status: 202 });
  }
  return result.client;
}

/** The client of the session stored by an earlier login, or null when there is none or its
 * token is dead. Without a network the stored session is trusted, so that the outbox of a
 * page reloaded offline still shows; start() then finds out. */
export async function resume(baseUrl: string, storage: KeyValueStorage = defaultStorage()): Promise<MagpieClient | null> {
  const stored = loadSession(storage, baseUrl);
  if (!stored) return null;
  let me = stored.me;
  try {
    me = await new RestClient(baseUrl, stored.token).me();
  } catch (error) {
    if (isSessionEnded(error)) {
      forgetSession(storage, baseUrl, stored.session.id);
      return null;
    }
    if (asMagpieError(error).code !== "network") throw error;
  }
  const client = new MagpieClient(baseUrl, stored.token, stored.session, me, storage);
  saveSession(storage, baseUrl, { ...stored, me });
  return client;
}

function signedIn(baseUrl: string, answer: { token: string; session: Session; me: Me }, storage: KeyValueStorage): MagpieClient {
  saveSession(storage, baseUrl, { token: answer.token, session: answer.session, me: answer.me });
  return new MagpieClient(baseUrl, answer.token, answer.session, answer.me, storage);
}

/** The numbers of a field that should hold a list of them; nothing for anything else. */
function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

/** When a scheduled message last changed: its last edit, or its failure after it. */
function changedAt(message: ScheduledMessage): number {
  return Math.max(message.updated_at_ms, message.failure?.at_ms ?? 0);
}
