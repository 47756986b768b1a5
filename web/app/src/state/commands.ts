// The slash commands each conversation offers (issue 18), fetched the first time the composer
// needs them (a text that begins with `/`) and kept for the session: again only when the
// conversation's members are not those they were fetched with (a bot joined or left), or after
// an invocation found the list stale.

import { useEffect, useState } from "preact/hooks";
import type { ChatClient, OfferedCommand } from "@magpie/sdk";

interface Known {
  /** The members the list was fetched with (see `membersKey`). */
  members: string;
  list?: OfferedCommand[];
  pending?: Promise<OfferedCommand[]>;
}

const known = new WeakMap<ChatClient, Map<number, Known>>();

function of(client: ChatClient): Map<number, Known> {
  let map = known.get(client);
  if (!map) { map = new Map(); known.set(client, map); }
  return map;
}

/** What the members of a conversation are, for telling when they changed: their addresses, or
 * `""` while they are not known (a direct chat's, or a group's not loaded yet). */
export function membersKey(members: readonly { account: string }[] | undefined): string {
  return members ? members.map((m) => m.account).sort().join(" ") : "";
}

/** The commands of the conversation as fetched with these members; undefined until then. */
export function knownCommands(client: ChatClient, conversation: number, members: string): OfferedCommand[] | undefined {
  const entry = of(client).get(conversation);
  return entry && entry.members === members ? entry.list : undefined;
}

/** The commands of the conversation: those fetched with these members, else fetched now (once,
 * however many ask at the same time). A failure is not kept: the next asking tries again. */
export function loadCommands(client: ChatClient, conversation: number, members: string): Promise<OfferedCommand[]> {
  const map = of(client);
  const entry = map.get(conversation);
  if (entry && entry.members === members) {
    if (entry.list) return Promise.resolve(entry.list);
    if (entry.pending) return entry.pending;
  }
  const fresh: Known = { members };
  fresh.pending = client.offeredCommands(conversation).then(
    (list) => {
      if (map.get(conversation) === fresh) { fresh.list = list; delete fresh.pending; }
      return list;
    },
    (e: unknown) => {
      if (map.get(conversation) === fresh) map.delete(conversation);
      throw e;
    },
  );
  map.set(conversation, fresh);
  return fresh.pending;
}

/** Forgets what the conversation offers: the next asking fetches it anew. */
export function forgetCommands(client: ChatClient, conversation: number): void {
  of(client).delete(conversation);
}

/** The conversation's commands for a composer: fetched once `wanted` (and again when the
 * members change while wanted); undefined until they are there. */
export function useOfferedCommands(client: ChatClient, conversation: number, members: string, wanted: boolean): OfferedCommand[] | undefined {
  const [, setLoaded] = useState(0);
  const list = knownCommands(client, conversation, members);
  useEffect(() => {
    if (!wanted || list) return;
    let live = true;
    loadCommands(client, conversation, members).then(
      () => { if (live) setLoaded((n) => n + 1); },
      () => { /* no list: the text is sent as a message, as any */ },
    );
    return () => { live = false; };
  }, [client, conversation, members, wanted, list === undefined]);
  return list;
}
