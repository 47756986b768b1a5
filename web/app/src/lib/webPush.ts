// Web Push for this browser (docs/protocol.md §5 "Push"): the service worker at /sw.js shows
// what the server pushes while the app is closed; subscribing registers this browser's
// subscription with the server under the current session, so logging out ends it. When the
// browser renews or drops the subscription, the service worker says so and the app registers
// the new one in place of the old (the worker has no session to do it with).

import { asMagpieError, type ChatClient, type PushTargetInfo, type PushTargetRequest } from "@magpie/sdk";

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
  const subscription = await subscribe(registration.pushManager, keyBytes(config.vapid_public_key));
  return client.addPushTarget(targetRequest(subscription));
}

/** The push manager's subscription under `key`: the one it has, else a new one. */
async function subscribe(pushManager: PushSubscriber, key: Uint8Array<ArrayBuffer>): Promise<PushSubscription> {
  const subscription = await pushManager.getSubscription();
  const current = subscription?.options.applicationServerKey;
  if (subscription && current && !sameBytes(new Uint8Array(current), key)) {
    // Subscribed under another key (the server's changed): subscribe again.
    await subscription.unsubscribe();
  } else if (subscription) {
    return subscription;
  }
  return pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
}

/** What the server is given for a subscription. */
function targetRequest(subscription: PushSubscription): PushTargetRequest {
  const json = subscription.toJSON();
  return {
    kind: "web_push",
    endpoint: json.endpoint ?? subscription.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
  };
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

// ---- Renewal (the service worker's `pushsubscriptionchange`) ----------------------------------

/** The message the service worker posts to the app's windows when the browser renewed or
 * dropped this browser's subscription (public/sw.js says the same). */
export const SUBSCRIPTION_CHANGED = "magpie:push-subscription-changed";
/** Where the service worker also leaves that news, for a start of the app when no window was
 * open to hear it: an entry of Cache Storage, which the worker and the page both reach. */
export const RENEWAL_CACHE = "magpie-push";
export const RENEWAL_FLAG_URL = "/magpie/push-subscription-changed";

/** What renewing needs of a push manager. */
export type PushSubscriber = Pick<PushManager, "getSubscription" | "subscribe">;

/** The parts of the browser that following renewals uses: the real ones by default, stand-ins
 * in tests. */
export interface RenewalBrowser {
  serviceWorker: Pick<ServiceWorkerContainer, "addEventListener" | "removeEventListener" | "getRegistration"> & { startMessages?: () => void };
  caches?: Pick<CacheStorage, "match" | "delete"> | undefined;
  /** Whether notifications are allowed: a dropped subscription is only made again if they are. */
  permitted: () => boolean;
}

function browserParts(): RenewalBrowser | undefined {
  if (!webPushSupported()) return undefined;
  return {
    serviceWorker: navigator.serviceWorker,
    caches: typeof caches === "undefined" ? undefined : caches,
    permitted: () => Notification.permission === "granted",
  };
}

/** Puts this browser's current subscription where the current session's Web Push target was:
 * registers it and removes the old target(s); with no subscription and none to be had
 * (notifications blocked, no service worker), just removes them, as nothing reaches them any
 * more. Does nothing where this session has no Web Push target: pushes were never turned on
 * here, or were turned off. Resolves with the target registered, or null. */
export async function renewWebPush(client: ChatClient, pushManager: PushSubscriber | undefined, permitted: boolean): Promise<PushTargetInfo | null> {
  const before = (await client.pushTargets()).filter((t) => t.current && t.kind === "web_push");
  if (before.length === 0) return null;
  let subscription = (await pushManager?.getSubscription()) ?? null;
  if (!subscription && pushManager && permitted) {
    // The browser dropped it and the worker could not subscribe again (it had no key to do it
    // with): the server's key, as when pushes were turned on.
    const config = await client.pushConfig();
    if (config.vapid_public_key) subscription = await subscribe(pushManager, keyBytes(config.vapid_public_key));
  }
  // The same subscription registered again moves to this session: the same target comes back.
  const added = subscription ? await client.addPushTarget(targetRequest(subscription)) : null;
  for (const old of before) {
    if (old.id === added?.id) continue;
    try {
      await client.removePushTarget(old.id);
    } catch (e) {
      // Another window of the app, told the same, removed it first.
      if (asMagpieError(e).code !== "not_found") throw e;
    }
  }
  return added;
}

/** Renews this browser's registration whenever the service worker says the subscription
 * changed, and once now if it said so while no window was open. Renewals run one at a time;
 * the worker's flag is cleared once one has worked (a failed one leaves it for the next start).
 * Returns the function that stops listening. */
export function followSubscriptionChanges(client: ChatClient, browser: RenewalBrowser | undefined = browserParts()): () => void {
  if (!browser) return () => {};
  const { serviceWorker, caches: store } = browser;
  let queue: Promise<void> = Promise.resolve();
  const renew = () => {
    queue = queue
      .then(async () => {
        const registration = await serviceWorker.getRegistration("/");
        await renewWebPush(client, registration?.pushManager, browser.permitted());
        await store?.delete(RENEWAL_CACHE);
      })
      .catch(() => { /* offline, or the server refused: the flag stays for the next start */ });
  };
  const onMessage = (e: Event) => {
    const data = (e as MessageEvent).data as { type?: unknown } | null;
    if (data?.type === SUBSCRIPTION_CHANGED) renew();
  };
  serviceWorker.addEventListener("message", onMessage);
  // Messages from the worker wait until the page says it listens.
  serviceWorker.startMessages?.();
  store?.match(RENEWAL_FLAG_URL).then((flag) => { if (flag) renew(); }, () => { /* no Cache Storage here */ });
  return () => serviceWorker.removeEventListener("message", onMessage);
}
