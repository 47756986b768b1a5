// The SDK's hand-written wire types (contract.ts, wire.ts, errors.ts) and RestClient's answers,
// checked against the types that openapi-typescript generates from the server's OpenAPI document
// (openapi.gen.ts, from web/sdk/openapi.json, which a Rust test keeps equal to what the server
// serves). Nothing imports this file, so no bundle holds it; `tsc` compiles it (npm run
// typecheck, scripts/web-build), and a field added, removed, renamed or retyped on either side
// fails there, naming the field (or the RestClient method).
//
// Most checks read `Agree<Differ<Sdk, Wire<Schema>>>`: `Differ` is the set of top-level keys at
// which the two types are not the same, so that the error names them, and `Wire` is what the
// server sends for a schema (see below). Nested types are compared too, within the key that holds
// them. Where the SDK's type differs from the schema on purpose, the check says why at that type
// and compares all the rest.

import type {
  AccountEvent, Ack, ChatClient, Conversation, ConversationKind, Entry, ErrorCode, FileInfo, FriendRequests,
  LoginResponse, Me, Member, PendingFriendRequest, Pin as PinnedMessage, Presence, PresenceStatus, Profile, Reaction, Receipts, Role,
  SavedItem, SavedPage, ScheduledChange, ScheduledFailure, ScheduledMessage, Session, SharedPage, LinkPreview,
  NotificationPrefs, NotifyLevel, QuietHours, Notification, NotificationKind, NotificationPage, NotificationsUnread,
  AnnouncementRequest, AnnouncementSent, PushConfig, PushFailureInfo, PushTargetInfo, PushTargetRequest, WebPushKeys,
  SearchMessagesPage, SearchResult, Snippet, PersonMatch, GroupMatch, SearchMatch, FileType, StickerPack, Thread, ThreadPage, ThreadSummary,
  AdminAccount, Application, ApplicationPending, CreatedInvitation, Department, DepartmentChange, DepartmentMatch, DepartmentMember,
  DomainChange, DomainInfo, Invitation, LdapAttributes, LdapChange, LdapGroupMap, LdapLastSync, LdapSource, LdapSourceChange,
  LdapSyncReport, LdapTestResult, NewDepartment, NewInvitation, PathStep, Placement, Placements, RegistrationMode, SignupInfo, CodeSent,
  AuditActorInfo, AuditExportQuery, AuditQuery, AuditRecordInfo, AuditRecordList, AuditRole,
  AccountChange, AccountRole, AdminAccountQuery, ImportAccountRow, ImportAccountsReport, ImportAccountsRequest, ImportRowError, ImportedAccount,
  NewAccount, PasswordReset,
  BackupInfo, ConnectionInfo, ConnectionList, ConnectionsQuery, Dashboard, DashboardSample, TlsStatus, LogLine, LogLines, LogQuery, ModerationAction, ModerationRules, NewDomain,
  ExportInfo, ExportState, NewExport, AdminGroupInfo, AdminGroupKind, AdminGroupList, AdminGroupQuery, NewSticker,
  ConversationRetention, Retention, RetentionRun, RetentionRunState, Wallet, WalletLine, CreditRequest, Credited, Reconciliation,
  Bot, BotList, BotToken, CreateBotRequest, CreateBotTokenRequest, CreateWebhookRequest, CreatedWebhook, IncomingWebhook, IssuedBotToken,
  TokenScope, UpdateBotRequest,
  CreateEventSubscriptionRequest, EventSubscription, EventSubscriptionList, IssuedEventSubscription, UpdateEventSubscriptionRequest,
  WebhookDelivery, WebhookEvent, WebhookEventKind,
  CardActionAnswer, CardActionButton, CardActionEvent, CardActionRequest, CardActionResult, CardActionUser,
  BotCommand, CommandAnswer, CommandEvent, CommandResponseType, CommandResult, InvokeCommandRequest, NewBotCommand, OfferedCommand,
} from "./contract.ts";
import type { WireError } from "./errors.ts";
import type { components, operations } from "./openapi.gen.ts";
import type { RestClient } from "./rest.ts";
import type {
  CreateConversationRequest, EmailCodeRequest, EntryPage, FileLink, GroupChange, Hello, HistoryQuery, MailLanguage,
  PasswordResetCodeRequest, PasswordResetRequest, ProfileChange, RegisterRequest, RevokeReason, NotificationsQuery, ReadNotificationsRequest,
  ScheduleRequest, SearchFilesQuery, SearchMessagesQuery, SendRequest, ServerFrame, SettingsChange, SyncRequest, SyncResponse, ThreadChange, ThreadsQuery,
  WirePendingRequest,
  App, AppGrant, AppGrantList, AppList, AppOrderRequest, AppSecret, AuthorizeInfo, AuthorizeRedirect, AuthorizeRequest, CreateAppRequest, CreatedApp,
  UpdateAppRequest, WorkbenchApp, WorkbenchAppList,
} from "./wire.ts";

type S = components["schemas"];

