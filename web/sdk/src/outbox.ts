// The outbox (docs/protocol.md §8.7): messages written but not yet acknowledged, each with the
// client_msg_id that makes its retries safe. It is kept in the KeyValueStorage under the
// session's key, so a page reload retries with the same ids from the same session, which the
// server answers with the first attempt's ack instead of a second message.
//
// This module holds the items and their state transitions only; the client sends them.

import type { Ack, Entry } from "./contract.ts";
import { MagpieError } from "./errors.ts";
import type { KeyValueStorage } from "./contract.ts";

/** Items waiting at once; past this a new message is refused at once (typed, not queued). */
export const OUTBOX_LEN_MAX = 500;

export interface OutboxItem {
  clientMsgId: string;
  conversation: number;
  kind: string;
  body: Record<string, unknown>;
  mentions?: string[];
  mentionAll?: boolean;
  replyTo?: number;
  /** A thread reply: its root, and whether it also goes to the chat (§7.12). */
  thread?: number;
  broadcast?: boolean;
  /** When it was written (local clock): its place in the conversation until it is stored. */
  createdAtMs: number;
  /** `sending` until acked (or refused); `failed` after a typed refusal, until retry(). */
  state: "sending" | "failed";
  error?: MagpieError;
  /** A file message whose file is still uploading: not sent, and not persisted (a Blob cannot
   * be), until the upload has given the body its file id. */
  uploading?: boolean;
  /** The server stored it: shown as sent at this seq until its entry is applied. */
  ack?: Ack;
}

interface StoredItem extends Omit<OutboxItem, "error" | "ack" | "uploading"> {
  error?: ReturnType<MagpieError["toJSON"]>;
}

/** A fresh client_msg_id: a UUID. crypto.randomUUID exists only in secure contexts (https,
 * localhost); a company server on plain http on the LAN still has getRandomValues. */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Outbox {
  /** In the order written: the order they are sent in. */
  private readonly items = new Map<string, OutboxItem>();

  constructor(private readonly storage: KeyValueStorage, private readonly key: string) {
    for (const stored of load(storage, key)) {
      const { error, ...rest } = stored;
      this.items.set(stored.clientMsgId, { ...rest, ...(error ? { error: MagpieError.fromJSON(error) } : {}) });
    }
  }

  get size(): number {
    return this.items.size;
  }

  get(clientMsgId: string): OutboxItem | undefined {
    return this.items.get(clientMsgId);
  }

  /** The items of one conversation (or all), oldest first. */
  list(conversation?: number): OutboxItem[] {
    const all = [...this.items.values()];
    return conversation === undefined ? all : all.filter((item) => item.conversation === conversation);
  }

  add(item: Omit<OutboxItem, "state">): OutboxItem {
    if (this.items.size >= OUTBOX_LEN_MAX) {
      throw new MagpieError("limit_exceeded", `at most ${OUTBOX_LEN_MAX} messages may wait to be sent`);
    }
    const added: OutboxItem = { ...item, state: "sending" };
    this.items.set(added.clientMsgId, added);
    this.persist();
    return added;
  }

  /** The next item to send: the oldest one that is sending, has its file, and is not stored. */
  next(): OutboxItem | undefined {
    for (const item of this.items.values()) {
      if (item.state === "sending" && !item.uploading && !item.ack) return item;
    }
    return undefined;
  }

  /** The upload is done: the body now names the file, and the item can be sent. */
  uploaded(clientMsgId: string, kind: string, body: Record<string, unknown>): void {
    const item = this.items.get(clientMsgId);
    if (!item) return;
    item.kind = kind;
    item.body = body;
    delete item.uploading;
    this.persist();
  }

  /** The server stored it. The item stays, shown as sent, until its entry arrives. */
  acked(clientMsgId: string, ack: Ack): void {
    const item = this.items.get(clientMsgId);
    if (!item) return;
    item.ack = ack;
    this.persist();
  }

  /** A typed refusal (or a failed upload): it will not be sent again until retry(). */
  fail(clientMsgId: string, error: MagpieError): void {
    const item = this.items.get(clientMsgId);
    if (!item || item.ack) return;
    item.state = "failed";
    item.error = error;
    this.persist();
  }

  retry(clientMsgId: string): boolean {
    const item = this.items.get(clientMsgId);
    if (!item || item.state !== "failed") return false;
    item.state = "sending";
    delete item.error;
    this.persist();
    return true;
  }

  remove(clientMsgId: string): boolean {
    const removed = this.items.delete(clientMsgId);
    if (removed) this.persist();
    return removed;
  }

  /** Takes out the items that an applied entry shows as stored: ours by client_msg_id (also a
   * send whose ack never came), and acked ones whose seq the conversation has reached. */
  settle(conversation: number, lastSeq: number, entries: Iterable<Entry>, me: string): boolean {
    let changed = false;
    for (const entry of entries) {
      if (entry.sender === me && entry.client_msg_id && this.items.get(entry.client_msg_id)?.conversation === conversation) {
        changed = this.items.delete(entry.client_msg_id) || changed;
      }
    }
    for (const item of this.items.values()) {
      if (item.conversation === conversation && item.ack && item.ack.seq <= lastSeq) {
        this.items.delete(item.clientMsgId);
        changed = true;
      }
    }
    if (changed) this.persist();
    return changed;
  }

  clear(): void {
    this.items.clear();
    this.storage.remove(this.key);
  }

  /** Stores what a reload must retry: items not yet acked whose files are uploaded. */
  private persist(): void {
    const kept: StoredItem[] = [];
    for (const item of this.items.values()) {
      if (item.ack || item.uploading) continue;
      const { error, ack: _ack, uploading: _uploading, ...rest } = item;
      kept.push(error ? { ...rest, error: error.toJSON() } : rest);
    }
    if (kept.length === 0) this.storage.remove(this.key);
    else this.storage.set(this.key, JSON.stringify(kept));
  }
}

function load(storage: KeyValueStorage, key: string): StoredItem[] {
  const raw = storage.get(key);
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as StoredItem[]).filter((i) => typeof i?.clientMsgId === "string") : [];
  } catch {
    return [];
  }
}
