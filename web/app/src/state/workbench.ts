// The workbench's use of the signed-in client beyond the ChatClient (which has the workbench's own
// calls: the apps, their icons, OAuth 2.0 consent and grants): the REST API with the session, for
// the message an app sends as the person (sendCard), whose seq the app is answered with.

import { type ChatClient, RestClient } from "@magpie/sdk";

/** The REST API with the client's session, on this origin (the app is served by the server). */
export function restOf(client: ChatClient): RestClient {
  const own = (client as ChatClient & { rest?: unknown }).rest;
  return own instanceof RestClient ? own : new RestClient("", client.token);
}