export type Checks = [
  // ---- What `Pinned` (below) assumes of the document ------------------------------------
  // When one of these fails, the document now says more about the field: drop its case from
  // `Pinned`, so that what the document says is compared instead.
  Holds<Equals<Pick<S["Entry"], "body">, { body?: unknown }>>,
  Holds<Equals<Pick<S["SessionInfo"], "current">, { current?: boolean }>>,
  Holds<Equals<Pick<S["SavedItem"], "body">, { body?: unknown }>>,

  // ---- Sessions and profiles (§3, §5) -----------------------------------------------------
  Agree<Differ<Profile, Wire<S["Profile"]>>>,
  Agree<Differ<Me, Wire<S["Me"]>>>,
  Agree<Differ<Session, Wire<S["SessionInfo"]>>>,
  Agree<Differ<LoginResponse, Wire<S["LoginResponse"]>>>,
  Agree<Differ<ProfileChange, Wire<S["UpdateProfileRequest"]>>>,
  // ChatClient.updateMe takes the fields that the app edits: a part of the request.
  Agree<Differ<UpdateMe, Pick<Wire<S["UpdateProfileRequest"]>, keyof UpdateMe>>>,
  // Before a session: what a domain's registration takes, mailed codes, password resets. The
  // document calls `lang` any string (anything but `zh…` is English); the SDK sends `zh` or `en`.
  Agree<Differ<SignupInfo, Wire<S["SignupInfo"]>>>,
  Agree<Differ<CodeSent, Wire<S["CodeSent"]>>>,
  Agree<Differ<Omit<RegisterRequest, "lang">, Wire<Omit<S["RegisterRequest"], "lang">>>>,
  Agree<Differ<Omit<EmailCodeRequest, "lang">, Wire<Omit<S["EmailCodeRequest"], "lang">>>>,
  Agree<Differ<Omit<PasswordResetCodeRequest, "lang">, Wire<Omit<S["PasswordResetCodeRequest"], "lang">>>>,
  Agree<Differ<PasswordResetRequest, Wire<S["PasswordResetRequest"]>>>,
  Holds<Equals<Pick<Wire<S["RegisterRequest"]>, "lang">, { lang?: string }>>,
  Holds<Equals<Pick<Wire<S["EmailCodeRequest"]>, "lang">, { lang?: string }>>,
  Holds<Equals<Pick<Wire<S["PasswordResetCodeRequest"]>, "lang">, { lang?: string }>>,
  Holds<Subset<MailLanguage, string>>,
  Holds<Equals<keyof RegisterRequest, keyof S["RegisterRequest"]>>,
  // Notification preferences: the fields have defaults, so the document calls them all required
  // (the server always sends them, and the SDK sends them all in a PUT); `quiet` is a Rust
  // `Option` that the document calls required and nullable, but the server leaves it out when
  // there are none (which the SDK does too; the server reads `null` alike).
  Holds<Equals<NotifyLevel, S["NotifyLevel"]>>,
  Agree<Differ<QuietHours, Wire<S["QuietHours"]>>>,
  Holds<Equals<Pick<S["NotificationPrefs"], "quiet">, { quiet: null | S["QuietHours"] }>>,
  Agree<Differ<NotificationPrefs, Flat<Wire<Omit<S["NotificationPrefs"], "quiet">> & { quiet?: Wire<S["QuietHours"]> }>>>,
  Agree<Differ<Parameters<RestClient["setNotificationPrefs"]>[0], Flat<Wire<Omit<S["NotificationPrefs"], "quiet">> & { quiet?: Wire<S["QuietHours"]> }>>>,
  Holds<Equals<Parameters<ChatClient["setNotificationPrefs"]>, Parameters<RestClient["setNotificationPrefs"]>>>,
  Holds<Equals<ReturnType<ChatClient["setNotificationPrefs"]>, ReturnType<RestClient["setNotificationPrefs"]>>>,
  Holds<Equals<ReturnType<ChatClient["notificationPrefs"]>, ReturnType<RestClient["notificationPrefs"]>>>,
  // Push (§5 "Push"): the SDK's types and the document's.
  Agree<Differ<PushTargetInfo, Wire<S["PushTargetInfo"]>>>,
  Agree<Differ<PushFailureInfo, Wire<S["PushFailureInfo"]>>>,
  Agree<Differ<WebPushKeys, Wire<S["WebPushKeys"]>>>,
  Holds<Equals<Pick<S["PushConfig"], "vapid_public_key">, { vapid_public_key?: string | null }>>,
  Agree<Differ<PushConfig, Flat<Wire<Omit<S["PushConfig"], "vapid_public_key">> & { vapid_public_key?: string }>>>,
  Holds<Same<PushTargetRequest, Wire<S["PushTargetRequest"]>>>,
  Holds<Equals<Parameters<RestClient["addPushTarget"]>[0], PushTargetRequest>>,
  Holds<Equals<ReturnType<ChatClient["pushConfig"]>, ReturnType<RestClient["pushConfig"]>>>,
  Holds<Equals<ReturnType<ChatClient["pushTargets"]>, ReturnType<RestClient["pushTargets"]>>>,
  Holds<Equals<Parameters<ChatClient["addPushTarget"]>, Parameters<RestClient["addPushTarget"]>>>,
  Holds<Equals<ReturnType<ChatClient["removePushTarget"]>, ReturnType<RestClient["removePushTarget"]>>>,
  Holds<Equals<operations["put_notification_prefs"]["requestBody"]["content"]["application/json"], S["NotificationPrefs"]>>,

  // ---- Conversations and messages (§7) ----------------------------------------------------
  Holds<Equals<ConversationKind, S["ConversationKind"]>>,
  Holds<Equals<Role, S["MemberRole"]>>,
  Agree<Differ<Conversation, Wire<S["Conversation"]>>>,
  Agree<Differ<Conversation["me"], Wire<S["MyMembership"]>>>,
  Agree<Differ<Member, Wire<S["Member"]>>>,
  Agree<Differ<Entry, Wire<S["Entry"]>>>,
  Agree<Differ<NonNullable<Entry["forwarded_from"]>, Wire<S["ForwardedFrom"]>>>,
  Agree<Differ<Reaction, Wire<S["Reaction"]>>>,
  Agree<Differ<Ack, Wire<S["Ack"]>>>,
  Agree<Differ<PinnedMessage, Wire<S["Pin"]>>>,
  Agree<Differ<SavedItem, Wire<S["SavedItem"]>>>,
  Agree<Differ<SavedPage, Wire<S["SavedPage"]>>>,
  Agree<Differ<ScheduledMessage, Wire<S["ScheduledMessage"]>>>,
  Agree<Differ<ScheduledFailure, Wire<S["ScheduledFailure"]>>>,
  Holds<Equals<ScheduledMessage["state"], S["ScheduledState"]>>,
  Agree<Differ<ScheduleRequest, Wire<S["ScheduleRequest"]>>>,
  Agree<Differ<ScheduledChange, Wire<S["UpdateScheduledRequest"]>>>,
  Agree<Differ<Parameters<ChatClient["updateScheduled"]>[1], Wire<S["UpdateScheduledRequest"]>>>,
  Agree<Differ<Receipts, Wire<S["Receipts"]>>>,
  Agree<Differ<EntryPage, Wire<S["EntryPage"]>>>,
  Agree<Differ<SharedPage, Wire<S["SharedPage"]>>>,
  Agree<Differ<LinkPreview, Wire<S["LinkPreview"]>>>,
  Agree<Differ<SendRequest, Wire<S["SendRequest"]>>>,
  Agree<Differ<GroupChange, Wire<S["UpdateGroupRequest"]>>>,
  Agree<Differ<Parameters<ChatClient["updateGroup"]>[1], Wire<S["UpdateGroupRequest"]>>>,
  Agree<Differ<SettingsChange, Wire<S["SettingsRequest"]>>>,
  Agree<Differ<Parameters<ChatClient["updateSettings"]>[1], Wire<S["SettingsRequest"]>>>,
  Agree<Differ<HistoryQuery, Wire<NonNullable<operations["get_messages"]["parameters"]["query"]>>>>,
  // Threads (§7.12): a thread page is read with the history's query, counting replies only.
  Agree<Differ<ThreadSummary, Wire<S["ThreadSummary"]>>>,
  Agree<Differ<Thread, Wire<S["Thread"]>>>,
  Agree<Differ<ThreadPage, Wire<S["ThreadPage"]>>>,
  Agree<Differ<ThreadChange, Wire<S["UpdateThreadRequest"]>>>,
  Agree<Differ<Parameters<ChatClient["updateThread"]>[2], Wire<S["UpdateThreadRequest"]>>>,
  Agree<Differ<HistoryQuery, Wire<NonNullable<operations["get_thread"]["parameters"]["query"]>>>>,
  Agree<Differ<ThreadsQuery, Wire<NonNullable<operations["list_threads"]["parameters"]["query"]>>>>,
  // Search (§7.14).
  Agree<Differ<Snippet, Wire<S["Snippet"]>>>,
  Agree<Differ<SearchResult, Wire<S["SearchResult"]>>>,
  Agree<Differ<SearchMessagesPage, Wire<S["SearchMessagesPage"]>>>,
  Agree<Differ<SearchMessagesQuery, Wire<NonNullable<operations["search_messages"]["parameters"]["query"]>>>>,
  // People and groups by name (§7.15).
  Holds<Equals<SearchMatch, S["NameMatch"]>>,
  Agree<Differ<PersonMatch, Wire<S["PersonFound"]>>>,
  Agree<Differ<GroupMatch, Wire<S["GroupFound"]>>>,
  // Files by name and type (§7.16).
  Holds<Equals<FileType, S["FileType"]>>,
  Agree<Differ<SearchFilesQuery, Wire<NonNullable<operations["search_files"]["parameters"]["query"]>>>>,
  // The SDK always sends both cursors; the server reads an absent one as 0.
  Agree<Differ<SyncRequest, Wire<Pin<NonNullable<operations["sync"]["parameters"]["query"]>, "events_after" | "conversations_after">>>>,
  // SyncResponse.events are account events, compared below.
  Agree<Differ<Omit<SyncResponse, "events">, Wire<Omit<S["SyncResponse"], "events">>>>,
  Holds<Equals<SyncResponse["events"], AccountEvent[]>>,
  Holds<Equals<S["SyncResponse"]["events"], S["AccountEventFrame"][]>>,
  // The SDK writes one variant for groups and channels, the document one for each (a GroupSpec
  // tagged `group` or `channel`): compared variant by variant, and the kinds apart.
  Agree<Differ<Extract<CreateConversationRequest, { kind: "direct" }>, Wire<Extract<S["CreateConversationRequest"], { kind: "direct" }>>>>,
  Agree<Differ<Omit<Exclude<CreateConversationRequest, { kind: "direct" }>, "kind">, Wire<S["GroupSpec"]>>>,
  Holds<Equals<CreateConversationRequest["kind"], S["CreateConversationRequest"]["kind"]>>,

  // ---- The organisation, registration and administration (§4, §5, §11) ---------------------
  Holds<Equals<RegistrationMode, S["RegistrationMode"]>>,
  Agree<Differ<ApplicationPending, Wire<S["ApplicationPending"]>>>,
  Agree<Differ<DomainInfo, Wire<S["DomainInfo"]>>>,
  Agree<Differ<DomainChange, Wire<S["UpdateDomainRequest"]>>>,
  Agree<Differ<AdminAccount, Wire<S["AdminAccount"]>>>,
  Agree<Differ<Department, Wire<S["Department"]>>>,
  Agree<Differ<PathStep, Wire<S["PathStep"]>>>,
  Agree<Differ<DepartmentMember, Wire<S["DepartmentMember"]>>>,
  Agree<Differ<Placement, Wire<S["Placement"]>>>,
  Agree<Differ<Placements, Wire<S["Placements"]>>>,
  // The manager is sent as `null` to clear it, which the document's nullable Option says.
  Holds<Equals<{ manager: Parameters<RestClient["setManager"]>[1] }, Pick<Required<S["SetManagerRequest"]>, "manager">>>,
  Agree<Differ<DepartmentMatch, Wire<S["DepartmentFound"]>>>,
  Agree<Differ<NewDepartment, Wire<S["CreateDepartmentRequest"]>>>,
  // `parent` and `manager` are sent as `null` to move a department to the top or clear its
  // manager, which the document's nullable Options say; `chat` is a plain optional boolean.
  Agree<Differ<DepartmentChange, Flat<Wire<Omit<S["UpdateDepartmentRequest"], "parent" | "manager">> & Pick<S["UpdateDepartmentRequest"], "parent" | "manager">>>>,
  Agree<Differ<Invitation, Wire<S["InvitationInfo"]>>>,
  Agree<Differ<NewInvitation, Wire<S["CreateInvitationRequest"]>>>,
  Agree<Differ<CreatedInvitation, Wire<S["CreatedInvitation"]>>>,
  Agree<Differ<Application, Wire<S["ApplicationInfo"]>>>,
  Agree<Differ<LdapAttributes, Wire<S["LdapAttributes"]>>>,
  Agree<Differ<LdapChange, Wire<S["LdapChange"]>>>,
  Agree<Differ<LdapSyncReport, Wire<S["LdapSyncReport"]>>>,
  Agree<Differ<LdapLastSync, Wire<S["LdapLastSync"]>>>,
  Agree<Differ<LdapGroupMap, Wire<S["LdapGroupMap"]>>>,
  Agree<Differ<LdapSource, Wire<S["LdapSource"]>>>,
  Agree<Differ<LdapSourceChange, Wire<S["SetLdapSourceRequest"]>>>,
  Agree<Differ<LdapTestResult, Wire<S["LdapTestResult"]>>>,
  // The audit log. The document calls the actor's role any string (a Rust `String`); the server
  // sends one of AuditRole's four. `before` and `after` are free-form JSON objects.
  Agree<Differ<Omit<AuditActorInfo, "role">, Wire<Omit<S["AuditActorInfo"], "role">>>>,
  Holds<Equals<Pick<S["AuditActorInfo"], "role">, { role: string }>>,
  Holds<Subset<AuditRole, string>>,
  Agree<Differ<Omit<AuditRecordInfo, "actor">, Wire<Omit<S["AuditRecordInfo"], "actor">>>>,
  Holds<Equals<S["AuditRecordInfo"]["actor"], S["AuditActorInfo"]>>,
  Agree<Differ<Omit<AuditRecordList, "records">, Wire<Omit<S["AuditRecordList"], "records">>>>,
  Holds<Equals<S["AuditRecordList"]["records"], S["AuditRecordInfo"][]>>,
  Agree<Differ<AuditQuery, Wire<NonNullable<operations["admin_audit"]["parameters"]["query"]>>>>,
  // An export takes a page's query without the paging (which the document lists, as not for exports).
  Agree<Differ<AuditExportQuery, Wire<Omit<NonNullable<operations["admin_audit_export"]["parameters"]["query"]>, "before" | "limit">>>>,
  Holds<Equals<NonNullable<Parameters<RestClient["exportAudit"]>[0]>, AuditExportQuery>>,
  Holds<Equals<operations["admin_audit_export"]["responses"][200]["content"], { "application/x-ndjson": string }>>,
  // The accounts of a domain, for its administrators.
  Holds<Equals<AccountRole, S["Role"]>>,
  Holds<Equals<AdminAccount["role"], AccountRole>>,
  Agree<Differ<AdminAccountQuery, Wire<NonNullable<operations["admin_list_accounts"]["parameters"]["query"]>>>>,
  Agree<Differ<NewAccount, Wire<S["CreateAccountRequest"]>>>,
  Agree<Differ<AccountChange, Wire<S["UpdateAccountRequest"]>>>,
  Agree<Differ<PasswordReset, Wire<S["PasswordReset"]>>>,
  // `resetAccountPassword` sends its password as the request's one field, or none.
  Agree<Differ<{ password?: NonNullable<Parameters<RestClient["resetAccountPassword"]>[1]> }, Wire<S["ResetPasswordRequest"]>>>,
  Agree<Differ<ImportAccountRow, Wire<S["ImportAccountRow"]>>>,
  Agree<Differ<ImportAccountsRequest, Wire<S["ImportAccountsRequest"]>>>,
  Agree<Differ<ImportRowError, Wire<S["ImportRowError"]>>>,
  Agree<Differ<ImportedAccount, Wire<S["ImportedAccount"]>>>,
  Agree<Differ<ImportAccountsReport, Wire<S["ImportAccountsReport"]>>>,
  // An import answers the same report whether it made the accounts (201) or not (200).
  Holds<Equals<operations["admin_import_accounts"]["responses"][201]["content"]["application/json"], S["ImportAccountsReport"]>>,
  // The console: domains, the dashboard, live connections, backups, forbidden words and exports. A
  // dashboard sample's sizes are `Option`s the server leaves out where it cannot measure them.
  Agree<Differ<NewDomain, Wire<S["CreateDomainRequest"]>>>,
  Agree<Differ<DashboardSample, Wire<S["DashboardSample"]>>>,
  Agree<Differ<Dashboard, Wire<S["Dashboard"]>>>,
  Agree<Differ<TlsStatus, Wire<S["TlsStatus"]>>>,
  Agree<Differ<ConnectionInfo, Wire<S["ConnectionInfo"]>>>,
  Agree<Differ<ConnectionList, Wire<S["ConnectionList"]>>>,
  Agree<Differ<ConnectionsQuery, Wire<NonNullable<operations["admin_connections"]["parameters"]["query"]>>>>,
  Holds<Equals<NonNullable<Parameters<RestClient["connections"]>[0]>, ConnectionsQuery>>,
  Agree<Differ<LogLine, Wire<S["LogLine"]>>>,
  Agree<Differ<LogLines, Wire<S["LogLines"]>>>,
  Agree<Differ<LogQuery, Wire<NonNullable<operations["admin_logs"]["parameters"]["query"]>>>>,
  Holds<Equals<NonNullable<Parameters<RestClient["logs"]>[0]>, LogQuery>>,
  Agree<Differ<BackupInfo, Wire<S["BackupInfo"]>>>,
  Holds<Equals<ModerationAction, S["ModerationAction"]>>,
  Agree<Differ<ModerationRules, Wire<S["ModerationRules"]>>>,
  Agree<Differ<Parameters<RestClient["setModeration"]>[1], Wire<S["ModerationRules"]>>>,
  Agree<Differ<Parameters<RestClient["createDomain"]>[0], Wire<S["CreateDomainRequest"]>>>,
  // Compliance exports. The document calls an export's state any string (a Rust `String`); the
  // server sends one of ExportState's three. The archive is a ZIP, which the document describes
  // as bytes.
  Agree<Differ<Omit<ExportInfo, "state">, Wire<Omit<S["ExportInfo"], "state">>>>,
  Holds<Equals<Pick<S["ExportInfo"], "state">, { state: string }>>,
  Holds<Subset<ExportState, string>>,
  Holds<Equals<S["ExportList"], { exports: S["ExportInfo"][] }>>,
  Agree<Differ<NewExport, Wire<S["NewExportRequest"]>>>,
  Agree<Differ<Wallet, Wire<S["Wallet"]>>>,
  Agree<Differ<WalletLine, Wire<S["WalletLine"]>>>,
  Agree<Differ<CreditRequest, Wire<S["CreditRequest"]>>>,
  Holds<Equals<Parameters<RestClient["adminCredit"]>[1], CreditRequest>>,
  Agree<Differ<Credited, Wire<S["Credited"]>>>,
  Agree<Differ<Reconciliation, Wire<S["Reconciliation"]>>>,
  Holds<Equals<Parameters<RestClient["adminStartExport"]>[0], NewExport>>,
  Holds<Equals<operations["admin_start_export"]["requestBody"]["content"]["application/json"], S["NewExportRequest"]>>,
  Agree<Differ<{ domain?: NonNullable<Parameters<RestClient["adminExports"]>[0]> }, Wire<NonNullable<operations["admin_exports"]["parameters"]["query"]>>>>,
  Agree<Differ<NonNullable<Parameters<RestClient["adminExport"]>[1]>, Wire<NonNullable<operations["admin_export"]["parameters"]["query"]>>>>,
  Holds<Equals<keyof operations["admin_export_archive"]["responses"][200]["content"], "application/zip">>,
  // A domain's groups, for its administrators. The document calls a group's kind any string (a
  // Rust `String`); the server sends `group` or `channel`. A transfer sends a MemberChange with
  // the member's address only (its other fields are for other changes); the members are a
  // MemberList's.
  Agree<Differ<Omit<AdminGroupInfo, "kind">, Wire<Omit<S["AdminGroupInfo"], "kind">>>>,
  Holds<Equals<Pick<S["AdminGroupInfo"], "kind">, { kind: string }>>,
  Holds<Subset<AdminGroupKind, string>>,
  Agree<Differ<Omit<AdminGroupList, "groups">, Wire<Omit<S["AdminGroupList"], "groups">>>>,
  Holds<Equals<S["AdminGroupList"]["groups"], S["AdminGroupInfo"][]>>,
  Agree<Differ<AdminGroupQuery, Wire<NonNullable<operations["admin_groups"]["parameters"]["query"]>>>>,
  Holds<Equals<NonNullable<Parameters<RestClient["adminGroups"]>[1]>, AdminGroupQuery>>,
  Holds<Equals<operations["admin_transfer_group"]["requestBody"]["content"]["application/json"], S["MemberChange"]>>,
  Agree<Differ<{ member: Parameters<RestClient["adminTransferGroup"]>[1] }, Pick<Wire<S["MemberChange"]>, "member">>>,
  Holds<Equals<OptionalKeys<S["MemberChange"]>, "role" | "until_ms">>,
  // Retention. The document calls a run's state any string (a Rust `String`); the server sends
  // one of RetentionRunState's three. A policy is sent with its `days` always, `null` meaning for
  // ever (a domain) or as the domain (a conversation); a run is started with a cutoff or none.
  Agree<Differ<Omit<RetentionRun, "state">, Wire<Omit<S["RetentionRunInfo"], "state">>>>,
  Holds<Equals<Pick<S["RetentionRunInfo"], "state">, { state: string }>>,
  Holds<Subset<RetentionRunState, string>>,
  Agree<Differ<ConversationRetention, Wire<S["ConversationRetention"]>>>,
  Agree<Differ<Omit<Retention, "runs">, Wire<Omit<S["Retention"], "runs">>>>,
  Holds<Equals<S["Retention"]["runs"], S["RetentionRunInfo"][]>>,
  Holds<Equals<operations["admin_set_retention"]["requestBody"]["content"]["application/json"], S["RetentionPolicy"]>>,
  Holds<Equals<operations["admin_set_conversation_retention"]["requestBody"]["content"]["application/json"], S["RetentionPolicy"]>>,
  Holds<Equals<keyof S["RetentionPolicy"], "days">>,
  Holds<Equals<Parameters<RestClient["setAdminRetention"]>[1], Exclude<S["RetentionPolicy"]["days"], undefined>>>,
  Holds<Equals<Parameters<RestClient["setConversationRetention"]>[1], Exclude<S["RetentionPolicy"]["days"], undefined>>>,
  Holds<Equals<operations["admin_start_retention_run"]["requestBody"]["content"]["application/json"], S["StartRetentionRun"]>>,
  Agree<Differ<{ before_ms?: NonNullable<Parameters<RestClient["startRetentionRun"]>[1]> }, Wire<S["StartRetentionRun"]>>>,
  Agree<Differ<NonNullable<Parameters<RestClient["retentionRun"]>[1]>, Wire<NonNullable<operations["admin_retention_run"]["parameters"]["query"]>>>>,
  // Bots (§5 "Bots"): a bot, its tokens (the secret only in the answer that makes one) and its
  // incoming webhooks (the path likewise). The document calls `read` and `send` of a new token
  // optional (they default to `true`), as the SDK does.
  Agree<Differ<Bot, Wire<S["Bot"]>>>,
  Agree<Differ<BotList, Wire<S["BotList"]>>>,
  Agree<Differ<CreateBotRequest, Wire<S["CreateBotRequest"]>>>,
  Agree<Differ<UpdateBotRequest, Wire<S["UpdateBotRequest"]>>>,
  Agree<Differ<TokenScope, Wire<S["TokenScope"]>>>,
  Agree<Differ<BotToken, Wire<S["BotToken"]>>>,
  Agree<Differ<IssuedBotToken, Wire<S["IssuedBotToken"]>>>,
  Agree<Differ<CreateBotTokenRequest, Wire<S["CreateBotTokenRequest"]>>>,
  Agree<Differ<IncomingWebhook, Wire<S["IncomingWebhook"]>>>,
  Agree<Differ<CreateWebhookRequest, Wire<S["CreateWebhookRequest"]>>>,
  Agree<Differ<CreatedWebhook, Wire<S["CreatedWebhook"]>>>,
  Agree<Differ<{ domain?: NonNullable<Parameters<RestClient["bots"]>[0]> }, Wire<NonNullable<operations["list_bots"]["parameters"]["query"]>>>>,
  Holds<Equals<Parameters<RestClient["createBot"]>[0], CreateBotRequest>>,
  Holds<Equals<Parameters<RestClient["updateBot"]>[1], UpdateBotRequest>>,
  Holds<Equals<Parameters<RestClient["createBotToken"]>[1], CreateBotTokenRequest>>,
  Holds<Equals<Parameters<RestClient["createWebhook"]>[1], CreateWebhookRequest>>,
  Holds<Equals<operations["create_bot"]["requestBody"]["content"]["application/json"], S["CreateBotRequest"]>>,
  Holds<Equals<operations["update_bot"]["requestBody"]["content"]["application/json"], S["UpdateBotRequest"]>>,
  Holds<Equals<operations["create_token"]["requestBody"]["content"]["application/json"], S["CreateBotTokenRequest"]>>,
  Holds<Equals<operations["create_webhook"]["requestBody"]["content"]["application/json"], S["CreateWebhookRequest"]>>,
  // Outgoing webhooks ("Outgoing webhooks"): a bot's event subscriptions (the secret only in the
  // answers that make or rotate one), and the body the server POSTs to an app. The document
  // types a subscription's kinds as strings; the SDK sends only the kinds it knows
  // (WebhookEventKind) and reads any string, since a newer server may add kinds. When the
  // document makes them an enum, the first check fails: compare the kinds with it instead.
  Agree<Differ<EventSubscription, Wire<S["EventSubscription"]>>>,
  Agree<Differ<EventSubscriptionList, Wire<S["EventSubscriptionList"]>>>,
  Agree<Differ<IssuedEventSubscription, Wire<S["IssuedEventSubscription"]>>>,
  Holds<Equals<S["CreateEventSubscriptionRequest"]["events"], string[]>>,
  Agree<Differ<Omit<CreateEventSubscriptionRequest, "events">, Wire<Omit<S["CreateEventSubscriptionRequest"], "events">>>>,
  Holds<Subset<CreateEventSubscriptionRequest["events"], S["CreateEventSubscriptionRequest"]["events"]>>,
  Agree<Differ<Omit<UpdateEventSubscriptionRequest, "events">, Wire<Omit<S["UpdateEventSubscriptionRequest"], "events">>>>,
  Holds<Subset<UpdateEventSubscriptionRequest["events"], Wire<S["UpdateEventSubscriptionRequest"]>["events"]>>,
  Holds<Subset<WebhookEventKind, S["WebhookEvent"]["type"]>>,
  Agree<Differ<WebhookEvent, Wire<S["WebhookEvent"]>>>,
  Agree<Differ<WebhookDelivery, Wire<S["WebhookDelivery"]>>>,
  Holds<Equals<Parameters<RestClient["createSubscription"]>[1], CreateEventSubscriptionRequest>>,
  Holds<Equals<Parameters<RestClient["updateSubscription"]>[2], UpdateEventSubscriptionRequest>>,
  Holds<Equals<operations["create_subscription"]["requestBody"]["content"]["application/json"], S["CreateEventSubscriptionRequest"]>>,
  Holds<Equals<operations["update_subscription"]["requestBody"]["content"]["application/json"], S["UpdateEventSubscriptionRequest"]>>,
  // Interactive cards (issue 18): a press of a card's button, what came of it, and what the app
  // is sent and answers. The document calls a card's body (`card`, `update`) any JSON value, the
  // SDK types it as an interactive card (InteractiveCard, which the server checks); it calls the
  // event's `type` any string, the server sends `card_action`. A button's `value` is a Rust
  // `Option` that the server sends as `null` when absent: verifyRequest leaves it out instead.
  Agree<Differ<CardActionRequest, Wire<S["CardActionRequest"]>>>,
  Agree<Differ<CardActionResult, Wire<S["CardActionResult"]>>>,
  Agree<Differ<CardActionUser, Wire<S["CardActionUser"]>>>,
  Agree<Differ<CardActionButton, Wire<S["CardActionButton"]>>>,
  Agree<Differ<Omit<CardActionEvent, "type" | "card">, Wire<Omit<S["CardActionEvent"], "type" | "card">>>>,
  Holds<Equals<Pick<S["CardActionEvent"], "type" | "card">, { type: string; card: unknown }>>,
  Holds<Subset<CardActionEvent["type"], S["CardActionEvent"]["type"]>>,
  Agree<Differ<Omit<CardActionAnswer, "update">, Wire<Omit<S["CardActionAnswer"], "update">>>>,
  Holds<Equals<Pick<S["CardActionAnswer"], "update">, { update?: unknown }>>,
  Holds<Equals<keyof CardActionAnswer, keyof S["CardActionAnswer"]>>,
  Holds<Equals<operations["card_action"]["requestBody"]["content"]["application/json"], S["CardActionRequest"]>>,
  Holds<Equals<Parameters<RestClient["cardAction"]>[2], CardActionRequest>>,
  Holds<Equals<Parameters<ChatClient["cardAction"]>, Parameters<RestClient["cardAction"]>>>,
  Holds<Equals<ReturnType<ChatClient["cardAction"]>, ReturnType<RestClient["cardAction"]>>>,
  // Slash commands (issue 18): a bot's commands, those a conversation offers, an invocation and
  // what came of it, and what the app is sent and answers. A command's `hint` has
  // `#[serde(default)]`, so the document calls it optional; the server always sends it (`""` for
  // none), and the SDK may leave it out of what it sends (NewBotCommand). The document calls
  // `response_type` any string, the server sends `ephemeral` or `in_channel` (and reads those from
  // an app); it calls a message's `body` any JSON value, the server checks that it is a message's
  // body, a JSON object. It calls the event's `type` any string, the server sends `command`.
  Agree<Differ<BotCommand, Wire<Pin<S["BotCommand"], "hint">>>>,
  Agree<Differ<NewBotCommand, Wire<S["BotCommand"]>>>,
  Agree<Differ<OfferedCommand, Wire<S["OfferedCommand"]>>>,
  Agree<Differ<InvokeCommandRequest, Wire<S["InvokeCommandRequest"]>>>,
  Holds<Equals<Pick<S["CommandResult"], "response_type" | "body">, { response_type: string; body?: unknown }>>,
  Holds<Subset<CommandResponseType, string>>,
  Agree<Differ<Omit<CommandResult, "response_type" | "body">, Wire<Omit<S["CommandResult"], "response_type" | "body">>>>,
  Holds<Equals<keyof CommandResult, keyof S["CommandResult"]>>,
  Agree<Differ<Omit<CommandEvent, "type">, Wire<Omit<S["CommandEvent"], "type">>>>,
  Holds<Subset<CommandEvent["type"], S["CommandEvent"]["type"]>>,
  Holds<Equals<Pick<S["CommandAnswer"], "response_type" | "body">, { response_type?: string | null; body?: unknown }>>,
  Agree<Differ<Omit<CommandAnswer, "response_type" | "body">, Wire<Omit<S["CommandAnswer"], "response_type" | "body">>>>,
  Holds<Equals<keyof CommandAnswer, keyof S["CommandAnswer"]>>,
  Holds<Equals<S["BotCommandList"], { commands: S["BotCommand"][] }>>,
  Holds<Equals<S["OfferedCommandList"], { commands: S["OfferedCommand"][] }>>,
  Holds<Equals<operations["set_commands"]["requestBody"]["content"]["application/json"], S["BotCommandList"]>>,
  Holds<Equals<operations["invoke_command"]["requestBody"]["content"]["application/json"], S["InvokeCommandRequest"]>>,
  Holds<Equals<Answer<"list_commands">, S["BotCommandList"]>>,
  Holds<Equals<Answer<"set_commands">, S["BotCommandList"]>>,
  Holds<Equals<Answer<"invoke_command">, S["CommandResult"]>>,
  Holds<Equals<Resolves<"botCommands">, BotCommand[]>>,
  Holds<Equals<Resolves<"setBotCommands">, BotCommand[]>>,
  Holds<Equals<Parameters<RestClient["setBotCommands"]>[1], NewBotCommand[]>>,
  Holds<Equals<Resolves<"invokeCommand">, CommandResult>>,
  Holds<Equals<Parameters<ChatClient["offeredCommands"]>, Parameters<RestClient["offeredCommands"]>>>,
  Holds<Equals<ReturnType<ChatClient["offeredCommands"]>, ReturnType<RestClient["offeredCommands"]>>>,
  Holds<Equals<Parameters<ChatClient["invokeCommand"]>, Parameters<RestClient["invokeCommand"]>>>,
  Holds<Equals<ReturnType<ChatClient["invokeCommand"]>, ReturnType<RestClient["invokeCommand"]>>>,

  // ---- The workbench: a domain's apps, and OAuth 2.0 grants to them --------------------------
  // An app's `icon` and `departments` are left out when there are none (no icon; everyone sees
  // it), and every app has a `client_secret` (there are no public clients); in a create or a
  // change, `icon: null` and `departments: null` say "none" and "everyone", which the document's
  // nullable Options say.
  Agree<Differ<WorkbenchApp, Wire<S["WorkbenchApp"]>>>,
  Agree<Differ<WorkbenchAppList, Wire<S["WorkbenchAppList"]>>>,
  Agree<Differ<App, Wire<S["App"]>>>,
  Agree<Differ<AppList, Wire<S["AppList"]>>>,
  Agree<Differ<CreateAppRequest, Flat<Wire<Omit<S["CreateAppRequest"], "icon" | "departments">> & Pick<S["CreateAppRequest"], "icon" | "departments">>>>,
  Agree<Differ<CreatedApp, Wire<S["CreatedApp"]>>>,
  Agree<Differ<UpdateAppRequest, Flat<Wire<Omit<S["UpdateAppRequest"], "icon" | "departments">> & Pick<S["UpdateAppRequest"], "icon" | "departments">>>>,
  Agree<Differ<AppOrderRequest, Wire<S["AppOrderRequest"]>>>,
  Agree<Differ<AppSecret, Wire<S["AppSecret"]>>>,
  Agree<Differ<AuthorizeRequest, Wire<S["AuthorizeRequest"]>>>,
  Agree<Differ<AuthorizeInfo, Wire<S["AuthorizeInfo"]>>>,
  Agree<Differ<AuthorizeRedirect, Wire<S["AuthorizeRedirect"]>>>,
  Agree<Differ<AppGrant, Wire<S["AppGrant"]>>>,
  Agree<Differ<AppGrantList, Wire<S["AppGrantList"]>>>,
  Holds<Equals<Parameters<RestClient["createApp"]>[1], CreateAppRequest>>,
  Holds<Equals<Parameters<RestClient["updateApp"]>[1], UpdateAppRequest>>,
  Holds<Equals<Parameters<RestClient["authorizeInfo"]>[0], AuthorizeRequest>>,
  Holds<Equals<Parameters<RestClient["authorize"]>[0], AuthorizeRequest>>,

  // ---- Account events (§6.6, §9.1) --------------------------------------------------------
  // The SDK types an account event loosely, `{ kind: string; [field]: unknown }`, and reads its
  // fields with checks at run time, because a newer server may send kinds and fields that this
  // version does not know (§1). So: the frame around the event is the same, every event that
  // the document describes fits the SDK's type, and every kind that the SDK acts on exists.
  Agree<Differ<Omit<AccountEvent, "event">, Wire<Omit<S["AccountEventFrame"], "event">>>>,
  Holds<Wire<S["AccountEvent"]> extends AccountEvent["event"] ? true : false>,
  Holds<Subset<AccountEventKindsTheSdkActsOn, S["AccountEvent"]["kind"]>>,

  // ---- The notification centre ------------------------------------------------------------
  Holds<Equals<NotificationKind, S["NotificationKind"]>>,
  Agree<Differ<Notification, Wire<S["Notification"]>>>,
  Agree<Differ<Omit<NotificationPage, "items">, Wire<Omit<S["NotificationPage"], "items">>>>,
  Agree<Differ<NotificationsUnread, Wire<S["NotificationsUnread"]>>>,
  Agree<Differ<AnnouncementRequest, Wire<S["AnnounceRequest"]>>>,
  Agree<Differ<AnnouncementSent, Wire<S["Announced"]>>>,
  // The SDK sends one of the two fields of a read.
  Holds<ReadNotificationsRequest extends Wire<S["ReadNotificationsRequest"]> ? true : false>,
  Agree<Differ<NotificationsQuery, Wire<NonNullable<operations["list_notifications"]["parameters"]["query"]>>>>,

  // ---- Contacts and presence (§9) ---------------------------------------------------------
  Agree<Differ<WirePendingRequest, Wire<S["PendingRequest"]>>>,
  // PendingFriendRequest adds `account`: the other side of the request.
  Agree<Differ<Omit<PendingFriendRequest, "account">, Wire<S["PendingRequest"]>>>,
  Agree<Differ<{ [K in keyof FriendRequests]: Omit<FriendRequests[K][number], "account">[] }, Wire<S["PendingRequestList"]>>>,
  Holds<Equals<PresenceStatus, S["PresenceStatus"]>>,
  Agree<Differ<Presence, Wire<S["Presence"]>>>,

  // ---- Files and stickers (§10) -----------------------------------------------------------
  Agree<Differ<FileInfo, Wire<S["FileInfo"]>>>,
  Agree<Differ<NonNullable<FileInfo["thumbnails"]>[number], Wire<S["ThumbnailInfo"]>>>,
  Agree<Differ<FileLink, Wire<S["FileLink"]>>>,
  Agree<Differ<StickerPack, Wire<S["StickerPackInfo"]>>>,
  Agree<Differ<StickerPack["stickers"][number], Wire<S["StickerInfo"]>>>,
  // A domain's administrators make its packs: a pack by its name, a sticker by an uploaded file
  // and its emoji. Both answer the pack (compared in RestAnswers).
  Holds<Equals<operations["create_sticker_pack"]["requestBody"]["content"]["application/json"], S["CreateStickerPackRequest"]>>,
  Agree<Differ<{ name: Parameters<RestClient["createStickerPack"]>[0] }, Wire<S["CreateStickerPackRequest"]>>>,
  Holds<Equals<operations["add_sticker"]["requestBody"]["content"]["application/json"], S["AddStickerRequest"]>>,
  Agree<Differ<NewSticker, Wire<S["AddStickerRequest"]>>>,
  Holds<Equals<Parameters<RestClient["addSticker"]>[1], NewSticker>>,
  Holds<Equals<keyof operations["add_sticker"]["parameters"]["path"], "pack">>,

  // ---- Errors (§2) ------------------------------------------------------------------------
  // `unknown` is what the Rust client calls a code it does not know (`#[serde(other)]`); the
  // server never sends it. The SDK reports such a code as "unknown" in MagpieError.code.
  Holds<Equals<ErrorCode, Exclude<S["ErrorCode"], "unknown">>>,
  // WireError.code is any string: a newer server may send a code that this version does not
  // know (§2), which MagpieError.fromWire reports as "unknown".
  Agree<Differ<Omit<WireError, "code">, Wire<Omit<S["ErrorDetail"], "code">>>>,
  Holds<Equals<WireError["code"], string>>,
  // RestClient reads an error body as `{ error?: WireError }`.
  Holds<Equals<keyof S["ErrorBody"], "error">>,
  Holds<Equals<S["ErrorBody"]["error"], S["ErrorDetail"]>>,

  // ---- WebSocket frames (§6) --------------------------------------------------------------
  Agree<Differ<Hello, Wire<S["Hello"]>>>,
  Holds<Equals<RevokeReason, S["RevokeReason"]>>,
  Holds<Equals<ServerFrame["type"], S["ServerFrame"]["type"]>>,
  Agree<Differ<Extract<ServerFrame, { type: "hello" }>, Wire<Extract<S["ServerFrame"], { type: "hello" }>>>>,
  // A reply's `data` is the answer to the request with its id: the caller of Socket.request
  // says its type.
  Agree<Differ<Omit<Extract<ServerFrame, { type: "reply" }>, "data">, Wire<Omit<Extract<S["ServerFrame"], { type: "reply" }>, "data">>>>,
  // An error frame's `id` is a Rust `Option` that the server sends as `null` (for a frame it could
  // not read at all) rather than leave out; its `error` is a WireError, compared above.
  Agree<Differ<Omit<Extract<ServerFrame, { type: "error" }>, "error">, Wire<Pin<Omit<Extract<S["ServerFrame"], { type: "error" }>, "error">, "id">>>>,
  // Events are read by name and checked at run time, like account events: every event that the
  // document describes fits the SDK's frame, and every event that the SDK acts on exists.
  Holds<Wire<Extract<S["ServerFrame"], { type: "event" }>> extends Extract<ServerFrame, { type: "event" }> ? true : false>,
  Holds<Subset<EventsTheSdkActsOn, S["Event"]["event"]>>,

  // ---- RestClient: each endpoint method resolves with what its operation answers ------------
  Agree<RestMethodsThatDiffer>,
  // The lists that RestClient unwraps hold nothing else (no cursor that it would drop).
  Agree<RestListsWithMoreFields>,
  // `register` resolves with a LoginResponse, or (`202`) the account that applied for approval.
  Holds<Equals<Resolves<"register">, Wire<S["LoginResponse"]> | Wire<S["ApplicationPending"]>>>,
  Holds<Equals<operations["register"]["responses"][202]["content"]["application/json"], S["ApplicationPending"]>>,
  // The invitation methods of ChatClient are RestClient's member invitations (compared below).
  Holds<Equals<ReturnType<ChatClient["myInvitations"]>, ReturnType<RestClient["myInvitations"]>>>,
  Holds<Equals<ReturnType<ChatClient["createInvitation"]>, ReturnType<RestClient["createMyInvitation"]>>>,
  Holds<Equals<Parameters<ChatClient["createInvitation"]>, Parameters<RestClient["createMyInvitation"]>>>,
  Holds<Equals<ReturnType<ChatClient["revokeInvitation"]>, ReturnType<RestClient["revokeMyInvitation"]>>>,
  Holds<Equals<ReturnType<ChatClient["placements"]>, ReturnType<RestClient["placements"]>>>,
  // `domains` resolves with the list's DomainInfos, which may say more (compared above).
  Holds<Equals<keyof Answer<"admin_list_domains">, "domains">>,
  Agree<Differ<Resolves<"domains">[number], Wire<Answer<"admin_list_domains">["domains"][number]>>>,
  // `updateDomain` resolves with a DomainInfo, which may say more (compared above).
  Agree<Differ<Resolves<"updateDomain">, Wire<Answer<"admin_update_domain">>>>,
  // `sync` resolves with a SyncResponse, compared above (its events as account events).
  Holds<Equals<Resolves<"sync">, SyncResponse>>,
  Holds<Equals<Answer<"sync">, S["SyncResponse"]>>,
  // `auditLog` resolves with an AuditRecordList, compared above (the actor's role apart).
  Holds<Equals<Resolves<"auditLog">, AuditRecordList>>,
  Holds<Equals<Answer<"admin_audit">, S["AuditRecordList"]>>,
  // The export methods resolve with ExportInfos, compared above (the state apart): the list's,
  // the one a start answers (`202`), and one export.
  Holds<Equals<Resolves<"adminExports">, ExportInfo[]>>,
  Holds<Equals<Answer<"admin_exports">, S["ExportList"]>>,
  Holds<Equals<Resolves<"adminStartExport">, ExportInfo>>,
  Holds<Equals<Answer<"admin_start_export">, S["ExportInfo"]>>,
  Holds<Equals<Resolves<"adminExport">, ExportInfo>>,
  Holds<Equals<Answer<"admin_export">, S["ExportInfo"]>>,
  // `adminGroups` resolves with an AdminGroupList, compared above (the kind apart).
  Holds<Equals<Resolves<"adminGroups">, AdminGroupList>>,
  Holds<Equals<Answer<"admin_groups">, S["AdminGroupList"]>>,
  // The retention methods resolve with a Retention or a RetentionRun, compared above (a run's
  // state apart): the domain's (as asked, and as set), a run started (`202`), and one run.
  Holds<Equals<Resolves<"adminRetention">, Retention>>,
  Holds<Equals<Answer<"admin_retention">, S["Retention"]>>,
  Holds<Equals<Resolves<"setAdminRetention">, Retention>>,
  Holds<Equals<Answer<"admin_set_retention">, S["Retention"]>>,
  Holds<Equals<Resolves<"startRetentionRun">, RetentionRun>>,
  Holds<Equals<Answer<"admin_start_retention_run">, S["RetentionRunInfo"]>>,
  Holds<Equals<Resolves<"retentionRun">, RetentionRun>>,
  Holds<Equals<Answer<"admin_retention_run">, S["RetentionRunInfo"]>>,
  // A RestClient method that is in none of the tables below fails here: add it to one.
  Holds<Equals<Exclude<keyof RestClient, RestHelpers | RestAwaitingTheDocument>, keyof RestAnswers | keyof RestListAnswers | keyof RestAnswersLeavingOut | "sync" | "register" | "domains" | "updateDomain" | "auditLog" | "adminExports" | "adminStartExport" | "adminExport" | "adminGroups" | "adminRetention" | "setAdminRetention" | "startRetentionRun" | "retentionRun" | "botCommands" | "setBotCommands" | "invokeCommand">>,
];

