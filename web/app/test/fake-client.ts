// An in-memory ChatClient for component tests: enough state to render the list and a chat.
import type {
  Ack, ChatClient, ChatEvents, ConnectionStatus, Conversation, ConversationView, Entry, FileInfo, FriendRequests, Me, Member, MessageView, NotificationPrefs,
  LinkPreview, Pin, Presence, Profile, Receipts, SavedItem, SavedPage, ScheduledMessage, SendOptions, Session, SharedPage, StickerPack,
  Thread, ThreadView, UploadProgress, PushConfig, PushTargetInfo, PushTargetRequest,
  GroupMatch, PersonMatch, SearchFilesPage, SearchMessagesPage, SearchMessagesQuery,
  CreatedInvitation, Department, DepartmentMatch, DepartmentMember, DomainAdmin, Invitation, NewInvitation, Placements,
  Notification, NotificationCentre, NotificationPage, CardActionRequest, CardActionResult, CommandResult, OfferedCommand,
  AppGrant, AuthorizeInfo, AuthorizeRedirect, AuthorizeRequest, WorkbenchApp,
} from "@magpie/sdk";
import { shareView } from "@magpie/sdk";

const ack: Ack = { conversation: 0, seq: 0, id: 0, at_ms: 0, duplicate: false };
const no = (): never => { throw new Error("not in the fake"); };

export function conversation(id: number, extra: Partial<Conversation> = {}, me: Partial<Conversation["me"]> = {}): Conversation {
  return {
    id, kind: "direct", mute_all: false, member_count: 2, last_seq: 0, activity: id, last_activity_ms: Date.now(), created_at_ms: 0,
    unread: 0, mentions: 0, ...extra,
    me: { role: "member", joined_seq: 0, read_seq: 0, delivered_seq: 0, pinned: false, muted: false, ...me },
  };
}

export class FakeClient implements ChatClient {
  me: Me = { account: "me@x", display_name: "Me", role: "member", created_at_ms: 0 };
  session: Session = { id: 1, created_at_ms: 0, last_seen_at_ms: 0, expires_at_ms: 0, current: true };
  token = "t";
  status: ConnectionStatus = "online";
  convs: Conversation[] = [];
  messages = new Map<number, MessageView[]>();
  /** The members of the groups whose members are loaded (a view's `members`). */
  memberLists = new Map<number, Member[]>();
  profiles = new Map<string, Profile>();
  sent: { conversation: number; kind: string; body: Record<string, unknown>; options?: SendOptions | undefined }[] = [];
  settings: { conversation: number; settings: object }[] = [];
  private listeners = new Map<string, Set<(...args: unknown[]) => void>>();

