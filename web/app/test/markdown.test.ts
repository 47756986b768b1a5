import { describe, expect, it } from "vitest";
import { renderMarkdown, sanitize } from "../src/lib/markdown.ts";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

describe("renderMarkdown", () => {
  it("renders the usual Markdown", () => {
    const d = dom(renderMarkdown("# Hi\n\n**bold** and *em* and `code`\n\n- one\n- two\n\n> quote"));
    expect(d.querySelector("h1")?.textContent).toBe("Hi");
    expect(d.querySelector("strong")?.textContent).toBe("bold");
    expect(d.querySelector("em")?.textContent).toBe("em");
    expect(d.querySelector("code")?.textContent).toBe("code");
    expect(d.querySelectorAll("li")).toHaveLength(2);
    expect(d.querySelector("blockquote")).not.toBeNull();
  });

  it("never lets scripts or event handlers through", () => {
    const inputs = [
      "<script>alert(1)</script>",
      "hello <img src=x onerror=alert(1)>",
      "<svg onload=alert(1)><circle/></svg>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "[click](javascript:alert(1))",
      "<iframe src=\"https://evil.example\"></iframe>",
      "<div onclick=\"alert(1)\">hi</div>",
      "<style>body{display:none}</style>",
      "![x](https://tracker.example/p.png \"t\")",
      "<p style=\"position:fixed\">x</p>",
      "<form action=\"https://evil\"><input></form>",
    ];
    for (const input of inputs) {
      const html = renderMarkdown(input);
      const d = dom(html);
      expect(d.querySelector("script, img, svg, iframe, style, form, input"), input).toBeNull();
      for (const el of d.querySelectorAll("*")) {
        for (const attr of el.getAttributeNames()) {
          expect(attr.startsWith("on"), `${input}: ${attr}`).toBe(false);
          expect(attr, input).not.toBe("style");
        }
        expect(el.getAttribute("href") ?? "", input).not.toMatch(/^\s*javascript:/i);
      }
      expect(html).not.toMatch(/alert\(1\)<\/script>/);
    }
  });

  it("opens links in a new tab without a referrer", () => {
    const a = dom(renderMarkdown("[docs](https://example.com/docs)")).querySelector("a");
    expect(a?.getAttribute("href")).toBe("https://example.com/docs");
    expect(a?.getAttribute("target")).toBe("_blank");
    expect(a?.getAttribute("rel")).toContain("noopener");
    expect(a?.getAttribute("rel")).toContain("noreferrer");
  });

  it("leaves a refused link as text, neither opening anything nor marked as opening", () => {
    const a = dom(renderMarkdown("[click me](javascript:alert(1))")).querySelector("a");
    expect(a?.hasAttribute("href")).toBe(false);
    expect(a?.hasAttribute("target")).toBe(false);
  });

  it("keeps only language classes on fenced code", () => {
    const d = dom(renderMarkdown("```rust\nfn main() {}\n```"));
    expect(d.querySelector("pre code")?.className).toBe("language-rust");
    expect(dom(sanitize('<span class="evil language-x">a</span>')).querySelector("span")?.className).toBe("language-x");
  });

  it("turns single newlines into line breaks, as people type in chat", () => {
    expect(dom(renderMarkdown("line one\nline two")).querySelector("br")).not.toBeNull();
  });
});
