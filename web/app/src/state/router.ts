// A small History API router. Paths: "/" (chats), "/c/12" (a conversation), "/c/12/m/5" (a
// conversation at its message 5), "/c/12/thread/5" (a conversation with the thread of its
// message 5 open beside it), "/saved", "/contacts", "/settings". The server answers every non-/v1 path with index.html, so deep links and reloads
// work.

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "chats"; conversation?: number; seq?: number; thread?: number }
  | { page: "saved" }
  | { page: "contacts" }
  | { page: "settings" };

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
  return { page: "chats" };
}

export function routePath(r: Route): string {
  if (r.page === "contacts") return "/contacts";
  if (r.page === "settings") return "/settings";
  if (r.page === "saved") return "/saved";
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
