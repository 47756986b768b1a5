// When this browser last had the app connected as an account, kept in localStorage, so that
// the app can tell after a start or a reconnect how long the person was away (the offline
// summary, lib/offlineSummary.ts). The mark moves while the client is online (every minute,
// and when the page is hidden or left), and never while it is not: the time offline, asleep or
// closed is the absence.

import type { ChatClient } from "@magpie/sdk";

/** One mark per account (compared without case, as the server does): another account signed
 * in here has an absence of its own. */
export function lastConnectedKey(account: string): string {
  return `magpie.lastConnected#${account.trim().toLowerCase()}`;
}

/** When this browser last had `account` connected, or null when it never did (or storage is
 * off). */
export function readLastConnected(account: string): number | null {
  try {
    const raw = globalThis.localStorage?.getItem(lastConnectedKey(account));
    const ms = raw ? Number(raw) : NaN;
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

export function writeLastConnected(account: string, ms: number): void {
  try { globalThis.localStorage?.setItem(lastConnectedKey(account), String(Math.round(ms))); } catch { /* private mode */ }
}

/** The mark moves this often while connected. */
const TICK_MS = 60_000;
/** A tick that comes this much later than the one before does not move the mark: the machine
 * slept or the tab was frozen, and the connection most likely with it, though the client has
 * not noticed yet. The reconnect that follows then compares with the time before. */
const TICK_LATE_MS = 5 * 60_000;

/** Follows the client's connection: each time it gets online (the first sync after a start or
 * a reconnect is done, so the conversation list is current) calls `onOnline` with when this
 * browser last had the account connected before, then keeps the mark current until the
 * connection is lost. Returns the function that stops following. */
export function followConnection(client: ChatClient, onOnline: (lastConnectedMs: number | null, nowMs: number) => void): () => void {
  const account = client.me.account;
  let online = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let tickedAt = 0;

  const mark = () => { if (online) writeLastConnected(account, Date.now()); };
  const tick = () => {
    const now = Date.now();
    if (now - tickedAt <= TICK_LATE_MS) mark();
    tickedAt = now;
  };
  const follow = () => {
    const now = client.status === "online";
    if (now === online) return;
    online = now;
    clearInterval(timer);
    timer = undefined;
    // Leaving online writes nothing: the last tick, at most a minute ago, stands, and a loss
    // noticed only after a sleep is not counted as time connected.
    if (!online) return;
    const nowMs = Date.now();
    const last = readLastConnected(account);
    writeLastConnected(account, nowMs);
    tickedAt = nowMs;
    timer = setInterval(tick, TICK_MS);
    onOnline(last, nowMs);
  };
  const onHidden = () => { if (document.visibilityState === "hidden") mark(); };

  // The status as it is now too: the client may have got online before this subscribed.
  const off = client.on("status", follow);
  follow();
  addEventListener("pagehide", mark);
  document.addEventListener("visibilitychange", onHidden);
  return () => {
    off();
    clearInterval(timer);
    removeEventListener("pagehide", mark);
    document.removeEventListener("visibilitychange", onHidden);
  };
}
