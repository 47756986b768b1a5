// Interactive cards (issue 18): reading a `card` message's body as an interactive card, for a
// client that renders it. The server checks every card a bot sends (and every card an app
// answers with) against the layout's bounds, so a stored card is well formed; this reader is
// still tolerant, as a client must be of what a newer server may store: it keeps the blocks and
// elements of the types it knows with the fields they need, and skips the rest.
//
//   const card = readInteractiveCard(entry.body);   // null for any other body
//   if (card) for (const block of card.blocks) { /* render block.type */ }

import type {
  CardActed, CardBlock, CardButton, CardButtonStyle, CardElement, CardField, CardOption, InteractiveCard,
} from "./contract.ts";

/** The `card` of an interactive card's body. */
export const INTERACTIVE_CARD = "interactive";
/** The most a card's text input takes, in characters, and what it takes unless it says. */
export const CARD_INPUT_CHARS_MAX = 2000;
export const CARD_INPUT_CHARS_DEFAULT = 500;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (o: Json, field: string): string | undefined => (typeof o[field] === "string" ? (o[field] as string) : undefined);
const given = (o: Json, field: string): string | undefined => {
  const v = text(o, field);
  return v !== undefined && v.trim() !== "" ? v : undefined;
};
/** `{field: value}` when the value is there, else nothing: optional fields stay absent. */
const opt = <K extends string, V>(field: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [field]: value }) as Partial<Record<K, V>>;

/** Is this a `card` message's body of an interactive card? */
export function isInteractiveCard(body: unknown): boolean {
  return isObject(body) && body.card === INTERACTIVE_CARD;
}

/** A `card` message's body as an interactive card, or null when it is none (a link, contact or
 * group card, or no card at all). Blocks and elements of unknown types, or without the fields
 * they need, are left out; so are images whose URL is not `https://`. */
export function readInteractiveCard(body: unknown): InteractiveCard | null {
  if (!isObject(body) || body.card !== INTERACTIVE_CARD || !Array.isArray(body.blocks)) return null;
  const blocks = body.blocks.flatMap((b, index): CardBlock[] => {
    const block = isObject(b) ? blockOf(b) : undefined;
    if (block?.type === "image") return [{ ...block, index }];
    return block ? [block] : [];
  });
  return { card: INTERACTIVE_CARD, ...opt("title", given(body, "title")), blocks, ...opt("acted", actedOf(body.acted)) };
}

function blockOf(b: Json): CardBlock | undefined {
  switch (b.type) {
    case "text": {
      const t = text(b, "text");
      return t === undefined ? undefined : { type: "text", text: t };
    }
    case "note": {
      const t = text(b, "text");
      return t === undefined ? undefined : { type: "note", text: t };
    }
    case "divider":
      return { type: "divider" };
    case "image": {
      const url = text(b, "url");
      return url && /^https?:\/\//i.test(url) ? { type: "image", url, ...opt("alt", text(b, "alt")) } : undefined;
    }
    case "fields": {
      const fields = (Array.isArray(b.fields) ? b.fields : []).flatMap((f): CardField[] => {
        if (!isObject(f)) return [];
        const label = text(f, "label");
        const value = text(f, "value");
        return label !== undefined && value !== undefined ? [{ label, value }] : [];
      });
      return fields.length > 0 ? { type: "fields", fields } : undefined;
    }
    case "actions": {
      const elements = (Array.isArray(b.elements) ? b.elements : []).flatMap((e): CardElement[] => {
        const element = isObject(e) ? elementOf(e) : undefined;
        return element ? [element] : [];
      });
      return elements.length > 0 ? { type: "actions", elements } : undefined;
    }
    default:
      return undefined;
  }
}

const STYLES: readonly CardButtonStyle[] = ["default", "primary", "danger"];

function elementOf(e: Json): CardElement | undefined {
  const id = given(e, "id");
  if (id === undefined) return undefined;
  switch (e.type) {
    case "button": {
      const label = given(e, "label");
      if (label === undefined) return undefined;
      const style = STYLES.find((s) => s === e.style);
      const button: CardButton = { type: "button", id, label, ...opt("style", style), ...opt("value", text(e, "value")), ...opt("confirm", given(e, "confirm")) };
      return button;
    }
    case "select": {
      const options = (Array.isArray(e.options) ? e.options : []).flatMap((o): CardOption[] => {
        if (!isObject(o)) return [];
        const label = text(o, "label");
        const value = text(o, "value");
        return label !== undefined && value !== undefined ? [{ label, value }] : [];
      });
      if (options.length === 0) return undefined;
      const initial = text(e, "initial");
      return {
        type: "select", id, options, ...opt("label", given(e, "label")), ...opt("placeholder", given(e, "placeholder")),
        ...opt("initial", options.some((o) => o.value === initial) ? initial : undefined),
      };
    }
    case "date": {
      const initial = text(e, "initial");
      return { type: "date", id, ...opt("label", given(e, "label")), ...opt("initial", initial && /^\d{4}-\d{2}-\d{2}$/.test(initial) ? initial : undefined) };
    }
    case "input": {
      const label = given(e, "label");
      if (label === undefined) return undefined;
      const max = e.max_chars;
      const maxChars = typeof max === "number" && Number.isInteger(max) && max >= 1 && max <= CARD_INPUT_CHARS_MAX ? max : undefined;
      return {
        type: "input", id, label, ...opt("placeholder", given(e, "placeholder")), ...opt("multiline", e.multiline === true ? true : undefined),
        ...opt("max_chars", maxChars),
      };
    }
    default:
      return undefined;
  }
}

function actedOf(v: unknown): CardActed | undefined {
  if (!isObject(v)) return undefined;
  const by = text(v, "by");
  const name = text(v, "name");
  const action = text(v, "action");
  const label = text(v, "label");
  const at = v.at_ms;
  if (by === undefined || action === undefined || label === undefined || typeof at !== "number" || !Number.isFinite(at)) return undefined;
  return { by, name: name ?? by, action, label, at_ms: at };
}
