// Web Push, end to end in Chromium: Bob turns on notifications in his browser (the app registers
// its service worker, subscribes and registers the subscription with the server), closes the
// app, and Alice writes to him. The server encrypts and signs the push for Bob's subscription
// and POSTs it to the push service; the push service here is this test's (a browser's real one
// is Google's or Mozilla's, which cannot be reached from this machine): it decrypts the payload
// with the subscription's keys as the browser would (RFC 8291) and delivers it to Bob's service
// worker through the DevTools protocol, as the browser's push client does. The service worker
// shows the notification; its title and text are read back through the Notifications API.
//
// The one stand-in is `PushManager.subscribe`, which asks the browser's push service for an
// endpoint: it answers a subscription at this test's push service, with keys the test keeps.

import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createDecipheriv, createECDH, createHmac, randomBytes, type ECDH } from "node:crypto";
import type { BrowserContext, CDPSession, Page } from "@playwright/test";
import { RestClient } from "@magpie/sdk";
import { PASSWORD } from "@magpie/testkit";
import { test, expect, signedIn, LOCALES } from "../fixtures.ts";
import { en } from "../../app/src/i18n/en.ts";
import { zh } from "../../app/src/i18n/zh.ts";

test.use({ serverEnv: { MAGPIE_PUSH_PRIVATE_RANGES_ALLOWED: "127.0.0.1", MAGPIE_PUSH_POLL_INTERVAL_MS: "50" } });

const b64url = (bytes: Buffer) => bytes.toString("base64url");

/** HKDF-SHA256 with one block of output (RFC 5869), as RFC 8291 uses it. */
function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  return createHmac("sha256", prk).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/** Opens an `aes128gcm` Web Push body (RFC 8188, RFC 8291) with the subscription's keys. */
function decrypt(body: Buffer, browserKey: ECDH, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const serverKey = body.subarray(21, 21 + idLength);
  const sealed = body.subarray(21 + idLength);
  const shared = browserKey.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from("WebPush: info\0"), browserKey.getPublicKey(), serverKey]);
  const ikm = hkdf(auth, shared, info, 32);
  const key = hkdf(salt, ikm, Buffer.from("Content-Encoding: aes128gcm\0"), 16);
  const nonce = hkdf(salt, ikm, Buffer.from("Content-Encoding: nonce\0"), 12);
  const decipher = createDecipheriv("aes-128-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 2 and padding zeros.
  let end = plain.length - 1;
  while (end > 0 && plain[end] === 0) end--;
  expect(plain[end], "the last record's delimiter").toBe(2);
  return plain.subarray(0, end).toString("utf8");
}

