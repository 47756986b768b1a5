// Settings → Notifications: the conversions the form makes (HH:MM ↔ minutes, keywords), the whole
// object it PUTs, and a refusal shown at the field the server names.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ClientContext } from "../src/state/client.ts";
import { NotificationsSection, PushDevicesSection, digestLabel } from "../src/components/NotifySettings.tsx";
import { keyBytes, thisBrowser } from "../src/lib/webPush.ts";
import { translator } from "../src/i18n/index.ts";
import {
  DEFAULT_PREFS, KEYWORDS_MAX, addKeywords, formFromPrefs, minutesToTime, prefsFromForm, quietHoursValid, refusedField, timeToMinutes, timeZoneChoices,
} from "../src/lib/notifyPrefs.ts";
import { FakeClient } from "./fake-client.ts";

describe("notification preferences, converted", () => {
  it("turn minutes after midnight into HH:MM and back", () => {
    expect(minutesToTime(0)).toBe("00:00");
    expect(minutesToTime(480)).toBe("08:00");
    expect(minutesToTime(1320)).toBe("22:00");
    expect(minutesToTime(1439)).toBe("23:59");
    expect(minutesToTime(65)).toBe("01:05");
    for (let m = 0; m < 1440; m += 7) expect(timeToMinutes(minutesToTime(m))).toBe(m);
    expect(timeToMinutes("7:30")).toBe(450);
    expect(timeToMinutes("07:30:15")).toBe(450);
    for (const bad of ["", "24:00", "12:60", "noon", "12", "-1:00"]) expect(timeToMinutes(bad), bad).toBeNull();
  });

  it("add keywords trimmed, without duplicates (ignoring case), within the limits", () => {
    expect(addKeywords([], " 发布 , Release，release、 ,deploy").keywords).toEqual(["发布", "Release", "deploy"]);
    expect(addKeywords(["Release"], "RELEASE")).toEqual({ keywords: ["Release"], problem: null });
    expect(addKeywords([], "x".repeat(33))).toEqual({ keywords: [], problem: "long" });
    expect(addKeywords([], "字".repeat(32)).keywords).toEqual(["字".repeat(32)]);
    const full = Array.from({ length: KEYWORDS_MAX }, (_, i) => `k${i}`);
    expect(addKeywords(full, "one more")).toEqual({ keywords: full, problem: "many" });
    expect(addKeywords(full, "K3").problem).toBeNull();
  });

  it("build the whole object a PUT sets, quiet left out when off", () => {
    const form = formFromPrefs({ ...DEFAULT_PREFS, level: "mentions", time_zone: "Asia/Shanghai", quiet: { from_min: 1320, to_min: 480 } }, "Europe/Berlin");
    expect(form).toMatchObject({ quietOn: true, quietFrom: "22:00", quietTo: "08:00", timeZone: "Asia/Shanghai" });
    expect(prefsFromForm({ ...form, keywords: ["发布"], emailDigest: true, digestAfterMins: 120, preview: false }, "zh")).toEqual({
      level: "mentions", quiet: { from_min: 1320, to_min: 480 }, time_zone: "Asia/Shanghai", keywords: ["发布"], preview: false,
      email_digest: true, digest_after_mins: 120, language: "zh",
    });
    const off = prefsFromForm({ ...form, quietOn: false }, "en");
    expect(off).not.toHaveProperty("quiet");
    expect(Object.keys(off).sort()).toEqual(["digest_after_mins", "email_digest", "keywords", "language", "level", "preview", "time_zone"]);
    // Never set: the browser's time zone rather than UTC; off quiet hours start at 22:00–08:00.
    expect(formFromPrefs(DEFAULT_PREFS, "Europe/Berlin")).toMatchObject({ timeZone: "Europe/Berlin", quietOn: false, quietFrom: "22:00", quietTo: "08:00" });
    expect(formFromPrefs({ ...DEFAULT_PREFS, preview: false }, "Europe/Berlin").timeZone).toBe("UTC");
    expect(quietHoursValid({ ...form, quietTo: "22:00" })).toBe(false);
    expect(quietHoursValid({ ...form, quietOn: false, quietTo: "22:00" })).toBe(true);
  });

  it("name the field a refusal names, and the time zones and times to choose", () => {
    expect(refusedField("keywords")).toBe("keywords");
    expect(refusedField("quiet.from_min")).toBe("quiet");
    expect(refusedField("keywords[3]")).toBe("keywords");
    expect(refusedField("nonsense")).toBeNull();
    expect(refusedField(undefined)).toBeNull();
    const zones = timeZoneChoices("Asia/Shanghai", "Etc/Made-Up");
    expect(zones).toContain("UTC");
    expect(zones).toContain("Asia/Shanghai");
    expect(zones).toContain("Etc/Made-Up");
    expect([...zones].sort()).toEqual(zones);
    const t = translator("en");
    expect([15, 60, 120, 1440].map((m) => digestLabel(m, t))).toEqual(["15 minutes", "1 hour", "2 hours", "1 day"]);
    expect(digestLabel(120, translator("zh"))).toBe("2 小时");
  });
});

