// Web Push for this browser (docs/protocol.md §5 "Push"): the service worker at /sw.js shows
// what the server pushes while the app is closed; subscribing registers this browser's
// subscription with the server under the current session, so logging out ends it.

import type { ChatClient, PushTargetInfo } from "@magpie/sdk";

/** Why this browser cannot be told: no support at all, the server pushes no Web Push, or the
 * person said no to notifications. */
export type WebPushUnavailable = "unsupported" | "off" | "denied";

export function webPushSupported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator
    && typeof window !== "undefined" && "PushManager" in window && "Notification" in window;
}

/** A base64url key as the bytes `applicationServerKey` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** This browser's target among the account's: the current session's Web Push one. */
export function thisBrowser(targets: PushTargetInfo[]): PushTargetInfo | undefined {
  return targets.find((t) => t.current && t.kind === "web_push");
}

/** Asks for permission, registers the service worker, subscribes with the server's key and
 * registers the subscription with the server. */
export async function enableWebPush(client: ChatClient): Promise<PushTargetInfo | WebPushUnavailable> {
  if (!webPushSupported()) return "unsupported";
  const config = await client.pushConfig();
  if (!config.vapid_public_key) return "off";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  const key = keyBytes(config.vapid_public_key);
  let subscription = await registration.pushManager.getSubscription();
  const current = subscription?.options.applicationServerKey;
  if (subscription && current && !sameBytes(new Uint8Array(current), key)) {
    // Subscribed under another key (the server's changed): subscribe again.
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const json = subscription.toJSON();
  return client.addPushTarget({
    kind: "web_push",
    endpoint: json.endpoint ?? subscription.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
  });
}

/** Stops this browser's pushes: unsubscribes, and forgets `target` on the server. */
export async function disableWebPush(client: ChatClient, target: PushTargetInfo | undefined): Promise<void> {
  if (webPushSupported()) {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const subscription = await registration?.pushManager.getSubscription();
    await subscription?.unsubscribe();
  }
  if (target) await client.removePushTarget(target.id);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
