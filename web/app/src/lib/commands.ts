// Slash commands (issue 18), their pure parts: what the composer offers as the text begins with
// `/`, whether a text is an invocation of an offered command (and what follows its name), what
// the server's refusal of an invocation means; and for a bot's managers, what is wrong with its
// commands before the server is asked and what the server's refusal of them means, at the row and
// field it is about.

import type { BotCommand, NewBotCommand, OfferedCommand } from "@magpie/sdk";
import { charCount } from "./bots.ts";

/** Most commands of one bot (the server's bound). */
export const COMMANDS_PER_BOT_MAX = 25;
/** Longest name, in bytes (ASCII: characters). */
export const COMMAND_NAME_MAX = 32;
/** Longest description, in characters. */
export const COMMAND_DESCRIPTION_CHARS_MAX = 100;
/** Longest hint of the arguments, in characters. */
export const COMMAND_HINT_CHARS_MAX = 100;
/** Longest text after a command's name, in characters. */
export const COMMAND_TEXT_CHARS_MAX = 2000;

const NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;
/** Most suggestions the composer lists at once. */
export const COMMAND_SUGGESTIONS_MAX = 8;

// ---- In the composer ----------------------------------------------------------------------------

/** What is typed of a command's name while the text is only `/` and part of a name (no space
 * yet): the composer lists the commands it starts. `null` for any other text. */
export function commandQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? (m[1] ?? "").toLowerCase() : null;
}

/** The offered commands whose name starts with `query`, by name (the server's order). */
export function matchingCommands(offered: readonly OfferedCommand[], query: string, max = COMMAND_SUGGESTIONS_MAX): OfferedCommand[] {
  const q = query.toLowerCase();
  return offered.filter((c) => c.name.startsWith(q)).slice(0, max);
}

/** An invocation: the text is `/name`, then nothing or blanks and what follows, and `name` is an
 * offered command. `text` is what follows the name, its blanks around taken off. `null`: the text
 * is no invocation of an offered command (sent as a message, as any text). */
export function parseInvocation(text: string, offered: readonly OfferedCommand[]): { command: OfferedCommand; text: string } | null {
  const m = /^\/([^\s/]+)(?:\s+([\s\S]*))?$/.exec(text.trimEnd());
  if (!m) return null;
  const name = (m[1] ?? "").toLowerCase();
  const command = offered.find((c) => c.name === name);
  return command ? { command, text: (m[2] ?? "").trim() } : null;
}

/** Whether the text is (or is on its way to) an invocation of an offered command: `/` and the
 * start of an offered command's name, or the name and what follows. Such text is no message to
 * come, so the composer signals no typing for it. While the list is not here, any text that
 * begins with `/` may be one. */
export function mayBeCommand(text: string, offered: readonly OfferedCommand[] | undefined): boolean {
  const m = /^\/([^\s/]*)(\s|$)/.exec(text);
  if (!m) return false;
  if (!offered) return true;
  const name = (m[1] ?? "").toLowerCase();
  return m[2] ? offered.some((c) => c.name === name) : offered.some((c) => c.name.startsWith(name));
}

/** Why an invocation was refused, as the composer says it: `gone`, no bot of the conversation
 * has the command any more (the list was stale); `too_long`, what follows the name is longer than
 * the server takes; `null` for any other refusal (said as the server's error: an app's failure,
 * with why). */
export function invocationRefusal(e: unknown): "gone" | "too_long" | null {
  if (codeOf(e) !== "invalid_field") return null;
  const field = fieldOf(e);
  if (field === "command") return "gone";
  if (field === "text") return "too_long";
  return null;
}

/** An app's answer for this person only (`ephemeral`), shown in the conversation's list until
 * dismissed or the conversation is left: kept nowhere else. `afterSeq` is the newest message of
 * the conversation when it came: it shows after that one. */
export interface EphemeralAnswer {
  key: string; bot: string; botName: string;
  /** What was invoked, as typed: `/leave 3 days`. */
  command: string;
  kind: string; body: Record<string, unknown>; atMs: number; afterSeq: number;
}

/** The rows of a message list with the answers put in, each after the last stored message at or
 * before its `afterSeq` (and after the answers before it), or after the first row when there is
 * none. `seqOf` says a row's stored seq (none for other rows); answers already put in count as
 * at their own `afterSeq`. */
export function withAnswers<R>(rows: readonly R[], answers: readonly EphemeralAnswer[], seqOf: (row: R) => number | undefined, rowOf: (answer: EphemeralAnswer) => R): R[] {
  const out: { row: R; seq: number | undefined }[] = rows.map((row) => {
    const seq = seqOf(row);
    return { row, seq: seq !== undefined && seq > 0 ? seq : undefined };
  });
  for (const answer of answers) {
    let at = 0;
    out.forEach((r, i) => { if (r.seq !== undefined && r.seq <= answer.afterSeq) at = i; });
    out.splice(at + 1, 0, { row: rowOf(answer), seq: answer.afterSeq });
  }
  return out.map((r) => r.row);
}

// ---- A bot's commands, for its managers ---------------------------------------------------------

/** A row of the editor: a command as typed, with a key of its own that stays while it moves. */
export interface CommandRow { key: number; name: string; description: string; hint: string }
export type CommandField = "name" | "description" | "hint";

