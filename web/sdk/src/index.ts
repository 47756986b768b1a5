// @magpie/sdk: the Magpie client protocol for browsers and Node.
//
// Most apps need only the entry points and the ChatClient they return:
//
//   const client = await login("", "alice@example.com", password);
//   client.on("change", render);
//   client.start();
//
// The lower layers are exported too, for apps that want less than the whole client: the REST
// API (RestClient), one WebSocket connection (Socket), the replica and its rules (Replica),
// the sync engine (SyncEngine), the outbox (Outbox) and tus uploads (uploadFile). An app that
// receives a bot's outgoing webhooks checks each request with verifyWebhook, or with
// verifyRequest when it also takes the actions of its bot's interactive cards (readInteractiveCard
// reads such a card's body, for a client that renders it).

export type * from "./contract.ts";
export type * from "./wire.ts";

export { MagpieClient, login, register, resume, reconnectDelayMs, signUp, type SignUpResult } from "./client.ts";
export { domainRegistration, isMissingEndpoint, requestEmailCode, requestPasswordReset, resetPassword, type MailLanguage } from "./auth.ts";
export { MagpieError, asMagpieError, isSessionEnded, isTypedRefusal, type WireError } from "./errors.ts";
export { FileUrls, fileMessage, uploadFile, type UploadOptions } from "./files.ts";
export { OUTBOX_LEN_MAX, Outbox, newClientMsgId, type OutboxItem } from "./outbox.ts";
export {
  BLOCK_ENTRIES_MAX, PAGE_LEN, Replica, TYPING_TTL_MS, applyOperation, applySystem, applyToMessage, countReply,
  isMessage, isOperation, isShown, isThreadOnly, threadKey,
  type AccountFollowUp, type Block, type ConversationState, type LiveEffect, type MergeResult, type PushVerdict, type ThreadState,
} from "./replica.ts";
export { RestClient, type RegisterOptions } from "./rest.ts";
export {
  ACCOUNT_DISABLED, CLIENT_GAVE_UP, ConnectError, SESSION_REVOKED, Socket, WS_BEARER_PROTOCOL_PREFIX, WS_PROTOCOL,
  webSocketUrl, type CloseInfo, type SocketHandlers, type SocketOptions,
} from "./socket.ts";
export { browserStorage, defaultStorage, memoryStorage, type StoredSession } from "./storage.ts";
export { SyncEngine, socketReader, type Reader, type SyncHooks } from "./sync.ts";
export { conversationView, deliveryOf, isMuted, outboxView, sameMessage, shareThreadView, shareView, threadView, type ViewContext } from "./views.ts";
export {
  WEBHOOK_REPLAY_WINDOW_SECS, WebhookError, signWebhook, verifyRequest, verifyWebhook, type AppRequest, type WebhookBody, type WebhookRefusal,
} from "./webhooks.ts";
export { CARD_INPUT_CHARS_DEFAULT, CARD_INPUT_CHARS_MAX, INTERACTIVE_CARD, isInteractiveCard, readInteractiveCard } from "./cards.ts";
