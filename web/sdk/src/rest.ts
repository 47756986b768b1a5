// The REST API under /v1/ (docs/protocol.md §5, §7.8, §9, §10), one method per endpoint, over
// fetch. Everything here is stateless apart from the token: a bot or an admin tool can use it
// without the rest of the SDK.

import type {
  Ack, Conversation, FileInfo, LinkPreview, LoginResponse, Me, Member, Pin, Presence, PresenceStatus, Profile,
  Receipts, Role, SavedItem, SavedPage, ScheduledChange, ScheduledMessage, SearchMessagesPage, Session, SharedKind,
  GroupMatch, PersonMatch, SearchFilesPage,
  SharedPage, StickerPack, Thread, ThreadPage,
  AdminAccount, Application, ApplicationPending, CreatedInvitation, Department, DepartmentChange, DepartmentMatch, DepartmentMember,
  DomainAdmin, DomainChange, DomainInfo, Invitation, LdapSource, LdapSourceChange, LdapSyncReport, LdapTestResult, NewDepartment,
  AccountChange, AdminAccountQuery, ImportAccountsReport, ImportAccountsRequest, NewAccount, PasswordReset,
  NewInvitation, Placements, CodeSent, SignupInfo, NotificationPrefs, PushConfig, PushTargetInfo, PushTargetRequest, PushFailureList,
  AnnouncementRequest, AnnouncementSent, AuditExportQuery, AuditQuery, AuditRecordList,
  BackupInfo, ConnectionList, ConnectionsQuery, Dashboard, LogLines, LogQuery, ModerationRules, NewDomain,
  ExportInfo, NewExport, AdminGroupList, AdminGroupQuery, NewSticker, Retention, RetentionRun, Wallet, CreditRequest, Credited, Reconciliation,
  Bot, BotList, BotToken, CreateBotRequest, CreateBotTokenRequest, CreateWebhookRequest, CreatedWebhook, IncomingWebhook, IssuedBotToken,
  UpdateBotRequest, CreateEventSubscriptionRequest, EventSubscription, EventSubscriptionList, IssuedEventSubscription,
  UpdateEventSubscriptionRequest, CardActionRequest, CardActionResult, BotCommand, CommandResult, NewBotCommand, OfferedCommand, Workbench,
} from "./contract.ts";
import { MagpieError, type WireError } from "./errors.ts";
import type {
  App, AppGrant, AppGrantList, AppList, AppOrderRequest, AppSecret, AuthorizeInfo, AuthorizeRedirect, AuthorizeRequest, CreateAppRequest, CreatedApp,
  UpdateAppRequest, WorkbenchApp, WorkbenchAppList,
  CreateConversationRequest, EmailCodeRequest, MailLanguage, RegisterRequest, EntryPage, FileLink, GroupChange, HistoryQuery, PasswordResetCodeRequest, PasswordResetRequest, ProfileChange, ScheduleRequest,
  SearchFilesQuery, SearchMessagesQuery, SendRequest, SettingsChange, SyncRequest, SyncResponse, ThreadChange, ThreadsQuery,
  WirePendingRequest,
} from "./wire.ts";

/** How long a JSON request may take before it counts as unanswered. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a download may take. */
const DOWNLOAD_TIMEOUT_MS = 300_000;
/** How long a backup may take: the server answers `POST /v1/admin/backups` once the backup is
 * finished, which for a large deployment is minutes. */
const BACKUP_TIMEOUT_MS = 3_600_000;

type Query = Record<string, string | number | undefined>;

/** The optional fields of a registration (§5 `POST /v1/auth/register`). */
export interface RegisterOptions {
  displayName?: string; device?: string; invitation?: string; email?: string; emailCode?: string; lang?: MailLanguage;
}

export class RestClient implements DomainAdmin, Workbench {
  /** `baseUrl` is "" in a browser app served by the Magpie server itself (same origin), or
   * "https://chat.example.com" (no trailing slash). */
  constructor(readonly baseUrl: string, private token?: string) {}

  /** The same server with another token (or none). */
  withToken(token: string | undefined): RestClient {
    return new RestClient(this.baseUrl, token);
  }

