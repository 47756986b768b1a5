// Where the SDK keeps what must survive a page reload: the signed-in session (token, session,
// me), the outbox and the device keys of the accounts that signed in here. They live in a KeyValueStorage under keys named after the server, so
// that one browser profile can hold sessions of several servers.

import type { KeyValueStorage, Me, Session } from "./contract.ts";

/** A storage that lives as long as the object: for tests, Node tools and private windows. */
export function memoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** The browser's localStorage. Writes that fail (quota, storage disabled) are dropped: the SDK
 * then works as with memoryStorage(), only without surviving a reload. */
export function browserStorage(): KeyValueStorage {
  const local = typeof globalThis.localStorage === "undefined" ? undefined : globalThis.localStorage;
  if (!local) return memoryStorage();
  return {
    get: (key) => local.getItem(key),
    set: (key, value) => {
      try {
        local.setItem(key, value);
      } catch {
        // Full or disabled storage: the value lives in memory only for this page.
      }
    },
    remove: (key) => local.removeItem(key),
  };
}

/** browserStorage() where there is a localStorage, memoryStorage() elsewhere. */
export function defaultStorage(): KeyValueStorage {
  return typeof globalThis.localStorage === "undefined" ? memoryStorage() : browserStorage();
}

/** What is stored of a signed-in session. */
export interface StoredSession {
  token: string;
  session: Session;
  me: Me;
}

const sessionKey = (baseUrl: string): string => `magpie.session@${baseUrl}`;

/** The outbox of one session: its retries must come from the same session (§7.5), so a new
 * login never picks up another session's outbox. */
export const outboxKey = (baseUrl: string, sessionId: number): string => `magpie.outbox@${baseUrl}#${sessionId}`;

export function loadSession(storage: KeyValueStorage, baseUrl: string): StoredSession | null {
  const raw = storage.get(sessionKey(baseUrl));
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof value.token !== "string" || !value.session || !value.me) return null;
    return value as StoredSession;
  } catch {
    return null;
  }
}

export function saveSession(storage: KeyValueStorage, baseUrl: string, stored: StoredSession): void {
  storage.set(sessionKey(baseUrl), JSON.stringify(stored));
}

/** Forgets a session that has ended, unless another tab has stored a newer one meanwhile. */
export function forgetSession(storage: KeyValueStorage, baseUrl: string, sessionId: number): void {
  if (loadSession(storage, baseUrl)?.session.id === sessionId) storage.remove(sessionKey(baseUrl));
  storage.remove(outboxKey(baseUrl, sessionId));
}

// A device key (§5 "Device keys") is kept per account, also after logout: the next login of
// that account from this device sends it, and so stays possible while others guess the
// account's password. Accounts are compared as the server does, without case.
const deviceKeyKey = (baseUrl: string, account: string): string =>
  `magpie.device@${baseUrl}#${account.trim().toLowerCase()}`;

export function loadDeviceKey(storage: KeyValueStorage, baseUrl: string, account: string): string | undefined {
  return storage.get(deviceKeyKey(baseUrl, account)) ?? undefined;
}

export function saveDeviceKey(storage: KeyValueStorage, baseUrl: string, account: string, key: string): void {
  storage.set(deviceKeyKey(baseUrl, account), key);
}
