// The workbench's side of the signed-in client: the SDK's Workbench (the apps the person may open,
// OAuth 2.0 consent and grants) where the client offers it, and the REST API with the session, for
// the message an app sends as the person (sendCard), whose seq the app is answered with.

import { type ChatClient, type Workbench, RestClient } from "@magpie/sdk";

/** The client's workbench, or null where the client has none. The SDK's MagpieClient offers it;
 * the ChatClient contract does not require it (a client made elsewhere, such as a test's double,
 * may not have it), and the app shows nothing of the workbench then. */
export function workbenchOf(client: ChatClient): Workbench | null {
  const maybe = client as ChatClient & Partial<Workbench>;
  return typeof maybe.workbenchApps === "function" && typeof maybe.authorizeInfo === "function" && typeof maybe.authorize === "function"
    && typeof maybe.appGrants === "function" && typeof maybe.revokeAppGrant === "function"
    ? (maybe as ChatClient & Workbench)
    : null;
}

/** The REST API with the client's session, on this origin (the app is served by the server). */
export function restOf(client: ChatClient): RestClient {
  const own = (client as ChatClient & { rest?: unknown }).rest;
  return own instanceof RestClient ? own : new RestClient("", client.token);
}
