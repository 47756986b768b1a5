// Saved messages (收藏, protocol §7.11): the account's copies of messages, newest first, with
// where they were said, a note of its own, and a way back to the message in its chat. The SDK
// keeps the list current on every device; this page only loads it and renders it.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Entry, SavedItem } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatFull, formatListTime } from "../lib/format.ts";
import { previewText } from "../lib/preview.ts";
import { attempt, errorText, useClient, useClientState, useNames, useNow } from "../state/client.ts";
import { navigate } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, Spinner } from "./ui.tsx";
import { ImageViewer, MessageContent } from "./content.tsx";

/** Longest note, in characters (the server's bound). */
const NOTE_CHARS_MAX = 500;

/** A saved copy as an entry, for the renderers of message bodies and previews. */
function asEntry(item: SavedItem): Entry {
  return {
    conversation: item.conversation, seq: item.seq, id: item.id, sender: item.sender, kind: item.kind, body: item.body,
    at_ms: item.at_ms, ...(item.recalled_at_ms !== undefined ? { recalled_at_ms: item.recalled_at_ms } : {}),
  };
}

export function SavedPage(): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const saved = useClientState(client, () => client.saved());
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [image, setImage] = useState<{ fileId: string; name?: string | undefined } | null>(null);
  useEffect(() => {
    client.loadSaved().catch((e: unknown) => toast(errorText(e, t)));
  }, [client]);

  const older = () => {
    setLoadingOlder(true);
    client.loadSaved(true).catch((e: unknown) => toast(errorText(e, t))).finally(() => setLoadingOlder(false));
  };

  return (
    <main class="page saved-page" aria-labelledby="saved-title">
      <header class="page-header"><h1 id="saved-title">{t("saved.title")}</h1></header>
      <div class="page-scroll">
        <div class="saved-column">
          {!saved && <Spinner label={t("common.loading")} />}
          {saved && saved.items.length === 0 && (
            <div class="saved-empty"><Icon name="bookmark" size={32} /><p class="muted">{t("saved.empty")}</p></div>
          )}
          {saved && saved.items.length > 0 && (
            <ul class="saved-list" role="list" aria-label={t("saved.list")}>
              {saved.items.map((item) => <SavedRow key={item.id} item={item} onOpenImage={(fileId, name) => setImage({ fileId, name })} />)}
            </ul>
          )}
          {saved?.more && (
            <button type="button" class="btn saved-more" disabled={loadingOlder} onClick={older}>{t("saved.more")}</button>
          )}
        </div>
      </div>
      {image && <ImageViewer fileId={image.fileId} name={image.name} onClose={() => setImage(null)} />}
    </main>
  );
}

function SavedRow({ item, onOpenImage }: { item: SavedItem; onOpenImage: (fileId: string, name?: string) => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const now = useNow(60_000);
  const nameOf = useNames(client, [item.sender, item.peer]);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState(item.note ?? "");
  const [busy, setBusy] = useState(false);
  const entry = asEntry(item);
  const recalled = item.body === null;
  const sender = item.sender === client.me.account ? t("preview.you") : nameOf(item.sender);
  const where = item.conversation_kind === "direct"
    ? item.peer === client.me.account || item.peer === undefined
      ? t("list.notesToSelf")
      : t("saved.inDirect", { name: nameOf(item.peer) })
    : item.conversation_name ?? t("list.untitledGroup");

  const saveNote = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const ok = await attempt(() => client.updateSavedNote(item.id, note), t, (m) => toast(m));
    setBusy(false);
    if (ok) setEditing(false);
  };
  const remove = () => void attempt(() => client.removeSaved(item.id), t, (m) => toast(m))
    .then((ok) => { if (ok) toast(t("saved.removed"), "info"); });

  return (
    <li class="saved-item" data-testid="saved-item" aria-label={t("saved.item", { name: sender })}>
      <div class="saved-head">
        <Avatar name={nameOf(item.sender)} seed={item.sender} url={client.profile(item.sender)?.avatar} size={32} />
        <span class="saved-from">
          <strong>{sender}</strong>
          <span class="muted small">{t("saved.from", { conversation: where, time: formatListTime(item.at_ms, now, locale, t("time.yesterday")) })}</span>
        </span>
        <time class="muted small" dateTime={new Date(item.saved_at_ms).toISOString()} title={formatFull(item.saved_at_ms, locale)}>
          {t("saved.savedAt", { time: formatListTime(item.saved_at_ms, now, locale, t("time.yesterday")) })}
        </time>
      </div>
      <div class="saved-body">
        {recalled
          ? <p class="bubble bubble-note"><Icon name="undo" size={14} /> {t("saved.recalled")}</p>
          : <div class={`bubble kind-${item.kind}`} title={previewText(entry, { t, locale, nameOf })}>
              <MessageContent entry={entry} mentioned={[]} onOpenImage={onOpenImage} readOnly />
            </div>}
      </div>
      {editing ? (
        <form class="saved-note-form" onSubmit={saveNote}>
          <label for={`note-${item.id}`} class="visually-hidden">{t("saved.noteLabel")}</label>
          <textarea id={`note-${item.id}`} class="input" rows={2} maxLength={NOTE_CHARS_MAX} value={note} data-autofocus
            onInput={(e) => setNote(e.currentTarget.value)} />
          <span class="row-actions">
            <button type="submit" class="btn btn-small btn-primary" disabled={busy}>{t("saved.saveNote")}</button>
            <button type="button" class="btn btn-small btn-ghost" onClick={() => { setEditing(false); setNote(item.note ?? ""); }}>{t("common.cancel")}</button>
          </span>
        </form>
      ) : item.note ? (
        <p class="saved-note" aria-label={t("saved.note")}><Icon name="edit" size={13} /> <span>{item.note}</span></p>
      ) : null}
      {!editing && (
        <div class="saved-actions">
          <button type="button" class="btn btn-small" onClick={() => navigate({ page: "chats", conversation: item.conversation, seq: item.seq })}>
            <Icon name="chat" size={14} /> {t("saved.open")}</button>
          <button type="button" class="btn btn-small" onClick={() => { setNote(item.note ?? ""); setEditing(true); }}>
            <Icon name="edit" size={14} /> {item.note ? t("saved.editNote") : t("saved.addNote")}</button>
          <button type="button" class="btn btn-small btn-ghost" onClick={remove}>
            <Icon name="trash" size={14} /> {t("saved.remove")}</button>
        </div>
      )}
    </li>
  );
}
