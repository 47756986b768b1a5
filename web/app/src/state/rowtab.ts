// Roving focus in the message log: one message is the log's Tab stop, and only its controls
// (actions, links, reactions, the image, the download button…) are in the Tab order; the
// controls of the other messages are reached by moving to their message with the arrow keys.
// Message rows provide whether they are that message; their controls read it here.

import { createContext } from "preact";
import { useContext } from "preact/hooks";

export const RowTabbable = createContext(true);

/** The tabIndex for a control inside a message: natural in the active message (and outside
 * the log), -1 in the others. */
export function useRowTabIndex(): number | undefined {
  return useContext(RowTabbable) ? undefined : -1;
}
