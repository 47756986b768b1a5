// The signed-in client as Preact context, and hooks that re-render on its changes.

import { createContext } from "preact";
import { useContext, useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import type { ChatClient, Conversation, ConversationView, MagpieErrorShape, MessageView, PresenceStatus, Profile } from "@magpie/sdk";
import type { Translate } from "../i18n/index.ts";

export const ClientContext = createContext<ChatClient | null>(null);

export function useClient(): ChatClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error("useClient outside a signed-in tree");
  return c;
}

/** The part of the client's state that `select` reads: re-renders the caller when, after a
 * `change`, it differs from what was rendered (by `equal`, by reference unless given; the SDK
 * replaces its objects rather than changing them, so a reference that stayed is a value that
 * stayed). Like React's useSyncExternalStore, it reads the state again once subscribed, so
 * that a change between the render and the subscription is not lost. */
export function useClientState<T>(client: ChatClient, select: () => T, equal: (a: T, b: T) => boolean = Object.is): T {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const value = select();
  const latest = useRef({ select, equal, value });
  latest.current = { select, equal, value };
  useLayoutEffect(() => {
    const check = () => {
      const { select: read, equal: same, value: shown } = latest.current;
      if (!same(shown, read())) rerender(0);
    };
    const off = client.on("change", check);
    check();
    return off;
  }, [client]);
  return value;
}

/** A person's profile from the client's cache (fetched in the background when missing). */
export function useProfile(client: ChatClient, account: string | undefined): Profile | undefined {
  return useClientState(client, () => (account ? client.profile(account) : undefined));
}

/** A person's presence status as last heard. */
export function usePresence(client: ChatClient, account: string | undefined): PresenceStatus | undefined {
  return useClientState(client, () => (account ? client.presence(account)?.status : undefined));
}

/** `nameOf` for these accounts, re-rendering the caller when one of their names changes (a
 * profile that arrives). Other accounts are named too, but not followed. */
export function useNames(client: ChatClient, accounts: readonly (string | undefined)[]): (account: string) => string {
  const wanted = accounts.filter((a): a is string => !!a);
  const names = useClientState(client, () => wanted.map((a) => displayName(client, a)), sameItems);
  return (account: string) => {
    const i = wanted.indexOf(account);
    return i >= 0 ? names[i]! : displayName(client, account);
  };
}

const indexes = new WeakMap<readonly MessageView[], Map<number, MessageView>>();

/** The message with this seq in a view's messages, through an index built once per list. */
export function findMessage(view: ConversationView | undefined, seq: number): MessageView | undefined {
  if (!view) return undefined;
  let index = indexes.get(view.messages);
  if (!index) {
    index = new Map();
    for (const m of view.messages) if (m.entry.seq > 0) index.set(m.entry.seq, m);
    indexes.set(view.messages, index);
  }
  return index.get(seq);
}

/** Objects equal field by field (by reference). */
export function sameFields<T extends object>(a: T, b: T): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Re-renders on every `change` of the client; returns a counter that moves with it. For
 * pages that are not on the hot path of a busy chat (settings, contacts, dialogs). */
export function useClientVersion(client: ChatClient): number {
  const [version, setVersion] = useState(0);
  useEffect(() => client.on("change", () => setVersion((v) => v + 1)), [client]);
  return version;
}

/** Arrays equal item by item (by reference). */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Ticks every `ms`, for relative times and windows that close ("recall" after 2 minutes). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** setTimeout's longest wait (2^31 - 1 ms, about 24.8 days); a later time is waited for in steps. */
const TIMEOUT_MS_MAX = 2_147_483_647;

/** Re-renders the caller once `atMs` has passed: for what changes by itself at a time the data
 * names (a timed mute that ends), when no event comes to say so. */
export function useWakeAt(atMs: number | undefined): void {
  const [, wake] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (atMs === undefined) return;
    let id: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      const leftMs = atMs - Date.now();
      if (leftMs <= 0) wake(0);
      else id = setTimeout(arm, Math.min(leftMs, TIMEOUT_MS_MAX));
    };
    arm();
    return () => clearTimeout(id);
  }, [atMs]);
}

/** Clients the user is signing out on purpose: their `signed_out` event needs no notice. */
export const signingOut = new WeakSet<ChatClient>();

export function localPart(account: string): string {
  return account.split("@")[0] ?? account;
}

/** A person's display name from the profile cache, else the part of the address before `@`. */
export function displayName(client: ChatClient, account: string): string {
  if (!account) return "";
  if (account === client.me.account) return client.me.display_name || localPart(account);
  return client.profile(account)?.display_name || localPart(account);
}

export function conversationTitle(client: ChatClient, c: Conversation, t: Translate): string {
  if (c.kind === "direct") {
    const peer = c.peer ?? "";
    if (peer === client.me.account) return t("list.notesToSelf");
    return displayName(client, peer);
  }
  return c.name || t("list.untitledGroup");
}

export function isMagpieError(e: unknown): e is MagpieErrorShape {
  return e instanceof Error && typeof (e as { code?: unknown }).code === "string";
}

/** A sentence for an error, for toasts and forms. */
export function errorText(e: unknown, t: Translate): string {
  if (!isMagpieError(e)) return t("error.generic");
  switch (e.code) {
    case "forbidden": return t("error.forbidden");
    case "not_found": return t("error.notFound");
    case "too_large": return t("error.tooLarge");
    case "limit_exceeded": return t("error.limitExceeded");
    case "rate_limited": return t("error.rateLimited", { secs: e.retryAfterSecs ?? 1 });
    case "network": return t("error.network");
    case "already_exists": return t("error.alreadyExists");
    case "invalid_field": return e.field ? t("error.invalidFieldNamed", { field: e.field }) : t("error.invalidField");
    case "unavailable": return t("error.unavailable");
    // An app (an interactive card's) failed: the server says why ("the app failed: answered
    // 500 …"), after the lead that the translation gives.
    case "app_failed": return t("error.appFailed", { why: e.message.replace(/^the app failed:\s*/i, "") });
    default: return t("error.generic");
  }
}

/** Runs an action and shows its failure as a toast; resolves to whether it worked. */
export async function attempt(action: () => Promise<unknown>, t: Translate, onError: (text: string) => void): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (e) {
    onError(errorText(e, t));
    return false;
  }
}
