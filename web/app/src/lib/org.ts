// The organisation as the directory and the administration pages show it (protocol §11): the
// tree built from the flat list the server answers, paths as text, the departments a department
// may move under, and reordering among siblings. Pure functions, tested in test/org.test.ts.

import type { Department, PathStep } from "@magpie/sdk";

export interface DepartmentTree {
  /** Departments by id. */
  byId: Map<number, Department>;
  /** Children of each department in the server's order (parents first, siblings in order);
   * the top of the tree under `null`. A department whose parent is missing sits at the top. */
  children: Map<number | null, Department[]>;
}

export function buildTree(departments: readonly Department[]): DepartmentTree {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const children = new Map<number | null, Department[]>();
  for (const d of departments) {
    const parent = d.parent !== undefined && byId.has(d.parent) ? d.parent : null;
    const list = children.get(parent) ?? [];
    list.push(d);
    children.set(parent, list);
  }
  return { byId, children };
}

/** The department's path from the top of the tree, itself last; bounded against a cycle. */
export function pathOf(tree: DepartmentTree, id: number): Department[] {
  const path: Department[] = [];
  let at = tree.byId.get(id);
  while (at && path.length < 64) {
    path.unshift(at);
    at = at.parent !== undefined ? tree.byId.get(at.parent) : undefined;
  }
  return path;
}

/** "总部 / 研发部 / 前端组". */
export function pathText(path: readonly (PathStep | Department)[]): string {
  return path.map((p) => p.name).join(" / ");
}

/** The department and every department below it. */
export function subtree(tree: DepartmentTree, id: number): Set<number> {
  const found = new Set<number>();
  const stack = [id];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (found.has(at)) continue;
    found.add(at);
    for (const c of tree.children.get(at) ?? []) stack.push(c.id);
  }
  return found;
}

/** The departments that `id` may move under (the server refuses itself and those below it). */
export function possibleParents(tree: DepartmentTree, id: number): Department[] {
  const below = subtree(tree, id);
  return [...tree.byId.values()].filter((d) => !below.has(d.id));
}

/** Every department in tree order (depth first), with its depth, for lists and selects. */
export function flatten(tree: DepartmentTree): { department: Department; depth: number }[] {
  const out: { department: Department; depth: number }[] = [];
  const walk = (parent: number | null, depth: number) => {
    for (const d of tree.children.get(parent) ?? []) {
      if (out.length > tree.byId.size) return;
      out.push({ department: d, depth });
      walk(d.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The position that moves a department one place up (-1) or down (+1) among its siblings,
 * or undefined when it is first or last already. Siblings sort by position, then by name, so
 * one less than the one before it (or one more than the one after it) is enough. */
export function movedPosition(tree: DepartmentTree, id: number, direction: -1 | 1): number | undefined {
  const d = tree.byId.get(id);
  if (!d) return undefined;
  const siblings = tree.children.get(d.parent !== undefined && tree.byId.has(d.parent) ? d.parent : null) ?? [];
  const i = siblings.findIndex((s) => s.id === id);
  const other = siblings[i + direction];
  if (i < 0 || !other) return undefined;
  return other.position + direction;
}

/** Email domains typed as a list ("acme.com, @acme.cn"): lower case, without "@", no repeats. */
export function parseEmailDomains(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,;，；]+/)) {
    const d = part.trim().replace(/^@/, "").toLowerCase();
    if (d && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Whether an email address is in one of the allowed domains (any, when none is listed). */
export function emailAllowed(email: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  const at = email.lastIndexOf("@");
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return domains.some((d) => domain === d.toLowerCase());
}
