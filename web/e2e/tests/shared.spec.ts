// The files-and-links pane of a conversation (issue 23): images in a grid, files with their
// size, type and a download button, links with the preview the server made. In English and
// Chinese, on a desktop and a phone.

import { randomUUID } from "node:crypto";
import { test, expect, signedIn, shot, api, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { gradientPng } from "../png.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a conversation's images, files and links are listed in its pane (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const chat = await aliceApi.direct(bob.account);
      const upload = async (name: string, bytes: Uint8Array, type: string): Promise<string> => {
        const form = new FormData();
        form.append("file", new Blob([new Uint8Array(bytes)], { type }), name);
        const { token } = await aliceApi.request<{ token: string }>("POST", "/v1/auth/login", { account: alice.account, password: alice.password });
        const response = await fetch(`${server.url}/v1/files`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form });
        return ((await response.json()) as { id: string }).id;
      };
      const photo = await upload("photo.png", gradientPng(48, 32), "image/png");
      const report = await upload(zh ? "季度报告.pdf" : "report.pdf", new TextEncoder().encode("%PDF-1.4 a small report"), "application/pdf");
      const send = (kind: string, body: Record<string, unknown>) =>
        aliceApi.request("POST", `/v1/conversations/${chat}/messages`, { client_msg_id: randomUUID(), kind, body });
      await send("image", { file: photo });
      await send("file", { file: report, name: zh ? "季度报告.pdf" : "report.pdf", size: 23 });
      await aliceApi.send(chat, zh ? "方案在这里 https://wiki.example/plan" : "The plan is at https://wiki.example/plan");
      await aliceApi.send(chat, zh ? "午饭吃什么？" : "Lunch?");

      const b = await signedIn(browser, server, bob, { locale, viewport });
      await b.page.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();
      await expect(b.page.getByRole("log").getByText(zh ? "午饭吃什么？" : "Lunch?")).toBeVisible();
      await b.page.getByRole("button", { name: zh ? "文件与链接" : "Files and links" }).click();
      const pane = b.page.getByRole("complementary", { name: zh ? "文件与链接" : "Files and links" });
      await expect(pane).toBeVisible();

      const tab = (name: string) => pane.getByRole("tab", { name });
      await expect(tab(zh ? "图片" : "Images")).toHaveAttribute("aria-selected", "true");
      const thumb = pane.getByRole("button", { name: zh ? "打开 [图片]" : "Open [Image]" });
      await expect(thumb).toHaveCount(1);
      await expect(thumb.locator("img")).toBeVisible();
      await shot(b.page, `shared-images-${lang}-${device}`);

      await tab(zh ? "文件" : "Files").click();
      const file = pane.getByTestId("shared-file");
      await expect(file).toHaveCount(1);
      await expect(file).toContainText(zh ? "季度报告.pdf" : "report.pdf");
      await expect(file).toContainText("PDF");
      await expect(file).toContainText("23 B");
      await expect(file.getByRole("button", { name: zh ? "下载 季度报告.pdf" : "Download report.pdf" })).toBeVisible();
      await shot(b.page, `shared-files-${lang}-${device}`);

      await tab(zh ? "链接" : "Links").click();
      const link = pane.getByTestId("shared-link");
      await expect(link).toHaveCount(1);
      await expect(link.getByRole("link", { name: "https://wiki.example/plan" })).toHaveAttribute("href", "https://wiki.example/plan");
      await shot(b.page, `shared-links-${lang}-${device}`);

      await pane.getByRole("button", { name: zh ? "关闭" : "Close" }).click();
      await expect(pane).toHaveCount(0);
    });
  }
}
