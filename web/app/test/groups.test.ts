// A domain's groups' pure parts (lib/groups.ts): the query a search makes, a further page put
// after the groups shown, the members in the panel's order, who a group can be handed to, and
// what the server's refusals mean.
import { describe, expect, it } from "vitest";
import { MagpieError, type AdminGroupInfo, type Member } from "@magpie/sdk";
import { GROUPS_PAGE_LEN, groupQueryOf, groupRefusal, sortedMembers, transferCandidates, withPage } from "../src/lib/groups.ts";

const group = (id: number, extra: Partial<AdminGroupInfo> = {}): AdminGroupInfo => ({
  id, kind: "group", name: `Group ${id}`, owner: "bob@x", member_count: 2, created_at_ms: id, last_activity_ms: id, dissolved: false, ...extra,
});
const member = (account: string, role: Member["role"]): Member => ({ account, role, joined_seq: 1, read_seq: 0, delivered_seq: 0 });

describe("the query a search makes", () => {
  it("asks for a page, by the trimmed name, the dissolved ones only when shown, older than a page", () => {
    expect(groupQueryOf("", false)).toEqual({ limit: GROUPS_PAGE_LEN });
    expect(groupQueryOf("  ", false)).toEqual({ limit: GROUPS_PAGE_LEN });
    expect(groupQueryOf(" Team ", false)).toEqual({ q: "Team", limit: GROUPS_PAGE_LEN });
    expect(groupQueryOf("", true)).toEqual({ dissolved: true, limit: GROUPS_PAGE_LEN });
    expect(groupQueryOf("团队", true, 42)).toEqual({ q: "团队", dissolved: true, before: 42, limit: GROUPS_PAGE_LEN });
  });
});

describe("a further page", () => {
  it("goes after the groups shown, each group once", () => {
    expect(withPage(null, [group(3)]).map((g) => g.id)).toEqual([3]);
    expect(withPage([group(9), group(8)], [group(8, { name: "moved" }), group(5)]).map((g) => [g.id, g.name])).toEqual([
      [9, "Group 9"], [8, "Group 8"], [5, "Group 5"],
    ]);
  });
});

describe("the members", () => {
  const members = [member("zoe@x", "member"), member("carol@x", "admin"), member("amy@x", "member"), member("bob@x", "owner")];
  it("lists the owner, the admins, then the rest, each by address", () => {
    expect(sortedMembers(members).map((m) => m.account)).toEqual(["bob@x", "carol@x", "amy@x", "zoe@x"]);
    // The list given is left as it was.
    expect(members[0]!.account).toBe("zoe@x");
  });
  it("hands a group to anyone but its owner", () => {
    expect(transferCandidates(members).map((m) => m.account)).toEqual(["carol@x", "amy@x", "zoe@x"]);
    expect(transferCandidates([member("bob@x", "owner")])).toEqual([]);
  });
});

describe("what a refusal means", () => {
  it("tells the owner already, a non-member, a gone group and a group handed on meanwhile apart", () => {
    expect(groupRefusal(new MagpieError("invalid_field", "owner already", { status: 400, field: "member" }), "transfer")).toBe("already_owner");
    expect(groupRefusal(new MagpieError("invalid_field", "bad", { status: 400, field: "name" }), "transfer")).toBe("other");
    expect(groupRefusal(new MagpieError("not_found", "no member", { status: 404 }), "transfer")).toBe("not_member");
    expect(groupRefusal(new MagpieError("not_found", "dissolved", { status: 404 }), "dissolve")).toBe("gone");
    expect(groupRefusal(new MagpieError("conflict", "changed hands", { status: 409 }), "transfer")).toBe("changed");
    expect(groupRefusal(new MagpieError("forbidden", "no", { status: 403 }), "dissolve")).toBe("other");
    expect(groupRefusal(new Error("boom"), "transfer")).toBe("other");
  });
});