  on<K extends keyof ChatEvents>(event: K, listener: ChatEvents[K]): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (...args: unknown[]) => void);
    this.listeners.set(event, set);
    return () => set.delete(listener as (...args: unknown[]) => void);
  }
  emit(event: keyof ChatEvents, ...args: unknown[]): void {
    if (event === "change") this.views.clear();
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
  /** Views as the SDK gives them: the same object until a change, and shared across changes. */
  private readonly views = new Map<number, ConversationView>();
  private readonly built = new Map<number, ConversationView>();
  start(): void {}
  close(): void {}
  async logout(): Promise<void> {}
  conversations(): Conversation[] { return this.convs; }
  view(id: number): ConversationView | undefined {
    const c = this.convs.find((x) => x.id === id);
    if (!c) return undefined;
    const cached = this.views.get(id);
    if (cached) return cached;
    const members = this.memberLists.get(id);
    const view = shareView(this.built.get(id), {
      conversation: c, title: c.name ?? c.peer ?? "", messages: this.messages.get(id) ?? [], atStart: true, typing: [], ...(members ? { members } : {}),
    });
    this.views.set(id, view);
    this.built.set(id, view);
    return view;
  }
  preview(id: number): Entry | undefined { return this.convs.find((c) => c.id === id)?.last_message; }
  async openConversation(): Promise<void> {}
  async loadOlder(): Promise<void> {}
  async refreshMembers(): Promise<void> {}
  openDirect = no; createGroup = no;
  async addMembers(): Promise<Ack> { return ack; }
  async removeMember(): Promise<Ack> { return ack; }
  async leave(): Promise<Ack> { return ack; }
  async dissolve(): Promise<Ack> { return ack; }
  async updateGroup(): Promise<Ack> { return ack; }
  async setRole(): Promise<Ack> { return ack; }
  async transferOwnership(): Promise<Ack> { return ack; }
  async muteMember(): Promise<Ack> { return ack; }
  async updateSettings(conversation: number, settings: { pinned?: boolean; muted?: boolean; draft?: string }): Promise<Conversation> {
    this.settings.push({ conversation, settings });
    return this.convs.find((c) => c.id === conversation)!;
  }
  send(conversation: number, kind: string, body: Record<string, unknown>, options?: SendOptions): string {
    this.sent.push({ conversation, kind, body, options });
    return `c${this.sent.length}`;
  }
  sendText(conversation: number, text: string, options?: SendOptions): string { return this.send(conversation, "text", { text }, options); }
  retry(): void {}
  discard(): void {}
  outbox(): MessageView[] { return []; }
  async edit(): Promise<Ack> { return ack; }
  async recall(): Promise<Ack> { return ack; }
  async react(): Promise<Ack> { return ack; }
  async forward(): Promise<Ack> { return ack; }
  /** The card actions pressed, each waiting until the test answers it (`resolve` or `reject`). */
  cardActions: { conversation: number; seq: number; request: CardActionRequest; resolve: (r: CardActionResult) => void; reject: (e: Error) => void }[] = [];
  cardAction(conversation: number, seq: number, request: CardActionRequest): Promise<CardActionResult> {
    return new Promise((resolve, reject) => { this.cardActions.push({ conversation, seq, request, resolve, reject }); });
  }
  /** The slash commands each conversation offers, and how often they were asked for. */
  commandLists = new Map<number, OfferedCommand[]>();
  commandQueries: number[] = [];
  async offeredCommands(conversation: number): Promise<OfferedCommand[]> {
    this.commandQueries.push(conversation);
    return this.commandLists.get(conversation) ?? [];
  }
  /** The commands invoked, each waiting until the test answers it (`resolve` or `reject`). */
  invocations: { conversation: number; command: string; text: string; resolve: (r: CommandResult) => void; reject: (e: Error) => void }[] = [];
  invokeCommand(conversation: number, command: string, text: string): Promise<CommandResult> {
    return new Promise((resolve, reject) => { this.invocations.push({ conversation, command, text, resolve, reject }); });
  }
  async hide(): Promise<void> {}
  markRead(): void {}
  async receipts(): Promise<Receipts> { return { read: [], delivered: [], unread: [] }; }
  typing(): void {}
  pinLists = new Map<number, Pin[]>();
  savedPage: SavedPage | undefined;
  pins(conversation: number): Pin[] | undefined { return this.pinLists.get(conversation); }
  async loadPins(conversation: number): Promise<Pin[]> { return this.pinLists.get(conversation) ?? []; }
  async pin(): Promise<Ack> { return ack; }
  async unpin(): Promise<Ack> { return ack; }
  threadViews = new Map<string, ThreadView>();
  threadLists = new Map<number, Thread[]>();
  threadChanges: { conversation: number; root: number; change: { following?: boolean; read_seq?: number } }[] = [];
  thread(conversation: number, root: number): ThreadView | undefined { return this.threadViews.get(`${conversation}:${root}`); }
  async openThread(): Promise<void> {}
  closeThread(): void {}
  async loadOlderReplies(): Promise<void> {}
  async updateThread(conversation: number, root: number, change: { following?: boolean; read_seq?: number }): Promise<Thread> {
    this.threadChanges.push({ conversation, root, change });
    const view = this.threadViews.get(`${conversation}:${root}`);
    return { conversation, root: view?.root.entry ?? no(), following: change.following ?? view?.following ?? false, read_seq: change.read_seq ?? 0, unread: 0 };
  }
  markThreadRead(): void {}
  threads(conversation: number): Thread[] | undefined { return this.threadLists.get(conversation); }
  async loadThreads(conversation: number): Promise<Thread[]> { return this.threadLists.get(conversation) ?? []; }
  /** The account's notifications as the server keeps them (any order: answered newest first),
   * the queries and reads the notification centre was asked, and a failure to answer with. */
  inbox: Notification[] = [];
  inboxQueries: { before?: number; limit?: number; unreadOnly?: boolean }[] = [];
  inboxReads: ({ ids: number[] } | { upTo: number })[] = [];
  inboxFailure: Error | undefined;
  notifications: NotificationCentre = {
    list: async (query = {}): Promise<NotificationPage> => {
      this.inboxQueries.push(query);
      if (this.inboxFailure) throw this.inboxFailure;
      const all = [...this.inbox].sort((a, b) => b.id - a.id);
      const matching = all.filter((n) => (query.before === undefined || n.id < query.before) && (!query.unreadOnly || !n.read));
      const limit = query.limit ?? 50;
      return { items: matching.slice(0, limit), more: matching.length > limit, unread: all.filter((n) => !n.read).length };
    },
    read: async (which) => {
      this.inboxReads.push(which);
      if (this.inboxFailure) throw this.inboxFailure;
      const hit = (n: Notification) => ("ids" in which ? which.ids.includes(n.id) : n.id <= which.upTo);
      this.inbox = this.inbox.map((n) => (hit(n) ? { ...n, read: true } : n));
      return { unread: this.inbox.filter((n) => !n.read).length };
    },
  };
  saved(): SavedPage | undefined { return this.savedPage; }
  async loadSaved(): Promise<SavedPage> { return (this.savedPage ??= { items: [], more: false }); }
  saveMessage = no as () => Promise<SavedItem>;
  updateSavedNote = no as () => Promise<SavedItem>;
  async removeSaved(): Promise<void> {}
  scheduledList: ScheduledMessage[] | undefined;
  scheduled(conversation?: number): ScheduledMessage[] | undefined {
    return conversation === undefined ? this.scheduledList : this.scheduledList?.filter((m) => m.conversation === conversation);
  }
  async loadScheduled(): Promise<ScheduledMessage[]> { return (this.scheduledList ??= []); }
  scheduleMessage = no as () => Promise<ScheduledMessage>;
  updateScheduled = no as () => Promise<ScheduledMessage>;
  async cancelScheduled(): Promise<void> {}
  async sendScheduledNow(): Promise<Ack> { return ack; }
  upload = no as (file: Blob) => Promise<FileInfo>;
  sendFile(): string { return "f"; }
  sendVoice(): string { return "v"; }
  uploadProgress(): UploadProgress | undefined { return undefined; }
  async fileUrl(): Promise<string> { return "data:,"; }
  async shared(): Promise<SharedPage> { return { entries: [] }; }
  async linkPreview(): Promise<LinkPreview | null> { return null; }
  linkPreviewKnown(): LinkPreview | null | undefined { return undefined; }
  async linkPreviewImageUrl(): Promise<string> { return "data:,"; }
  /** The card images asked for, as (conversation, seq, block). */
  cardImages: [number, number, number][] = [];
  async cardImageUrl(conversation: number, seq: number, block: number): Promise<string> {
    this.cardImages.push([conversation, seq, block]);
    return `blob:card-${conversation}-${seq}-${block}`;
  }
  /** The workbench: the apps the person may open, the grants they gave, what authorizeInfo answers
   * (or the refusal it rejects with), and what the workbench was asked, as [what, argument]. */
  apps: WorkbenchApp[] = [];
  appGrantList: AppGrant[] = [];
  authorizeAnswer: AuthorizeInfo | Error | undefined;
  workbenchCalls: [string, unknown][] = [];
  async workbenchApps(): Promise<WorkbenchApp[]> { return this.apps; }
  async authorizeInfo(request: AuthorizeRequest): Promise<AuthorizeInfo> {
    this.workbenchCalls.push(["info", request]);
    if (this.authorizeAnswer instanceof Error) throw this.authorizeAnswer;
    return this.authorizeAnswer ?? no();
  }
  async authorize(request: AuthorizeRequest): Promise<AuthorizeRedirect> {
    this.workbenchCalls.push(["authorize", request]);
    return { redirect: `${request.redirect_uri}?code=c0de&state=${request.state ?? ""}` };
  }
  async appGrants(): Promise<AppGrant[]> { return this.appGrantList; }
  async revokeAppGrant(app: number): Promise<void> {
    this.workbenchCalls.push(["revoke", app]);
    this.appGrantList = this.appGrantList.filter((g) => g.app.id !== app);
  }
  /** The app icons asked for, by app id; an icon URL in `brokenIcons` cannot be had. */
  appIcons: number[] = [];
  brokenIcons = new Set<string>();
  async appIconUrl(app: number, icon: string): Promise<string> {
    this.appIcons.push(app);
    if (this.brokenIcons.has(icon)) throw new Error("not_found");
    return `blob:app-icon-${app}`;
  }
  fileInfo = no as () => Promise<FileInfo>;
  async stickers(): Promise<StickerPack[]> { return []; }
  profile(account: string, _options?: { fetch?: boolean }): Profile | undefined { return account === this.me.account ? this.me : this.profiles.get(account); }
  async searchAccounts(): Promise<Profile[]> { return [...this.profiles.values()]; }
  /** What searchMessages answers, one after another (an empty page once they run out), and
   * the queries it was asked. */
  searchAnswers: (SearchMessagesPage | Error)[] = [];
  searchQueries: SearchMessagesQuery[] = [];
  async searchMessages(query: SearchMessagesQuery): Promise<SearchMessagesPage> {
    this.searchQueries.push(query);
    const answer = this.searchAnswers.shift() ?? { results: [], total: 0 };
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async searchPeople(q: string): Promise<PersonMatch[]> {
    return [...this.profiles.values()].filter((p) => p.display_name.includes(q)).map((profile) => ({ profile, matched: "name" }));
  }
  async searchGroups(): Promise<GroupMatch[]> { return []; }
  /** The organisation: the tree, the people of each department, and where people sit. */
  departmentList: Department[] = [];
  departmentPeople = new Map<number, DepartmentMember[]>();
  placementsOf = new Map<string, Placements>();
  async departments(): Promise<Department[]> { return this.departmentList; }
  async departmentMembers(department: number): Promise<DepartmentMember[]> { return this.departmentPeople.get(department) ?? []; }
  async placements(account: string): Promise<Placements> { return this.placementsOf.get(account) ?? { departments: [] }; }
  async searchDepartments(q: string): Promise<DepartmentMatch[]> {
    return this.departmentList.filter((d) => d.name.includes(q)).map((d) => ({ department: d.id, path: [{ id: d.id, name: d.name }], matched: "name" }));
  }
  admin: DomainAdmin = new Proxy({} as DomainAdmin, { get: () => no });
  /** The caller's own invitations, newest first, as the server would keep them. */
  invitationList: Invitation[] = [];
  async myInvitations(): Promise<Invitation[]> { return this.invitationList; }
  async createInvitation(request: NewInvitation): Promise<CreatedInvitation> {
    const id = this.invitationList.length + 1;
    const invitation: Invitation = {
      id, uses: 0, uses_max: request.uses_max ?? 1, expires_at_ms: Date.now() + (request.ttl_secs ?? 604_800) * 1000, created_at_ms: Date.now(),
      created_by: this.me.account, ...(request.note ? { note: request.note } : {}),
    };
    this.invitationList = [invitation, ...this.invitationList];
    return { invitation, code: `inv_${id}` };
  }
  async revokeInvitation(id: number): Promise<void> { this.invitationList = this.invitationList.filter((i) => i.id !== id); }
  async searchFiles(): Promise<SearchFilesPage> { return { results: [], total: 0 }; }
  async updateMe(): Promise<Me> { return this.me; }
  async changePassword(): Promise<void> {}
  notifyPrefs: NotificationPrefs = { level: "all", time_zone: "UTC", keywords: [], preview: true, email_digest: false, digest_after_mins: 60, language: "" };
  /** What setNotificationPrefs was given, and the refusal it answers with when set. */
  notifyPuts: NotificationPrefs[] = [];
  notifyRefusal: Error | undefined;
  async notificationPrefs(): Promise<NotificationPrefs> { return this.notifyPrefs; }
  async setNotificationPrefs(prefs: NotificationPrefs): Promise<NotificationPrefs> {
    this.notifyPuts.push(prefs);
    if (this.notifyRefusal) throw this.notifyRefusal;
    this.notifyPrefs = prefs;
    return prefs;
  }
  pushConfigAnswer: PushConfig = { kinds: ["web_push"], vapid_public_key: "BNbOjyk5pQFBMHC7CfDQMG2Hrxd6GbEnGDmkUbGJ-cS8vsCMZMTNbJZKwDEyJXZRdYBa8zAiWjFLFKTCoVRVmbI", gateways: [] };
  targets: PushTargetInfo[] = [];
  async pushConfig(): Promise<PushConfig> { return this.pushConfigAnswer; }
  async pushTargets(): Promise<PushTargetInfo[]> { return this.targets; }
  async addPushTarget(target: PushTargetRequest): Promise<PushTargetInfo> {
    const label = target.kind === "web_push" ? new URL(target.endpoint).host : target.kind;
    const added = { id: this.targets.length + 1, kind: target.kind, label, current: true, created_at_ms: Date.now() };
    this.targets = [...this.targets, added];
    return added;
  }
  async removePushTarget(id: number): Promise<void> { this.targets = this.targets.filter((t) => t.id !== id); }
  async sessions(): Promise<Session[]> { return [this.session]; }
  async revokeSession(): Promise<void> {}
  async contacts(): Promise<Profile[]> { return []; }
  async friendRequests(): Promise<FriendRequests> { return { incoming: [], outgoing: [] }; }
  async sendFriendRequest(): Promise<"requested"> { return "requested"; }
  async acceptFriendRequest(): Promise<void> {}
  async rejectFriendRequest(): Promise<void> {}
  async removeContact(): Promise<void> {}
  async blocked(): Promise<Profile[]> { return []; }
  async block(): Promise<void> {}
  async unblock(): Promise<void> {}
  presence(): Presence | undefined { return undefined; }
  async setPresence(): Promise<void> {}
}
