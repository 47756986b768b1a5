// Finding people by name (protocol §7.15): the search dialog's People tab and the dialogs that
// pick people (new chat, new group, add members) ask the same way.

import type { ChatClient, PersonMatch } from "@magpie/sdk";
import { isMagpieError } from "./client.ts";

/** A server from before people and group search (issue 16) answers `not_found` for them. */
export function missingEndpoint(e: unknown): boolean {
  return isMagpieError(e) && (e.code === "not_found" || e.code === "method_not_allowed");
}

/** People of my domain by display name, pinyin (`zhangsan`), initials (`zs`), a character,
 * login, email or phone, best match first; on a server without search_people, the directory's
 * search by name and address stands in. */
export async function findPeople(client: ChatClient, q: string, limit?: number): Promise<PersonMatch[]> {
  try {
    return await client.searchPeople(q, limit);
  } catch (e) {
    // Nothing to look for in it (punctuation only): nobody is found by it.
    if (isMagpieError(e) && e.code === "invalid_field") return [];
    if (!missingEndpoint(e)) throw e;
    return (await client.searchAccounts(q)).map((profile) => ({ profile, matched: "name" }));
  }
}