/** RestClient methods whose operations the document does not describe yet: the notification
 * centre's server side is being built alongside the SDK's. Once openapi.json has them, move each
 * to the table its answer fits (`announce` to RestAnswers), and compare the centre's types too:
 * Notification, NotificationPage, NotificationsUnread, AnnouncementRequest, AnnouncementSent,
 * NotificationsQuery, ReadNotificationsRequest, and the kinds `notification_added`,
 * `notifications_read` and `notifications_removed` in AccountEventKindsTheSdkActsOn. */
type RestAwaitingTheDocument = never;

/** The account event kinds that Replica.applyAccountEvent and MagpieClient act on by name. */
type AccountEventKindsTheSdkActsOn =
  | "conversation_joined" | "conversation_left" | "read" | "peer_read" | "peer_delivered" | "settings_changed"
  | "hidden" | "friend_request" | "saved_changed" | "saved_removed" | "thread_changed" | "scheduled_changed"
  | "scheduled_removed" | "scheduled_sent" | "notify_prefs_changed" | "notification_added" | "notifications_read" | "notifications_removed";
/** The events that MagpieClient.onEvent and Socket act on by name. */
type EventsTheSdkActsOn = "entry" | "account" | "typing" | "presence" | "profile_updated" | "session_revoked" | "directory_changed";

