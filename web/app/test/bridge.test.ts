// The host side of the workbench's bridge (lib/bridge.ts): only the open app's frame, at its
// origin, is listened to and answered; an unknown method, params that are wrong, a person who
// cancels, and a failure of the client are each answered with their code; a request that is not
// the bridge's is ignored; and at most a few requests wait at once. authorize's request is read
// from its params (`response_type` always `code`), and answered with the code and state of the
// redirect URI the server gave.

import { describe, expect, it } from "vitest";
import { MagpieError } from "@magpie/sdk";
import {
  answer, appOrigin, authorizedOf, authorizeParams, BRIDGE_PENDING_MAX, bridgeListener, cardParams, chatTarget, pickOptions, readRequest,
  type Authorized, type BridgeHandlers, type BridgeReply, type CardToSend, type ChatTarget, type PickOptions,
} from "../src/lib/bridge.ts";
import type { AuthorizeRequest } from "@magpie/sdk";

const APP = "https://apps.example.com";
const CARD = { card: "interactive", title: "Leave", blocks: [{ type: "text", text: "**3** days" }, { type: "fields", fields: [{ label: "From", value: "Mon" }] }] };

/** Handlers that record what they were asked, answering as told. */
function handlers(options: {
  pick?: (o: PickOptions) => Promise<{ account: string; name: string }[] | null>; send?: "confirm" | "cancel" | Error;
  authorize?: Authorized | null | Error;
} = {}) {
  const calls: unknown[][] = [];
  const h: BridgeHandlers = {
    getUser: () => { calls.push(["getUser"]); return { account: "alice@example.com", name: "Alice", avatar: null }; },
    openChat: async (target: ChatTarget) => { calls.push(["openChat", target]); },
    pickPeople: async (o: PickOptions) => { calls.push(["pickPeople", o]); return options.pick ? options.pick(o) : []; },
    sendCard: async (conversation: number, card: CardToSend) => {
      calls.push(["sendCard", conversation, card.body]);
      if (options.send instanceof Error) throw options.send;
      return options.send === "cancel" ? null : { seq: 41 };
    },
    authorize: async (request: AuthorizeRequest) => {
      calls.push(["authorize", request]);
      if (options.authorize instanceof Error) throw options.authorize;
      return options.authorize === undefined ? { code: "c0de", state: request.state ?? "" } : options.authorize;
    },
  };
  return { h, calls };
}

/** A frame that keeps what was posted to it, and a listener for it; `deliver` hands it a message. */
function panel(h: BridgeHandlers) {
  const posted: { message: BridgeReply; origin: string }[] = [];
  const frame = { postMessage: (message: unknown, origin: string) => { posted.push({ message: message as BridgeReply, origin }); } };
  const listen = bridgeListener({ frame: () => frame, origin: APP, handlers: h });
  const deliver = async (data: unknown, from: { origin?: string; source?: unknown } = {}) => {
    listen({ data, origin: from.origin ?? APP, source: "source" in from ? from.source : frame });
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  };
  return { posted, frame, deliver };
}

const request = (id: number, method: string, params: unknown = {}) => ({ magpie: "request", id, method, params });

