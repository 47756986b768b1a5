// The console's pure parts (lib/console.ts): how the dashboard writes its figures, the charts'
// columns from the server's samples (a gap where the server was down), each line's summary in
// words, the forbidden words as the form sends them and as the server will keep them; and which
// sections of the administration page each role sees.
import { describe, expect, it } from "vitest";
import type { DashboardSample } from "@magpie/sdk";
import {
  chartData, charCount, columnSummary, distinctWords, formatCount, formatLatency, formatMeasure, formatPercent, linesOf,
  MODERATION_WORD_CHARS_MAX, MODERATION_WORDS_MAX, rangeStepMs, timeTicks, wordsProblem,
} from "../src/lib/console.ts";
import { en } from "../src/i18n/en.ts";
import { zh } from "../src/i18n/zh.ts";
import { ADMIN_TABS, adminTabsFor, parseRoute, routePath, SERVER_ADMIN_TABS } from "../src/state/router.ts";

const sample = (at_ms: number, extra: Partial<DashboardSample> = {}): DashboardSample => ({
  at_ms, connections: 1, accounts_online: 1, entries_per_min: 0, requests_per_min: 0, errors_per_min: 0, latency_ms_mean: 0, latency_ms_p99: 0,
  cpu_percent: 0, memory_bytes: 1, follower_lag_max: 0, ...extra,
});

describe("the dashboard's figures", () => {
  it("writes counts whole and measures with a point only while small, in either language", () => {
    expect(formatCount(1234, "en")).toBe("1,234");
    expect(formatCount(1234, "zh")).toBe("1,234");
    expect(formatMeasure(0, "en")).toBe("0");
    expect(formatMeasure(0.25, "en")).toBe("0.3");
    expect(formatMeasure(12.34, "en")).toBe("12.3");
    expect(formatMeasure(99.96, "en")).toBe("100");
    expect(formatMeasure(1204.4, "en")).toBe("1,204");
    expect(formatMeasure(Number.NaN, "en")).toBe("—");
    expect(formatPercent(3.14159, "en")).toBe("3.1%");
    expect(formatPercent(250, "zh")).toBe("250%");
    expect(formatLatency(0.84, "en")).toBe("0.8 ms");
    expect(formatLatency(35, "en")).toBe("35 ms");
    expect(formatLatency(256, "en")).toBe("256 ms");
    expect(formatLatency(1234, "en")).toBe("1.2 s");
  });

  it("makes a chart's columns from the samples, breaking the line where the server was down", () => {
    const step = rangeStepMs("hour", 10);
    expect(step).toBe(10_000);
    expect(rangeStepMs("day", 10)).toBe(60_000);
    const samples = [
      sample(1_000_000, { connections: 2, database_bytes: 5 }),
      sample(1_010_000, { connections: 3 }),
      // 30 s later: two samples were never taken.
      sample(1_040_000, { connections: 1, database_bytes: 7 }),
      // 20 s later: one missed, which is no gap worth showing.
      sample(1_060_000, { connections: 4, database_bytes: 8 }),
    ];
    const { xs, columns } = chartData(samples, ["connections", "database_bytes"], step);
    expect(xs).toEqual([1000, 1010, 1020, 1040, 1060]);
    expect(columns).toEqual([
      [2, 3, null, 1, 4],
      // A size the server could not measure is a gap too.
      [5, null, null, 7, 8],
    ]);
    expect(chartData([], ["connections"], step)).toEqual({ xs: [], columns: [[]] });
  });

  it("labels a time axis by the clock, with seconds where ticks are less than a minute apart", () => {
    const at = (h: number, m: number, s = 0) => new Date(2026, 0, 2, h, m, s).getTime() / 1000;
    expect(timeTicks([at(15, 1, 10), at(15, 1, 30), at(15, 1, 50)], "en")).toEqual(["15:01:10", "15:01:30", "15:01:50"]);
    expect(timeTicks([at(9, 0), at(9, 10), at(9, 20)], "zh")).toEqual(["09:00", "09:10", "09:20"]);
    expect(timeTicks([at(23, 0)], "en")).toEqual(["23:00"]);
  });

  it("sums a column up as its last, lowest and highest values", () => {
    expect(columnSummary([3, null, 1, 7, null, 4])).toEqual({ last: 4, min: 1, max: 7 });
    expect(columnSummary([null, null])).toBeNull();
    expect(columnSummary([])).toBeNull();
  });
});

