// A conversation's own notification settings, offered by the list's menu, the chat's header and
// the group info pane: a mute for a while or until the user unmutes (the dialog), what a muted
// conversation's flag says, and the level the conversation follows.

import type { JSX } from "preact";
import { useReducer, useState } from "preact/hooks";
import type { Conversation, NotifyLevelChoice } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Locale, MessageKey, Translate } from "../i18n/index.ts";
import { LEVEL_CHOICES, MUTE_CHOICES, type MuteChoice, muteChange, muteEnd } from "../lib/conversationNotify.ts";
import { formatUntil } from "../lib/format.ts";
import { attempt, errorText, useClient } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Dialog } from "./ui.tsx";

const MUTE_KEYS: Record<MuteChoice, MessageKey> = {
  hour: "mute.hour", hours8: "mute.hours8", day: "mute.day", week: "mute.week", forever: "mute.forever",
};
const LEVEL_KEYS: Record<NotifyLevelChoice, MessageKey> = {
  default: "group.notifyDefault", all: "group.notifyAll", mentions: "group.notifyMentions", nothing: "group.notifyNothing",
};

/** What a muted conversation's flag says: "Muted until 18:00" while a timed mute lasts, else "Muted". */
export function muteLabel(c: Pick<Conversation, "me">, nowMs: number, t: Translate, locale: Locale): string {
  const end = muteEnd(c, nowMs);
  return end === undefined ? t("list.muted") : t("list.mutedUntil", { time: formatUntil(end, nowMs, locale) });
}

/** Asks for how long to mute the conversation, and mutes it: the time is counted from when the
 * user confirms. A refusal shows in the dialog, which stays open. */
export function MuteDialog({ conversation, onClose }: { conversation: number; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  // Until I unmute: what "Mute" did before it could end by itself.
  const [choice, setChoice] = useState<MuteChoice>("forever");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.updateSettings(conversation, muteChange(choice, Date.now()));
      onClose();
    } catch (err) {
      setError(errorText(err, t));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t("mute.title")} onClose={onClose} size="sm">
      <form onSubmit={submit} class="stack">
        <fieldset class="notify-fieldset level-choices">
          <legend><strong>{t("mute.for")}</strong></legend>
          {MUTE_CHOICES.map((c) => (
            <label key={c} class="radio-row">
              <input type="radio" name="mute-for" value={c} checked={choice === c} data-autofocus={choice === c ? true : undefined}
                onChange={() => setChoice(c)} />
              <span>{t(MUTE_KEYS[c])}</span>
            </label>
          ))}
        </fieldset>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>{t("common.cancel")}</button>
          <button type="submit" class="btn btn-primary" disabled={busy}><Icon name="bellOff" size={16} /><span>{t("mute.confirm")}</span></button>
        </div>
      </form>
    </Dialog>
  );
}

/** The level the conversation follows, written as soon as it is chosen; "default" follows the
 * account's (Settings → Notifications). */
export function NotifyLevelField({ conversation: c }: { conversation: Conversation }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  // A refused change puts the radios back to the level the conversation still has.
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const current: NotifyLevelChoice = c.me.notify_level ?? "default";
  const choose = async (level: NotifyLevelChoice) => {
    if (!(await attempt(() => client.updateSettings(c.id, { notify_level: level }), t, (m) => toast(m)))) redraw(0);
  };
  return (
    <fieldset class="notify-fieldset level-choices">
      <legend><strong>{t("group.notifyLevel")}</strong></legend>
      {LEVEL_CHOICES.map((level) => (
        <label key={level} class="radio-row">
          <input type="radio" name={`conversation-notify-level-${c.id}`} value={level} checked={current === level} onChange={() => void choose(level)} />
          <span>{t(LEVEL_KEYS[level])}</span>
        </label>
      ))}
    </fieldset>
  );
}