describe("the bridge's listener", () => {
  it("answers the app's frame at its origin, and only there", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    await deliver(request(1, "getUser"));
    expect(posted).toEqual([{ message: { magpie: "response", id: 1, result: { account: "alice@example.com", name: "Alice", avatar: null } }, origin: APP }]);
    expect(calls).toEqual([["getUser"]]);
  });

  it("ignores a message from another origin, or from another window at the app's origin", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    await deliver(request(1, "getUser"), { origin: "https://evil.example.com" });
    await deliver(request(2, "getUser"), { origin: "https://apps.example.com:8443" });
    await deliver(request(3, "getUser"), { source: { postMessage: () => undefined } });
    await deliver(request(4, "getUser"), { source: null });
    expect(posted).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("ignores what is not a request of the bridge", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    for (const data of ["getUser", null, [1], { magpie: "response", id: 1, result: {} }, { magpie: "request", method: "getUser" }, { magpie: "request", id: "1", method: "getUser" }, { magpie: "request", id: 1.5, method: "getUser" }]) {
      await deliver(data);
    }
    expect(posted).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("answers unknown_method for a method it does not have", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    await deliver(request(7, "deleteEverything"));
    await deliver(request(8, "toString"));
    expect(posted.map((p) => p.message)).toEqual([
      { magpie: "response", id: 7, error: { code: "unknown_method", message: expect.stringContaining("deleteEverything") } },
      { magpie: "response", id: 8, error: { code: "unknown_method", message: expect.stringContaining("toString") } },
    ]);
    expect(calls).toEqual([]);
  });

  it("answers invalid_params for params that are wrong, without doing anything", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    const wrong = [
      request(1, "openChat", {}), request(2, "openChat", { account: "bob" }), request(3, "openChat", { conversation: -2 }),
      request(4, "openChat", { account: "bob@x", conversation: 3 }), request(5, "pickPeople", { max: 0 }), request(6, "pickPeople", { max: 101 }),
      request(7, "pickPeople", { title: 42 }), request(8, "sendCard", { conversation: 3 }), request(9, "sendCard", { conversation: 3, card: { blocks: [] } }),
      request(10, "sendCard", { conversation: "3", card: CARD }), request(11, "sendCard", { conversation: 3, card: { ...CARD, card: "link" } }),
      request(12, "sendCard", { conversation: 3, card: { ...CARD, acted: { by: "x" } } }), request(13, "openChat", "bob@x"),
      request(14, "sendCard", { conversation: 3, card: { blocks: [{ type: "actions", elements: [{ type: "button", id: "ok", label: "OK" }] }] } }),
      request(15, "authorize", {}), request(16, "authorize", "app_1"),
      request(17, "authorize", { client_id: "app_1", redirect_uri: "https://a/cb", code_challenge: "c", code_challenge_method: 256 }),
      request(18, "authorize", { client_id: "", redirect_uri: "https://a/cb", code_challenge: "c", code_challenge_method: "S256" }),
      request(19, "authorize", { client_id: "app_1", redirect_uri: "https://a/cb", code_challenge: "c", code_challenge_method: "S256", state: 7 }),
    ];
    for (const r of wrong) await deliver(r);
    expect(posted.map((p) => (p.message as { id: number }).id)).toEqual(wrong.map((r) => r.id));
    for (const p of posted) expect(p.message).toMatchObject({ error: { code: "invalid_params" } });
    expect(calls).toEqual([]);
  });

  it("opens a chat with a person or a conversation, and answers {}", async () => {
    const { h, calls } = handlers();
    const { posted, deliver } = panel(h);
    await deliver(request(1, "openChat", { account: "Bob@Example.com" }));
    await deliver(request(2, "openChat", { conversation: 12 }));
    expect(calls).toEqual([["openChat", { account: "bob@example.com" }], ["openChat", { conversation: 12 }]]);
    expect(posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 1, result: {} }, { magpie: "response", id: 2, result: {} }]);
  });

  it("answers cancelled when the person cancels a card, and the seq when they send it", async () => {
    const cancelling = handlers({ send: "cancel" });
    const a = panel(cancelling.h);
    await a.deliver(request(5, "sendCard", { conversation: 3, card: CARD }));
    expect(a.posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 5, error: { code: "cancelled", message: expect.any(String) } }]);
    expect(cancelling.calls).toEqual([["sendCard", 3, CARD]]);

    // The card's `card` may be left out: it is sent as an interactive card.
    const sending = handlers({ send: "confirm" });
    const b = panel(sending.h);
    const { card: _card, ...bare } = CARD;
    await b.deliver(request(6, "sendCard", { conversation: 3, card: bare }));
    expect(b.posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 6, result: { seq: 41 } }]);
    expect(sending.calls).toEqual([["sendCard", 3, CARD]]);
  });

  it("signs the person in for the app: the code and state, cancelled where they deny it, the server's refusal with its code", async () => {
    const params = { client_id: "app_1", redirect_uri: "https://apps.example.com/cb", scope: "profile", state: "s1", code_challenge: "c".repeat(43), code_challenge_method: "S256" };
    const allowing = handlers();
    const a = panel(allowing.h);
    await a.deliver(request(1, "authorize", params));
    expect(allowing.calls).toEqual([["authorize", { response_type: "code", ...params }]]);
    expect(a.posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 1, result: { code: "c0de", state: "s1" } }]);

    const denying = panel(handlers({ authorize: null }).h);
    await denying.deliver(request(2, "authorize", params));
    expect(denying.posted[0]!.message).toMatchObject({ id: 2, error: { code: "cancelled" } });

    const refused = panel(handlers({ authorize: new MagpieError("invalid_field", "not one of the app's", { status: 422, field: "redirect_uri" }) }).h);
    await refused.deliver(request(3, "authorize", params));
    expect(refused.posted[0]!.message).toEqual({ magpie: "response", id: 3, error: { code: "invalid_field", message: "not one of the app's" } });
  });

  it("answers the server's refusal with its code", async () => {
    const { h } = handlers({ send: new MagpieError("forbidden", "you may not post in this channel", { status: 403 }) });
    const { posted, deliver } = panel(h);
    await deliver(request(9, "sendCard", { conversation: 3, card: CARD }));
    expect(posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 9, error: { code: "forbidden", message: "you may not post in this channel" } }]);
  });

  it("returns at most max people, cancelled when the picker is closed", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ account: `p${i}@x`, name: `P${i}` }));
    const { h, calls } = handlers({ pick: async (o) => (o.title === "none" ? null : many) });
    const { posted, deliver } = panel(h);
    await deliver(request(1, "pickPeople", { max: 3, title: "  Approvers " }));
    await deliver(request(2, "pickPeople"));
    await deliver(request(3, "pickPeople", { title: "none" }));
    expect(calls).toEqual([["pickPeople", { max: 3, title: "Approvers" }], ["pickPeople", { max: 20 }], ["pickPeople", { max: 20, title: "none" }]]);
    expect((posted[0]!.message as { result: unknown[] }).result).toEqual(many.slice(0, 3));
    expect((posted[1]!.message as { result: unknown[] }).result).toHaveLength(20);
    expect(posted[2]!.message).toMatchObject({ id: 3, error: { code: "cancelled" } });
  });

  it("refuses a request past the few that may wait at once", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const { h } = handlers({ pick: async () => { await held; return []; } });
    const { posted, deliver } = panel(h);
    for (let i = 1; i <= BRIDGE_PENDING_MAX + 1; i++) await deliver(request(i, "pickPeople"));
    expect(posted.map((p) => p.message)).toEqual([
      { magpie: "response", id: BRIDGE_PENDING_MAX + 1, error: { code: "limit_exceeded", message: expect.any(String) } },
    ]);
    release();
    await deliver(request(99, "getUser"));
    expect(posted).toHaveLength(BRIDGE_PENDING_MAX + 2);
  });
});

