// Compliance exports (Administration → Exports), in Chinese and in English: a domain's
// administrator exports a group conversation of two members (its history made over the REST API),
// watches the export reach done with the conversation's entries counted, downloads its archive,
// a ZIP named as the server names it that holds the export's files and every entry; the start
// and the download are in the audit log; an account of another domain is refused before the
// server is asked. A member has no Exports tab, and the server refuses them exports.

import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import { jsonLines, readZip, ZIP_MAGIC } from "../zip.ts";

const NAMES = {
  en: {
    admin: "Alice", bob: "Bob", carol: "Carol", group: "Quarterly numbers",
    texts: ["Are the numbers in?", "Sales are up 4%", "Sending the sheet tonight", "Thanks!", "Meeting at 10"],
  },
  zh: {
    admin: "李娜", bob: "王伟", carol: "张敏", group: "季度数据",
    texts: ["数据出来了吗？", "销售额增长了 4%", "今晚发表格", "谢谢！", "十点开会"],
  },
} as const;

/** An export as the server sends it (the SDK's ExportInfo). */
interface Export { id: number; state: string; target: string; messages: number; conversations_total: number; conversations_done: number; bytes: number }

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

const exportRow = (page: Page, id: number) => page.locator(`[data-testid="export"][data-id="${id}"]`);

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a domain's administrator exports a conversation, sees it done and downloads its archive", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const carol = await server.addUser("carol", { displayName: n.carol });
      // Bob's group with Carol, and their messages, made over the API.
      const bobApi = await api(server, bob);
      const carolApi = await api(server, carol);
      const group = await bobApi.group(n.group, [carol.account]);
      for (const [i, text] of n.texts.entries()) await (i % 2 === 0 ? bobApi : carolApi).send(group, text);
      // What a member reads of it: the group's opening notice and the messages.
      const history = await bobApi.request<{ entries: { seq: number; kind: string }[] }>("GET", `/v1/conversations/${group}/messages?limit=100`);
      expect(history.entries.filter((e) => e.kind === "text")).toHaveLength(n.texts.length);
      const entries = history.entries.length;
      expect(entries).toBe(n.texts.length + 1);

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabExports"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabExports"] })).toHaveAttribute("aria-selected", "true");
      expect(new URL(page.url()).pathname).toBe("/admin/exports");
      await expect(page.getByRole("heading", { name: w["admin.exportNew"], level: 2 })).toBeVisible();
      await expect(page.getByTestId("exports-empty")).toHaveText(w["admin.exportNone"]);

      // An account of another domain is not a domain administrator's to export.
      await page.getByLabel(w["admin.exportAccount"], { exact: true }).fill("dave@acme.example");
      await page.getByRole("button", { name: w["admin.exportStart"], exact: true }).click();
      await expect(page.getByText(fill(w["admin.exportAccountElsewhere"], { domain: "localhost" }))).toBeVisible();
      await expect(page.getByLabel(w["admin.exportAccount"], { exact: true })).toHaveAttribute("aria-invalid", "true");

      // The group, by its id, over all time.
      await page.getByRole("radio", { name: new RegExp(`^${w["admin.exportKind.conversation"]}`) }).check();
      await page.getByLabel(w["admin.exportConversation"], { exact: true }).fill(String(group));
      await page.getByRole("button", { name: w["admin.exportStart"], exact: true }).click();
      const row = page.getByTestId("export");
      await expect(row).toHaveCount(1);
      const id = Number(await row.getAttribute("data-id"));
      expect(id).toBeGreaterThan(0);
      await expect(row.getByTestId("export-target")).toContainText(n.group);
      await expect(row.locator(".export-by")).toHaveText(alice.account);
      // It runs in the background; the list follows it until it is done.
      await expect(row).toHaveAttribute("data-state", "done", { timeout: 30_000 });
      await expect(row.getByTestId("export-state")).toHaveText(w["admin.exportState.done"]);
      await expect(row.getByTestId("export-messages")).toHaveText(fill(w["admin.exportMessages"], { count: entries }));
      await expect(row.getByTestId("export-conversations")).toHaveText(fill(w["admin.exportConversations"], { done: 1, total: 1 }));
      await expect(row.getByTestId("export-files")).toHaveText(fill(w["admin.exportFiles"], { count: 0 }));
      await expect(row.getByTestId("export-size")).toHaveText(/^\d+(\.\d)? (B|KB|MB)$/);
      await expect(page.getByTestId("exports-count")).toHaveText(w["admin.exportCountOne"]);
      // The server agrees.
      const aliceApi = await api(server, alice);
      const info = await aliceApi.request<Export>("GET", `/v1/admin/exports/${id}`);
      expect(info).toMatchObject({ id, state: "done", messages: entries, conversations_total: 1, conversations_done: 1 });
      await expectAccessible(page, `the exports tab with a done export (${lang})`);
      await shot(page, `admin-exports-${lang}`);

      // Download: the archive, fetched with the token and saved under its name.
      const download = page.waitForEvent("download");
      await exportRow(page, id).getByRole("button", { name: fill(w["admin.exportDownloadNamed"], { id }), exact: true }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`magpie-export-${id}.zip`);
      const zip = readFileSync((await file.path())!);
      expect(zip.subarray(0, 4).equals(ZIP_MAGIC)).toBe(true);
      expect(zip.length).toBe(info.bytes);
      await expect(page.getByText(fill(w["admin.exportDownloaded"], { id }))).toBeVisible();

      // It holds the export's description, the conversation, every entry, and the page to read.
      const archive = readZip(zip);
      for (const name of ["export.json", "conversations.jsonl", "messages.jsonl", "index.html"]) expect([...archive.keys()]).toContain(name);
      expect(JSON.parse(archive.get("export.json")!.toString("utf8"))).toMatchObject({ id, messages: entries });
      const conversations = jsonLines<{ id: number; name?: string }>(archive.get("conversations.jsonl"));
      expect(conversations).toEqual([expect.objectContaining({ id: group, name: n.group })]);
      const lines = jsonLines<{ conversation: number; seq: number; kind: string; sender: string; body: { text?: string } | null }>(archive.get("messages.jsonl"));
      expect(lines).toHaveLength(entries);
      expect(lines.map((l) => l.seq)).toEqual(history.entries.map((e) => e.seq).sort((a, b) => a - b));
      const texts = lines.filter((l) => l.kind === "text");
      expect(texts.map((l) => l.body?.text)).toEqual([...n.texts]);
      expect(texts.map((l) => l.sender)).toEqual(n.texts.map((_, i) => (i % 2 === 0 ? bob.account : carol.account)));
      const html = archive.get("index.html")!.toString("utf8");
      for (const text of n.texts) expect(html).toContain(text);

      // Starting it and downloading it are in the audit log.
      const audit = await aliceApi.request<{ records: { action: string; target: string; actor: { name: string } }[] }>("GET", "/v1/admin/audit?action=export");
      expect(audit.records.map((r) => r.action)).toEqual(["export.download", "export.create"]);
      expect(audit.records.every((r) => r.actor.name === alice.account)).toBe(true);
      await page.getByRole("tab", { name: w["admin.tabAudit"] }).click();
      await expect(page.locator('[data-testid="audit-record"][data-action="export.create"]').getByTestId("audit-action")).toHaveText(w["admin.auditAction.export.create"]);
      await expect(page.locator('[data-testid="audit-record"][data-action="export.download"]').getByTestId("audit-action")).toHaveText(w["admin.auditAction.export.download"]);
    });

    test("a member has no Exports tab", async ({ browser, server }) => {
      await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await expect(page.getByRole("button", { name: w["nav.admin"], exact: true })).toHaveCount(0);
      // Not even by its address.
      await page.goto("/admin/exports");
      await expect(page.getByText(w["error.forbidden"])).toBeVisible();
      await expect(page.getByRole("tab", { name: w["admin.tabExports"] })).toHaveCount(0);
      await expect(page.getByRole("heading", { name: w["admin.exportNew"] })).toHaveCount(0);
      // And the server refuses them.
      const bobApi = await api(server, bob);
      await expect(bobApi.request("GET", "/v1/admin/exports")).rejects.toThrow(/^GET \/v1\/admin\/exports: 403 .*forbidden/);
      await expect(bobApi.request("POST", "/v1/admin/exports", { account: bob.account })).rejects.toThrow(/: 403 .*forbidden/);
    });
  });
}
