// Settings → Notifications: the account's notification preferences, kept by the server and the
// same on every device (docs/protocol.md §5 `GET`/`PUT /v1/me/notifications`). Saving PUTs the
// whole object; a refusal shows at the field the server names; when another device changes them
// (`notify_prefs_changed`) the form reads them again.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { NotificationPrefs, PushTargetInfo } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import {
  DIGEST_CHOICES, KEYWORD_LEN_MAX, KEYWORDS_MAX, LEVELS, type KeywordProblem, type NotifyForm, addKeywords, formFromPrefs,
  prefsFromForm, quietHoursValid, refusedField, timeZoneChoices, browserTimeZone,
} from "../lib/notifyPrefs.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { disableWebPush, enableWebPush, thisBrowser, webPushSupported, type WebPushUnavailable } from "../lib/webPush.ts";
import { Icon } from "./icons.tsx";
import { Spinner } from "./ui.tsx";

type FieldErrors = Partial<Record<keyof NotificationPrefs, string>>;

const LEVEL_KEYS = { all: "settings.notify.levelAll", mentions: "settings.notify.levelMentions", nothing: "settings.notify.levelNothing" } as const;

/** How the "after" select names a number of minutes. */
export function digestLabel(minutes: number, t: Translate): string {
  if (minutes % 1440 === 0) return t(minutes === 1440 ? "settings.notify.day" : "settings.notify.days", { count: minutes / 1440 });
  if (minutes % 60 === 0) return t(minutes === 60 ? "settings.notify.hour" : "settings.notify.hours", { count: minutes / 60 });
  return t("settings.notify.minutes", { count: minutes });
}

function fieldMessage(field: keyof NotificationPrefs, t: Translate): string {
  switch (field) {
    case "quiet": return t("settings.notify.badQuiet");
    case "time_zone": return t("settings.notify.badTimeZone");
    case "keywords": return t("settings.notify.badKeywords", { max: KEYWORDS_MAX, len: KEYWORD_LEN_MAX });
    case "digest_after_mins": return t("settings.notify.badDigest");
    default: return t("settings.notify.badField");
  }
}

