// A small History API router. Paths: "/" (chats), "/c/12" (a conversation), "/c/12/m/5" (a
// conversation at its message 5), "/c/12/thread/5" (a conversation with the thread of its
// message 5 open beside it), "/saved", "/contacts", "/settings", "/directory" (the org chart),
// "/directory/7" (its department 7), "/workbench" (the domain's apps) and "/workbench/3" (its app 3
// open), "/admin" and "/admin/<tab>" (a domain's administration, and for server administrators
// the server's console).
// Before signing in, "/invite/<domain>/<code>" opens registration with an invitation.
// "/oauth/authorize?…" is where an app sends the browser to ask the person's consent (OAuth 2.0):
// signed in or once signed in, the consent page (Consent.tsx) takes over. The server answers every
// non-/v1 path with index.html, so deep links and reloads work.

import { useEffect, useState } from "preact/hooks";
import type { AuthorizeRequest } from "@magpie/sdk";

export type Route =
  | { page: "chats"; conversation?: number; seq?: number; thread?: number }
  | { page: "saved" }
  | { page: "contacts" }
  | { page: "settings" }
  | { page: "directory"; department?: number }
  | { page: "workbench"; app?: number }
  | { page: "admin"; tab?: AdminTab };

/** The sections of the administration page: a domain's, then the server's console. */
export const ADMIN_TABS = [
  "departments", "accounts", "groups", "stickers", "bots", "apps", "registration", "invitations", "applications", "announcements", "moderation", "ldap", "push",
  "audit", "exports", "retention", "connections", "dashboard", "logs", "backups", "domains",
] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

/** The sections about the whole server, which only its administrators see (the server refuses
 * them to anyone else). */
export const SERVER_ADMIN_TABS: readonly AdminTab[] = ["dashboard", "logs", "backups", "domains"];

/** The sections an account of this role sees, in their order. */
export function adminTabsFor(role: "member" | "domain_admin" | "server_admin"): readonly AdminTab[] {
  return role === "server_admin" ? ADMIN_TABS : ADMIN_TABS.filter((tab) => !SERVER_ADMIN_TABS.includes(tab));
}

/** An invitation link: "/invite/<domain>/<code>". */
export interface InviteLink { domain: string; code: string }

export function parseInvite(path: string): InviteLink | null {
  const m = /^\/invite\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (!m) return null;
  try {
    return { domain: decodeURIComponent(m[1]!), code: decodeURIComponent(m[2]!) };
  } catch {
    return null;
  }
}

/** The link an administrator hands out for an invitation code, on this server's origin. */
export function inviteUrl(origin: string, domain: string, code: string): string {
  return `${origin}/invite/${encodeURIComponent(domain)}/${encodeURIComponent(code)}`;
}

/** The path of the consent page of an app's authorization request. */
export const AUTHORIZE_PATH = "/oauth/authorize";

/** The consent page's request, from its URL (null on any other path). A required parameter left
 * out is sent as empty, for the server to name it; `scope` and `state` left out stay out. */
export function parseAuthorize(path: string, search: string): AuthorizeRequest | null {
  if (path.replace(/\/$/, "") !== AUTHORIZE_PATH) return null;
  const q = new URLSearchParams(search);
  const scope = q.get("scope");
  const state = q.get("state");
  return {
    response_type: q.get("response_type") ?? "", client_id: q.get("client_id") ?? "", redirect_uri: q.get("redirect_uri") ?? "",
    ...(scope === null ? {} : { scope }), ...(state === null ? {} : { state }), code_challenge: q.get("code_challenge") ?? "",
    code_challenge_method: q.get("code_challenge_method") ?? "",
  };
}

export function parseRoute(path: string): Route {
  const m = /^\/c\/(\d+)(?:\/(m|thread)\/(\d+))?\/?$/.exec(path);
  if (m) {
    const conversation = Number(m[1]);
    if (m[2] === "m") return { page: "chats", conversation, seq: Number(m[3]) };
    if (m[2] === "thread") return { page: "chats", conversation, thread: Number(m[3]) };
    return { page: "chats", conversation };
  }
  if (/^\/saved\/?$/.test(path)) return { page: "saved" };
  if (/^\/contacts\/?$/.test(path)) return { page: "contacts" };
  if (/^\/settings\/?$/.test(path)) return { page: "settings" };
  const d = /^\/directory(?:\/(\d+))?\/?$/.exec(path);
  if (d) return d[1] ? { page: "directory", department: Number(d[1]) } : { page: "directory" };
  const w = /^\/workbench(?:\/(\d+))?\/?$/.exec(path);
  if (w) return w[1] ? { page: "workbench", app: Number(w[1]) } : { page: "workbench" };
  const a = /^\/admin(?:\/([a-z]+))?\/?$/.exec(path);
  if (a) return { page: "admin", ...(a[1] && (ADMIN_TABS as readonly string[]).includes(a[1]) ? { tab: a[1] as AdminTab } : {}) };
  return { page: "chats" };
}

export function routePath(r: Route): string {
  if (r.page === "contacts") return "/contacts";
  if (r.page === "settings") return "/settings";
  if (r.page === "saved") return "/saved";
  if (r.page === "directory") return r.department !== undefined ? `/directory/${r.department}` : "/directory";
  if (r.page === "workbench") return r.app !== undefined ? `/workbench/${r.app}` : "/workbench";
  if (r.page === "admin") return r.tab ? `/admin/${r.tab}` : "/admin";
  if (r.conversation === undefined) return "/";
  if (r.thread !== undefined) return `/c/${r.conversation}/thread/${r.thread}`;
  return r.seq !== undefined ? `/c/${r.conversation}/m/${r.seq}` : `/c/${r.conversation}`;
}

const listeners = new Set<() => void>();

export function navigate(r: Route, options: { replace?: boolean } = {}): void {
  const path = routePath(r);
  if (path !== location.pathname) {
    if (options.replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
  }
  for (const l of listeners) l();
}

export function openConversationRoute(id: number): void { navigate({ page: "chats", conversation: id }); }

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    addEventListener("popstate", update);
    return () => { listeners.delete(update); removeEventListener("popstate", update); };
  }, []);
  return route;
}