describe("the notifications section", () => {
  let root: HTMLElement;
  beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
  afterEach(() => { render(null, root); root.remove(); });

  const mount = async (client: FakeClient) => {
    await act(async () => {
      render(<LocaleContext.Provider value="en"><ClientContext.Provider value={client}><NotificationsSection /></ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await act(async () => {});
  };
  const input = (id: string) => root.querySelector<HTMLInputElement>(`#${id}`)!;
  const type = (el: HTMLInputElement, value: string) => { el.value = value; el.dispatchEvent(new Event("input", { bubbles: true })); };
  const submit = async () => {
    await act(async () => { root.querySelector("form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true })); });
    await act(async () => {});
  };

  it("PUTs the whole object and says it was saved", async () => {
    const client = new FakeClient();
    client.notifyPrefs = { ...DEFAULT_PREFS, time_zone: "Asia/Shanghai", preview: false };
    await mount(client);
    await act(async () => { root.querySelector<HTMLInputElement>('input[name="notify-level"][value="mentions"]')!.click(); });
    await act(async () => { root.querySelector<HTMLInputElement>('input[role="switch"]')!.click(); });
    await act(async () => { type(input("notify-quiet-from"), "23:15"); type(input("notify-quiet-to"), "07:00"); });
    await act(async () => { type(input("notify-keyword"), "Release, release ,发布"); });
    await submit();
    expect(client.notifyPuts).toEqual([{
      level: "mentions", quiet: { from_min: 1395, to_min: 420 }, time_zone: "Asia/Shanghai", keywords: ["Release", "发布"],
      preview: false, email_digest: false, digest_after_mins: 60, language: "en",
    }]);
    expect(root.querySelector('[role="status"]')?.textContent).toBe("Notification settings saved");
    expect([...root.querySelectorAll(".chip")].map((c) => c.getAttribute("aria-label"))).toEqual(["Remove keyword Release", "Remove keyword 发布"]);
  });

  it("shows a refusal at the field the server names", async () => {
    const client = new FakeClient();
    client.notifyRefusal = Object.assign(new Error("keywords: at most 20"), { code: "invalid_field", field: "keywords" });
    await mount(client);
    await submit();
    const error = root.querySelector("#notify-error-keywords");
    expect(error?.textContent).toBe("Up to 20 keywords, each 1 to 32 characters.");
    expect(error?.getAttribute("role")).toBe("alert");
    expect(input("notify-keyword").getAttribute("aria-describedby")).toContain("notify-error-keywords");
    expect(input("notify-keyword").getAttribute("aria-invalid")).toBe("true");
  });
});

describe("devices that get notifications", () => {
  let root: HTMLElement;
  beforeEach(() => { root = document.createElement("div"); document.body.append(root); });
  afterEach(() => { render(null, root); root.remove(); });

  const mount = async (client: FakeClient) => {
    await act(async () => {
      render(<LocaleContext.Provider value="en"><ClientContext.Provider value={client}><PushDevicesSection /></ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await act(async () => {});
  };

  it("lists the account's devices, this one marked, and stops one on request", async () => {
    const client = new FakeClient();
    client.targets = [
      { id: 1, kind: "gateway", label: "huawei/com.acme.chat", current: false, created_at_ms: 1 },
      { id: 2, kind: "web_push", label: "fcm.googleapis.com", current: true, created_at_ms: 2 },
    ];
    await mount(client);
    const items = [...root.querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toEqual(["Phone huawei/com.acme.chatStop", "Browser fcm.googleapis.com · this deviceStop"]);
    const t = translator("en");
    const stop = root.querySelector<HTMLButtonElement>(`button[aria-label="${t("settings.push.remove", { device: "huawei/com.acme.chat" })}"]`)!;
    await act(async () => { stop.click(); });
    await act(async () => {});
    expect(client.targets.map((x) => x.id)).toEqual([2]);
    expect(root.querySelectorAll("li")).toHaveLength(1);
  });

  it("says so where the browser cannot show notifications, and keeps the switch off", async () => {
    await mount(new FakeClient());
    const toggle = root.querySelector<HTMLInputElement>('input[role="switch"]')!;
    expect(toggle.disabled).toBe(true);
    expect(toggle.checked).toBe(false);
    expect(root.textContent).toContain(translator("en")("settings.push.unsupported"));
  });

  it("turns a base64url key into the bytes a subscription takes", () => {
    expect([...keyBytes("AQID_-8")]).toEqual([1, 2, 3, 255, 239]);
    expect(thisBrowser([
      { id: 1, kind: "web_push", label: "a", current: false, created_at_ms: 1 },
      { id: 2, kind: "gateway", label: "b", current: true, created_at_ms: 2 },
    ])).toBeUndefined();
  });
});