describe("the forbidden words", () => {
  it("sends the lines trimmed without blank ones, and counts the words as the server keeps them", () => {
    const lines = linesOf("  plum \r\n\nPLUM\n坏词\n\n  \nplum\nPlum tree\n");
    expect(lines).toEqual(["plum", "PLUM", "坏词", "plum", "Plum tree"]);
    // Repeats, ignoring the case of ASCII letters only, as the server compares them.
    expect(distinctWords(lines)).toEqual(["plum", "坏词", "Plum tree"]);
    expect(distinctWords(["Äpfel", "äpfel"])).toEqual(["Äpfel", "äpfel"]);
    expect(linesOf("")).toEqual([]);
  });

  it("refuses a word too long, in characters as the server counts them, and too many words", () => {
    expect(charCount("坏词😀")).toBe(3);
    expect(wordsProblem(["ok", "词".repeat(MODERATION_WORD_CHARS_MAX)])).toBeNull();
    expect(wordsProblem(["ok", "词".repeat(MODERATION_WORD_CHARS_MAX + 1)])).toEqual({ kind: "too_long", word: "词".repeat(33), max: 32 });
    const many = Array.from({ length: MODERATION_WORDS_MAX }, (_, i) => `w${i}`);
    expect(wordsProblem(many)).toBeNull();
    // Repeats do not count.
    expect(wordsProblem([...many, "W0"])).toBeNull();
    expect(wordsProblem([...many, "one more"])).toEqual({ kind: "too_many", count: 2001, max: 2000 });
  });
});

describe("the sections of the administration page", () => {
  it("shows the server's sections to its administrators only", () => {
    expect(adminTabsFor("server_admin")).toEqual(ADMIN_TABS);
    const domainAdmin = adminTabsFor("domain_admin");
    for (const tab of ["dashboard", "logs", "backups", "domains"] as const) {
      expect(SERVER_ADMIN_TABS).toContain(tab);
      expect(domainAdmin).not.toContain(tab);
    }
    for (const tab of ["connections", "moderation", "audit", "exports", "retention", "accounts", "groups", "stickers", "bots", "apps"] as const) expect(domainAdmin).toContain(tab);
  });

  it("routes each new section", () => {
    for (const tab of ["dashboard", "connections", "logs", "backups", "moderation", "domains", "exports", "retention", "groups", "stickers", "bots", "apps"] as const) {
      expect(parseRoute(`/admin/${tab}`)).toEqual({ page: "admin", tab });
      expect(routePath({ page: "admin", tab })).toBe(`/admin/${tab}`);
    }
  });

  it("names no section with a part of another's name, in either language", () => {
    // Playwright finds a tab by a part of its name.
    const keys = ["admin.tabDepartments", "admin.tabAccounts", "admin.tabGroups", "admin.tabStickers", "admin.tabBots", "admin.tabApps", "admin.tabRegistration", "admin.tabInvitations", "admin.tabApplications",
      "admin.tabAnnouncements", "admin.tabModeration", "admin.tabLdap", "admin.tabPush", "admin.tabAudit", "admin.tabExports", "admin.tabRetention", "admin.tabConnections",
      "admin.tabDashboard", "admin.tabLogs", "admin.tabBackups", "admin.tabDomains"] as const;
    expect(keys).toHaveLength(ADMIN_TABS.length);
    for (const dict of [en, zh]) {
      for (const a of keys) {
        for (const b of keys) if (a !== b) expect(dict[b].toLowerCase().includes(dict[a].toLowerCase()), `${dict[b]} holds ${dict[a]}`).toBe(false);
      }
    }
  });
});