export function NotificationsSection(): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [form, setForm] = useState<NotifyForm | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const [keywordProblem, setKeywordProblem] = useState<KeywordProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    let live = true;
    const load = () => {
      client.notificationPrefs().then(
        (prefs) => { if (live) { setForm(formFromPrefs(prefs)); setLoadError(null); } },
        (e: unknown) => { if (live) setLoadError(errorText(e, t)); },
      );
    };
    load();
    const off = client.on("notify_prefs_changed", load);
    return () => { live = false; off(); };
  }, [client]);

  if (!form) {
    return (
      <section class="card-section" aria-labelledby="notify-title">
        <h2 id="notify-title">{t("settings.notify.title")}</h2>
        {loadError ? <p class="form-error" role="alert">{loadError}</p> : <Spinner label={t("common.loading")} />}
      </section>
    );
  }

  const edit = (change: Partial<NotifyForm>) => {
    // Functional updates: two edits before a render (time inputs typed in one go) both count.
    setForm((f) => f && { ...f, ...change });
    setSaved(false);
    setFormError(null);
    const touched = new Set<string>(Object.keys(change));
    setErrors((errors) => {
      const cleared: FieldErrors = { ...errors };
      if (touched.has("quietOn") || touched.has("quietFrom") || touched.has("quietTo")) delete cleared.quiet;
      if (touched.has("timeZone")) delete cleared.time_zone;
      if (touched.has("keywords")) delete cleared.keywords;
      if (touched.has("digestAfterMins") || touched.has("emailDigest")) delete cleared.digest_after_mins;
      if (touched.has("level")) delete cleared.level;
      return cleared;
    });
  };
  const addTyped = (text: string): void => {
    const { keywords, problem } = addKeywords(form.keywords, text);
    setKeywordProblem(problem);
    if (keywords.length !== form.keywords.length) edit({ keywords });
    setTyped("");
  };
  const onKeywordKey = (e: KeyboardEvent) => {
    const input = e.currentTarget as HTMLInputElement;
    if ((e.key === "Enter" || e.key === "," || e.key === "，") && !e.isComposing) {
      e.preventDefault();
      addTyped(input.value);
    } else if (e.key === "Backspace" && input.value === "" && form.keywords.length > 0) {
      edit({ keywords: form.keywords.slice(0, -1) });
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    // A keyword still in the box is saved too.
    let current = form;
    if (typed.trim()) {
      const { keywords, problem } = addKeywords(form.keywords, typed);
      setKeywordProblem(problem);
      setTyped("");
      current = { ...form, keywords };
      setForm(current);
    }
    if (!quietHoursValid(current)) { setErrors({ quiet: fieldMessage("quiet", t) }); return; }
    setBusy(true);
    setErrors({});
    setFormError(null);
    try {
      const kept = await client.setNotificationPrefs(prefsFromForm(current, locale));
      setForm(formFromPrefs(kept));
      setSaved(true);
    } catch (err) {
      const field = isMagpieError(err) && err.code === "invalid_field" ? refusedField(err.field) : null;
      if (field) setErrors({ [field]: fieldMessage(field, t) });
      else setFormError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  const zones = timeZoneChoices(form.timeZone, browserTimeZone());
  const digestChoices = DIGEST_CHOICES.includes(form.digestAfterMins as (typeof DIGEST_CHOICES)[number])
    ? [...DIGEST_CHOICES] : [...DIGEST_CHOICES, form.digestAfterMins].sort((a, b) => a - b);
  const invalid = (field: keyof NotificationPrefs) => (errors[field] ? true : undefined);
  const describedBy = (field: keyof NotificationPrefs, hint?: string) =>
    [hint, errors[field] ? `notify-error-${field}` : undefined].filter(Boolean).join(" ") || undefined;
  const fieldError = (field: keyof NotificationPrefs) =>
    errors[field] && <p class="form-error" id={`notify-error-${field}`} role="alert">{errors[field]}</p>;

  return (
    <section class="card-section" aria-labelledby="notify-title">
      <h2 id="notify-title">{t("settings.notify.title")}</h2>
      <p class="muted small" id="notify-hint">{t("settings.notify.hint")}</p>
      <form class="stack" onSubmit={save} aria-describedby="notify-hint">
        <fieldset class="stack notify-fieldset" aria-describedby={describedBy("level")}>
          <legend><strong>{t("settings.notify.level")}</strong></legend>
          {LEVELS.map((level) => (
            <label key={level} class="radio-row">
              <input type="radio" name="notify-level" value={level} checked={form.level === level} onChange={() => edit({ level })} />
              <span>{t(LEVEL_KEYS[level])}</span>
            </label>
          ))}
          {fieldError("level")}
        </fieldset>

        <label class="switch-row">
          <span><strong>{t("settings.notify.quiet")}</strong><span class="muted small" id="notify-quiet-hint">{t("settings.notify.quietHint")}</span></span>
          <input type="checkbox" role="switch" checked={form.quietOn} aria-describedby="notify-quiet-hint" onChange={(e) => edit({ quietOn: e.currentTarget.checked })} />
        </label>
        {form.quietOn && (
          <div class="form-grid">
            <div class="field">
              <label for="notify-quiet-from">{t("settings.notify.quietFrom")}</label>
              <input id="notify-quiet-from" class="input" type="time" required value={form.quietFrom} aria-invalid={invalid("quiet")}
                aria-describedby={describedBy("quiet")} onInput={(e) => edit({ quietFrom: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="notify-quiet-to">{t("settings.notify.quietTo")}</label>
              <input id="notify-quiet-to" class="input" type="time" required value={form.quietTo} aria-invalid={invalid("quiet")}
                aria-describedby={describedBy("quiet")} onInput={(e) => edit({ quietTo: e.currentTarget.value })} />
            </div>
          </div>
        )}
        {fieldError("quiet")}

        <div class="field">
          <label for="notify-time-zone">{t("settings.notify.timeZone")}</label>
          <select id="notify-time-zone" class="select" value={form.timeZone} aria-invalid={invalid("time_zone")}
            aria-describedby={describedBy("time_zone")} onChange={(e) => edit({ timeZone: e.currentTarget.value })}>
            {zones.map((zone) => <option key={zone} value={zone}>{zone}</option>)}
          </select>
          {fieldError("time_zone")}
        </div>

        <div class="field">
          <label for="notify-keyword">{t("settings.notify.keywords")}</label>
          {form.keywords.length > 0 && (
            <ul class="chips keyword-chips" role="list" aria-label={t("settings.notify.keywords")}>
              {form.keywords.map((word) => (
                <li key={word.toLowerCase()}>
                  <button type="button" class="chip" aria-label={t("settings.notify.keywordRemove", { word })}
                    onClick={() => { setKeywordProblem(null); edit({ keywords: form.keywords.filter((k) => k !== word) }); }}>
                    {word} <Icon name="close" size={12} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div class="row-actions">
            <input id="notify-keyword" class="input" value={typed} aria-invalid={invalid("keywords") ?? (keywordProblem ? true : undefined)}
              aria-describedby={["notify-keywords-hint", keywordProblem ? "notify-keyword-problem" : "", errors.keywords ? "notify-error-keywords" : ""].filter(Boolean).join(" ")}
              onInput={(e) => { setTyped(e.currentTarget.value); setKeywordProblem(null); }} onKeyDown={onKeywordKey} />
            <button type="button" class="btn btn-small" disabled={!typed.trim()} onClick={() => addTyped(typed)}>{t("settings.notify.keywordAdd")}</button>
          </div>
          <span class="muted small" id="notify-keywords-hint">{t("settings.notify.keywordsHint", { max: KEYWORDS_MAX, len: KEYWORD_LEN_MAX })}</span>
          {keywordProblem && (
            <p class="form-error" id="notify-keyword-problem" role="alert">
              {keywordProblem === "long" ? t("settings.notify.keywordTooLong", { len: KEYWORD_LEN_MAX }) : t("settings.notify.keywordsFull", { max: KEYWORDS_MAX })}
            </p>
          )}
          {fieldError("keywords")}
        </div>

        <label class="switch-row">
          <span><strong>{t("settings.notify.preview")}</strong></span>
          <input type="checkbox" role="switch" checked={form.preview} onChange={(e) => edit({ preview: e.currentTarget.checked })} />
        </label>
        {fieldError("preview")}

        <label class="switch-row">
          <span><strong>{t("settings.notify.digest")}</strong><span class="muted small" id="notify-digest-hint">{t("settings.notify.digestHint")}</span></span>
          <input type="checkbox" role="switch" checked={form.emailDigest} aria-describedby="notify-digest-hint" onChange={(e) => edit({ emailDigest: e.currentTarget.checked })} />
        </label>
        {fieldError("email_digest")}
        {form.emailDigest && (
          <div class="field">
            <label for="notify-digest-after">{t("settings.notify.digestAfter")}</label>
            <select id="notify-digest-after" class="select" value={String(form.digestAfterMins)} aria-invalid={invalid("digest_after_mins")}
              aria-describedby={describedBy("digest_after_mins")} onChange={(e) => edit({ digestAfterMins: Number(e.currentTarget.value) })}>
              {digestChoices.map((m) => <option key={m} value={String(m)}>{digestLabel(m, t)}</option>)}
            </select>
          </div>
        )}
        {fieldError("digest_after_mins")}

        {formError && <p class="form-error" role="alert">{formError}</p>}
        <div class="row-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t("settings.notify.save")}</button>
          <span role="status" class="muted small">{saved ? t("settings.notify.saved") : ""}</span>
        </div>
      </form>
    </section>
  );
}

const UNAVAILABLE_KEYS: Record<WebPushUnavailable, "settings.push.unsupported" | "settings.push.off" | "settings.push.denied"> = {
  unsupported: "settings.push.unsupported", off: "settings.push.off", denied: "settings.push.denied",
};

/** Settings → Notifications → devices: whether this browser is told while the app is closed
 * (Web Push), and the account's other devices registered for pushes. */
export function PushDevicesSection(): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [targets, setTargets] = useState<PushTargetInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () => client.pushTargets().then(setTargets, (e: unknown) => setProblem(errorText(e, t)));
  useEffect(() => { void load(); }, [client]);

  const mine = targets ? thisBrowser(targets) : undefined;
  const toggle = async (on: boolean) => {
    setBusy(true);
    setProblem(null);
    try {
      if (on) {
        const outcome = await enableWebPush(client);
        if (typeof outcome === "string") setProblem(t(UNAVAILABLE_KEYS[outcome]));
      } else {
        await disableWebPush(client, mine);
      }
      await load();
    } catch (e) {
      setProblem(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (target: PushTargetInfo) => {
    setProblem(null);
    try {
      if (target === mine) await disableWebPush(client, target);
      else await client.removePushTarget(target.id);
      await load();
    } catch (e) {
      setProblem(errorText(e, t));
    }
  };

  return (
    <section class="card-section" aria-labelledby="push-title">
      <h2 id="push-title">{t("settings.push.title")}</h2>
      <label class="switch-row">
        <span><strong>{t("settings.push.thisBrowser")}</strong><span class="muted small" id="push-hint">{t("settings.push.hint")}</span></span>
        <input type="checkbox" role="switch" checked={Boolean(mine)} disabled={busy || !targets || !webPushSupported()}
          aria-describedby="push-hint" onChange={(e) => void toggle(e.currentTarget.checked)} />
      </label>
      {!webPushSupported() && <p class="muted small">{t("settings.push.unsupported")}</p>}
      {problem && <p class="form-error" role="alert">{problem}</p>}
      {targets && targets.length > 0 && (
        <ul class="stack device-list" aria-label={t("settings.push.devices")}>
          {targets.map((target) => (
            <li key={target.id} class="row-actions">
              <span>
                <strong>{t(target.kind === "web_push" ? "settings.push.kindBrowser" : "settings.push.kindPhone")}</strong>{" "}
                <span class="muted small">{target.label}{target.current ? ` · ${t("settings.push.current")}` : ""}</span>
              </span>
              <button type="button" class="btn btn-small btn-ghost" aria-label={t("settings.push.remove", { device: target.label })}
                onClick={() => void remove(target)}>{t("settings.push.removeShort")}</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
