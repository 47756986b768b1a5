// A domain's groups and channels (Administration → Groups), their pure parts: the query a search
// makes, a page put after the ones shown, the members in the order the panel lists them, who can
// be handed a group, and what the server's refusals mean.

import type { AdminGroupInfo, AdminGroupQuery, Member, Role } from "@magpie/sdk";

/** Groups one page asks for. */
export const GROUPS_PAGE_LEN = 50;
/** How long the search waits after typing stops before it asks. */
export const GROUP_SEARCH_DEBOUNCE_MS = 300;

/** The query a search makes: the name's text trimmed (none: every group), the dissolved ones
 * only when asked for, older than `before` for a further page. */
export function groupQueryOf(q: string, dissolved: boolean, before?: number): AdminGroupQuery {
  const text = q.trim();
  return { ...(text ? { q: text } : {}), ...(dissolved ? { dissolved: true } : {}), ...(before !== undefined ? { before } : {}), limit: GROUPS_PAGE_LEN };
}

/** A further page put after the groups shown (a group shown already, moved by a change between
 * the pages, is kept once, where it was). */
export function withPage(shown: readonly AdminGroupInfo[] | null, page: readonly AdminGroupInfo[]): AdminGroupInfo[] {
  const list = [...(shown ?? [])];
  const ids = new Set(list.map((g) => g.id));
  for (const g of page) if (!ids.has(g.id)) { list.push(g); ids.add(g.id); }
  return list;
}

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

/** Members as the panel lists them: the owner, the admins, then the rest, each by address. */
export function sortedMembers(members: readonly Member[]): Member[] {
  return [...members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
}

/** The members a group can be handed to: every one but its owner. */
export function transferCandidates(members: readonly Member[]): Member[] {
  return sortedMembers(members).filter((m) => m.role !== "owner");
}

/** What a refused transfer or dissolve means: the member is its owner already, is no member (or
 * the group is gone or not the caller's domain's), the group changed hands meanwhile (`conflict`:
 * someone else handed it on since its members were read), or something else. */
export type GroupRefusal = "already_owner" | "not_member" | "gone" | "changed" | "other";

export function groupRefusal(e: unknown, action: "transfer" | "dissolve"): GroupRefusal {
  const code = typeof e === "object" && e !== null && "code" in e ? (e as { code: unknown }).code : undefined;
  const field = typeof e === "object" && e !== null && "field" in e ? (e as { field: unknown }).field : undefined;
  if (action === "transfer" && code === "invalid_field" && field === "member") return "already_owner";
  if (code === "not_found") return action === "transfer" ? "not_member" : "gone";
  if (action === "transfer" && code === "conflict") return "changed";
  return "other";
}
