// The outbox's state transitions and what survives a reload, the split of errors into
// refusals and retries, and the reconnect schedule.

import { describe, expect, test } from "vitest";

import {
  MagpieError, OUTBOX_LEN_MAX, Outbox, isTypedRefusal, memoryStorage, newClientMsgId, reconnectDelayMs,
  type Entry, type KeyValueStorage,
} from "../src/index.ts";

const ME = "alice@localhost";

function outbox(storage: KeyValueStorage = memoryStorage()): Outbox {
  return new Outbox(storage, "outbox");
}

function add(box: Outbox, clientMsgId: string, extra: { uploading?: boolean } = {}): void {
  box.add({ clientMsgId, conversation: 1, kind: "text", body: { text: clientMsgId }, createdAtMs: 1, ...extra });
}

const stored = (clientMsgId: string, seq: number): Entry => ({
  conversation: 1, seq, id: seq, sender: ME, client_msg_id: clientMsgId, kind: "text", body: { text: clientMsgId }, at_ms: 1,
});

describe("the outbox", () => {
  test("sends in the order written, skipping failed items and files still uploading", () => {
    const box = outbox();
    add(box, "a");
    add(box, "file", { uploading: true });
    add(box, "b");
    expect(box.next()?.clientMsgId).toBe("a");
    box.fail("a", new MagpieError("too_large", "too long", { field: "body.text" }));
    expect(box.next()?.clientMsgId).toBe("b");
    box.uploaded("file", "image", { file: "f1", width: 1, height: 1 });
    expect(box.next()?.clientMsgId).toBe("file");
    expect(box.get("file")?.kind).toBe("image");
  });

  test("a failed item goes back to sending on retry, with its error cleared", () => {
    const box = outbox();
    add(box, "a");
    box.fail("a", new MagpieError("forbidden", "muted"));
    expect(box.get("a")).toMatchObject({ state: "failed", error: { code: "forbidden" } });
    expect(box.retry("a")).toBe(true);
    expect(box.get("a")?.state).toBe("sending");
    expect(box.get("a")?.error).toBeUndefined();
    expect(box.retry("a")).toBe(false);
  });

  test("an acked item stays until its entry is applied, or its seq is reached", () => {
    const box = outbox();
    add(box, "a");
    add(box, "b");
    add(box, "c");
    box.acked("a", { conversation: 1, seq: 7, id: 70, at_ms: 1, duplicate: false });
    expect(box.next()?.clientMsgId).toBe("b");
    expect(box.settle(1, 6, [], ME)).toBe(false);
    expect(box.settle(1, 7, [], ME)).toBe(true);
    // An entry of ours with the id settles an item whose ack never came.
    expect(box.settle(1, 8, [stored("b", 8)], ME)).toBe(true);
    expect(box.list().map((i) => i.clientMsgId)).toEqual(["c"]);
  });

  test("a reload finds what was not acked, failures included, but not uploads in progress", () => {
    const storage = memoryStorage();
    const before = outbox(storage);
    add(before, "a");
    add(before, "b");
    add(before, "c");
    add(before, "uploading", { uploading: true });
    before.acked("a", { conversation: 1, seq: 7, id: 70, at_ms: 1, duplicate: true });
    before.fail("b", new MagpieError("not_found", "conversation not found", { status: 404 }));

    const after = outbox(storage);
    expect(after.list().map((i) => [i.clientMsgId, i.state])).toEqual([["b", "failed"], ["c", "sending"]]);
    const error = after.get("b")!.error!;
    expect(error).toBeInstanceOf(MagpieError);
    expect([error.code, error.status, error.message]).toEqual(["not_found", 404, "conversation not found"]);
    after.clear();
    expect(outbox(storage).size).toBe(0);
  });

  test("is bounded: past the limit a message is refused at once", () => {
    const box = outbox();
    for (let i = 0; i < OUTBOX_LEN_MAX; i++) add(box, `m${i}`);
    expect(() => add(box, "one more")).toThrow(MagpieError);
  });

  test("client ids are UUIDs, each different", () => {
    const ids = new Set(Array.from({ length: 100 }, newClientMsgId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("errors", () => {
  test("typed refusals are final; everything else is worth a retry", () => {
    for (const code of ["invalid_field", "too_large", "forbidden", "not_found", "already_exists", "limit_exceeded", "malformed_request"] as const) {
      expect(isTypedRefusal(new MagpieError(code, ""))).toBe(true);
    }
    for (const code of ["network", "internal", "unavailable", "rate_limited", "unknown"] as const) {
      expect(isTypedRefusal(new MagpieError(code, ""))).toBe(false);
    }
    expect(isTypedRefusal(new Error("not ours"))).toBe(false);
  });

  test("a code this version does not know is `unknown`; the server's details are kept", () => {
    expect(MagpieError.fromWire({ code: "payment_required", message: "pay" }, 402).code).toBe("unknown");
    const limited = MagpieError.fromWire({ code: "rate_limited", message: "slow down", retry_after_secs: 3 }, 429);
    expect([limited.code, limited.status, limited.retryAfterSecs]).toEqual(["rate_limited", 429, 3]);
  });
});

describe("reconnecting", () => {
  test("waits about 1 s, doubling to 30 s, each wait drawn from the upper half of its range", () => {
    const ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    ceilings.forEach((ceiling, attempt) => {
      expect(reconnectDelayMs(attempt, 0)).toBe(ceiling / 2);
      expect(reconnectDelayMs(attempt, 0.999999)).toBe(ceiling);
    });
    expect(reconnectDelayMs(1000, 0.5)).toBe(22500);
  });
});
