// Push delivery in the administration (issue 17), in English and Chinese: an administrator
// opens the section and sees nothing waiting and nothing failed; then Bob's browser, whose push
// service answers that the subscription is gone (410), is sent a push, and after a refresh the
// section shows the device dropped.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createECDH, randomBytes } from "node:crypto";
import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";

test.use({ serverEnv: { MAGPIE_PUSH_PRIVATE_RANGES_ALLOWED: "127.0.0.1", MAGPIE_PUSH_POLL_INTERVAL_MS: "50" } });

/** A push service that says every subscription is gone. */
async function goneService() {
  const server = createServer((req, res) => { req.resume(); req.on("end", () => res.writeHead(410).end()); });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}/push/bob`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`an administrator sees how pushes fare: nothing waiting, then a browser dropped (${lang})`, async ({ browser, server }) => {
    const zh = lang === "zh";
    const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice", admin: true });
    const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
    const { page } = await signedIn(browser, server, alice, { locale });
    const w = await words(page);

    await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
    await page.getByRole("tab", { name: w["admin.tabPush"] }).click();
    await expect(page).toHaveURL(/\/admin\/push$/);
    const section = page.getByRole("region", { name: w["admin.pushTitle"] });
    await expect(section.getByTestId("push-outbox")).toHaveText("0");
    await expect(section.getByText(w["admin.pushNone"], { exact: true })).toBeVisible();
    await expect(section.getByRole("table")).toHaveCount(0);
    await expectAccessible(page, `push delivery, empty (${lang})`);

    // Bob's browser is registered at a push service that has forgotten it; he is away.
    const service = await goneService();
    try {
      const bobApi = await api(server, bob);
      const browserKey = createECDH("prime256v1");
      browserKey.generateKeys();
      await bobApi.request("POST", "/v1/me/push-targets", {
        kind: "web_push", endpoint: service.endpoint,
        keys: { p256dh: browserKey.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
      });
      const aliceApi = await api(server, alice);
      await aliceApi.send(await aliceApi.direct(bob.account), zh ? "在吗？" : "are you there?");
      await expect.poll(async () =>
        (await aliceApi.request<{ failures: unknown[] }>("GET", "/v1/admin/domains/localhost/push-failures")).failures.length).toBe(1);
    } finally {
      await service.close();
    }

    await section.getByRole("button", { name: w["admin.refresh"] }).click();
    const table = section.getByRole("table", { name: w["admin.pushFailures"] });
    await expect(table.getByRole("columnheader")).toHaveText([
      w["admin.pushTime"], w["admin.pushAccount"], w["admin.pushKind"], w["admin.pushAttempts"], w["admin.pushDropped"], w["admin.pushError"],
    ]);
    await expect(table.getByRole("row").nth(1).getByRole("cell")).toHaveText([
      zh ? /2\d{3}年/ : /\d{4}/, bob.account, w["admin.pushKind.web_push"], "1", w["admin.pushYes"], /410/,
    ]);
    await expect(section.getByText(w["admin.pushNone"], { exact: true })).toHaveCount(0);
    await expectAccessible(page, `push delivery, a failure (${lang})`);
    await shot(page, `admin-push-${lang}`);
  });
}
