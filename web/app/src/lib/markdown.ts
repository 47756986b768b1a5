// Markdown messages to safe HTML: marked (GFM, single newlines are line breaks, as people type
// in chat) and then DOMPurify with a short allow-list. No images (they would load from any
// server and track the reader), no raw HTML survives, links open in a new tab without a
// referrer. The sanitiser runs on every render path; nothing else builds message HTML.

import { Marked } from "marked";
import DOMPurify from "dompurify";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const ALLOWED_TAGS = [
  "p", "br", "strong", "b", "em", "i", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
  "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
];
const ALLOWED_ATTR = ["href", "title", "class", "start", "align"];

let hooked = false;
function purifier(): typeof DOMPurify {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      // A link whose address was refused (javascript:, data:…) keeps its text but is no link.
      if (node.tagName === "A" && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
      // Only language-* classes (from fenced blocks) are kept.
      const cls = node.getAttribute("class");
      if (cls !== null) {
        const kept = cls.split(/\s+/).filter((c) => /^language-[\w+#.-]+$/.test(c)).join(" ");
        if (kept) node.setAttribute("class", kept);
        else node.removeAttribute("class");
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Sanitises HTML with the message allow-list. */
export function sanitize(html: string): string {
  return purifier().sanitize(html, {
    ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false, ALLOW_ARIA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return sanitize(typeof html === "string" ? html : "");
}
