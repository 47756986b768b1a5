import { afterEach, describe, expect, it } from "vitest";
import { applyTheme, resolveTheme, setThemeChoice, themeChoice } from "../src/state/theme.ts";

afterEach(() => { localStorage.clear(); delete document.documentElement.dataset.theme; });

describe("theme", () => {
  it("follows the system unless light or dark was chosen", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("keeps the choice and applies it to the document", () => {
    expect(themeChoice()).toBe("system");
    setThemeChoice("dark");
    expect(themeChoice()).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    setThemeChoice("system");
    expect(localStorage.getItem("magpie.theme")).toBeNull();
    applyTheme("light");
    expect(document.documentElement.dataset.theme).toBe("light");
  });
});
