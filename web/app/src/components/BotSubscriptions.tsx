// A bot's event subscriptions (outgoing webhooks, docs/protocol.md "Outgoing webhooks"), in its
// page of Administration → Bots and of Settings → My bots: each with its app's URL, the kinds of
// events it sends, its state (enabled, disabled after repeated failures and when, or disabled by a
// person), its failures in a row, the events waiting and dropped, its last error and last
// delivery; enabled and disabled with a switch, its secret rotated and it deleted (both
// confirmed); a new one by its URL and the kinds ticked, each problem said at its field; the
// signing secret shown once in a dialog to copy, after it is made or rotated.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Bot, EventSubscription, IssuedEventSubscription, WebhookEventKind } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey, Translate } from "../i18n/index.ts";
import {
  SUBSCRIPTIONS_PER_BOT_MAX, WEBHOOK_EVENT_KINDS, subscriptionRefusal, subscriptionRequestOf, subscriptionState, withSubscription,
  type SubscriptionProblem,
} from "../lib/bots.ts";
import { formatCount } from "../lib/console.ts";
import { formatFull } from "../lib/format.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { Icon } from "./icons.tsx";
import { CopyField, Dialog, Spinner } from "./ui.tsx";

/** A secret just made or rotated, to show once. */
interface Issued { sub: IssuedEventSubscription; rotated: boolean }

/** The name of a kind of event in the list; a kind a newer server names is shown as it is. */
function kindName(kind: string, t: Translate): string {
  return (WEBHOOK_EVENT_KINDS as readonly string[]).includes(kind) ? t(`admin.subEvent.${kind as WebhookEventKind}`) : kind;
}

/** What a subscription's problem says. */
function problemText(p: SubscriptionProblem, t: Translate, bot: string): string {
  switch (p.kind) {
    case "required": return t("admin.subUrlRequired");
    case "scheme": return t("admin.subUrlScheme");
    case "too_long": return t("admin.subUrlTooLong", { max: p.max });
    case "credentials": return t("admin.subUrlCredentials");
    case "refused": return p.why ? t("admin.subUrlRefused", { why: p.why }) : t("admin.subUrlRefusedPlain");
    case "none": return t("admin.subEventsNone");
    case "full": return t("admin.subsFull", { name: bot, max: p.max });
    case "unavailable": return t("admin.subsUnavailable");
  }
}

