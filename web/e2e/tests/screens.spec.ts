// The main screens in both languages and on a phone, written to e2e/screenshots/.

import { test, expect, newContext, signedIn, shot } from "../fixtures.ts";

test("the sign-in screen, in English and Chinese", async ({ browser, server }) => {
  for (const locale of ["en-US", "zh-CN"]) {
    const context = await newContext(browser, server, { locale });
    const page = await context.newPage();
    await page.goto("/");
    const button = locale === "en-US" ? "Sign in" : "登录";
    await expect(page.getByRole("button", { name: button })).toBeVisible();
    await shot(page, `sign-in-${locale}`);
    await context.close();
  }
});

test("Chinese interface, switchable to English, and a phone-sized layout", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "王小明" });

  // The language follows the browser: Chinese here.
  const context = await newContext(browser, server, { locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByLabel("账号").fill(bob.account);
  await page.getByLabel("密码").fill(bob.password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByRole("list", { name: "会话" })).toBeVisible();
  await shot(page, "conversation-list-zh");

  // Alice writes from a phone.
  const phone = await signedIn(browser, server, alice, { viewport: { width: 375, height: 740 } });
  await phone.page.getByRole("button", { name: "New chat" }).click();
  await phone.page.getByLabel("Search people").fill("王");
  await phone.page.getByRole("button", { name: "王小明", exact: true }).click();
  const composer = phone.page.getByLabel("Message", { exact: true });
  await composer.fill("你好，小明！今天中午一起吃饭吗？");
  await composer.press("Enter");
  await shot(phone.page, "chat-phone");

  await page.getByRole("list", { name: "会话" }).getByRole("button", { name: /^Alice/ }).click();
  await expect(page.getByRole("log").getByText("你好，小明！今天中午一起吃饭吗？")).toBeVisible();
  await shot(page, "chat-zh");

  // Switch to English in the settings.
  await page.getByRole("button", { name: "设置", exact: true }).click();
  await page.getByLabel("语言").selectOption("en");
  await expect(page.getByRole("button", { name: "Settings", exact: true })).toBeVisible();
  await shot(page, "settings-en");
});
