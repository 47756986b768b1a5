import { describe, expect, it } from "vitest";
import type { Conversation, Role } from "@magpie/sdk";
import { canAddMembers, canDissolve, canEdit, canEditInfo, canLeave, canMentionAll, canPin, canRecall, canRemove, canSave, canSetRoles, postBlock } from "../src/lib/permissions.ts";

const NOW = 1_800_000_000_000;
function conv(kind: Conversation["kind"], role: Role, extra: Partial<Conversation> = {}, me: Partial<Conversation["me"]> = {}) {
  return { kind, mute_all: false, ...extra, me: { role, joined_seq: 1, read_seq: 0, delivered_seq: 0, pinned: false, muted: false, ...me } };
}
const msg = (sender: string, ageMs: number, kind = "text", extra = {}) => ({ seq: 5, sender, kind, at_ms: NOW - ageMs, body: { text: "x" }, ...extra });
const members = [
  { account: "owner@x", role: "owner" as const, joined_seq: 1, read_seq: 0, delivered_seq: 0 },
  { account: "admin@x", role: "admin" as const, joined_seq: 1, read_seq: 0, delivered_seq: 0 },
  { account: "m@x", role: "member" as const, joined_seq: 1, read_seq: 0, delivered_seq: 0 },
];

describe("permissions", () => {
  it("lets the sender edit text, markdown and code within a day", () => {
    const c = conv("direct", "member");
    expect(canEdit(msg("me@x", 1000), c, "me@x", NOW)).toBe(true);
    expect(canEdit(msg("me@x", 1000, "code"), c, "me@x", NOW)).toBe(true);
    expect(canEdit(msg("me@x", 1000, "image"), c, "me@x", NOW)).toBe(false);
    expect(canEdit(msg("you@x", 1000), c, "me@x", NOW)).toBe(false);
    expect(canEdit(msg("me@x", 25 * 3600_000), c, "me@x", NOW)).toBe(false);
    expect(canEdit(msg("me@x", 1000, "text", { recalled_at_ms: NOW, body: null }), c, "me@x", NOW)).toBe(false);
    expect(canEdit(msg("me@x", 1000, "text", { seq: 0 }), c, "me@x", NOW)).toBe(false);
  });

  it("lets the sender recall within two minutes, moderators always, by rank", () => {
    expect(canRecall(msg("me@x", 60_000), conv("direct", "member"), undefined, "me@x", NOW)).toBe(true);
    expect(canRecall(msg("me@x", 180_000), conv("direct", "member"), undefined, "me@x", NOW)).toBe(false);
    expect(canRecall(msg("me@x", 180_000), conv("group", "admin"), members, "me@x", NOW)).toBe(true);
    expect(canRecall(msg("m@x", 999_999), conv("group", "admin"), members, "admin@x", NOW)).toBe(true);
    expect(canRecall(msg("admin@x", 1000), conv("group", "admin"), members, "other-admin@x", NOW)).toBe(false);
    expect(canRecall(msg("admin@x", 1000), conv("group", "owner"), members, "owner@x", NOW)).toBe(true);
    expect(canRecall(msg("gone@x", 1000), conv("group", "admin"), members, "admin@x", NOW)).toBe(true);
    expect(canRecall(msg("m@x", 1000), conv("group", "member"), members, "me@x", NOW)).toBe(false);
  });

  it("lets both members of a direct chat pin, and a group's owner and admins", () => {
    expect(canPin(msg("you@x", 1000), conv("direct", "member"))).toBe(true);
    expect(canPin(msg("you@x", 1000), conv("group", "admin"))).toBe(true);
    expect(canPin(msg("you@x", 1000), conv("channel", "owner"))).toBe(true);
    expect(canPin(msg("you@x", 1000), conv("group", "member"))).toBe(false);
    expect(canPin(msg("you@x", 1000, "system"), conv("direct", "member"))).toBe(false);
    expect(canPin(msg("you@x", 1000, "text", { recalled_at_ms: NOW, body: null }), conv("direct", "member"))).toBe(false);
  });

  it("saves any message that still stands, in any conversation", () => {
    expect(canSave(msg("you@x", 999_999_999))).toBe(true);
    expect(canSave(msg("you@x", 1000, "image", { body: { file: "f" } }))).toBe(true);
    expect(canSave(msg("you@x", 1000, "text", { hidden: true, body: null }))).toBe(false);
    expect(canSave(msg("you@x", 1000, "text", { seq: 0 }))).toBe(false);
    expect(canSave(msg("you@x", 1000, "system"))).toBe(false);
  });

  it("knows who may post", () => {
    expect(postBlock(conv("group", "member"), NOW)).toBeNull();
    expect(postBlock(conv("group", "member", { mute_all: true }), NOW)).toBe("mute_all");
    expect(postBlock(conv("group", "admin", { mute_all: true }), NOW)).toBeNull();
    expect(postBlock(conv("channel", "member"), NOW)).toBe("channel");
    expect(postBlock(conv("channel", "owner"), NOW)).toBeNull();
    expect(postBlock(conv("group", "member", {}, { muted_until_ms: NOW + 1000 }), NOW)).toBe("muted");
    expect(postBlock(conv("group", "member", {}, { muted_until_ms: NOW - 1000 }), NOW)).toBeNull();
  });

  it("shows group management only to who may do it", () => {
    expect(canEditInfo(conv("group", "member"))).toBe(false);
    expect(canEditInfo(conv("group", "admin"))).toBe(true);
    expect(canSetRoles(conv("group", "admin"))).toBe(false);
    expect(canSetRoles(conv("group", "owner"))).toBe(true);
    expect(canDissolve(conv("group", "owner"))).toBe(true);
    expect(canLeave(conv("group", "owner"))).toBe(false);
    expect(canLeave(conv("group", "member"))).toBe(true);
    expect(canLeave(conv("direct", "member"))).toBe(false);
    expect(canAddMembers(conv("group", "member"))).toBe(true);
    expect(canAddMembers(conv("channel", "member"))).toBe(false);
    expect(canMentionAll(conv("group", "member"))).toBe(false);
    expect(canRemove(conv("group", "admin"), members[2]!, "admin@x")).toBe(true);
    expect(canRemove(conv("group", "admin"), members[1]!, "other@x")).toBe(false);
    expect(canRemove(conv("group", "owner"), members[1]!, "owner@x")).toBe(true);
    expect(canRemove(conv("group", "owner"), members[0]!, "owner@x")).toBe(false);
    expect(canRemove(conv("group", "member"), members[2]!, "x@x")).toBe(false);
  });
});