type UpdateMe = Parameters<ChatClient["updateMe"]>[0];

// ---- What the server sends for a schema -------------------------------------------------

/** What the server sends for a schema, written as the SDK writes it. utoipa describes every
 * Rust `Option` field as optional and nullable, but the server leaves a `None` out
 * (`skip_serializing_if`) rather than send `null`, so an optional field loses its `null` here;
 * the SDK, for its part, never sends `null` for a field it leaves out, which the server reads
 * alike. The document cannot tell such a field from an `Option` that the server does send as
 * `null`: those few are pinned where they are checked (`Pin`) or in `Pinned`. Intersections
 * (`#[serde(flatten)]`) are flattened and unions taken variant by variant, down the whole tree. */
type Wire<T> = T extends readonly (infer U)[]
  ? Wire<U>[]
  : T extends object
    ? string extends keyof T
      ? T // A free-form JSON object (`Record<string, unknown>`): nothing to normalise.
      : Normalised<Pinned<T>>
    : T;
type Normalised<T> = Flat<
  { [K in Exclude<keyof T, OptionalKeys<T>>]: Wire<T[K]> } & { [K in OptionalKeys<T>]?: Wire<Exclude<T[K], null | undefined>> }
>;

/** Where the server is more precise than its document, the SDK follows the server. Each case is
 * matched by its schema's shape, which no other schema has; the first checks above keep the
 * assumptions true. */