describe("the bridge's rules", () => {
  it("reads requests", () => {
    expect(readRequest({ magpie: "request", id: 3, method: "getUser" })).toEqual({ magpie: "request", id: 3, method: "getUser", params: undefined });
    expect(readRequest({ magpie: "request", id: 3 })).toBeNull();
  });

  it("reads params", () => {
    expect(chatTarget({ conversation: 4 })).toEqual({ conversation: 4 });
    expect(() => chatTarget({ account: `${"a".repeat(320)}@x` })).toThrow();
    expect(pickOptions(undefined)).toEqual({ max: 20 });
    expect(pickOptions({ max: 100, title: "" })).toEqual({ max: 100 });
    expect(() => cardParams({ conversation: 1, card: { blocks: [{ type: "text", text: "x".repeat(17_000) }] } })).toThrow(/16 KiB/);
    expect(() => cardParams({ conversation: 1, card: { blocks: [{ type: "mystery" }] } })).toThrow(/no block/);
    expect(cardParams({ conversation: 1, card: CARD }).card.card.title).toBe("Leave");
  });

  it("reads authorize's request, and the code of the redirect URI", () => {
    expect(authorizeParams({ client_id: "a", redirect_uri: "https://x/cb", code_challenge: "c", code_challenge_method: "S256", scope: null }))
      .toEqual({ response_type: "code", client_id: "a", redirect_uri: "https://x/cb", code_challenge: "c", code_challenge_method: "S256" });
    // An app cannot ask for another response type.
    expect(authorizeParams({ client_id: "a", redirect_uri: "r", code_challenge: "c", code_challenge_method: "S256", response_type: "token" }).response_type).toBe("code");
    expect(() => authorizeParams({ client_id: "a", redirect_uri: "r", code_challenge: "c".repeat(5000), code_challenge_method: "S256" })).toThrow(/code_challenge/);
    expect(authorizedOf("https://apps.example.com/cb?code=abc&state=x+y%26z")).toEqual({ code: "abc", state: "x y&z" });
    expect(authorizedOf("https://apps.example.com/cb?code=abc")).toEqual({ code: "abc" });
    expect(authorizedOf("https://apps.example.com/cb?error=access_denied")).toBeNull();
    expect(authorizedOf("not a url")).toBeNull();
  });

  it("knows an app's origin", () => {
    expect(appOrigin("https://apps.example.com/leave/?x=1")).toBe(APP);
    expect(appOrigin("http://127.0.0.1:8123/app")).toBe("http://127.0.0.1:8123");
    expect(appOrigin("javascript:alert(1)")).toBeNull();
    expect(appOrigin("not a url")).toBeNull();
  });

  it("answers directly too", async () => {
    const { h } = handlers();
    expect(await answer({ magpie: "request", id: 1, method: "getUser", params: {} }, h)).toMatchObject({ id: 1, result: { account: "alice@example.com" } });
  });
});
