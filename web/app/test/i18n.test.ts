import { describe, expect, it } from "vitest";
import { en } from "../src/i18n/en.ts";
import { zh } from "../src/i18n/zh.ts";
import { detectLocale, dictionaries, fill, translator } from "../src/i18n/index.ts";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n", () => {
  it("has the same keys in both languages", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it("has no empty strings", () => {
    for (const [locale, dict] of Object.entries(dictionaries)) {
      for (const [key, value] of Object.entries(dict)) {
        expect(value.trim(), `${locale}:${key}`).not.toBe("");
      }
    }
  });

  it("uses the same placeholders in both languages", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("keeps the accessible names the end-to-end tests rely on", () => {
    expect(en["auth.account"]).toBe("Account");
    expect(en["auth.password"]).toBe("Password");
    expect(en["auth.signIn"]).toBe("Sign in");
    expect(en["auth.createAccount"]).toBe("Create an account");
    expect(en["auth.displayName"]).toBe("Display name");
    expect(en["auth.register"]).toBe("Register");
    expect(en["list.label"]).toBe("Conversations");
    expect(en["list.filter"]).toBe("Filter conversations");
    expect(en["list.newChat"]).toBe("New chat");
    expect(en["list.newGroup"]).toBe("New group");
    expect(en["list.mentioned"]).toBe("mentioned");
    expect(fill(en["list.unread"], { count: 3 })).toBe("3 unread");
    expect(en["newChat.search"]).toBe("Search people");
    expect(en["newGroup.name"]).toBe("Group name");
    expect(en["newGroup.create"]).toBe("Create group");
    expect(en["chat.messages"]).toBe("Messages");
    expect(en["composer.message"]).toBe("Message");
    expect(en["composer.send"]).toBe("Send");
    expect(en["composer.save"]).toBe("Save");
    expect(en["composer.attach"]).toBe("Attach file");
    expect(en["composer.chooseFile"]).toBe("Choose file");
    expect(en["msg.actions"]).toBe("Message actions");
    for (const k of ["msg.reply", "msg.edit", "msg.recall", "msg.forward", "msg.react", "msg.copy"] as const) expect(en[k]).toMatch(/^(Reply|Edit|Recall|Forward|React|Copy)$/);
    expect(en["msg.recalled"]).toBe("This message was recalled");
    expect(zh["msg.recalled"]).toBe("这条消息已撤回");
    expect(en["msg.retry"]).toBe("Retry");
    expect(en["chat.groupInfo"]).toBe("Group info");
    expect(fill(en["msg.readBy"], { count: 2 })).toBe("Read by 2");
    expect(en["status.offline"]).toContain("Offline");
    expect(en["status.reconnecting"]).toContain("Reconnecting");
    expect([en["nav.chats"], en["nav.contacts"], en["nav.settings"]]).toEqual(["Chats", "Contacts", "Settings"]);
    expect(en["settings.signOut"]).toBe("Sign out");
    expect(en["settings.language"]).toBe("Language");
  });

  it("keeps other labels on the same screens from containing those names", () => {
    // Playwright matches names by substring: "Sign out" must not also find "Sign out <device>".
    const contains = (value: string, name: string) => value.toLowerCase().includes(name.toLowerCase());
    expect(contains(en["settings.revoke"], "Sign out")).toBe(false);
    expect(contains(en["settings.revokeNamed"], "Sign out")).toBe(false);
    expect(contains(en["msg.sendMessage"], "Send")).toBe(false);
    expect(contains(en["settings.confirmPassword"], "New password")).toBe(false);
    expect(contains(en["common.retry"], "Retry")).toBe(false);
    expect(contains(en["chat.options"], "Group info")).toBe(false);
    for (const key of ["newChat.searchPlaceholder", "list.filterPlaceholder", "composer.placeholder"] as const) {
      expect(contains(en[key], "Message actions")).toBe(false);
    }
  });

  it("picks Chinese for any zh browser language unless the user chose", () => {
    expect(detectLocale(null, "zh-CN")).toBe("zh");
    expect(detectLocale(null, "zh-TW")).toBe("zh");
    expect(detectLocale(null, "ZH")).toBe("zh");
    expect(detectLocale(null, "en-GB")).toBe("en");
    expect(detectLocale(null, "fr")).toBe("en");
    expect(detectLocale(null, undefined)).toBe("en");
    expect(detectLocale("en", "zh-CN")).toBe("en");
    expect(detectLocale("zh", "en-US")).toBe("zh");
    expect(detectLocale("xx", "zh-CN")).toBe("zh");
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(fill("{a} and {b}", { a: "x", b: 2 })).toBe("x and 2");
    expect(fill("{a} and {c}", { a: "x" })).toBe("x and {c}");
    expect(translator("zh")("list.unread", { count: 5 })).toBe("5 条未读");
  });
});
