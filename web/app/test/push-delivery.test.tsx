// Push delivery (issue 17): the administration's section of pushes given up and devices
// dropped, and this browser's registration renewed when the browser renews or drops its
// subscription: the app's side (webPush.ts) and the service worker's (public/sw.js).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type PushFailureList } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { RENEWAL_CACHE, RENEWAL_FLAG_URL, SUBSCRIPTION_CHANGED, followSubscriptionChanges, renewWebPush, type RenewalBrowser } from "../src/lib/webPush.ts";
import { FakeClient } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); });

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const section = () => root.querySelector<HTMLElement>('section[aria-labelledby="adm-push"]');
/** Lets the page take the fake's answers (given at once) until it is no longer loading. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (section()?.getAttribute("aria-busy") === "false") return;
  }
  throw new Error("the section is still loading");
}

const AT_MS = Date.UTC(2026, 0, 2, 3, 4);

/** A client whose domain's push failures are `answers`, one per load, the last repeated. */
function withFailures(answers: (PushFailureList | Error)[]): { client: FakeClient; asked: string[] } {
  const client = new FakeClient();
  client.me = { ...client.me, role: "domain_admin" };
  const asked: string[] = [];
  client.admin = {
    pushFailures: async (domain: string) => {
      asked.push(domain);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as typeof client.admin;
  return { client, asked };
}

describe("push delivery, for administrators", () => {
  it("shows the outbox and the failures, each kind by its name, and refreshes", async () => {
    const { client, asked } = withFailures([
      { failures: [], outbox_len: 0 },
      {
        failures: [
          { id: 9, at_ms: AT_MS, account: "bob@x", kind: "web_push", target_dropped: true, error: "the push service answered 410 Gone", attempts: 1 },
          { id: 8, at_ms: AT_MS - 60_000, account: "<b>carol@x</b>", kind: "fcm", target_dropped: false, error: "FCM answered 500", attempts: 8 },
          { id: 7, at_ms: AT_MS - 120_000, account: "dave@x", kind: "gateway", target_dropped: false, error: "the gateway answered 403", attempts: 1 },
          { id: 6, at_ms: AT_MS - 180_000, account: "erin@x", kind: "apns", target_dropped: true, error: "Unregistered", attempts: 1 },
          { id: 5, at_ms: AT_MS - 240_000, account: "finn@x", kind: "carrier_pigeon", target_dropped: false, error: "lost", attempts: 2 },
        ],
        outbox_len: 12,
      },
    ]);
    mount(client, <AdminPage tab="push" />);
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Push delivery");
    expect(text(section()!.querySelector("h2"))).toBe("Push delivery");
    expect(text(section()!.querySelector(".report-counts"))).toBe("Pushes waiting to be sent0");
    expect(text(section()!.querySelector('[data-testid="push-none"]'))).toBe("No pushes have failed.");
    expect(section()!.querySelector("table")).toBeNull();
    expect(asked).toEqual(["x"]);

    const refresh = [...section()!.querySelectorAll("button")].find((b) => text(b) === "Refresh")!;
    act(() => { refresh.click(); });
    await settle();
    expect(asked).toEqual(["x", "x"]);
    expect(text(section()!.querySelector('[data-testid="push-outbox"]'))).toBe("12");
    const table = section()!.querySelector("table")!;
    expect(text(table.querySelector("caption"))).toBe("Pushes given up and devices dropped");
    expect([...table.querySelectorAll("thead th")].map(text)).toEqual(["Time", "Account", "Kind", "Attempts", "Device dropped", "Error"]);
    expect([...table.querySelectorAll("th")].every((th) => th.getAttribute("scope") === "col")).toBe(true);
    const cells = [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map(text));
    expect(cells.map((row) => row.slice(1))).toEqual([
      ["bob@x", "Browser (Web Push)", "1", "Yes", "the push service answered 410 Gone"],
      ["<b>carol@x</b>", "Android (FCM)", "8", "No", "FCM answered 500"],
      ["dave@x", "Push gateway", "1", "No", "the gateway answered 403"],
      ["erin@x", "Apple (APNs)", "1", "Yes", "Unregistered"],
      ["finn@x", "carrier_pigeon", "2", "No", "lost"],
    ]);
    // Times in the viewer's language, machine-readable beside; what the server sent, as text.
    const time = table.querySelector("tbody time")!;
    expect(time.getAttribute("datetime")).toBe(new Date(AT_MS).toISOString());
    expect(text(time)).toMatch(/2026/);
    expect(table.querySelector("tbody b")).toBeNull();
  });

  it("says it in Chinese", async () => {
    const { client } = withFailures([{
      failures: [{ id: 1, at_ms: AT_MS, account: "bob@x", kind: "apns", target_dropped: true, error: "BadDeviceToken", attempts: 1 }],
      outbox_len: 3,
    }]);
    mount(client, <AdminPage tab="push" />, "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("推送投递");
    expect(text(section()!.querySelector(".report-counts"))).toBe("等待发送的推送3");
    expect([...section()!.querySelectorAll("thead th")].map(text)).toEqual(["时间", "账号", "类型", "尝试次数", "设备已移除", "错误"]);
    expect([...section()!.querySelectorAll("tbody td")].map(text).slice(1)).toEqual(["bob@x", "苹果（APNs）", "1", "是", "BadDeviceToken"]);
    expect(text(section()!.querySelector("tbody time"))).toMatch(/2026年/);
  });

  it("says so where the server does not report push delivery, and other failures as errors", async () => {
    const { client } = withFailures([new MagpieError("not_found", "no route", { status: 404 })]);
    mount(client, <AdminPage tab="push" />);
    await settle();
    expect(text(section()!.querySelector('[role="alert"]'))).toBe("This server doesn't report push delivery.");
    expect(section()!.querySelector('[data-testid="push-outbox"]')).toBeNull();
  });
});

// ---- Renewal ------------------------------------------------------------------------------------

const OLD_ENDPOINT = "https://push.example/old";
const NEW_ENDPOINT = "https://push.example/new";

/** A subscription as the browser gives it. */
function subscription(endpoint: string): PushSubscription {
  return {
    endpoint, expirationTime: null, options: { applicationServerKey: null, userVisibleOnly: true },
    toJSON: () => ({ endpoint, keys: { p256dh: `p256dh-of-${endpoint}`, auth: "auth" } }),
    unsubscribe: async () => true,
    getKey: () => null,
  } as unknown as PushSubscription;
}

/** The browser's side as the app sees it: a service worker container that messages can be
 * posted to, its push manager, and Cache Storage with or without the worker's flag. */
function fakeBrowser(options: { current: PushSubscription | null; flagged?: boolean; permitted?: boolean }) {
  const worker = new EventTarget();
  const subscribed: BufferSource[] = [];
  let flagged = options.flagged ?? false;
  const pushManager = {
    getSubscription: async () => options.current,
    subscribe: async (o?: PushSubscriptionOptionsInit) => {
      subscribed.push(o!.applicationServerKey as BufferSource);
      options.current = subscription(NEW_ENDPOINT);
      return options.current;
    },
  };
  const browser: RenewalBrowser = {
    serviceWorker: Object.assign(worker, {
      getRegistration: async () => ({ pushManager }) as unknown as ServiceWorkerRegistration,
      startMessages: () => {},
    }),
    caches: {
      match: async (url: RequestInfo | URL) => (flagged && url === RENEWAL_FLAG_URL ? new Response("1") : undefined),
      delete: async (name: string) => { const had = flagged && name === RENEWAL_CACHE; flagged = false; return had; },
    },
    permitted: () => options.permitted ?? true,
  };
  return {
    browser, subscribed, pushManager,
    isFlagged: () => flagged,
    post: (data: unknown) => worker.dispatchEvent(new MessageEvent("message", { data })),
  };
}

/** A client of this session with its browser registered under the old subscription, and a
 * phone; what it was asked to add. */
function registered(): { client: FakeClient; added: unknown[] } {
  const client = new FakeClient();
  client.targets = [
    { id: 1, kind: "web_push", label: "push.example", current: true, created_at_ms: 0 },
    { id: 2, kind: "fcm", label: "…a1b2", current: false, created_at_ms: 0 },
  ];
  const added: unknown[] = [];
  const add = client.addPushTarget.bind(client);
  client.addPushTarget = async (target) => { added.push(target); return add(target); };
  return { client, added };
}

describe("renewing this browser's push registration", () => {
  it("registers the new subscription and removes the old target when the service worker says it changed", async () => {
    const { client, added } = registered();
    const fake = fakeBrowser({ current: subscription(NEW_ENDPOINT) });
    const stop = followSubscriptionChanges(client, fake.browser);
    expect(added).toEqual([]);
    fake.post({ type: "something else" });
    fake.post({ type: SUBSCRIPTION_CHANGED });
    await vi.waitFor(() => expect(client.targets.map((t) => t.id)).toEqual([2, 3]));
    expect(added).toEqual([{ kind: "web_push", endpoint: NEW_ENDPOINT, keys: { p256dh: `p256dh-of-${NEW_ENDPOINT}`, auth: "auth" } }]);
    expect(client.targets[1]).toMatchObject({ kind: "web_push", current: true });
    // The worker made the subscription already: the app did not subscribe again.
    expect(fake.subscribed).toEqual([]);
    stop();
    fake.post({ type: SUBSCRIPTION_CHANGED });
    await Promise.resolve();
    expect(added).toHaveLength(1);
  });

  it("renews on start when the service worker left its flag, and clears it", async () => {
    const { client, added } = registered();
    const fake = fakeBrowser({ current: subscription(NEW_ENDPOINT), flagged: true });
    const stop = followSubscriptionChanges(client, fake.browser);
    await vi.waitFor(() => expect(fake.isFlagged()).toBe(false));
    expect(added).toHaveLength(1);
    expect(client.targets.map((t) => t.id)).toEqual([2, 3]);
    stop();
  });

  it("subscribes with the server's key where the browser dropped the subscription, and only removes the target where it cannot", async () => {
    const { client, added } = registered();
    const fake = fakeBrowser({ current: null });
    expect(await renewWebPush(client, fake.pushManager, true)).toMatchObject({ id: 3 });
    expect(fake.subscribed).toHaveLength(1);
    expect(added).toEqual([expect.objectContaining({ endpoint: NEW_ENDPOINT })]);
    expect(client.targets.map((t) => t.id)).toEqual([2, 3]);

    const blocked = registered();
    expect(await renewWebPush(blocked.client, fakeBrowser({ current: null }).pushManager, false)).toBeNull();
    expect(blocked.added).toEqual([]);
    expect(blocked.client.targets.map((t) => t.id)).toEqual([2]);
  });

  it("does nothing where this browser gets no pushes under this session", async () => {
    const { client, added } = registered();
    client.targets = client.targets.filter((t) => t.kind !== "web_push");
    expect(await renewWebPush(client, fakeBrowser({ current: subscription(NEW_ENDPOINT) }).pushManager, true)).toBeNull();
    expect(added).toEqual([]);
    expect(client.targets.map((t) => t.id)).toEqual([2]);
  });

  it("leaves the flag for the next start when the server cannot be reached", async () => {
    const { client } = registered();
    client.addPushTarget = async () => { throw new MagpieError("network", "offline"); };
    const fake = fakeBrowser({ current: subscription(NEW_ENDPOINT), flagged: true });
    const stop = followSubscriptionChanges(client, fake.browser);
    fake.post({ type: SUBSCRIPTION_CHANGED });
    const renewed = vi.spyOn(client, "pushTargets");
    await vi.waitFor(() => expect(renewed).toHaveBeenCalledTimes(2));
    await Promise.resolve();
    expect(fake.isFlagged()).toBe(true);
    expect(client.targets.map((t) => t.id)).toEqual([1, 2]);
    stop();
  });
});

describe("the service worker's pushsubscriptionchange", () => {
  /** Runs public/sw.js against stand-ins for its global scope; returns what it did. */
  function runWorker(windows: { url: string }[]) {
    const handlers = new Map<string, (event: unknown) => void>();
    const subscribed: unknown[] = [];
    const posted: { url: string; data: unknown }[] = [];
    const flags: string[] = [];
    const self = {
      addEventListener: (type: string, handler: (event: unknown) => void) => handlers.set(type, handler),
      registration: { pushManager: { subscribe: async (o: unknown) => { subscribed.push(o); return subscription(NEW_ENDPOINT); } } },
      caches: { open: async (name: string) => ({ put: async (url: string) => { flags.push(`${name} ${url}`); } }) },
      clients: {
        matchAll: async () => windows.map((w) => ({ ...w, postMessage: (data: unknown) => posted.push({ url: w.url, data }) })),
        claim: async () => {},
      },
      navigator: { language: "en" },
      location: { origin: "https://chat.example" },
    };
    new Function("self", readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../public/sw.js"), "utf8"))(self);
    const change = async (event: { oldSubscription?: unknown; newSubscription?: unknown }) => {
      let done: Promise<unknown> = Promise.resolve();
      handlers.get("pushsubscriptionchange")!({ ...event, waitUntil: (p: Promise<unknown>) => { done = p; } });
      await done;
    };
    return { change, subscribed, posted, flags };
  }

  it("subscribes again with the old key, leaves the flag and asks the app's windows to register", async () => {
    const key = new Uint8Array([4, 1, 2, 3]).buffer;
    const worker = runWorker([{ url: "https://chat.example/c/12" }, { url: "https://chat.example/files/report.pdf" }]);
    await worker.change({ oldSubscription: { endpoint: OLD_ENDPOINT, options: { applicationServerKey: key } }, newSubscription: null });
    expect(worker.subscribed).toEqual([{ userVisibleOnly: true, applicationServerKey: key }]);
    expect(worker.flags).toEqual([`${RENEWAL_CACHE} ${RENEWAL_FLAG_URL}`]);
    expect(worker.posted).toEqual([{ url: "https://chat.example/c/12", data: { type: SUBSCRIPTION_CHANGED } }]);
  });

  it("leaves subscribing to the browser when it renewed, and to the app when there is no old key", async () => {
    const renewed = runWorker([]);
    await renewed.change({ oldSubscription: { endpoint: OLD_ENDPOINT, options: { applicationServerKey: new ArrayBuffer(4) } }, newSubscription: subscription(NEW_ENDPOINT) });
    expect(renewed.subscribed).toEqual([]);
    // No window open: the flag alone waits for the app's next start.
    expect(renewed.flags).toHaveLength(1);
    expect(renewed.posted).toEqual([]);

    const dropped = runWorker([{ url: "https://chat.example/" }]);
    await dropped.change({ oldSubscription: null, newSubscription: null });
    expect(dropped.subscribed).toEqual([]);
    expect(dropped.posted).toHaveLength(1);
  });
});
