// Typed reads of message bodies. Bodies come off the wire as `Record<string, unknown>`; these
// helpers read a field only when it has the expected type, so a malformed or newer body never
// crashes a render.

export type Body = Record<string, unknown> | null | undefined;

export function str(body: Body, field: string): string | undefined {
  const v = body?.[field];
  return typeof v === "string" ? v : undefined;
}

export function num(body: Body, field: string): number | undefined {
  const v = body?.[field];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function bool(body: Body, field: string): boolean | undefined {
  const v = body?.[field];
  return typeof v === "boolean" ? v : undefined;
}

export function strList(body: Body, field: string): string[] {
  const v = body?.[field];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function objList(body: Body, field: string): Record<string, unknown>[] {
  const v = body?.[field];
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x)) : [];
}

export function has(body: Body, field: string): boolean {
  return body != null && Object.prototype.hasOwnProperty.call(body, field);
}

/** Kinds this app renders; anything else shows "needs a newer app". */
export const KNOWN_KINDS = new Set([
  "text", "markdown", "code", "image", "file", "voice", "video", "location", "sticker", "card",
  "red_packet", "payment_request", "call", "encrypted", "forward", "system",
]);

/** Kinds whose body the sender may replace (protocol §7.5, Editing). */
export const EDITABLE_KINDS = new Set(["text", "markdown", "code"]);
