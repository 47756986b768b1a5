// One line of text for a message: the conversation list's preview, notifications, reply
// quotes and forwarded-history cards. Never HTML: callers render it as text.

import type { Entry } from "@magpie/sdk";
import type { Locale, Translate } from "../i18n/index.ts";
import { type Body, KNOWN_KINDS, num, objList, str } from "./body.ts";
import { formatDuration, formatMoney } from "./format.ts";
import { systemText } from "./system.ts";

export interface PreviewContext {
  t: Translate;
  locale: Locale;
  nameOf: (account: string) => string;
}

/** Collapses whitespace and trims to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : flat;
}

/** Markdown without its most common syntax, for a plain-text preview. */
export function stripMarkdown(text: string): string {
  return text
    .replace(/^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$/gm, "") // table rule
    .replace(/^[ \t]*\|(.*)\|[ \t]*$/gm, (_, cells: string) => cells.split("|").map((c) => c.trim()).join(" "))
    .replace(/```[\w+#.-]*\n?([\s\S]*?)```/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}#{1,6}\s+/gm, "")
    .replace(/^\s{0,3}>\s?/gm, "")
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/gm, "")
    .replace(/(\*\*|__|~~)(.+?)\1/g, "$2")
    .replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?!\w)/g, "$1$2");
}

/** The preview of a message body by kind (recalled and hidden entries included). */
export function previewText(entry: Pick<Entry, "kind" | "body" | "recalled_at_ms" | "hidden">, ctx: PreviewContext): string {
  const { t } = ctx;
  if (entry.recalled_at_ms !== undefined) return t("preview.recalled");
  if (entry.hidden) return t("preview.hidden");
  return bodyPreview(entry.kind, entry.body, ctx);
}

export function bodyPreview(kind: string, body: Body, ctx: PreviewContext): string {
  const { t, locale } = ctx;
  if (body == null) return kind === "system" ? t("sys.unknown") : t("preview.recalled");
  switch (kind) {
    case "text":
      return oneLine(str(body, "text") ?? "");
    case "markdown":
      return oneLine(stripMarkdown(str(body, "text") ?? ""));
    case "code": {
      const first = (str(body, "code") ?? "").split("\n").find((l) => l.trim() !== "") ?? "";
      return t("preview.code", { line: oneLine(first, 80) }).trim();
    }
    case "image":
      return t("preview.image");
    case "file":
      return t("preview.file", { name: str(body, "name") ?? "" }).trim();
    case "voice":
      return t("preview.voice", { duration: formatDuration(num(body, "duration_ms") ?? 0) });
    case "video":
      return t("preview.video");
    case "location":
      return t("preview.location", { name: str(body, "name") ?? str(body, "address") ?? "" }).trim();
    case "sticker":
      return t("preview.sticker");
    case "card": {
      const card = str(body, "card");
      if (card === "contact") return t("preview.contactCard", { name: str(body, "title") ?? ctx.nameOf(str(body, "account") ?? "") }).trim();
      if (card === "group") return t("preview.groupCard", { name: str(body, "title") ?? "" }).trim();
      // An app's interactive card: its title, else what it is.
      if (card === "interactive") return oneLine(str(body, "title") ?? "") || t("preview.appCard");
      return t("preview.linkCard", { title: str(body, "title") ?? str(body, "url") ?? "" }).trim();
    }
    case "red_packet":
      return t("preview.redPacket", { greeting: str(body, "greeting") ?? t("msg.redPacketDefault") });
    case "payment_request":
      return t("preview.payment", { amount: formatMoney(num(body, "amount_cents") ?? 0, str(body, "currency") ?? "CNY", locale) });
    case "call":
      return t(str(body, "media") === "video" ? "preview.videoCall" : "preview.voiceCall");
    case "encrypted":
      return t("preview.encrypted");
    case "forward":
      return t("preview.forward", { count: objList(body, "messages").length });
    case "system":
      return systemText(body, t, ctx.nameOf, locale);
    default:
      return KNOWN_KINDS.has(kind) ? "" : t("preview.unknown");
  }
}