/** What is wrong with a row's field. `taken`: another bot of the domain has the name; `twice`:
 * another row has it; `refused`: the server said so in its own words (`why`). */
export type CommandProblem =
  | { row: number; field: "name"; kind: "required" | "bad" | "twice" | "taken" }
  | { row: number; field: "description"; kind: "required" | "too_long" | "bad"; max: number }
  | { row: number; field: "hint"; kind: "too_long" | "bad"; max: number }
  | { row: number; field: CommandField; kind: "refused"; why: string }
  | { row: null; field: null; kind: "too_many"; max: number };

/** A name as the server takes it: without a `/` typed before it, in lower case. */
export function normaliseName(name: string): string {
  return name.trim().replace(/^\/+/, "").toLowerCase();
}

/** The commands to send, in the rows' order (names normalised, blanks around taken off). */
export function commandsOf(rows: readonly CommandRow[]): NewBotCommand[] {
  return rows.map((r) => ({ name: normaliseName(r.name), description: r.description.trim(), hint: r.hint.trim() }));
}

/** Control characters other than newlines and tabs, which the server refuses. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Every problem of the rows before the server is asked, in the rows' order; none: `[]`. */
export function commandProblems(rows: readonly CommandRow[]): CommandProblem[] {
  const out: CommandProblem[] = [];
  if (rows.length > COMMANDS_PER_BOT_MAX) out.push({ row: null, field: null, kind: "too_many", max: COMMANDS_PER_BOT_MAX });
  const seen = new Set<string>();
  commandsOf(rows).forEach((c, row) => {
    if (!c.name) out.push({ row, field: "name", kind: "required" });
    else if (!NAME_RE.test(c.name)) out.push({ row, field: "name", kind: "bad" });
    else if (seen.has(c.name)) out.push({ row, field: "name", kind: "twice" });
    seen.add(c.name);
    const max = COMMAND_DESCRIPTION_CHARS_MAX;
    if (!c.description) out.push({ row, field: "description", kind: "required", max });
    else if (charCount(c.description) > max) out.push({ row, field: "description", kind: "too_long", max });
    else if (CONTROL.test(c.description)) out.push({ row, field: "description", kind: "bad", max });
    const hint = c.hint ?? "";
    if (charCount(hint) > COMMAND_HINT_CHARS_MAX) out.push({ row, field: "hint", kind: "too_long", max: COMMAND_HINT_CHARS_MAX });
    else if (CONTROL.test(hint)) out.push({ row, field: "hint", kind: "bad", max: COMMAND_HINT_CHARS_MAX });
  });
  return out;
}

/** What the server's refusal of a bot's commands means, at the row and field it names
 * (`commands[2].name`); `null` for anything else (said as the server's error). */
export function commandsRefusal(e: unknown): CommandProblem | null {
  if (codeOf(e) !== "invalid_field") return null;
  const field = fieldOf(e);
  if (field === "commands") return { row: null, field: null, kind: "too_many", max: COMMANDS_PER_BOT_MAX };
  const m = typeof field === "string" ? /^commands\[(\d+)\]\.(name|description|hint)$/.exec(field) : null;
  if (!m) return null;
  const row = Number(m[1]);
  const which = m[2] as CommandField;
  // The server's message names the field first ("commands[1].name: /leave is named twice").
  const why = messageOf(e).replace(/^commands\[\d+\]\.\w+:\s*/, "");
  if (which === "name" && /another bot/i.test(why)) return { row, field: "name", kind: "taken" };
  if (which === "name" && /named twice/i.test(why)) return { row, field: "name", kind: "twice" };
  if (which === "name" && /must be/i.test(why)) return { row, field: "name", kind: "bad" };
  if (which === "description" && /must not be empty/i.test(why)) return { row, field: "description", kind: "required", max: COMMAND_DESCRIPTION_CHARS_MAX };
  if (which !== "name" && /longer than/i.test(why)) {
    return which === "description" ? { row, field: "description", kind: "too_long", max: COMMAND_DESCRIPTION_CHARS_MAX } : { row, field: "hint", kind: "too_long", max: COMMAND_HINT_CHARS_MAX };
  }
  return { row, field: which, kind: "refused", why };
}

/** Rows for the commands as kept, keys from `next` on. */
export function rowsOf(commands: readonly BotCommand[], next: number): CommandRow[] {
  return commands.map((c, i) => ({ key: next + i, name: c.name, description: c.description, hint: c.hint }));
}

/** The rows with the one at `from` moved to `to`. */
export function moveRow<T>(rows: readonly T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= rows.length || to >= rows.length) return [...rows];
  const out = [...rows];
  const [moved] = out.splice(from, 1);
  out.splice(to, 0, moved!);
  return out;
}

/** Whether the rows say something else than the commands kept. */
export function commandsChanged(rows: readonly CommandRow[], kept: readonly BotCommand[]): boolean {
  const now = commandsOf(rows);
  return now.length !== kept.length || now.some((c, i) => c.name !== kept[i]!.name || c.description !== kept[i]!.description || (c.hint ?? "") !== kept[i]!.hint);
}

function codeOf(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? (e as { code: unknown }).code : undefined;
}
function fieldOf(e: unknown): unknown {
  return typeof e === "object" && e !== null && "field" in e ? (e as { field: unknown }).field : undefined;
}
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : "";
}