type Pinned<T> =
  // `Entry.body` is a Rust `Option<Value>` without `skip_serializing_if`: the document says
  // "any JSON value, optional", but the server always sends it, a JSON object of the entry's
  // kind or `null` once recalled or hidden (docs/protocol.md §7.2).
  T extends S["Entry"]
    ? Omit<T, "body"> & { body: Record<string, unknown> | null }
    : // `SavedItem.body` likewise: the copy's JSON object, or `null` once a recall erased it.
      T extends S["SavedItem"]
      ? Omit<T, "body"> & { body: Record<string, unknown> | null }
      : // `SessionInfo.current` has `#[serde(default)]` (read as false when absent), so the
      // document calls it optional; the server always sends it.
        T extends S["SessionInfo"]
        ? Omit<T, "current"> & { current: boolean }
        : T;

/** Makes the keys K of T required: where the SDK always sends a field that the server can do
 * without, or the server always sends a field that the document calls optional. */
type Pin<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: T[P] };

// ---- RestClient's answers ---------------------------------------------------------------

/** RestClient's public members that are not endpoints. */
type RestHelpers = "baseUrl" | "withToken" | "authHeaders" | "url" | "request" | "blob" | "fileBlob" | "linkPreviewImage" | "cardImage" | "appIcon" | "exportAudit" | "adminExportArchive";

