// The mail the server sent, as the test SMTP server (aiosmtpd, started by scripts/services)
// received it: one file per mail under $MAGPIE_TEST_MAILDIR/new. The SMTP server is shared by
// the whole run, so a test finds its mail by a recipient address of its own, and waits for it
// by polling the Maildir with a deadline (nothing tells a test that a mail arrived).
//
// A small MIME reader, enough for the mails Magpie sends (multipart/alternative, plain text and
// HTML, as lettre writes them): headers unfolded, RFC 2047 encoded words in the subject decoded
// (a Chinese subject is base64 or quoted-printable UTF-8), and the text/plain part's body decoded
// from quoted-printable or base64.

import { expect } from "@playwright/test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface Mail {
  to: string;
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
}

/** Whether the test SMTP server is there; the tests that read mail fail at once, saying what
 * to do, where it is not (this is called in a hook, so that loading the file never fails the
 * other files of a run). */
export function requireMailServer(): void {
  if (!process.env.MAGPIE_TEST_SMTP_URL || !process.env.MAGPIE_TEST_MAILDIR) {
    throw new Error("these tests read real mail: run them under scripts/test, or `dir=$(scripts/services up); source \"$dir/env\"` first");
  }
}

/** The server settings that make it mail through the test SMTP server (none where there is
 * none: requireMailServer() then fails the test). */
export function mailServerEnv(): Record<string, string> {
  const url = process.env.MAGPIE_TEST_SMTP_URL;
  // The outbox is polled this often: the default second would only slow the tests down.
  return url ? { MAGPIE_MAIL_SMTP_URL: url, MAGPIE_MAIL_POLL_INTERVAL_MS: "100" } : {};
}

/** An address no other test (or run) uses, at `domain`. */
export function uniqueAddress(name: string, domain: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@${domain}`;
}

/** Waits (up to `timeoutMs`) for the mail to `to`, and reads it. */
export async function mailTo(to: string, timeoutMs = 20_000): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(() => (found = readMailTo(to)) !== undefined, { message: `a mail to ${to}`, timeout: timeoutMs, intervals: [100, 200, 250] })
    .toBe(true);
  return found!;
}

/** The six-digit code of a code mail: the subject starts with it (in either language). */
export function codeOf(mail: Mail): string {
  const code = /^\s*(\d{6})\b/.exec(mail.subject)?.[1] ?? /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the mail "${mail.subject}"`);
  return code;
}

function readMailTo(to: string): Mail | undefined {
  const dir = join(process.env.MAGPIE_TEST_MAILDIR ?? "", "new");
  const want = to.toLowerCase();
  for (const name of readdirSync(dir)) {
    const raw = readFileSync(join(dir, name), "utf8");
    // Most files are other tests' mail: look at the recipient before parsing the rest.
    const { headers } = splitPart(raw);
    if (!(headers.get("to") ?? "").toLowerCase().includes(want)) continue;
    return parseMail(raw);
  }
  return undefined;
}

export function parseMail(raw: string): Mail {
  const { headers } = splitPart(raw);
  const text = textPart(raw);
  if (text === undefined) throw new Error("a mail without a text/plain part");
  return { to: headers.get("to") ?? "", subject: decodeWords(headers.get("subject") ?? ""), text };
}

/** A MIME entity's headers (names in lower case, folded lines joined) and its body. */
function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const normalised = raw.replace(/\r\n/g, "\n");
  const end = normalised.indexOf("\n\n");
  const head = end < 0 ? normalised : normalised.slice(0, end);
  const body = end < 0 ? "" : normalised.slice(end + 2);
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split("\n")) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)}${line}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The first text/plain part of an entity, decoded; multiparts are searched depth first. */
function textPart(raw: string): string | undefined {
  const { headers, body } = splitPart(raw);
  const type = headers.get("content-type") ?? "text/plain";
  if (/^multipart\//i.test(type)) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) return undefined;
    const parts = body.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith("--")) break;
      const found = textPart(part.replace(/^\n/, ""));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!/^text\/plain/i.test(type)) return undefined;
  const charset = /charset="?([^";]+)"?/i.exec(type)?.[1] ?? "utf-8";
  return decodeBody(body, headers.get("content-transfer-encoding") ?? "7bit").toString(charset.toLowerCase() === "utf-8" ? "utf8" : "latin1");
}

function decodeBody(body: string, encoding: string): Buffer {
  switch (encoding.trim().toLowerCase()) {
    case "base64": return Buffer.from(body.replace(/\s+/g, ""), "base64");
    case "quoted-printable": return quotedPrintable(body.replace(/=\n/g, ""));
    default: return Buffer.from(body, "utf8");
  }
}

function quotedPrintable(text: string, underscoreIsSpace = false): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "_" && underscoreIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(c, "utf8"));
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: `=?charset?B|Q?data?=` words, decoded; the space between two of them is dropped,
 * and adjacent words are decoded as one run of bytes (an encoder may split a character). */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let out = "";
  let run: Buffer[] = [];
  let at = 0;
  const flush = () => { out += Buffer.concat(run).toString("utf8"); run = []; };
  for (let m = word.exec(value); m; m = word.exec(value)) {
    const between = value.slice(at, m.index);
    if (run.length === 0 || between.trim() !== "") { flush(); out += between; }
    const [, , kind, data] = m;
    run.push(kind!.toUpperCase() === "B" ? Buffer.from(data!, "base64") : quotedPrintable(data!, true));
    at = m.index + m[0].length;
  }
  flush();
  return out + value.slice(at);
}
