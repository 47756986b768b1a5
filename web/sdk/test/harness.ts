// The integration tests' harness: a real magpie server (web/testkit), signed-in clients, and
// waiting on the clients' `change` events instead of on the clock.

import { deflateSync } from "node:zlib";

import { startServer, type TestServer, type User } from "@magpie/testkit";

import { login, memoryStorage, type ChatClient, type KeyValueStorage, type MagpieClient } from "../src/index.ts";

export { startServer, type TestServer, type User };

/** Waits until `predicate` returns a truthy value (and resolves with it), checking it now and
 * at every `change` of the clients. Fails after `timeoutMs`, naming `what`. */
export function until<T>(
  clients: ChatClient | ChatClient[],
  predicate: () => T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const all = Array.isArray(clients) ? clients : [clients];
  return new Promise((resolve, reject) => {
    const unsubscribe: (() => void)[] = [];
    const done = (finish: () => void): void => {
      clearTimeout(timer);
      for (const off of unsubscribe) off();
      finish();
    };
    const check = (): boolean => {
      let value: T | undefined | false;
      try {
        value = predicate();
      } catch (error) {
        done(() => reject(error));
        return true;
      }
      if (!value) return false;
      done(() => resolve(value as T));
      return true;
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    if (check()) return;
    for (const client of all) unsubscribe.push(client.on("change", () => void check()));
  });
}

/** Signs a user in and starts the client; resolves once it is online. */
export async function online(server: TestServer, user: User, storage: KeyValueStorage = memoryStorage()): Promise<MagpieClient> {
  const client = await login(server.url, user.account, user.password, { storage, device: "vitest" });
  client.start();
  await until(client, () => client.status === "online", `${user.name} online`);
  return client;
}

/** Alice and bob on a server of their own, both signed in, with their direct chat open on
 * both clients. */
export interface DirectPair {
  server: TestServer;
  aliceUser: User;
  bobUser: User;
  alice: MagpieClient;
  bob: MagpieClient;
  chat: number;
}

export async function directPair(options: { env?: Record<string, string> } = {}): Promise<DirectPair> {
  const server = await startServer(options);
  const [aliceUser, bobUser] = await Promise.all([server.addUser("alice"), server.addUser("bob")]);
  const [alice, bob] = await Promise.all([online(server, aliceUser), online(server, bobUser)]);
  const chat = (await alice.openDirect(bob.me.account)).id;
  await Promise.all([alice.openConversation(chat), bob.openConversation(chat)]);
  return { server, aliceUser, bobUser, alice, bob, chat };
}

/** Closes what `directPair` opened, as far as it got. */
export async function closePair(pair: Partial<DirectPair>): Promise<void> {
  pair.alice?.close();
  pair.bob?.close();
  await pair.server?.stop();
}

/** The texts of a conversation's messages as a client shows them, stored ones and outbox ones. */
export function texts(client: ChatClient, conversation: number): string[] {
  return (client.view(conversation)?.messages ?? [])
    .filter((m) => m.entry.kind === "text")
    .map((m) => String(m.entry.body?.text ?? ""));
}

/** A small RGB PNG, built by hand: signature, IHDR, one IDAT of deflated scanlines, IEND. */
export function png(width: number, height: number): Uint8Array<ArrayBuffer> {
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0); // Filter: none.
    for (let x = 0; x < width; x++) rows.push((x * 255) / width, (y * 255) / height, 128);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, truecolour, no interlace.
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return new Uint8Array([
    ...signature,
    ...chunk("IHDR", header),
    ...chunk("IDAT", deflateSync(new Uint8Array(rows))),
    ...chunk("IEND", new Uint8Array()),
  ]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
