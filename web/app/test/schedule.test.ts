import { describe, expect, it } from "vitest";
import { SCHEDULE_AHEAD_MS_MAX, fromLocalInput, inOneHour, timeProblem, toLocalInput, tomorrowAt } from "../src/lib/schedule.ts";

describe("scheduled times", () => {
  it("round-trip through a datetime-local value, in local time", () => {
    const at = new Date(2026, 11, 5, 9, 30).getTime();
    expect(toLocalInput(at)).toBe("2026-12-05T09:30");
    expect(fromLocalInput("2026-12-05T09:30")).toBe(at);
    const withSeconds = new Date(2026, 0, 2, 3, 4, 5).getTime();
    expect(toLocalInput(withSeconds)).toBe("2026-01-02T03:04:05");
    expect(fromLocalInput(toLocalInput(withSeconds))).toBe(withSeconds);
    expect(fromLocalInput("2026-12-05T09:30:07.250")).toBe(new Date(2026, 11, 5, 9, 30, 7).getTime());
  });

  it("name nothing for what is not a date and time", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("2026-12-05")).toBeNull();
    expect(fromLocalInput("tomorrow")).toBeNull();
    expect(fromLocalInput("2026-02-30T10:00")).toBeNull();
  });

  it("offer an hour from now, to the minute, and tomorrow morning", () => {
    const now = new Date(2026, 11, 31, 22, 15, 20).getTime();
    expect(inOneHour(now)).toBe(new Date(2026, 11, 31, 23, 16).getTime());
    expect(inOneHour(new Date(2026, 5, 1, 8, 0).getTime())).toBe(new Date(2026, 5, 1, 9, 0).getTime());
    expect(tomorrowAt(now)).toBe(new Date(2027, 0, 1, 9, 0).getTime());
    expect(tomorrowAt(now, 18)).toBe(new Date(2027, 0, 1, 18, 0).getTime());
  });

  it("refuse a time that has passed or lies too far ahead", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(timeProblem(now, now)).toBe("past");
    expect(timeProblem(now - 1, now)).toBe("past");
    expect(timeProblem(now + 1, now)).toBeNull();
    expect(timeProblem(now + SCHEDULE_AHEAD_MS_MAX, now)).toBeNull();
    expect(timeProblem(now + SCHEDULE_AHEAD_MS_MAX + 1, now)).toBe("far");
  });
});