/** This test's push service: each POST's decrypted payload, in order. */
async function pushService(browserKey: ECDH, auth: Buffer) {
  const waiting: ((payload: string) => void)[] = [];
  const arrived: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      expect(req.headers["content-encoding"]).toBe("aes128gcm");
      expect(req.headers.authorization ?? "").toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
      const payload = decrypt(Buffer.concat(chunks), browserKey, auth);
      res.writeHead(201).end();
      const take = waiting.shift();
      if (take) take(payload); else arrived.push(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/push/bob`,
    next: () => new Promise<string>((resolve) => {
      const first = arrived.shift();
      if (first !== undefined) resolve(first); else waiting.push(resolve);
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Makes `PushManager.subscribe` answer a subscription at `endpoint` with the test's keys. */
async function subscribeAt(context: BrowserContext, endpoint: string, publicKey: Buffer, auth: Buffer) {
  await context.addInitScript(({ endpoint, p256dh, auth }) => {
    const bytes = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
    let subscribed: PushSubscription | null = null;
    const subscription = (options: PushSubscriptionOptionsInit) => ({
      endpoint,
      expirationTime: null,
      options: { applicationServerKey: options.applicationServerKey, userVisibleOnly: true },
      getKey: (name: string) => bytes(name === "auth" ? auth : p256dh),
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => { subscribed = null; return true; },
    }) as unknown as PushSubscription;
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      subscribed = subscription(options ?? {});
      return subscribed;
    };
    PushManager.prototype.getSubscription = async function () { return subscribed; };
  }, { endpoint, p256dh: b64url(publicKey), auth: b64url(auth) });
}

/** Delivers `data` to the origin's service worker as its browser's push client would. */
async function deliver(cdp: CDPSession, origin: string, registrationId: string, data: string) {
  await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data });
}

async function notifications(page: Page): Promise<{ title: string; body: string; tag: string }[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
  });
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`a message sent while the app is closed shows as a notification from the service worker (${lang})`, async ({ browser, server }) => {
    const w = lang === "zh" ? zh : en;
    const alice = await server.addUser("alice", { displayName: lang === "zh" ? "李娜" : "Alice" });
    const bob = await server.addUser("bob", { displayName: lang === "zh" ? "王伟" : "Bob" });
    const browserKey = createECDH("prime256v1");
    browserKey.generateKeys();
    const auth = randomBytes(16);
    const service = await pushService(browserKey, auth);
    try {
      const b = await signedIn(browser, server, bob, { locale });
      await b.context.grantPermissions(["notifications"], { origin: server.url });
      await subscribeAt(b.context, service.endpoint, browserKey.getPublicKey(), auth);
      await b.page.reload();
      const cdp = await b.context.newCDPSession(b.page);
      const registered = new Promise<string>((resolve) => {
        cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
          const ours = registrations.find((r) => r.scopeURL === `${server.url}/` && !r.isDeleted);
          if (ours) resolve(ours.registrationId);
        });
      });
      await cdp.send("ServiceWorker.enable");

      // Settings → this browser: on.
      await b.page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
      const section = b.page.getByRole("region", { name: w["settings.push.title"], exact: true });
      const toggle = section.getByRole("switch", { name: new RegExp(`^${w["settings.push.thisBrowser"]}`) });
      await toggle.click();
      await expect(toggle).toBeChecked();
      const devices = section.getByRole("list", { name: w["settings.push.devices"] });
      await expect(devices.getByRole("listitem")).toHaveText([new RegExp(`${w["settings.push.kindBrowser"]}.*127\\.0\\.0\\.1.*${w["settings.push.current"]}`)]);
      const registrationId = await registered;

      // Bob's app goes away (its socket with it); a blank page of the origin stays to look at
      // the notifications.
      const look = await b.context.newPage();
      await look.goto("/sw.js");
      await b.page.close();
      const lookCdp = await b.context.newCDPSession(look);
      await lookCdp.send("ServiceWorker.enable");

      const rest = new RestClient(server.url);
      const login = await rest.login(alice.account, PASSWORD);
      const as = rest.withToken(login.token);
      const chat = await as.createConversation({ kind: "direct", peer: bob.account });
      const text = lang === "zh" ? "晚上七点一起吃饭？" : "Dinner at seven?";
      const sent = await as.send(chat.id, { client_msg_id: "push-1", kind: "text", body: { text } });

      const payload = await service.next();
      const notice = JSON.parse(payload) as { event_key: string; conversation: number; seq: number; preview: string };
      expect(notice).toMatchObject({ conversation: chat.id, seq: sent.seq, preview: text, event_key: `${chat.id}:${sent.seq}` });
      // Until the worker has shown it, the push is delivered again, as a push service repeats
      // one it has no receipt for: on a loaded machine the closed app's window can still be
      // among the worker's clients, visible and focused, when the first delivery arrives, and
      // the worker rightly leaves the message to it. Repeats show one notification (below).
      await expect.poll(async () => {
        const shown = await notifications(look);
        if (shown.length === 0) await deliver(lookCdp, new URL(server.url).origin, registrationId, payload);
        return shown;
      }).toEqual([
        { title: lang === "zh" ? "李娜" : "Alice", body: text, tag: `${chat.id}:${sent.seq}` },
      ]);
      // The same push again (a push service may repeat one): still one notification.
      await deliver(lookCdp, new URL(server.url).origin, registrationId, payload);
      await expect.poll(async () => (await notifications(look)).length).toBe(1);
    } finally {
      await service.close();
    }
  });
}
