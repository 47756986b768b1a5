// Scheduled messages (定时发送, protocol §7.12): the dialog that picks when to send (quick
// choices and a date-and-time field), the bar above the composer that counts a conversation's
// scheduled messages, and the list behind it, where each one's time and text are changed, or it
// is sent now or cancelled; a failed one says why it was not sent.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ScheduledMessage } from "@magpie/sdk";
import type { Translate } from "../i18n/index.ts";
import { useT } from "../i18n/hooks.ts";
import { editBody, editableText } from "../lib/compose.ts";
import { formatFull } from "../lib/format.ts";
import { bodyPreview } from "../lib/preview.ts";
import { fromLocalInput, inOneHour, timeProblem, toLocalInput, tomorrowAt } from "../lib/schedule.ts";
import { displayName, errorText, isMagpieError, useClient, useClientState } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Dialog } from "./ui.tsx";

/** Kinds whose text the list edits in place, as an edit of a sent message would (§7.5). */
const TEXT_KINDS = new Set(["text", "markdown", "code"]);

/** A failure of a scheduled message's request, in words: `conflict` means it is on its way. */
function scheduledErrorText(e: unknown, t: Translate): string {
  return isMagpieError(e) && e.code === "conflict" ? t("scheduled.beingSent") : errorText(e, t);
}

/** Why a scheduled message was not sent, from the code its send got. */
export function failureReason(message: ScheduledMessage, t: Translate): string {
  switch (message.failure?.code) {
    case "forbidden": return t("scheduled.reasonForbidden");
    case "not_found": return t("scheduled.reasonNotFound");
    case "account_disabled": return t("scheduled.reasonDisabled");
    case "invalid_field": case "too_large": case "limit_exceeded": return t("scheduled.reasonInvalid");
    default: return t("scheduled.reasonOther");
  }
}

/** Picks when to send: a quick choice or a date and time of one's own. `onPick` does the work;
 * its failure is shown in the dialog, which stays open. */