/** A bot's event subscriptions: the list, and the form for a new one. */
export function BotSubscriptions(props: { idp: string; bot: Bot }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { bot, idp } = props;
  const name = bot.display_name;
  const [subs, setSubs] = useState<EventSubscription[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  // The switch being turned, shown in its new position until the server answers.
  const [switching, setSwitching] = useState<{ id: number; enabled: boolean } | null>(null);
  // A secret made by a confirmed rotation is shown once the confirmation has closed, so that the
  // confirmation's giving the focus back does not take it from the secret's dialog.
  const queued = useRef<Issued | null>(null);
  const latest = useRef(0);

  const failed = (e: unknown) => {
    if (isMagpieError(e) && e.code === "not_found") return t("admin.botGone");
    return errorText(e, t);
  };
  const load = async () => {
    const ask = ++latest.current;
    setLoading(true);
    try {
      const list = await client.admin.botSubscriptions(bot.account);
      if (ask !== latest.current) return;
      setSubs(list);
      setLoadError(null);
    } catch (e) {
      if (ask !== latest.current) return;
      setLoadError(failed(e));
    } finally {
      if (ask === latest.current) setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [client, bot.account]);

  const setEnabled = async (sub: EventSubscription, enabled: boolean) => {
    setSwitching({ id: sub.id, enabled });
    try {
      const changed = await client.admin.updateSubscription(bot.account, sub.id, { enabled });
      setSubs((shown) => withSubscription(shown, changed));
      toast(enabled ? t("admin.subEnabledDone", { url: sub.url }) : t("admin.subDisabledDone", { url: sub.url }), "info");
    } catch (e) {
      toast(failed(e));
    } finally {
      setSwitching(null);
    }
  };
  const rotate = (sub: EventSubscription) => setConfirming({
    title: t("admin.subRotateTitle"), text: t("admin.subConfirmRotate", { url: sub.url }), confirm: t("admin.botRotate"), danger: true,
    run: async () => {
      const made = await client.admin.rotateSubscription(bot.account, sub.id);
      queued.current = { sub: made, rotated: true };
      setSubs((shown) => withSubscription(shown, made));
    },
  });
  const remove = (sub: EventSubscription) => setConfirming({
    title: t("admin.subDeleteTitle"), text: t("admin.subConfirmDelete", { url: sub.url }), confirm: t("admin.subDelete"), danger: true,
    run: async () => {
      await client.admin.deleteSubscription(bot.account, sub.id);
      toast(t("admin.subDeleted", { url: sub.url }), "info");
      await load();
    },
  });
  const full = (subs?.length ?? 0) >= SUBSCRIPTIONS_PER_BOT_MAX;

  return (
    <section class="card-section bot-subscriptions" aria-labelledby={`${idp}-subs-title`} aria-busy={loading} data-testid="bot-subs">
      <div class="section-head">
        <h2 id={`${idp}-subs-title`}>{t("admin.botSubs")}</h2>
        <button type="button" class="btn btn-small" disabled={loading} aria-label={t("admin.subsRefresh")} onClick={() => void load()}>
          <Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
      </div>
      <p class="muted small admin-intro">{t("admin.botSubsHint", { name, max: SUBSCRIPTIONS_PER_BOT_MAX })}</p>
      {loadError && <p class="form-error" role="alert" data-testid="bot-subs-error">{loadError}</p>}
      {subs === null && loadError === null && <Spinner label={t("common.loading")} />}
      {subs && subs.length === 0 && <p class="muted" data-testid="bot-subs-none">{t("admin.botSubsNone")}</p>}
      {subs && subs.length > 0 && (
        <ul class="bot-subs" role="list" aria-label={t("admin.botSubs")}>
          {subs.map((s) => (
            <SubscriptionItem key={s.id} idp={idp} sub={s} turning={switching?.id === s.id ? switching.enabled : undefined}
              onEnabled={(on) => void setEnabled(s, on)} onRotate={() => rotate(s)} onDelete={() => remove(s)} />
          ))}
        </ul>
      )}
      {full && <p class="muted small" data-testid="bot-subs-full">{t("admin.subsFull", { name, max: SUBSCRIPTIONS_PER_BOT_MAX })}</p>}
      {subs !== null && !full && (
        <NewSubscriptionForm idp={idp} bot={bot} failed={failed}
          onMade={(sub) => { setSubs((shown) => withSubscription(shown, sub)); setIssued({ sub, rotated: false }); }} />
      )}
      <Confirm confirming={confirming} onClose={() => {
        setConfirming(null);
        const next = queued.current;
        queued.current = null;
        if (next) setIssued(next);
      }} />
      {issued && <SecretDialog issued={issued.sub} rotated={issued.rotated} bot={name} onClose={() => setIssued(null)} />}
    </section>
  );
}

function SubscriptionItem(props: {
  idp: string; sub: EventSubscription; turning: boolean | undefined; onEnabled: (on: boolean) => void; onRotate: () => void; onDelete: () => void;
}): JSX.Element {
  const { t, locale } = useT();
  const { sub } = props;
  const state = subscriptionState(sub);
  const p = `${props.idp}-sub-${sub.id}`;
  const stateKey: MessageKey = state === "enabled" ? "admin.subStateEnabled" : state === "failed" ? "admin.subStateFailed" : "admin.subStateDisabled";
  const count = (n: number) => formatCount(n, locale);
  return (
    <li class={`bot-sub bot-sub-${state}`} data-testid="bot-sub" data-id={sub.id} aria-labelledby={`${p}-url`}>
      <div class="bot-sub-head">
        <code id={`${p}-url`} class="bot-sub-url" data-testid="bot-sub-url">{sub.url}</code>
        <span class="bot-sub-state-line">
          <span class={`tag bot-sub-state bot-sub-state-${state}`} data-testid="bot-sub-state">{t(stateKey)}</span>
          {state === "failed" && sub.disabled_at_ms !== undefined && (
            <time class="muted small" dateTime={new Date(sub.disabled_at_ms).toISOString()} data-testid="bot-sub-disabled-at">
              {t("admin.subDisabledAt", { time: formatFull(sub.disabled_at_ms, locale) })}
            </time>
          )}
        </span>
      </div>
      <dl class="bot-sub-facts">
        <div><dt>{t("admin.subEvents")}</dt><dd data-testid="bot-sub-events">{sub.events.map((k) => kindName(k, t)).join(locale === "zh" ? "、" : ", ")}</dd></div>
        <div class={sub.failures > 0 ? "bot-sub-bad" : undefined}><dt>{t("admin.subFailures")}</dt><dd data-testid="bot-sub-failures">{count(sub.failures)}</dd></div>
        <div><dt>{t("admin.subPending")}</dt><dd data-testid="bot-sub-pending">{count(sub.pending)}</dd></div>
        <div class={sub.dropped > 0 ? "bot-sub-bad" : undefined}><dt>{t("admin.subDropped")}</dt><dd data-testid="bot-sub-dropped">{count(sub.dropped)}</dd></div>
        <div>
          <dt>{t("admin.subLastSuccess")}</dt>
          <dd data-testid="bot-sub-success">
            {sub.last_success_ms === undefined ? t("admin.botNotUsed")
              : <time dateTime={new Date(sub.last_success_ms).toISOString()}>{formatFull(sub.last_success_ms, locale)}</time>}
          </dd>
        </div>
        <div><dt>{t("admin.botTokenCreated")}</dt><dd><time dateTime={new Date(sub.created_at_ms).toISOString()}>{formatFull(sub.created_at_ms, locale)}</time></dd></div>
      </dl>
      {sub.last_error && (
        <p class="bot-sub-error"><span class="bot-sub-error-label">{t("admin.subLastError")}</span> <span data-testid="bot-sub-error">{sub.last_error}</span></p>
      )}
      <div class="bot-sub-actions">
        <label class="switch-row bot-sub-switch">
          <input type="checkbox" role="switch" checked={props.turning ?? sub.enabled} disabled={props.turning !== undefined} aria-label={t("admin.subEnabledNamed", { url: sub.url })}
            onChange={(e) => props.onEnabled(e.currentTarget.checked)} />
          <span aria-hidden="true">{t("admin.subEnabledLabel")}</span>
        </label>
        <span class="row-actions">
          <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.subRotateNamed", { url: sub.url })} onClick={props.onRotate}>
            <Icon name="key" size={14} /> {t("admin.subRotate")}</button>
          <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.subDeleteNamed", { url: sub.url })}
            onClick={props.onDelete}><Icon name="trash" size={14} /> {t("admin.subDelete")}</button>
        </span>
      </div>
    </li>
  );
}

/** A new subscription: the app's URL and the kinds of events it gets. */
function NewSubscriptionForm(props: { idp: string; bot: Bot; failed: (e: unknown) => string; onMade: (sub: IssuedEventSubscription) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const p = `${props.idp}-sub`;
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventKind[]>(["message"]);
  const [problem, setProblem] = useState<SubscriptionProblem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fail = (pr: SubscriptionProblem) => {
    setProblem(pr);
    if (pr.field === "url") document.getElementById(`${p}-url`)?.focus();
    else if (pr.field === "events") document.getElementById(`${p}-event-${WEBHOOK_EVENT_KINDS[0]}`)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const made = subscriptionRequestOf(url, events);
    if ("problem" in made) { fail(made.problem); return; }
    setBusy(true);
    setProblem(null);
    setError(null);
    try {
      const sub = await client.admin.createSubscription(props.bot.account, made.request);
      setUrl("");
      setEvents(["message"]);
      props.onMade(sub);
    } catch (err) {
      const refused = subscriptionRefusal(err);
      if (refused) fail(refused);
      else setError(props.failed(err));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (kind: WebhookEventKind, on: boolean) => {
    setEvents((shown) => (on ? [...shown.filter((k) => k !== kind), kind] : shown.filter((k) => k !== kind)));
    setProblem(null);
  };
  const describedBy = (field: "url" | "events", hint?: string) =>
    [hint, problem?.field === field ? `${p}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const errorOf = (field: "url" | "events") =>
    problem?.field === field && <span id={`${p}-${field}-error`} class="field-error" role="alert">{problemText(problem, t, props.bot.display_name)}</span>;
  return (
    <form class="stack admin-subform bot-new-sub" noValidate onSubmit={submit} aria-labelledby={`${p}-title`}>
      <h3 id={`${p}-title`} class="subhead">{t("admin.botNewSub")}</h3>
      <div class="field">
        <label for={`${p}-url`}>{t("admin.subUrlLabel")}</label>
        <input id={`${p}-url`} class="input" type="url" inputMode="url" value={url} autoComplete="off" autoCapitalize="none" spellcheck={false}
          placeholder="https://app.example.com/magpie/events" aria-invalid={problem?.field === "url"} aria-describedby={describedBy("url", `${p}-url-hint`)}
          onInput={(e) => { setUrl(e.currentTarget.value); setProblem(null); setError(null); }} />
        <span id={`${p}-url-hint`} class="muted small">{t("admin.subUrlHint")}</span>
        {errorOf("url")}
      </div>
      <fieldset class="bot-powers bot-sub-kinds" aria-describedby={describedBy("events")}>
        <legend class="field-label">{t("admin.subEventsLegend")}</legend>
        {WEBHOOK_EVENT_KINDS.map((k) => (
          <label key={k} class="check-row">
            <input id={`${p}-event-${k}`} type="checkbox" value={k} checked={events.includes(k)} aria-invalid={problem?.field === "events"}
              onChange={(e) => toggle(k, e.currentTarget.checked)} />
            {" "}<span><strong>{t(`admin.subEvent.${k}`)}</strong> <span class="muted small">{t(`admin.subEventHint.${k}`)}</span></span>
          </label>
        ))}
        {errorOf("events")}
      </fieldset>
      {problem?.field === null && <p class="form-error" role="alert" data-testid="bot-sub-create-error">{problemText(problem, t, props.bot.display_name)}</p>}
      {error && <p class="form-error" role="alert" data-testid="bot-sub-create-error">{error}</p>}
      <div><button type="submit" class="btn btn-primary" disabled={busy}><Icon name="plus" size={16} /> {t("admin.subCreate")}</button></div>
    </form>
  );
}

/** A subscription's signing secret, shown this once. */
function SecretDialog(props: { issued: IssuedEventSubscription; rotated: boolean; bot: string; onClose: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <Dialog title={props.rotated ? t("admin.subRotatedTitle") : t("admin.subMadeTitle")}
      onClose={props.onClose} size="md" role="alertdialog" class="bot-secret-dialog"
      footer={<button type="button" class="btn btn-primary" onClick={props.onClose}>{t("admin.done")}</button>}>
      <div class="stack">
        <p class="notice notice-warn" role="note">{t("admin.subSecretOnce", { bot: props.bot })}</p>
        <p class="muted small bot-sub-for">{t("admin.subSecretFor")} <code data-testid="bot-sub-secret-url">{props.issued.url}</code></p>
        <CopyField id="bot-sub-secret" label={t("admin.subSecretLabel")} value={props.issued.secret} copyLabel={t("admin.subCopySecret")} testid="bot-sub-secret" />
        <p class="muted small">{t("admin.subSecretUse")}</p>
      </div>
    </Dialog>
  );
}
