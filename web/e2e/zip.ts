// Reads a ZIP archive in memory (stored and deflated entries, ZIP64 ones too, as a streaming
// writer makes them), for checking what a download holds: its central directory names every
// entry, and each entry's local header leads to its bytes.

import { inflateRawSync } from "node:zlib";

/** The signature every ZIP starts with: a local file header, `PK\x03\x04`. */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
/** The extra field that holds a ZIP64 entry's sizes and offset. */
const ZIP64_EXTRA = 0x0001;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

/** The archive's entries by name, each with its (uncompressed) bytes. */
export function readZip(zip: Buffer): Map<string, Buffer> {
  // The end of central directory record: 22 bytes, and a comment of at most 65,535 after it.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - MAX16); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) { end = i; break; }
  }
  if (end < 0) throw new Error("not a ZIP: no end of central directory");
  let count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if ((count === MAX16 || at === MAX32) && end >= 20 && zip.readUInt32LE(end - 20) === ZIP64_END_LOCATOR) {
    const end64 = Number(zip.readBigUInt64LE(end - 20 + 8));
    if (zip.readUInt32LE(end64) !== ZIP64_END_OF_CENTRAL_DIRECTORY) throw new Error("bad ZIP64 end of central directory");
    count = Number(zip.readBigUInt64LE(end64 + 32));
    at = Number(zip.readBigUInt64LE(end64 + 48));
  }
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL_DIRECTORY_HEADER) throw new Error(`bad central directory header at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    let compressed = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    let local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLen);
    // A ZIP64 entry: the fields that read as all ones are in its extra field, in this order.
    for (let x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen;) {
      const id = zip.readUInt16LE(x);
      const len = zip.readUInt16LE(x + 2);
      if (id === ZIP64_EXTRA) {
        let f = x + 4;
        if (size === MAX32) { size = Number(zip.readBigUInt64LE(f)); f += 8; }
        if (compressed === MAX32) { compressed = Number(zip.readBigUInt64LE(f)); f += 8; }
        if (local === MAX32) { local = Number(zip.readBigUInt64LE(f)); f += 8; }
      }
      x += 4 + len;
    }
    at += 46 + nameLen + extraLen + commentLen;
    if (zip.readUInt32LE(local) !== LOCAL_FILE_HEADER) throw new Error(`bad local header of ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const bytes = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : null;
    if (!bytes) throw new Error(`${name}: compression method ${method} is not read here`);
    if (bytes.length !== size) throw new Error(`${name}: ${bytes.length} bytes, the directory says ${size}`);
    entries.set(name, bytes);
  }
  return entries;
}

/** The JSON objects of a JSON Lines file. */
export function jsonLines<T = Record<string, unknown>>(bytes: Buffer | undefined): T[] {
  return (bytes?.toString("utf8") ?? "").split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as T);
}
