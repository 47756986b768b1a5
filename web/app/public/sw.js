// Magpie's service worker: shows a notification for each Web Push the server sends while the
// app is not open in front of the person (docs/protocol.md §5 "Push", "What a push carries"),
// and opens the conversation when the notification is clicked. The payload arrives decrypted
// (RFC 8291 is the browser's business); it is the server's notice: who, where, maybe what.
// When the browser renews or drops the subscription, it has the app register the new one.

const KINDS = {
  en: { image: "[Image]", file: "[File]", voice: "[Voice message]", video: "[Video]", location: "[Location]",
    sticker: "[Sticker]", card: "[Card]", code: "[Code]", call: "[Call]", other: "[Message]" },
  zh: { image: "[图片]", file: "[文件]", voice: "[语音]", video: "[视频]", location: "[位置]",
    sticker: "[表情]", card: "[卡片]", code: "[代码]", call: "[通话]", other: "[消息]" },
};

/** What the app listens for, and where it looks on its next start (src/lib/webPush.ts). */
const SUBSCRIPTION_CHANGED = "magpie:push-subscription-changed";
const RENEWAL_CACHE = "magpie-push";
const RENEWAL_FLAG_URL = "/magpie/push-subscription-changed";

/** The app's pages are the routes without a file extension; a file the browser shows is not the app. */
function isApp(client) {
  return !new URL(client.url).pathname.split("/").pop().includes(".");
}

function language() {
  return (self.navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** The notification's title and text, as the app would say it. */
function describe(notice) {
  const words = KINDS[language()];
  const title = !notice.direct && notice.conversation_name
    ? `${notice.sender_name} · ${notice.conversation_name}` : notice.sender_name;
  const body = notice.preview ?? words[notice.kind] ?? words.other;
  return { title, body };
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let notice;
  try {
    notice = event.data ? event.data.json() : null;
  } catch {
    notice = null;
  }
  if (!notice || typeof notice.conversation !== "number") return;
  event.waitUntil((async () => {
    // The app in front of the person shows the message itself.
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    if (windows.some((w) => isApp(w) && w.visibilityState === "visible" && w.focused)) return;
    const { title, body } = describe(notice);
    await self.registration.showNotification(title, {
      body,
      // One notification per message, however often it is pushed.
      tag: notice.event_key,
      timestamp: notice.at_ms,
      data: { url: `/c/${notice.conversation}`, conversation: notice.conversation, seq: notice.seq },
    });
  })());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const w of windows) {
      if (new URL(w.url).origin !== self.location.origin) continue;
      await w.focus();
      if ("navigate" in w) await w.navigate(url);
      return;
    }
    await self.clients.openWindow(url);
  })());
});

// The browser renewed the subscription (it expired, the push service rotated it) or dropped it.
// The server must learn the new endpoint, and only the app can tell it: this worker has no
// session. So: subscribe again with the same key where the browser has not already (a browser
// that gives no old subscription leaves that to the app, which asks the server for the key),
// leave a flag for the app's next start, and tell the app's windows open now.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const key = event.oldSubscription && event.oldSubscription.options.applicationServerKey;
    if (!event.newSubscription && key) {
      try {
        await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      } catch {
        // Notifications are blocked now, or the push service is out of reach: the app finds
        // no subscription and removes the old one's target.
      }
    }
    const cache = await self.caches.open(RENEWAL_CACHE);
    await cache.put(RENEWAL_FLAG_URL, new Response(String(Date.now())));
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const w of windows) if (isApp(w)) w.postMessage({ type: SUBSCRIPTION_CHANGED });
  })());
});
