// Notification preferences against the real server (docs/protocol.md §5 `GET`/`PUT
// /v1/me/notifications`): the defaults, a whole set kept as the server normalises it, a refusal
// that names its field and changes nothing, and the account's other device told to read them again.

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { MagpieError, type MagpieClient, type NotificationPrefs } from "../src/index.ts";
import { online, startServer, type TestServer } from "./harness.ts";

let server: TestServer;
let laptop: MagpieClient;
let phone: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const alice = await server.addUser("alice");
  [laptop, phone] = await Promise.all([online(server, alice), online(server, alice)]);
});

afterAll(async () => {
  for (const client of [laptop, phone]) client?.close();
  await server?.stop();
});

const DEFAULTS: NotificationPrefs = {
  level: "all", time_zone: "UTC", keywords: [], preview: true, email_digest: false, digest_after_mins: 60, language: "",
};

describe("notification preferences", () => {
  test("are the defaults, then kept whole, and the other device is told", async () => {
    expect(await laptop.notificationPrefs()).toEqual(DEFAULTS);

    const heard = new Promise<void>((resolve) => {
      const off = phone.on("notify_prefs_changed", () => {
        off();
        resolve();
      });
    });
    const prefs: NotificationPrefs = {
      level: "mentions", quiet: { from_min: 1320, to_min: 480 }, time_zone: "Asia/Shanghai",
      keywords: [" 发布 ", "Release", "release"], preview: false, email_digest: true, digest_after_mins: 120,
      language: "zh-CN",
    };
    const kept = await laptop.setNotificationPrefs(prefs);
    expect(kept).toEqual({ ...prefs, keywords: ["发布", "Release"] });
    await heard;
    expect(await phone.notificationPrefs()).toEqual(kept);

    // Without quiet hours, `quiet` is left out.
    const { quiet: _, ...noQuiet } = kept;
    expect(await phone.setNotificationPrefs(noQuiet)).toEqual(noQuiet);
    expect(await laptop.notificationPrefs()).not.toHaveProperty("quiet");
  });

  test("a refusal names the field and changes nothing", async () => {
    const before = await laptop.notificationPrefs();
    const tooMany = { ...before, keywords: Array.from({ length: 21 }, (_, i) => `k${i}`) };
    const error = await laptop.setNotificationPrefs(tooMany).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MagpieError);
    expect(error).toMatchObject({ code: "invalid_field", field: "keywords" });
    for (const [field, prefs] of [
      ["time_zone", { ...before, time_zone: "Mars/Olympus" }],
      ["quiet", { ...before, quiet: { from_min: 60, to_min: 60 } }],
      ["digest_after_mins", { ...before, digest_after_mins: 5 }],
    ] as const) {
      await expect(laptop.setNotificationPrefs(prefs)).rejects.toMatchObject({ code: "invalid_field", field });
    }
    expect(await laptop.notificationPrefs()).toEqual(before);
  });
});
