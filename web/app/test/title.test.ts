import { describe, expect, it } from "vitest";
import { documentTitle, unreadTotal } from "../src/lib/title.ts";

const conv = (unread: number, muted = false, unmuteAtMs?: number) => ({
  unread, me: { muted, role: "member" as const, joined_seq: 0, read_seq: 0, delivered_seq: 0, pinned: false, ...(unmuteAtMs ? { unmute_at_ms: unmuteAtMs } : {}) },
});
const NOW_MS = 1_800_000_000_000;

describe("tab title", () => {
  it("counts unread messages of conversations that are not muted", () => {
    expect(unreadTotal([conv(2), conv(1), conv(5, true), conv(0)], NOW_MS)).toBe(3);
    expect(unreadTotal([], NOW_MS)).toBe(0);
  });

  it("counts a conversation muted for a while again once its mute has ended", () => {
    const list = [conv(2), conv(4, true, NOW_MS + 3_600_000)];
    expect(unreadTotal(list, NOW_MS)).toBe(2);
    expect(unreadTotal(list, NOW_MS + 3_600_000)).toBe(6);
  });

  it("shows the count before the name, and nothing when all is read", () => {
    expect(documentTitle(3)).toBe("(3) Magpie");
    expect(documentTitle(0)).toBe("Magpie");
    expect(documentTitle(-1)).toBe("Magpie");
    expect(documentTitle(5000)).toBe("(999+) Magpie");
    expect(documentTitle(1, "喜鹊")).toBe("(1) 喜鹊");
  });
});
