import { describe, expect, it } from "vitest";
import { dayKey, daysBetween, formatBytes, formatDate, formatDuration, formatFull, formatListTime, formatMoney, formatUntil } from "../src/lib/format.ts";
import { fileBadge, mentionedNames, segmentText } from "../src/components/content.tsx";
import { initials } from "../src/components/ui.tsx";

describe("formatting", () => {
  it("formats sizes and durations", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(48_213)).toBe("47 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5 MB");
    expect(formatDuration(65_000)).toBe("1:05");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
  });

  it("counts local calendar days", () => {
    expect(dayKey(new Date(2025, 2, 9, 0, 0).getTime())).toBe("2025-03-09");
    expect(daysBetween(new Date(2025, 0, 1, 23, 59).getTime(), new Date(2025, 0, 2, 0, 1).getTime())).toBe(1);
    expect(daysBetween(new Date(2025, 0, 1, 1).getTime(), new Date(2025, 0, 1, 23).getTime())).toBe(0);
  });

  it("shows list times as the clock today, then yesterday, then dates", () => {
    const now = new Date(2025, 5, 10, 15, 0).getTime();
    expect(formatListTime(new Date(2025, 5, 10, 9, 5).getTime(), now, "en", "Yesterday")).toBe("09:05");
    expect(formatListTime(new Date(2025, 5, 9, 9, 5).getTime(), now, "zh", "昨天")).toBe("昨天");
    expect(formatListTime(new Date(2025, 4, 1).getTime(), now, "en", "Yesterday")).toBe("5/1");
    expect(formatListTime(new Date(2024, 4, 1).getTime(), now, "en", "Yesterday")).toBe("5/1/2024");
  });

  it("writes full dates with the time on the 24-hour clock in both languages", () => {
    const at = new Date(2025, 5, 10, 15, 4).getTime();
    expect(formatFull(at, "en")).toBe("Jun 10, 2025, 15:04");
    expect(formatFull(at, "zh")).toBe("2025年6月10日 15:04");
    expect(formatDate(at, "en")).toBe("Jun 10, 2025");
    expect(formatDate(at, "zh")).toBe("2025年6月10日");
  });

  it("says when something ends: the clock today, the date and time on another day", () => {
    const now = new Date(2025, 5, 10, 9, 30).getTime();
    expect(formatUntil(new Date(2025, 5, 10, 18, 0).getTime(), now, "en")).toBe("18:00");
    expect(formatUntil(new Date(2025, 5, 10, 18, 0).getTime(), now, "zh")).toBe("18:00");
    expect(formatUntil(new Date(2025, 5, 11, 1, 30).getTime(), now, "en")).toBe("Jun 11, 2025, 01:30");
    expect(formatUntil(new Date(2025, 5, 17, 9, 30).getTime(), now, "zh")).toBe("2025年6月17日 09:30");
  });

  it("formats money with its currency", () => {
    expect(formatMoney(2500, "CNY", "zh")).toBe("¥25.00");
    expect(formatMoney(199, "USD", "en")).toBe("$1.99");
    expect(formatMoney(100, "nope", "en")).toBe("1.00 nope");
  });

  it("makes avatar initials for Latin and Chinese names", () => {
    expect(initials("Alice Wang")).toBe("AW");
    expect(initials("bob")).toBe("B");
    expect(initials("王小明")).toBe("小明");
    expect(initials("张三")).toBe("张三");
    expect(initials("")).toBe("?");
    expect(initials("李娜（产品）")).toBe("李娜");
    expect(initials("Wang Wei (PM)")).toBe("WW");
    expect(initials("【外包】王小明")).toBe("小明");
    expect(initials("(bot)")).toBe("B");
    expect(initials("o'neil-smith")).toBe("ON");
  });

  it("finds links and mentions in text without building HTML", () => {
    expect(segmentText("see https://example.com/a?b=1. @Bob ok", ["Bob"])).toEqual([
      { type: "text", text: "see " },
      { type: "link", text: "https://example.com/a?b=1" },
      { type: "text", text: ". " },
      { type: "mention", text: "@Bob" },
      { type: "text", text: " ok" },
    ]);
    expect(segmentText("<b>hi</b>", [])).toEqual([{ type: "text", text: "<b>hi</b>" }]);
    // The longest name wins, Chinese names need no space after them, Latin ones end at a word.
    expect(segmentText("@Alice Chen, @李娜请看 @Bobby", ["alice", "Alice Chen", "李娜", "Bob"])).toEqual([
      { type: "mention", text: "@Alice Chen" },
      { type: "text", text: ", " },
      { type: "mention", text: "@李娜" },
      { type: "text", text: "请看 @Bobby" },
    ]);
    expect(mentionedNames({ mentions: ["lina@x"], mention_all: true }, () => "李娜")).toEqual(["李娜", "lina", "all", "所有人", "everyone"]);
    expect(fileBadge("Q3.PDF")).toBe("PDF");
    expect(fileBadge("sales.csv")).toBe("CSV");
    expect(fileBadge("sales.xlsx")).toBe("XLS");
    expect(fileBadge("archive.tar.gz")).toBe("ZIP");
    expect(fileBadge("noext")).toBe("FILE");
  });
});