/** RestClient methods that resolve with their operation's answer (by operationId) as it is. */
interface RestAnswers {
  login: "login"; logout: "logout"; me: "get_me"; updateMe: "update_me";
  changePassword: "change_password"; revokeSession: "revoke_session"; account: "get_account";
  createConversation: "create_conversation"; conversation: "get_conversation"; updateGroup: "update_group";
  dissolve: "dissolve"; addMembers: "add_members"; removeMember: "remove_member"; setRole: "set_role";
  muteMember: "mute_member"; transferOwnership: "transfer_ownership"; leave: "leave";
  updateSettings: "update_settings"; send: "send"; messages: "get_messages"; edit: "edit"; recall: "recall";
  react: "react"; receipts: "get_receipts"; forward: "forward"; hide: "hide"; markRead: "mark_read";
  pin: "pin"; unpin: "unpin"; saveMessage: "save_message"; saved: "list_saved"; savedItem: "get_saved";
  updateSaved: "update_saved"; removeSaved: "remove_saved"; thread: "get_thread"; updateThread: "update_thread";
  scheduleMessage: "schedule_message"; scheduledMessage: "get_scheduled"; updateScheduled: "update_scheduled";
  cancelScheduled: "cancel_scheduled"; sendScheduled: "send_scheduled";
  markDelivered: "mark_delivered"; typing: "typing"; friendRequests: "list_friend_requests";
  acceptFriendRequest: "accept_friend_request"; rejectFriendRequest: "reject_friend_request";
  removeContact: "remove_contact"; block: "block"; unblock: "unblock"; setPresence: "set_presence";
  fileInfo: "info"; fileLink: "link"; shared: "get_shared"; linkPreview: "link_preview";
  searchMessages: "search_messages"; searchFiles: "search_files";
  adminAccount: "admin_get_account"; createDepartment: "admin_create_department";
  updateDepartment: "admin_update_department"; deleteDepartment: "admin_delete_department";
  setDepartmentMember: "admin_set_department_member"; removeDepartmentMember: "admin_remove_department_member";
  setManager: "admin_set_manager";
  createInvitation: "admin_create_invitation"; revokeInvitation: "admin_revoke_invitation"; approve: "admin_approve_account";
  reject: "admin_reject_account";
  ldapSource: "admin_get_ldap_source"; setLdapSource: "admin_set_ldap_source";
  deleteLdapSource: "admin_delete_ldap_source"; testLdapSource: "admin_test_ldap_source"; syncLdap: "admin_sync_ldap";
  placements: "placements"; createMyInvitation: "create_my_invitation"; revokeMyInvitation: "revoke_my_invitation";
  signupInfo: "signup_info"; requestEmailCode: "email_code"; requestPasswordReset: "password_reset_code";
  resetPassword: "password_reset";
  addPushTarget: "add_push_target"; removePushTarget: "remove_push_target"; pushFailures: "admin_push_failures";
  announce: "announce";
  createAccount: "admin_create_account"; updateAccount: "admin_update_account"; disableAccount: "admin_disable_account";
  enableAccount: "admin_enable_account"; resetAccountPassword: "admin_reset_password"; revokeAccountSession: "admin_revoke_session";
  revokeAccountSessions: "admin_revoke_sessions"; importAccounts: "admin_import_accounts";
  domain: "admin_get_domain"; createDomain: "admin_create_domain"; dashboard: "admin_dashboard"; connections: "admin_connections"; logs: "admin_logs";
  makeBackup: "admin_make_backup"; moderation: "admin_moderation"; setModeration: "admin_set_moderation";
  setConversationRetention: "admin_set_conversation_retention";
  adminTransferGroup: "admin_transfer_group"; adminDissolveGroup: "admin_dissolve_group";
  createStickerPack: "create_sticker_pack"; addSticker: "add_sticker";
  createBot: "create_bot"; bot: "get_bot"; updateBot: "update_bot"; createBotToken: "create_token"; revokeBotToken: "revoke_token";
  rotateBotToken: "rotate_token"; createWebhook: "create_webhook"; deleteWebhook: "delete_webhook"; rotateWebhook: "rotate_webhook";
  createSubscription: "create_subscription"; updateSubscription: "update_subscription"; deleteSubscription: "delete_subscription";
  rotateSubscription: "rotate_subscription"; cardAction: "card_action";
  createApp: "admin_create"; updateApp: "admin_update"; deleteApp: "admin_delete"; rotateAppSecret: "admin_rotate_secret";
  authorizeInfo: "authorize_info"; authorize: "authorize"; revokeAppGrant: "revoke_grant";
  wallet: "wallet"; adminCredit: "admin_credit"; adminLedger: "admin_ledger";
}
/** RestClient methods that resolve with their operation's answer, where a schema's `Option` field
 * is left out rather than sent as `null` (see the notification preferences above): compared with
 * that field optional. [operationId, field]. */
