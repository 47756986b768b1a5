import { describe, expect, it } from "vitest";
import type { Department } from "@magpie/sdk";
import { buildTree, emailAllowed, flatten, movedPosition, parseEmailDomains, pathOf, pathText, possibleParents, subtree } from "../src/lib/org.ts";
import { inviteUrl, parseInvite, parseRoute, routePath } from "../src/state/router.ts";

const dept = (id: number, name: string, parent?: number, position = 0): Department =>
  ({ id, name, position, member_count: 0, total_count: 0, ...(parent === undefined ? {} : { parent }) });

// 总部 ─┬─ 研发部 ─── 前端组
//       └─ 市场部
// 子公司
const list = [dept(1, "总部"), dept(4, "子公司", undefined, 1), dept(2, "研发部", 1), dept(3, "市场部", 1, 5), dept(5, "前端组", 2)];

describe("the department tree", () => {
  it("is built from the server's flat list, with paths and tree order", () => {
    const tree = buildTree(list);
    expect(tree.children.get(null)?.map((d) => d.name)).toEqual(["总部", "子公司"]);
    expect(tree.children.get(1)?.map((d) => d.name)).toEqual(["研发部", "市场部"]);
    expect(pathText(pathOf(tree, 5))).toBe("总部 / 研发部 / 前端组");
    expect(flatten(tree).map(({ department, depth }) => `${depth}:${department.name}`)).toEqual(["0:总部", "1:研发部", "2:前端组", "1:市场部", "0:子公司"]);
  });

  it("puts a department whose parent is missing at the top, and survives a cycle", () => {
    const tree = buildTree([dept(7, "Orphan", 99), dept(8, "A", 9), dept(9, "B", 8)]);
    expect(tree.children.get(null)?.map((d) => d.name)).toEqual(["Orphan"]);
    expect(pathOf(tree, 8).length).toBeLessThanOrEqual(64);
    expect(flatten(tree).map((x) => x.department.name)).toEqual(["Orphan"]);
  });

  it("offers as new parents everything but the department and those below it", () => {
    const tree = buildTree(list);
    expect([...subtree(tree, 1)].sort()).toEqual([1, 2, 3, 5]);
    expect(possibleParents(tree, 2).map((d) => d.name)).toEqual(["总部", "子公司", "市场部"]);
  });

  it("moves a department one place among its siblings, not past the ends", () => {
    const tree = buildTree(list);
    expect(movedPosition(tree, 3, -1)).toBe(-1); // before 研发部 (position 0)
    expect(movedPosition(tree, 2, 1)).toBe(6); // after 市场部 (position 5)
    expect(movedPosition(tree, 2, -1)).toBeUndefined();
    expect(movedPosition(tree, 4, 1)).toBeUndefined();
  });
});

describe("email domains", () => {
  it("are read from a typed list and checked against an address", () => {
    expect(parseEmailDomains(" acme.com, @ACME.cn；acme.com\nexample.org ")).toEqual(["acme.com", "acme.cn", "example.org"]);
    expect(emailAllowed("ann@Acme.com", ["acme.com"])).toBe(true);
    expect(emailAllowed("ann@evil-acme.com", ["acme.com"])).toBe(false);
    expect(emailAllowed("ann@gmail.com", [])).toBe(true);
  });
});

describe("routes", () => {
  it("has the directory and the administration pages", () => {
    expect(parseRoute("/directory")).toEqual({ page: "directory" });
    expect(parseRoute("/directory/12")).toEqual({ page: "directory", department: 12 });
    expect(routePath({ page: "directory", department: 12 })).toBe("/directory/12");
    expect(parseRoute("/admin/invitations")).toEqual({ page: "admin", tab: "invitations" });
    expect(parseRoute("/admin/push")).toEqual({ page: "admin", tab: "push" });
    expect(parseRoute("/admin/nonsense")).toEqual({ page: "admin" });
    expect(routePath({ page: "admin", tab: "ldap" })).toBe("/admin/ldap");
  });

  it("makes invitation links that it reads back", () => {
    const link = inviteUrl("https://chat.acme.example", "acme.example", "inv_a/b c");
    expect(link).toBe("https://chat.acme.example/invite/acme.example/inv_a%2Fb%20c");
    expect(parseInvite(new URL(link).pathname)).toEqual({ domain: "acme.example", code: "inv_a/b c" });
    expect(parseInvite("/invite/acme.example")).toBeNull();
    expect(parseInvite("/invite/acme.example/%E0%A4%A")).toBeNull();
  });
});
