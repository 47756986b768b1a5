// Opening the global search from anywhere: the shell listens for this event and shows the
// search dialog (issue 16). An event rather than a prop chain, so that the conversation list
// and a chat can open it without the shell threading a callback through each page.

import type { SearchFilters } from "../lib/search.ts";

export type SearchTab = "messages" | "people" | "groups" | "files";
/** What a search opens with. */
export interface SearchStart { q: string; tab?: SearchTab; filters?: Partial<SearchFilters> }

export const OPEN_SEARCH_EVENT = "magpie:search";

export function openSearch(start: SearchStart = { q: "" }): void {
  window.dispatchEvent(new CustomEvent<SearchStart>(OPEN_SEARCH_EVENT, { detail: start }));
}