interface RestAnswersLeavingOut {
  notificationPrefs: ["get_notification_prefs", "quiet"]; setNotificationPrefs: ["put_notification_prefs", "quiet"];
  pushConfig: ["push_config", "vapid_public_key"];
}
/** RestClient methods that resolve with the one field of their operation's answer:
 * [operationId, field]. */
interface RestListAnswers {
  sessions: ["list_sessions", "sessions"]; accounts: ["search_accounts", "accounts"];
  conversations: ["list_conversations", "conversations"]; members: ["list_members", "members"];
  contacts: ["list_contacts", "accounts"]; blocked: ["list_blocked", "accounts"];
  sendFriendRequest: ["send_friend_request", "status"]; presence: ["get_presence", "presence"];
  stickers: ["list_stickers", "packs"]; pins: ["list_pins", "pins"]; threads: ["list_threads", "threads"];
  scheduled: ["list_scheduled", "scheduled"]; conversationScheduled: ["list_conversation_scheduled", "scheduled"];
  searchPeople: ["search_people", "results"]; searchGroups: ["search_groups", "results"];
  departments: ["department_tree", "departments"]; departmentMembers: ["department_members", "members"];
  searchDepartments: ["search_departments", "results"]; myInvitations: ["list_my_invitations", "invitations"];
  departmentTree: ["admin_department_tree", "departments"]; invitations: ["admin_list_invitations", "invitations"];
  applications: ["admin_list_applications", "applications"]; pushTargets: ["list_push_targets", "targets"];
  adminAccounts: ["admin_list_accounts", "accounts"]; accountSessions: ["admin_list_sessions", "sessions"];
  backups: ["admin_backups", "backups"]; adminGroupMembers: ["admin_group_members", "members"];
  bots: ["list_bots", "bots"]; botTokens: ["list_tokens", "tokens"]; botWebhooks: ["list_webhooks", "webhooks"];
  botSubscriptions: ["list_subscriptions", "subscriptions"]; offeredCommands: ["offered_commands", "commands"];
  apps: ["admin_list", "apps"]; orderApps: ["admin_order", "apps"]; workbenchApps: ["workbench", "apps"];
  appGrants: ["grants", "grants"];
}