  /** The headers of an authenticated request, for callers that talk to the server themselves
   * (the tus uploader). */
  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  /** One JSON request. Resolves with the parsed body (undefined for `204`); rejects with a
   * MagpieError: the server's error, or `network` when no answer came. */
  async request<T>(method: string, path: string, options: { body?: unknown; query?: Query; timeoutMs?: number } = {}): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeaders() };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await this.fetch(this.url(path, options.query), { method, headers, body }, options.timeoutMs ?? REQUEST_TIMEOUT_MS);
    if (response.status === 204) return undefined as T;
    const text = await response.text().catch((cause: unknown) => {
      throw MagpieError.network("the answer broke off", cause);
    });
    if (!response.ok) throw errorFromResponse(response.status, text);
    // An answer without a body where one was expected (a proxy's empty 200, or a `202` from a
    // server that predates CodeSent) reads as undefined rather than as a broken answer.
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new MagpieError("unknown", `unexpected answer from ${path}`, { status: response.status, cause });
    }
  }

  /** A download with the token (§10.4), as a Blob. */
  async blob(path: string, query?: Query): Promise<Blob> {
    const response = await this.fetch(this.url(path, query), { headers: this.authHeaders() }, DOWNLOAD_TIMEOUT_MS);
    if (!response.ok) throw errorFromResponse(response.status, await response.text().catch(() => ""));
    return response.blob().catch((cause: unknown) => {
      throw MagpieError.network("the download broke off", cause);
    });
  }

  private async fetch(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    try {
      return await globalThis.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw MagpieError.network(`no answer from ${url}`, cause);
    }
  }

  // ---- Sessions (§3, §5) --------------------------------------------------------------

  login(account: string, password: string, options: { device?: string; deviceKey?: string } = {}): Promise<LoginResponse> {
    return this.request("POST", "/v1/auth/login", {
      body: { account, password, device: options.device, device_key: options.deviceKey },
    });
  }
  /** A LoginResponse, or (`202`, a domain whose registration needs approval) the account that
   * applied. `invitation` where registration is by invitation; `email` and `email_code` where
   * the domain verifies email addresses; `lang` for the mails the server sends. */
  register(account: string, password: string, options: RegisterOptions = {}): Promise<LoginResponse | ApplicationPending> {
    const body: RegisterRequest = {
      account, password, display_name: options.displayName, device: options.device, invitation: options.invitation,
      email: options.email, email_code: options.emailCode, lang: options.lang,
    };
    return this.request("POST", "/v1/auth/register", { body });
  }
  logout(): Promise<void> {
    return this.request("POST", "/v1/auth/logout");
  }
  /** `GET /v1/auth/domains/{domain}`: what registering in a domain takes. */
  signupInfo(domain: string): Promise<SignupInfo> {
    return this.request("GET", `/v1/auth/domains/${encodeURIComponent(domain)}`);
  }
  /** `POST /v1/auth/email-code`: mails a registration code to an address (`202`). */
  requestEmailCode(request: EmailCodeRequest): Promise<CodeSent> {
    return this.request("POST", "/v1/auth/email-code", { body: request });
  }
  /** `POST /v1/auth/password-reset/code`: mails a reset code to the account's email, if it has
   * one (`202`, the same answer either way). */
  requestPasswordReset(request: PasswordResetCodeRequest): Promise<CodeSent> {
    return this.request("POST", "/v1/auth/password-reset/code", { body: request });
  }
  /** `POST /v1/auth/password-reset`: sets a new password with the mailed code (`204`). */
  resetPassword(request: PasswordResetRequest): Promise<void> {
    return this.request("POST", "/v1/auth/password-reset", { body: request });
  }
  me(): Promise<Me> {
    return this.request("GET", "/v1/me");
  }
  updateMe(change: ProfileChange): Promise<Me> {
    return this.request("PATCH", "/v1/me", { body: change });
  }
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.request("POST", "/v1/me/password", { body: { current_password: currentPassword, new_password: newPassword } });
  }
  /** `GET /v1/me/notifications`: the caller's notification preferences. */
  notificationPrefs(): Promise<NotificationPrefs> {
    return this.request("GET", "/v1/me/notifications");
  }
  /** `PUT /v1/me/notifications`: sets them whole; answers them as kept. */
  setNotificationPrefs(prefs: NotificationPrefs): Promise<NotificationPrefs> {
    return this.request("PUT", "/v1/me/notifications", { body: prefs });
  }
  /** `GET /v1/push/config`: what this server pushes through, and the VAPID key. */
  pushConfig(): Promise<PushConfig> {
    return this.request("GET", "/v1/push/config");
  }
  /** `GET /v1/me/push-targets`: the caller's devices registered for pushes. */
  async pushTargets(): Promise<PushTargetInfo[]> {
    return (await this.request<{ targets: PushTargetInfo[] }>("GET", "/v1/me/push-targets")).targets;
  }
  /** `POST /v1/me/push-targets`: registers this device (this session) for pushes. */
  addPushTarget(target: PushTargetRequest): Promise<PushTargetInfo> {
    return this.request("POST", "/v1/me/push-targets", { body: target });
  }
  /** `DELETE /v1/me/push-targets/{id}`: stops pushes to one of the caller's devices. */
  removePushTarget(id: number): Promise<void> {
    return this.request("DELETE", `/v1/me/push-targets/${id}`);
  }
  /** `GET /v1/admin/domains/{domain}/push-failures`: for the domain's administrators. */
  pushFailures(domain: string): Promise<PushFailureList> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/push-failures`);
  }
  /** `POST /v1/admin/announcements`: an announcement to every member of a domain. */
  announce(request: AnnouncementRequest): Promise<AnnouncementSent> {
    return this.request("POST", "/v1/admin/announcements", { body: request });
  }
  async sessions(): Promise<Session[]> {
    return (await this.request<{ sessions: Session[] }>("GET", "/v1/sessions")).sessions;
  }
  revokeSession(id: number): Promise<void> {
    return this.request("DELETE", `/v1/sessions/${id}`);
  }
  /** The domain directory: accounts whose name or display name contains `q`, by login name. */
  async accounts(q?: string, page: { after?: string; limit?: number } = {}): Promise<Profile[]> {
    const query = { q: q || undefined, after: page.after, limit: page.limit };
    return (await this.request<{ accounts: Profile[] }>("GET", "/v1/accounts", { query })).accounts;
  }
  account(account: string): Promise<Profile> {
    return this.request("GET", `/v1/accounts/${encodeURIComponent(account)}`);
  }

  // ---- The organisation (§11) ------------------------------------------------------------

  /** `GET /v1/org/departments`: the caller's domain's tree, parents before children. */
  async departments(): Promise<Department[]> {
    return (await this.request<{ departments: Department[] }>("GET", "/v1/org/departments")).departments;
  }
  async departmentMembers(id: number, page: { after?: string; limit?: number } = {}): Promise<DepartmentMember[]> {
    return (await this.request<{ members: DepartmentMember[] }>("GET", `/v1/org/departments/${id}/members`, { query: { ...page } })).members;
  }
  /** `GET /v1/org/people/{account}`: the departments a person is in, and their own manager. */
  placements(account: string): Promise<Placements> {
    return this.request("GET", `/v1/org/people/${encodeURIComponent(account)}`);
  }

  // ---- Invitations by members (§5 "Invitations and applications") -----------------------

  /** `GET /v1/invitations`: the caller's own invitations that are not revoked, newest first. */
  async myInvitations(): Promise<Invitation[]> {
    return (await this.request<{ invitations: Invitation[] }>("GET", "/v1/invitations")).invitations;
  }
  /** `POST /v1/invitations`: an invitation to the caller's domain, where its members may invite. */
  createMyInvitation(invitation: NewInvitation): Promise<CreatedInvitation> {
    return this.request("POST", "/v1/invitations", { body: invitation });
  }
  /** `DELETE /v1/invitations/{id}`: revokes one of the caller's invitations. */
  revokeMyInvitation(id: number): Promise<void> {
    return this.request("DELETE", `/v1/invitations/${id}`);
  }
  async searchDepartments(q: string, limit?: number): Promise<DepartmentMatch[]> {
    return (await this.request<{ results: DepartmentMatch[] }>("GET", "/v1/search/departments", { query: { q, limit } })).results;
  }

  // ---- Administration of a domain (§4, §5, §11, §11.4) ----------------------------------------

  async domains(): Promise<DomainInfo[]> {
    return (await this.request<{ domains: DomainInfo[] }>("GET", "/v1/admin/domains")).domains;
  }
  updateDomain(domain: string, change: DomainChange): Promise<DomainInfo> {
    return this.request("PATCH", `/v1/admin/domains/${encodeURIComponent(domain)}`, { body: change });
  }
  adminAccount(account: string): Promise<AdminAccount> {
    return this.request("GET", `/v1/admin/accounts/${encodeURIComponent(account)}`);
  }
  async departmentTree(domain: string): Promise<Department[]> {
    return (await this.request<{ departments: Department[] }>("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/departments`)).departments;
  }
  createDepartment(domain: string, department: NewDepartment): Promise<Department> {
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/departments`, { body: department });
  }
  updateDepartment(id: number, change: DepartmentChange): Promise<Department> {
    return this.request("PATCH", `/v1/admin/departments/${id}`, { body: change });
  }
  deleteDepartment(id: number): Promise<void> {
    return this.request("DELETE", `/v1/admin/departments/${id}`);
  }
  setDepartmentMember(id: number, account: string, title?: string): Promise<void> {
    return this.request("PUT", `/v1/admin/departments/${id}/members/${encodeURIComponent(account)}`, { body: title ? { title } : {} });
  }
  removeDepartmentMember(id: number, account: string): Promise<void> {
    return this.request("DELETE", `/v1/admin/departments/${id}/members/${encodeURIComponent(account)}`);
  }
  setManager(account: string, manager: string | null): Promise<void> {
    return this.request("PUT", `/v1/admin/people/${encodeURIComponent(account)}/manager`, { body: { manager } });
  }
  async invitations(domain: string): Promise<Invitation[]> {
    return (await this.request<{ invitations: Invitation[] }>("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/invitations`)).invitations;
  }
  createInvitation(domain: string, invitation: NewInvitation): Promise<CreatedInvitation> {
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/invitations`, { body: invitation });
  }
  revokeInvitation(domain: string, id: number): Promise<void> {
    return this.request("DELETE", `/v1/admin/domains/${encodeURIComponent(domain)}/invitations/${id}`);
  }
  async applications(domain: string): Promise<Application[]> {
    return (await this.request<{ applications: Application[] }>("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/applications`)).applications;
  }
  approve(account: string): Promise<AdminAccount> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/approve`);
  }
  reject(account: string): Promise<AdminAccount> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/reject`);
  }
  ldapSource(domain: string): Promise<LdapSource> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/ldap`);
  }
  setLdapSource(domain: string, source: LdapSourceChange): Promise<LdapSource> {
    return this.request("PUT", `/v1/admin/domains/${encodeURIComponent(domain)}/ldap`, { body: source });
  }
  deleteLdapSource(domain: string): Promise<void> {
    return this.request("DELETE", `/v1/admin/domains/${encodeURIComponent(domain)}/ldap`);
  }
  testLdapSource(domain: string): Promise<LdapTestResult> {
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/ldap/test`);
  }
  syncLdap(domain: string, dryRun: boolean, options: { incremental?: boolean } = {}): Promise<LdapSyncReport> {
    const query = { dry_run: String(dryRun), ...(options.incremental ? { incremental: "true" } : {}) };
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/ldap/sync`, { query });
  }
  /** `GET /v1/admin/audit`: a page of the audit log, newest first. */
  auditLog(query: AuditQuery = {}): Promise<AuditRecordList> {
    return this.request("GET", "/v1/admin/audit", { query: auditQuery(query) });
  }
  /** `GET /v1/admin/audit/export`: the records the filters select, as JSON Lines, oldest first. */
  exportAudit(query: AuditExportQuery = {}): Promise<Blob> {
    const { before: _before, limit: _limit, ...filters } = query as AuditQuery;
    return this.blob("/v1/admin/audit/export", auditQuery(filters));
  }
  /** `GET /v1/admin/accounts`: a page of a domain's accounts, by login name. */
  async adminAccounts(query: AdminAccountQuery = {}): Promise<AdminAccount[]> {
    const { domain, q, after, limit } = query;
    const params = { domain: domain || undefined, q: q || undefined, after: after || undefined, limit };
    return (await this.request<{ accounts: AdminAccount[] }>("GET", "/v1/admin/accounts", { query: params })).accounts;
  }
  /** `POST /v1/admin/accounts`. */
  createAccount(account: NewAccount): Promise<AdminAccount> {
    return this.request("POST", "/v1/admin/accounts", { body: account });
  }
  /** `PATCH /v1/admin/accounts/{account}`. */
  updateAccount(account: string, change: AccountChange): Promise<AdminAccount> {
    return this.request("PATCH", `/v1/admin/accounts/${encodeURIComponent(account)}`, { body: change });
  }
  /** `POST /v1/admin/accounts/{account}/disable`. */
  disableAccount(account: string): Promise<AdminAccount> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/disable`);
  }
  /** `POST /v1/admin/accounts/{account}/enable`. */
  enableAccount(account: string): Promise<AdminAccount> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/enable`);
  }
  /** `POST /v1/admin/accounts/{account}/password`: with no password, the server makes one. */
  resetAccountPassword(account: string, password?: string): Promise<PasswordReset> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/password`, { body: password === undefined ? {} : { password } });
  }
  /** `GET /v1/admin/accounts/{account}/sessions`. */
  async accountSessions(account: string): Promise<Session[]> {
    return (await this.request<{ sessions: Session[] }>("GET", `/v1/admin/accounts/${encodeURIComponent(account)}/sessions`)).sessions;
  }
  /** `DELETE /v1/admin/accounts/{account}/sessions/{id}`. */
  revokeAccountSession(account: string, id: number): Promise<void> {
    return this.request("DELETE", `/v1/admin/accounts/${encodeURIComponent(account)}/sessions/${id}`);
  }
  /** `DELETE /v1/admin/accounts/{account}/sessions`: signs the account out everywhere. */
  revokeAccountSessions(account: string): Promise<void> {
    return this.request("DELETE", `/v1/admin/accounts/${encodeURIComponent(account)}/sessions`);
  }
  /** `POST /v1/admin/accounts/import`: `200` with the errors (or a dry run's), `201` when made. */
  importAccounts(request: ImportAccountsRequest): Promise<ImportAccountsReport> {
    return this.request("POST", "/v1/admin/accounts/import", { body: request });
  }
  /** `GET /v1/admin/domains/{domain}`. */
  domain(domain: string): Promise<DomainInfo> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}`);
  }
  /** `POST /v1/admin/domains` (`201`). */
  createDomain(domain: NewDomain): Promise<DomainInfo> {
    return this.request("POST", "/v1/admin/domains", { body: domain });
  }
  /** `GET /v1/admin/dashboard`. */
  dashboard(): Promise<Dashboard> {
    return this.request("GET", "/v1/admin/dashboard");
  }
  /** `GET /v1/admin/connections`. */
  connections(query: ConnectionsQuery = {}): Promise<ConnectionList> {
    return this.request("GET", "/v1/admin/connections", { query: { ...query } });
  }
  /** `GET /v1/admin/logs`. */
  logs(query: LogQuery = {}): Promise<LogLines> {
    return this.request("GET", "/v1/admin/logs", { query: { ...query } });
  }
  /** `GET /v1/admin/backups`. */
  async backups(): Promise<BackupInfo[]> {
    return (await this.request<{ backups: BackupInfo[] }>("GET", "/v1/admin/backups")).backups;
  }
  /** `POST /v1/admin/backups` (`201` once the backup is finished). */
  makeBackup(): Promise<BackupInfo> {
    return this.request("POST", "/v1/admin/backups", { timeoutMs: BACKUP_TIMEOUT_MS });
  }
  /** `GET /v1/admin/exports`: newest first (a server administrator's of every domain unless
   * `domain` names one). */
  async adminExports(domain?: string): Promise<ExportInfo[]> {
    return (await this.request<{ exports: ExportInfo[] }>("GET", "/v1/admin/exports", { query: { domain: domain || undefined } })).exports;
  }
  /** `POST /v1/admin/exports` (`202`: the export runs in the background). */
  adminStartExport(request: NewExport): Promise<ExportInfo> {
    return this.request("POST", "/v1/admin/exports", { body: request });
  }
  /** `GET /v1/admin/exports/{id}`; with `wait_secs` (at most 25), as soon as a running export
   * changes (its progress, or its end) or after that many seconds. */
  adminExport(id: number, query: { wait_secs?: number } = {}): Promise<ExportInfo> {
    return this.request("GET", `/v1/admin/exports/${id}`, { query: { wait_secs: query.wait_secs } });
  }
  /** `GET /v1/admin/exports/{id}/archive`: a done export's ZIP, with the token. */
  adminExportArchive(id: number): Promise<Blob> {
    return this.blob(`/v1/admin/exports/${id}/archive`);
  }
  /** `GET /v1/admin/domains/{domain}/groups`: a page of the domain's groups and channels, newest
   * first. */
  adminGroups(domain: string, query: AdminGroupQuery = {}): Promise<AdminGroupList> {
    const { q, dissolved, before, limit } = query;
    const params = { q: q || undefined, dissolved: dissolved ? "true" : undefined, before, limit };
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/groups`, { query: params });
  }
  /** `GET /v1/admin/groups/{id}/members`. */
  async adminGroupMembers(id: number): Promise<Member[]> {
    return (await this.request<{ members: Member[] }>("GET", `/v1/admin/groups/${id}/members`)).members;
  }
  /** `POST /v1/admin/groups/{id}/owner`. */
  adminTransferGroup(id: number, member: string): Promise<Ack> {
    return this.request("POST", `/v1/admin/groups/${id}/owner`, { body: { member } });
  }
  /** `POST /v1/admin/groups/{id}/dissolve`. */
  adminDissolveGroup(id: number): Promise<Ack> {
    return this.request("POST", `/v1/admin/groups/${id}/dissolve`);
  }
  /** `POST /v1/admin/stickers`: a new, empty pack in the caller's domain. */
  createStickerPack(name: string): Promise<StickerPack> {
    return this.request("POST", "/v1/admin/stickers", { body: { name } });
  }
  /** `POST /v1/admin/stickers/{pack}/stickers`: answers the pack. */
  addSticker(pack: string, sticker: NewSticker): Promise<StickerPack> {
    return this.request("POST", `/v1/admin/stickers/${encodeURIComponent(pack)}/stickers`, { body: sticker });
  }
  /** `GET /v1/admin/domains/{domain}/moderation`. */
  moderation(domain: string): Promise<ModerationRules> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/moderation`);
  }
  /** `PUT /v1/admin/domains/{domain}/moderation`. */
  setModeration(domain: string, rules: ModerationRules): Promise<ModerationRules> {
    return this.request("PUT", `/v1/admin/domains/${encodeURIComponent(domain)}/moderation`, { body: rules });
  }
  /** `GET /v1/admin/domains/{domain}/retention`. */
  adminRetention(domain: string): Promise<Retention> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/retention`);
  }
  /** `PUT /v1/admin/domains/{domain}/retention`: `null` keeps the entries for ever. */
  setAdminRetention(domain: string, days: number | null): Promise<Retention> {
    return this.request("PUT", `/v1/admin/domains/${encodeURIComponent(domain)}/retention`, { body: { days } });
  }
  /** `PUT /v1/admin/conversations/{id}/retention` (`204`): 0 keeps for ever, `null` as the domain. */
  setConversationRetention(id: number, days: number | null): Promise<void> {
    return this.request("PUT", `/v1/admin/conversations/${id}/retention`, { body: { days } });
  }
  /** `POST /v1/admin/domains/{domain}/retention/runs` (`202`: the run goes on in the background). */
  startRetentionRun(domain: string, beforeMs?: number): Promise<RetentionRun> {
    const body = beforeMs === undefined ? {} : { before_ms: beforeMs };
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/retention/runs`, { body });
  }
  /** `GET /v1/admin/retention/runs/{id}`; with `wait_secs` (at most 25), as soon as a running run
   * changes (its progress, or its end) or after that many seconds. */
  retentionRun(id: number, query: { wait_secs?: number } = {}): Promise<RetentionRun> {
    return this.request("GET", `/v1/admin/retention/runs/${id}`, { query: { wait_secs: query.wait_secs } });
  }

  // ---- Wallets (§5 "Wallets") ---------------------------------------------------------------

  /** `GET /v1/wallet`: the caller's balance and `limit` lines (1 to 100, 20 if absent) of its
   * bill history before movement `before`, newest first. */
  wallet(query: { before?: number; limit?: number } = {}): Promise<Wallet> {
    return this.request("GET", "/v1/wallet", { query: { before: query.before, limit: query.limit } });
  }
  /** `POST /v1/admin/accounts/{account}/wallet/credits`: credits the wallet from the domain's
   * internal provider, once under `credit.key`. */
  adminCredit(account: string, credit: CreditRequest): Promise<Credited> {
    return this.request("POST", `/v1/admin/accounts/${encodeURIComponent(account)}/wallet/credits`, { body: credit });
  }
  /** `GET /v1/admin/domains/{domain}/ledger`: the domain's reconciliation. */
  adminLedger(domain: string): Promise<Reconciliation> {
    return this.request("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/ledger`);
  }

  // ---- Bots (§5 "Bots") -------------------------------------------------------------------

  /** `GET /v1/bots`: a server administrator names another `domain`. */
  async bots(domain?: string): Promise<Bot[]> {
    return (await this.request<BotList>("GET", "/v1/bots", { query: { domain: domain || undefined } })).bots;
  }
  /** `POST /v1/bots` (`201`). */
  createBot(request: CreateBotRequest): Promise<Bot> {
    return this.request("POST", "/v1/bots", { body: request });
  }
  /** `GET /v1/bots/{account}`. */
  bot(account: string): Promise<Bot> {
    return this.request("GET", `/v1/bots/${encodeURIComponent(account)}`);
  }
  /** `PATCH /v1/bots/{account}`. */
  updateBot(account: string, change: UpdateBotRequest): Promise<Bot> {
    return this.request("PATCH", `/v1/bots/${encodeURIComponent(account)}`, { body: change });
  }
  /** `GET /v1/bots/{account}/tokens`. */
  async botTokens(account: string): Promise<BotToken[]> {
    return (await this.request<{ tokens: BotToken[] }>("GET", `/v1/bots/${encodeURIComponent(account)}/tokens`)).tokens;
  }
  /** `POST /v1/bots/{account}/tokens` (`201`): the secret is in the answer only. */
  createBotToken(account: string, request: CreateBotTokenRequest): Promise<IssuedBotToken> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/tokens`, { body: request });
  }
  /** `DELETE /v1/bots/{account}/tokens/{id}` (`204`). */
  revokeBotToken(account: string, id: number): Promise<void> {
    return this.request("DELETE", `/v1/bots/${encodeURIComponent(account)}/tokens/${id}`);
  }
  /** `POST /v1/bots/{account}/tokens/{id}/rotate` (`201`). */
  rotateBotToken(account: string, id: number): Promise<IssuedBotToken> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/tokens/${id}/rotate`);
  }
  /** `GET /v1/bots/{account}/webhooks`. */
  async botWebhooks(account: string): Promise<IncomingWebhook[]> {
    return (await this.request<{ webhooks: IncomingWebhook[] }>("GET", `/v1/bots/${encodeURIComponent(account)}/webhooks`)).webhooks;
  }
  /** `POST /v1/bots/{account}/webhooks` (`201`): the path is in the answer only. */
  createWebhook(account: string, request: CreateWebhookRequest): Promise<CreatedWebhook> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/webhooks`, { body: request });
  }
  /** `DELETE /v1/bots/{account}/webhooks/{id}` (`204`). */
  deleteWebhook(account: string, id: number): Promise<void> {
    return this.request("DELETE", `/v1/bots/${encodeURIComponent(account)}/webhooks/${id}`);
  }
  /** `POST /v1/bots/{account}/webhooks/{id}/rotate` (`201`). */
  rotateWebhook(account: string, id: number): Promise<CreatedWebhook> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/webhooks/${id}/rotate`);
  }
  /** `GET /v1/bots/{account}/subscriptions`. */
  async botSubscriptions(account: string): Promise<EventSubscription[]> {
    return (await this.request<EventSubscriptionList>("GET", `/v1/bots/${encodeURIComponent(account)}/subscriptions`)).subscriptions;
  }
  /** `POST /v1/bots/{account}/subscriptions` (`201`): the secret is in the answer only. */
  createSubscription(account: string, request: CreateEventSubscriptionRequest): Promise<IssuedEventSubscription> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/subscriptions`, { body: request });
  }
  /** `PATCH /v1/bots/{account}/subscriptions/{id}`. */
  updateSubscription(account: string, id: number, change: UpdateEventSubscriptionRequest): Promise<EventSubscription> {
    return this.request("PATCH", `/v1/bots/${encodeURIComponent(account)}/subscriptions/${id}`, { body: change });
  }
  /** `DELETE /v1/bots/{account}/subscriptions/{id}` (`204`). */
  deleteSubscription(account: string, id: number): Promise<void> {
    return this.request("DELETE", `/v1/bots/${encodeURIComponent(account)}/subscriptions/${id}`);
  }
  /** `POST /v1/bots/{account}/subscriptions/{id}/rotate` (`201`). */
  rotateSubscription(account: string, id: number): Promise<IssuedEventSubscription> {
    return this.request("POST", `/v1/bots/${encodeURIComponent(account)}/subscriptions/${id}/rotate`);
  }
  /** `GET /v1/bots/{account}/commands`: the bot's slash commands, in its order. */
  async botCommands(account: string): Promise<BotCommand[]> {
    return (await this.request<{ commands: BotCommand[] }>("GET", `/v1/bots/${encodeURIComponent(account)}/commands`)).commands;
  }
  /** `PUT /v1/bots/{account}/commands`: replaces them; answers them as kept. A hint left out is
   * none. */
  async setBotCommands(account: string, commands: NewBotCommand[]): Promise<BotCommand[]> {
    const body = { commands: commands.map((c) => ({ name: c.name, description: c.description, hint: c.hint ?? "" })) };
    return (await this.request<{ commands: BotCommand[] }>("PUT", `/v1/bots/${encodeURIComponent(account)}/commands`, { body })).commands;
  }

  // ---- The workbench: a domain's apps, and OAuth 2.0 grants to them --------------------------

  /** `GET /v1/admin/domains/{domain}/apps`: the domain's apps, in order. */
  async apps(domain: string): Promise<App[]> {
    return (await this.request<AppList>("GET", `/v1/admin/domains/${encodeURIComponent(domain)}/apps`)).apps;
  }
  /** `POST /v1/admin/domains/{domain}/apps` (`201`): the secret is in the answer only. */
  createApp(domain: string, request: CreateAppRequest): Promise<CreatedApp> {
    return this.request("POST", `/v1/admin/domains/${encodeURIComponent(domain)}/apps`, { body: request });
  }
  /** `PATCH /v1/admin/apps/{id}`. */
  updateApp(id: number, change: UpdateAppRequest): Promise<App> {
    return this.request("PATCH", `/v1/admin/apps/${id}`, { body: change });
  }
  /** `DELETE /v1/admin/apps/{id}` (`204`). */
  deleteApp(id: number): Promise<void> {
    return this.request("DELETE", `/v1/admin/apps/${id}`);
  }
  /** `PUT /v1/admin/domains/{domain}/apps/order`: answers the apps in their new order. */
  async orderApps(domain: string, ids: number[]): Promise<App[]> {
    const body: AppOrderRequest = { apps: ids };
    return (await this.request<AppList>("PUT", `/v1/admin/domains/${encodeURIComponent(domain)}/apps/order`, { body })).apps;
  }
  /** `POST /v1/admin/apps/{id}/secret`: the new secret, in the answer only. */
  rotateAppSecret(id: number): Promise<AppSecret> {
    return this.request("POST", `/v1/admin/apps/${id}/secret`);
  }
  /** `GET /v1/apps`: the apps the caller may open. */
  async workbenchApps(): Promise<WorkbenchApp[]> {
    return (await this.request<WorkbenchAppList>("GET", "/v1/apps")).apps;
  }
  /** `GET /v1/oauth/authorize`, with the request as its query. */
  authorizeInfo(request: AuthorizeRequest): Promise<AuthorizeInfo> {
    return this.request("GET", "/v1/oauth/authorize", { query: { ...request } });
  }
  /** `POST /v1/oauth/authorize`, with the request as its body. */
  authorize(request: AuthorizeRequest): Promise<AuthorizeRedirect> {
    return this.request("POST", "/v1/oauth/authorize", { body: request });
  }
  /** `GET /v1/apps/grants`. */
  async appGrants(): Promise<AppGrant[]> {
    return (await this.request<AppGrantList>("GET", "/v1/apps/grants")).grants;
  }
  /** `DELETE /v1/apps/{id}/grant` (`204`). */
  revokeAppGrant(app: number): Promise<void> {
    return this.request("DELETE", `/v1/apps/${app}/grant`);
  }
  /** `GET /v1/apps/{id}/icon`: an app's icon, a JPEG the server fetched from the app's `icon` URL
   * and made (the page never contacts the icon's site); `not_found` when the app has none, the
   * caller does not see the app, or the icon could not be had. */
  appIcon(app: number): Promise<Blob> {
    return this.blob(`/v1/apps/${app}/icon`);
  }

  // ---- Conversations and messages (§7.8) ------------------------------------------------

  async conversations(page: { before?: number; limit?: number } = {}): Promise<Conversation[]> {
    return (await this.request<{ conversations: Conversation[] }>("GET", "/v1/conversations", { query: page })).conversations;
  }
  createConversation(request: CreateConversationRequest): Promise<Conversation> {
    return this.request("POST", "/v1/conversations", { body: request });
  }
  conversation(id: number): Promise<Conversation> {
    return this.request("GET", `/v1/conversations/${id}`);
  }
  updateGroup(id: number, change: GroupChange): Promise<Ack> {
    return this.request("PATCH", `/v1/conversations/${id}`, { body: change });
  }
  dissolve(id: number): Promise<Ack> {
    return this.request("DELETE", `/v1/conversations/${id}`);
  }
  async members(id: number): Promise<Member[]> {
    return (await this.request<{ members: Member[] }>("GET", `/v1/conversations/${id}/members`)).members;
  }
  addMembers(id: number, members: string[]): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/members`, { body: { members } });
  }
  removeMember(id: number, member: string): Promise<Ack> {
    return this.request("DELETE", `/v1/conversations/${id}/members/${encodeURIComponent(member)}`);
  }
  setRole(id: number, member: string, role: Exclude<Role, "owner">): Promise<Ack> {
    return this.request("PUT", `/v1/conversations/${id}/members/${encodeURIComponent(member)}/role`, { body: { role } });
  }
  /** Mutes a member until `untilMs`; without it, lifts the mute. */
  muteMember(id: number, member: string, untilMs?: number): Promise<Ack> {
    return this.request("PUT", `/v1/conversations/${id}/members/${encodeURIComponent(member)}/mute`, {
      body: { until_ms: untilMs ?? null },
    });
  }
  transferOwnership(id: number, member: string): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/owner`, { body: { member } });
  }
  leave(id: number): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/leave`);
  }
  updateSettings(id: number, settings: SettingsChange): Promise<Conversation> {
    return this.request("PATCH", `/v1/conversations/${id}/settings`, { body: settings });
  }
  send(id: number, request: SendRequest): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/messages`, { body: request });
  }
  messages(id: number, query: HistoryQuery = {}): Promise<EntryPage> {
    return this.request("GET", `/v1/conversations/${id}/messages`, { query: { ...query } });
  }
  shared(id: number, kind: SharedKind, before?: number, limit?: number): Promise<SharedPage> {
    return this.request("GET", `/v1/conversations/${id}/shared`, { query: { kind, before, limit } });
  }
  linkPreview(url: string): Promise<LinkPreview> {
    return this.request("GET", "/v1/link-preview", { query: { url } });
  }
  linkPreviewImage(url: string): Promise<Blob> {
    return this.blob("/v1/link-preview/image", { url });
  }
  /** The image of an interactive card's `image` block `block`: a JPEG the server made. */
  cardImage(conversation: number, seq: number, block: number): Promise<Blob> {
    return this.blob(`/v1/conversations/${conversation}/messages/${seq}/card-images/${block}`);
  }
  edit(id: number, seq: number, body: Record<string, unknown>, clientMsgId?: string): Promise<Ack> {
    return this.request("PATCH", `/v1/conversations/${id}/messages/${seq}`, { body: { body, client_msg_id: clientMsgId } });
  }
  recall(id: number, seq: number, clientMsgId?: string): Promise<Ack> {
    return this.request("DELETE", `/v1/conversations/${id}/messages/${seq}`, { query: { client_msg_id: clientMsgId } });
  }
  react(id: number, seq: number, emoji: string, on: boolean, clientMsgId?: string): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/messages/${seq}/reactions`, {
      body: { emoji, on, client_msg_id: clientMsgId },
    });
  }
  /** `POST /v1/conversations/{id}/messages/{seq}/actions`: presses a button of an app's
   * interactive card, with what was chosen and typed in its inputs (`inputs` left out when there
   * are none). The server waits for the app's answer (at most 5 s). */
  cardAction(id: number, seq: number, request: CardActionRequest): Promise<CardActionResult> {
    const inputs = request.inputs && Object.keys(request.inputs).length > 0 ? request.inputs : undefined;
    return this.request("POST", `/v1/conversations/${id}/messages/${seq}/actions`, { body: { action: request.action, inputs } });
  }
  /** `GET /v1/conversations/{id}/commands`: the slash commands of its bots, by name. */
  async offeredCommands(id: number): Promise<OfferedCommand[]> {
    return (await this.request<{ commands: OfferedCommand[] }>("GET", `/v1/conversations/${id}/commands`)).commands;
  }
  /** `POST /v1/conversations/{id}/commands`: invokes a slash command (`command` with or without
   * its `/`) with what follows it. The server waits for the app's answer (at most 5 s). */
  invokeCommand(id: number, command: string, text: string): Promise<CommandResult> {
    return this.request("POST", `/v1/conversations/${id}/commands`, { body: { command, text } });
  }
  receipts(id: number, seq: number): Promise<Receipts> {
    return this.request("GET", `/v1/conversations/${id}/messages/${seq}/receipts`);
  }
  forward(id: number, from: number, seqs: number[], clientMsgId: string): Promise<Ack> {
    return this.request("POST", `/v1/conversations/${id}/forward`, { body: { client_msg_id: clientMsgId, from, seqs } });
  }
  /** `PUT /v1/conversations/{id}/pins/{seq}` (§7.8). */
  pin(id: number, seq: number): Promise<Ack> {
    return this.request("PUT", `/v1/conversations/${id}/pins/${seq}`);
  }
  unpin(id: number, seq: number): Promise<Ack> {
    return this.request("DELETE", `/v1/conversations/${id}/pins/${seq}`);
  }
  async pins(id: number): Promise<Pin[]> {
    return (await this.request<{ pins: Pin[] }>("GET", `/v1/conversations/${id}/pins`)).pins;
  }

  /** `GET /v1/conversations/{id}/threads/{root}` (§7.12): the root and a page of its replies. */
  thread(id: number, root: number, query: HistoryQuery = {}): Promise<ThreadPage> {
    return this.request("GET", `/v1/conversations/${id}/threads/${root}`, { query: { ...query } });
  }
  /** `PATCH /v1/conversations/{id}/threads/{root}`: follow, unfollow, or move the read mark. */
  updateThread(id: number, root: number, change: ThreadChange): Promise<Thread> {
    return this.request("PATCH", `/v1/conversations/${id}/threads/${root}`, { body: change });
  }
  /** `GET /v1/threads`: the threads the caller follows, the newest reply first. */
  async threads(query: ThreadsQuery = {}): Promise<Thread[]> {
    return (await this.request<{ threads: Thread[] }>("GET", "/v1/threads", { query: { ...query } })).threads;
  }

  /** `GET /v1/search/messages` (§7.14): messages the caller may read now that match `q`. */
  searchMessages(query: SearchMessagesQuery): Promise<SearchMessagesPage> {
    const { mentions_me, ...rest } = query;
    return this.request("GET", "/v1/search/messages", {
      query: { ...rest, ...(mentions_me === undefined ? {} : { mentions_me: String(mentions_me) }) },
    });
  }

  /** `GET /v1/search/people` (§7.14): people of the caller's domain, best match first. */
  async searchPeople(q: string, limit?: number): Promise<PersonMatch[]> {
    return (await this.request<{ results: PersonMatch[] }>("GET", "/v1/search/people", { query: { q, limit } })).results;
  }
  /** `GET /v1/search/groups` (§7.14): the caller's groups and channels, best match first. */
  async searchGroups(q: string, limit?: number): Promise<GroupMatch[]> {
    return (await this.request<{ results: GroupMatch[] }>("GET", "/v1/search/groups", { query: { q, limit } })).results;
  }
  /** `GET /v1/search/files` (§7.14): shared files by name and type. */
  searchFiles(query: SearchFilesQuery): Promise<SearchFilesPage> {
    return this.request("GET", "/v1/search/files", { query: { ...query } });
  }

  /** `POST /v1/saved` (§7.11). */
  saveMessage(conversation: number, seq: number, note?: string): Promise<SavedItem> {
    return this.request("POST", "/v1/saved", { body: { conversation, seq, ...(note === undefined ? {} : { note }) } });
  }
  saved(query: { before?: number; limit?: number } = {}): Promise<SavedPage> {
    return this.request("GET", "/v1/saved", { query });
  }
  savedItem(id: number): Promise<SavedItem> {
    return this.request("GET", `/v1/saved/${id}`);
  }
  updateSaved(id: number, note: string | null): Promise<SavedItem> {
    return this.request("PATCH", `/v1/saved/${id}`, { body: { note } });
  }
  removeSaved(id: number): Promise<void> {
    return this.request("DELETE", `/v1/saved/${id}`);
  }

  /** `POST /v1/conversations/{id}/scheduled` (§7.12). */
  scheduleMessage(id: number, req: ScheduleRequest): Promise<ScheduledMessage> {
    return this.request("POST", `/v1/conversations/${id}/scheduled`, { body: req });
  }
  /** All the account's scheduled messages, the earliest first. */
  async scheduled(): Promise<ScheduledMessage[]> {
    return (await this.request<{ scheduled: ScheduledMessage[] }>("GET", "/v1/scheduled")).scheduled;
  }
  /** The account's scheduled messages in one conversation, the earliest first. */
  async conversationScheduled(id: number): Promise<ScheduledMessage[]> {
    return (await this.request<{ scheduled: ScheduledMessage[] }>("GET", `/v1/conversations/${id}/scheduled`)).scheduled;
  }
  scheduledMessage(id: number): Promise<ScheduledMessage> {
    return this.request("GET", `/v1/scheduled/${id}`);
  }
  updateScheduled(id: number, change: ScheduledChange): Promise<ScheduledMessage> {
    return this.request("PATCH", `/v1/scheduled/${id}`, { body: change });
  }
  cancelScheduled(id: number): Promise<void> {
    return this.request("DELETE", `/v1/scheduled/${id}`);
  }
  sendScheduled(id: number): Promise<Ack> {
    return this.request("POST", `/v1/scheduled/${id}/send`);
  }

  hide(id: number, seqs: number[]): Promise<void> {
    return this.request("POST", `/v1/conversations/${id}/hide`, { body: { seqs } });
  }
  markRead(id: number, seq: number): Promise<Conversation> {
    return this.request("POST", `/v1/conversations/${id}/read`, { body: { seq } });
  }
  markDelivered(id: number, seq: number): Promise<Conversation> {
    return this.request("POST", `/v1/conversations/${id}/delivered`, { body: { seq } });
  }
  typing(id: number): Promise<void> {
    return this.request("POST", `/v1/conversations/${id}/typing`);
  }
  sync(request: SyncRequest): Promise<SyncResponse> {
    return this.request("GET", "/v1/sync", { query: { ...request } });
  }

  // ---- Contacts, blocks, presence (§9) ------------------------------------------------

  async contacts(): Promise<Profile[]> {
    return (await this.request<{ accounts: Profile[] }>("GET", "/v1/contacts")).accounts;
  }
  friendRequests(): Promise<{ incoming: WirePendingRequest[]; outgoing: WirePendingRequest[] }> {
    return this.request("GET", "/v1/contacts/requests");
  }
  async sendFriendRequest(account: string, message?: string): Promise<"requested" | "added"> {
    return (await this.request<{ status: "requested" | "added" }>("POST", "/v1/contacts/requests", { body: { account, message } })).status;
  }
  acceptFriendRequest(account: string): Promise<void> {
    return this.request("POST", `/v1/contacts/requests/${encodeURIComponent(account)}/accept`);
  }
  /** Declines `account`'s request, or withdraws the caller's request to `account`. */
  rejectFriendRequest(account: string): Promise<void> {
    return this.request("DELETE", `/v1/contacts/requests/${encodeURIComponent(account)}`);
  }
  removeContact(account: string): Promise<void> {
    return this.request("DELETE", `/v1/contacts/${encodeURIComponent(account)}`);
  }
  async blocked(): Promise<Profile[]> {
    return (await this.request<{ accounts: Profile[] }>("GET", "/v1/blocks")).accounts;
  }
  block(account: string): Promise<void> {
    return this.request("PUT", `/v1/blocks/${encodeURIComponent(account)}`);
  }
  unblock(account: string): Promise<void> {
    return this.request("DELETE", `/v1/blocks/${encodeURIComponent(account)}`);
  }
  setPresence(status: Exclude<PresenceStatus, "offline">, text?: string): Promise<Presence> {
    return this.request("PUT", "/v1/me/presence", { body: { status, text } });
  }
  async presence(accounts: string[]): Promise<Presence[]> {
    const query = { accounts: accounts.join(",") };
    return (await this.request<{ presence: Presence[] }>("GET", "/v1/presence", { query })).presence;
  }

  // ---- Files (§10) -------------------------------------------------------------------

  fileInfo(id: string): Promise<FileInfo> {
    return this.request("GET", `/v1/files/${encodeURIComponent(id)}/info`);
  }
  /** The file's bytes, or one of an image's thumbnails (the longest side at most 256 or 1024). */
  fileBlob(id: string, thumbnailSide?: 256 | 1024): Promise<Blob> {
    const file = `/v1/files/${encodeURIComponent(id)}`;
    return thumbnailSide ? this.blob(`${file}/thumbnail`, { side: thumbnailSide }) : this.blob(file);
  }
  /** A link that works without the token until it expires, for `<a download>` and the like. */
  fileLink(id: string): Promise<FileLink> {
    return this.request("POST", `/v1/files/${encodeURIComponent(id)}/link`);
  }
  async stickers(): Promise<StickerPack[]> {
    return (await this.request<{ packs: StickerPack[] }>("GET", "/v1/stickers")).packs;
  }
}

/** An audit query as URL parameters: the flag as `true`/`false`, and empty text left out (an empty
 * filter narrows nothing). */
function auditQuery(query: AuditQuery): Query {
  const { deployment_only, ...rest } = query;
  const out: Query = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value !== undefined && value !== "") out[name] = value;
  }
  if (deployment_only !== undefined) out.deployment_only = String(deployment_only);
  return out;
}

/** The error of a failed answer: Magpie's JSON error body when there is one. A body of another
 * shape comes from something in between (a proxy's 502 page): a 5xx is then `unavailable`, a
 * retryable code, and anything else `unknown`. */
function errorFromResponse(status: number, text: string): MagpieError {
  try {
    const parsed = JSON.parse(text) as { error?: WireError };
    if (parsed.error && typeof parsed.error.code === "string") return MagpieError.fromWire(parsed.error, status);
  } catch {
    // Not JSON: handled below.
  }
  return new MagpieError(status >= 500 ? "unavailable" : "unknown", `HTTP ${status}`, { status });
}
