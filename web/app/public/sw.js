// Magpie's service worker: shows a notification for each Web Push the server sends while the
// app is not open in front of the person (docs/protocol.md §5 "Push", "What a push carries"),
// and opens the conversation when the notification is clicked. The payload arrives decrypted
// (RFC 8291 is the browser's business); it is the server's notice: who, where, maybe what.

const KINDS = {
  en: { image: "[Image]", file: "[File]", voice: "[Voice message]", video: "[Video]", location: "[Location]",
    sticker: "[Sticker]", card: "[Card]", code: "[Code]", call: "[Call]", other: "[Message]" },
  zh: { image: "[图片]", file: "[文件]", voice: "[语音]", video: "[视频]", location: "[位置]",
    sticker: "[表情]", card: "[卡片]", code: "[代码]", call: "[通话]", other: "[消息]" },
};

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
    // The app in front of the person shows the message itself. (The app's pages are the
    // routes without a file extension; a file the browser shows is not the app.)
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const app = (w) => !new URL(w.url).pathname.split("/").pop().includes(".");
    if (windows.some((w) => app(w) && w.visibilityState === "visible" && w.focused)) return;
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
