// Links in a message's text, by the server's rule (protocol §7.10), so that the files tab and
// the server agree on what a link is.

/** The links of `text`, in order. */
export function links(text: string): string[] {
  const found: string[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at).toLowerCase();
    const start = rest.search(/https?:\/\//);
    if (start < 0) break;
    const begin = at + start;
    const scheme = text.slice(begin, begin + 8).toLowerCase() === "https://" ? 8 : 7;
    const before = begin > 0 ? text.charCodeAt(begin - 1) : 0;
    if (begin > 0 && before < 128 && /[A-Za-z0-9]/.test(text[begin - 1]!)) { at = begin + scheme; continue; }
    let end = begin + scheme;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22 || c === 0x60) break;
      end += 1;
    }
    end = trimEnd(text, begin, end);
    at = Math.max(end, begin + scheme);
    const host = text.charAt(begin + scheme);
    if (end > begin + scheme && /[A-Za-z0-9[]/.test(host)) found.push(text.slice(begin, end));
  }
  return found;
}

function trimEnd(text: string, begin: number, end: number): number {
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  while (end > begin) {
    const last = text[end - 1]!;
    const open = pairs[last];
    let trim: boolean;
    if (open) {
      const inside = text.slice(begin, end);
      trim = inside.split(open).length < inside.split(last).length;
    } else trim = ".,;:!?'".includes(last);
    if (!trim) break;
    end -= 1;
  }
  return end;
}