/** The JSON body of an operation's success (200, 201 or 202), or void for a 204. */
type Answer<Op extends keyof operations> = operations[Op]["responses"] extends {
  200: { content: { "application/json": infer Body } };
}
  ? Body
  : operations[Op]["responses"] extends { 201: { content: { "application/json": infer Body } } }
    ? Body
    : operations[Op]["responses"] extends { 202: { content: { "application/json": infer Body } } }
      ? Body
      : operations[Op]["responses"] extends { 204: unknown }
        ? void
        : never;

type Resolves<M extends keyof RestClient> = RestClient[M] extends (...args: never[]) => Promise<infer T> ? T : never;

type ListAnswer<M extends keyof RestListAnswers> = Wire<Answer<RestListAnswers[M][0]>>;
type ListField<M extends keyof RestListAnswers> = RestListAnswers[M][1] & keyof ListAnswer<M>;

type LeftOut<M extends keyof RestAnswersLeavingOut> = Answer<RestAnswersLeavingOut[M][0]>;
type LeftOutField<M extends keyof RestAnswersLeavingOut> = RestAnswersLeavingOut[M][1] & keyof LeftOut<M>;
type RestMethodsThatDiffer =
  | { [M in keyof RestAnswersLeavingOut]: Same<
      Resolves<M>,
      Flat<Wire<Omit<LeftOut<M>, LeftOutField<M>>> & { [F in LeftOutField<M>]?: Wire<Exclude<LeftOut<M>[F], null>> }>
    > extends true ? never : M }[keyof RestAnswersLeavingOut]
  | { [M in keyof RestAnswers]: Same<Resolves<M>, Wire<Answer<RestAnswers[M]>>> extends true ? never : M }[keyof RestAnswers]
  | { [M in keyof RestListAnswers]: Same<Resolves<M>, ListAnswer<M>[ListField<M>]> extends true ? never : M }[keyof RestListAnswers];
type RestListsWithMoreFields = {
  [M in keyof RestListAnswers]: Equals<keyof ListAnswer<M>, RestListAnswers[M][1]> extends true ? never : M;
}[keyof RestListAnswers];

// ---- Type equality ------------------------------------------------------------------------

/** True when A and B are the same type; assignable both ways is not enough, since an optional
 * field that one side lacks would pass. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

/** The top-level keys at which A and B differ: in one only, or of another type or optionality. */
type Differ<A, B> =
  | Exclude<keyof A, keyof B>
  | Exclude<keyof B, keyof A>
  | { [K in keyof A & keyof B]: Equals<Pick<A, K>, Pick<B, K>> extends true ? never : K }[keyof A & keyof B];

/** `Differ<A, B>` is empty; for arrays, of their elements; for scalars, `Equals`. */
type Same<A, B> = [A] extends [readonly (infer X)[]]
  ? [B] extends [readonly (infer Y)[]]
    ? Same<X, Y>
    : false
  : [A] extends [object]
    ? [Differ<A, B>] extends [never]
      ? true
      : false
    : Equals<A, B>;

type Subset<A, B> = [A] extends [B] ? true : false;
type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];
type Flat<T> = { [K in keyof T]: T[K] };

/** Fails to compile, naming the keys, unless there are none. */
type Agree<Keys extends never> = Keys;
/** Fails to compile unless the condition holds. */
type Holds<Condition extends true> = Condition;
