// Files against the real server: a tus upload with progress becomes an image message with the
// size and blurhash the server read, the peer fetches its thumbnail with the token, any other
// file becomes a file message, and a refused upload fails its message.

import { resolveObjectURL } from "node:buffer";

import { afterAll, beforeAll, expect, test } from "vitest";

import type { MagpieClient, UploadProgress } from "../src/index.ts";
import { closePair, directPair, png, until, type TestServer } from "./harness.ts";

/** Small enough for a test to go over it; large enough for the images above. */
const UPLOAD_BYTES_MAX = 1024 * 1024;

let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let chat: number;

beforeAll(async () => {
  ({ server, alice, bob, chat } = await directPair({ env: { MAGPIE_UPLOAD_BYTES_MAX: String(UPLOAD_BYTES_MAX) } }));
});

afterAll(() => closePair({ server, alice, bob }));

/** The bytes behind a URL that fileUrl gave: an object URL in Node 20, or a data: URL. */
async function bytesOf(url: string): Promise<Uint8Array> {
  const blob = url.startsWith("blob:") ? resolveObjectURL(url) : await (await fetch(url)).blob();
  if (!blob) throw new Error(`nothing behind ${url}`);
  return new Uint8Array(await blob.arrayBuffer());
}

test("an image is uploaded with progress, sent as an image message, and its thumbnail fetched", async () => {
  const image = Object.assign(new Blob([png(640, 480)], { type: "image/png" }), { name: "gradient.png" });
  const progress: UploadProgress[] = [];
  alice.on("change", () => {
    const p = alice.view(chat)?.messages.find((m) => m.progress)?.progress;
    if (p && progress[progress.length - 1]?.sent !== p.sent) progress.push(p);
  });

  const id = alice.sendFile(chat, image);
  const sending = alice.view(chat)!.messages.find((m) => m.entry.client_msg_id === id)!;
  expect(sending.state).toBe("sending");
  expect(sending.entry.kind).toBe("image");

  const received = await until(bob, () => bob.view(chat)!.messages.find((m) => m.entry.client_msg_id === id), "bob gets the image");
  expect(received.entry.kind).toBe("image");
  expect(received.entry.body).toMatchObject({ width: 640, height: 480, name: "gradient.png" });
  expect(typeof received.entry.body?.blurhash).toBe("string");
  expect(progress[progress.length - 1]).toEqual({ sent: image.size, total: image.size });

  const fileId = String(received.entry.body?.file);
  const info = await bob.fileInfo(fileId);
  expect(info.media_type).toBe("image/png");
  expect(info.thumbnails?.map((t) => t.side)).toContain(256);

  const thumbnail = bob.fileUrl(fileId, 256);
  expect(bob.fileUrl(fileId, 256)).toBe(thumbnail); // One request, however often asked.
  const jpeg = await bytesOf(await thumbnail);
  expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  const original = await bytesOf(await bob.fileUrl(fileId));
  expect(original.length).toBe(image.size);
});

test("any other file becomes a file message with its name and size", async () => {
  const text = Object.assign(new Blob(["minutes of the meeting\n"], { type: "text/plain" }), { name: "minutes.txt" });
  const id = alice.sendFile(chat, text);
  const received = await until(bob, () => bob.view(chat)!.messages.find((m) => m.entry.client_msg_id === id), "bob gets the file");
  expect(received.entry.kind).toBe("file");
  expect(received.entry.body).toMatchObject({ name: "minutes.txt", size: text.size });
});

test("a recording becomes a voice message with its duration and waveform, shown as sending until uploaded", async () => {
  // The head of a WebM file (the EBML magic), as a browser's MediaRecorder writes it.
  const bytes = new Uint8Array(2048);
  bytes.set([0x1a, 0x45, 0xdf, 0xa3]);
  const audio = Object.assign(new Blob([bytes], { type: "audio/webm" }), { name: "voice.webm" });
  const waveform = [4, 30, 100, 55, 4];
  const id = alice.sendVoice(chat, audio, { durationMs: 2345.6, waveform });
  const sending = alice.view(chat)!.messages.find((m) => m.entry.client_msg_id === id)!;
  expect(sending.state).toBe("sending");
  expect(sending.entry.kind).toBe("voice");
  expect(sending.entry.body).toEqual({ duration_ms: 2346, waveform });

  const received = await until(bob, () => bob.view(chat)!.messages.find((m) => m.entry.client_msg_id === id), "bob gets the voice message");
  expect(received.entry.kind).toBe("voice");
  expect(received.entry.body).toEqual({ file: expect.stringMatching(/^f/), duration_ms: 2346, waveform });
  const original = await bytesOf(await bob.fileUrl(String(received.entry.body?.file)));
  expect(original.length).toBe(bytes.length);
});

test("an upload the server refuses fails the message, which can then be discarded", async () => {
  const big = Object.assign(new Blob([new Uint8Array(UPLOAD_BYTES_MAX + 1)]), { name: "too-big.bin" });
  const id = alice.sendFile(chat, big);
  const failed = await until(alice, () => alice.outbox(chat).find((m) => m.entry.client_msg_id === id && m.state === "failed"), "the upload fails");
  expect(failed.error).toMatchObject({ code: "too_large", status: 413 });
  alice.discard(chat, id);
  // Only this message: the file message of the test before may still await its ack.
  expect(alice.outbox().filter((m) => m.entry.client_msg_id === id)).toEqual([]);
});