export function ScheduleDialog(props: {
  title: string; confirm: string; preview?: string | undefined; initialMs?: number | undefined;
  onPick: (sendAtMs: number) => Promise<void>; onClose: () => void;
}): JSX.Element {
  const { t, locale } = useT();
  const [now] = useState(() => Date.now());
  const quick = [
    { label: t("scheduled.inOneHour"), at: inOneHour(now) },
    { label: t("scheduled.tomorrowMorning"), at: tomorrowAt(now) },
  ];
  const [value, setValue] = useState(() => toLocalInput(props.initialMs ?? quick[0]!.at));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = fromLocalInput(value);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (chosen === null) { setError(t("scheduled.noTime")); return; }
    const problem = timeProblem(chosen, Date.now());
    if (problem) { setError(t(problem === "past" ? "scheduled.past" : "scheduled.far")); return; }
    setBusy(true);
    setError(null);
    try {
      await props.onPick(chosen);
      props.onClose();
    } catch (err) {
      setError(scheduledErrorText(err, t));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose} size="sm" class="schedule-dialog">
      <form onSubmit={submit} class="stack" noValidate>
        {props.preview && (
          <div class="field">
            <span class="field-label" id="schedule-preview-label">{t("scheduled.message")}</span>
            <p class="schedule-preview" aria-labelledby="schedule-preview-label">{props.preview}</p>
          </div>
        )}
        <fieldset class="schedule-quick">
          <legend>{t("scheduled.quick")}</legend>
          {quick.map((q) => (
            <button type="button" key={q.label} class="btn btn-small" aria-pressed={chosen === q.at}
              onClick={() => { setValue(toLocalInput(q.at)); setError(null); }}>
              {q.label}
            </button>
          ))}
        </fieldset>
        <div class="field">
          <label for="schedule-when">{t("scheduled.when")}</label>
          {/* Minutes in the picker; a value with seconds (typed, or filled by a test) is kept. */}
          <input id="schedule-when" class="input" type="datetime-local" value={value} min={toLocalInput(now - (now % 60_000))} data-autofocus
            aria-describedby="schedule-when-hint" aria-invalid={error ? true : undefined}
            onInput={(e) => { setValue(e.currentTarget.value); setError(null); }} />
          <span id="schedule-when-hint" class="muted small" aria-live="polite">
            {chosen !== null && !timeProblem(chosen, now - 60_000) ? t("scheduled.willSend", { time: formatFull(chosen, locale) }) : ""}
          </span>
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={props.onClose}>{t("common.cancel")}</button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            <Icon name="clock" size={16} /><span>{props.confirm}</span>
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The bar above the composer: how many messages this chat has scheduled (and how many of them
 * failed), opening their list. Nothing while there are none. */
export function ScheduledBar({ conversation }: { conversation: number }): JSX.Element | null {
  const client = useClient();
  const { t } = useT();
  const list = useClientState(client, () => client.scheduled(conversation), sameList);
  const [open, setOpen] = useState(false);
  // The account's list is loaded once; the SDK keeps it current from the event log.
  useEffect(() => {
    if (client.scheduled() === undefined) client.loadScheduled().catch(() => { /* no bar until it loads */ });
  }, [client]);
  // The dialog closes once its last message is sent or cancelled (here or on another device).
  const count = list?.length ?? 0;
  useEffect(() => { if (count === 0) setOpen(false); }, [count]);
  if (!list || count === 0) return null;
  const failed = list.filter((m) => m.state === "failed").length;
  const label = count === 1 ? t("scheduled.barOne") : t("scheduled.barMany", { count });
  return (
    <>
      <div class="scheduled-bar" role="region" aria-label={t("scheduled.listTitle")} data-testid="scheduled-bar">
        <button type="button" class="scheduled-bar-main" aria-haspopup="dialog" onClick={() => setOpen(true)}>
          <Icon name="clock" size={16} />
          <span>{label}</span>
          {failed > 0 && <span class="scheduled-bar-failed"><Icon name="alert" size={14} />{t("scheduled.barFailed", { count: failed })}</span>}
        </button>
      </div>
      {open && <ScheduledListDialog list={list} onClose={() => setOpen(false)} />}
    </>
  );
}

function sameList(a: ScheduledMessage[] | undefined, b: ScheduledMessage[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((m, i) => m === b[i]);
}

/** A conversation's scheduled messages, the earliest first. */
function ScheduledListDialog({ list, onClose }: { list: ScheduledMessage[]; onClose: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <Dialog title={t("scheduled.listTitle")} onClose={onClose} class="scheduled-dialog">
      <ul class="scheduled-list" role="list" aria-label={t("scheduled.list")}>
        {list.map((m) => <ScheduledItem key={m.id} message={m} />)}
      </ul>
    </Dialog>
  );
}

function ScheduledItem({ message }: { message: ScheduledMessage }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [editingText, setEditingText] = useState<string | null>(null);
  const [editingTime, setEditingTime] = useState(false);
  const [busy, setBusy] = useState(false);
  const textArea = useRef<HTMLTextAreaElement>(null);
  const text = bodyPreview(message.kind, message.body, { t, locale, nameOf: (a) => displayName(client, a) });
  const failed = message.state === "failed";
  const act = async (action: () => Promise<unknown>, done: string): Promise<boolean> => {
    setBusy(true);
    try {
      await action();
      toast(done, "info");
      return true;
    } catch (e) {
      toast(scheduledErrorText(e, t));
      return false;
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { if (editingText !== null) textArea.current?.focus(); }, [editingText !== null]);
  const saveText = async (e: Event) => {
    e.preventDefault();
    const body = editingText === null ? null : editBody(message.kind, editingText);
    if (!body) return;
    if (await act(() => client.updateScheduled(message.id, { body }), t("scheduled.updated"))) setEditingText(null);
  };
  return (
    <li class={`scheduled-item${failed ? " failed" : ""}`} data-testid="scheduled-item">
      <div class="scheduled-head">
        <Icon name={failed ? "alert" : "clock"} size={16} />
        <time dateTime={new Date(message.send_at_ms).toISOString()}>{formatFull(message.send_at_ms, locale)}</time>
        <span class={`scheduled-state${failed ? " failed" : ""}`}>{failed ? t("scheduled.failed") : t("scheduled.pending")}</span>
      </div>
      {editingText === null
        ? <p class="scheduled-text">{text}</p>
        : (
          <form class="scheduled-edit" onSubmit={saveText}>
            <textarea ref={textArea} class="input" rows={3} aria-label={t("scheduled.text")} value={editingText}
              onInput={(e) => setEditingText(e.currentTarget.value)}
              onKeyDown={(e) => { if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); setEditingText(null); } }} />
            <span class="row-actions">
              <button type="button" class="btn btn-small" onClick={() => setEditingText(null)}>{t("common.cancel")}</button>
              <button type="submit" class="btn btn-small btn-primary" disabled={busy || editingText.trim() === ""}>{t("scheduled.save")}</button>
            </span>
          </form>
        )}
      {failed && <p class="scheduled-why" role="note">{t("scheduled.failedWhy", { reason: failureReason(message, t) })}</p>}
      {editingText === null && (
        <div class="scheduled-actions">
          <button type="button" class="btn btn-small" disabled={busy} aria-label={t("scheduled.editTimeNamed", { text })}
            onClick={() => setEditingTime(true)}><Icon name="clock" size={14} /><span>{t("scheduled.editTime")}</span></button>
          {TEXT_KINDS.has(message.kind) && (
            <button type="button" class="btn btn-small" disabled={busy} aria-label={t("scheduled.editTextNamed", { text })}
              onClick={() => setEditingText(editableText(message.kind, message.body))}><Icon name="edit" size={14} /><span>{t("scheduled.editText")}</span></button>
          )}
          <button type="button" class="btn btn-small" disabled={busy} aria-label={t("scheduled.sendNowNamed", { text })}
            onClick={() => void act(() => client.sendScheduledNow(message.id), t("scheduled.sent"))}><Icon name="send" size={14} /><span>{t("scheduled.sendNow")}</span></button>
          <button type="button" class="btn btn-small btn-danger-ghost" disabled={busy} aria-label={t("scheduled.cancelNamed", { text })}
            onClick={() => void act(() => client.cancelScheduled(message.id), t("scheduled.cancelled"))}><Icon name="trash" size={14} /><span>{t("scheduled.cancel")}</span></button>
        </div>
      )}
      {editingTime && (
        <ScheduleDialog title={t("scheduled.editTimeTitle")} confirm={t("scheduled.save")} preview={text}
          initialMs={failed && message.send_at_ms <= Date.now() ? undefined : message.send_at_ms}
          onPick={async (at) => { await client.updateScheduled(message.id, { send_at_ms: at }); toast(t("scheduled.updated"), "info"); }}
          onClose={() => setEditingTime(false)} />
      )}
    </li>
  );
}
