// The "files" pane of a conversation (issue 23): what it shares, by kind (images, files,
// links), newest first, as the server lists it for this member (protocol §7.10). Links show
// the preview the server made of their page, never anything fetched from the site itself.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Entry, LinkPreview, SharedKind } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatBytes, formatFull } from "../lib/format.ts";
import { links } from "../lib/links.ts";
import { notPruned } from "../lib/retention.ts";
import { attempt, displayName, useClient, useClientState } from "../state/client.ts";
import { downloadFile } from "../state/media.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { IconButton, Spinner } from "./ui.tsx";

const PAGE_LEN = 30;
const KINDS: SharedKind[] = ["image", "file", "link"];

export function SharedPanel({ conversation, onClose, onOpenImage }: {
  conversation: number; onClose: () => void; onOpenImage: (fileId: string, name?: string) => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [kind, setKind] = useState<SharedKind>("image");
  const [loaded, setLoaded] = useState<Entry[] | null>(null);
  // What retention deletes while the pane is open leaves it at once.
  const pruned = useClientState(client, () => client.view(conversation)?.conversation.pruned_through);
  const entries = loaded && notPruned(loaded, () => pruned);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const label: Record<SharedKind, string> = { image: t("shared.images"), file: t("shared.files"), link: t("shared.links") };

  const load = async (before?: number) => {
    setLoading(true);
    const ok = await attempt(async () => {
      const page = await client.shared(conversation, kind, before, PAGE_LEN);
      setLoaded((old) => (before === undefined ? page.entries : [...(old ?? []), ...page.entries]));
      setNext(page.next_before);
    }, t, (m) => toast(m));
    setLoading(false);
    if (!ok && before === undefined) setLoaded([]);
  };
  useEffect(() => { heading.current?.focus(); }, []);
  useEffect(() => { setLoaded(null); setNext(undefined); void load(); }, [conversation, kind]);

  return (
    <aside class="info-pane shared-pane" aria-label={t("shared.title")} onKeyDown={(e) => { if (e.key === "Escape") { e.stopPropagation(); onClose(); } }}>
      <header class="pane-header">
        <h2 ref={heading} tabIndex={-1}>{t("shared.title")}</h2>
        <IconButton icon="close" label={t("common.close")} onClick={onClose} />
      </header>
      <div class="shared-tabs" role="tablist" aria-label={t("shared.title")}>
        {KINDS.map((k) => (
          <button key={k} type="button" role="tab" id={`shared-tab-${k}`} aria-selected={kind === k} aria-controls="shared-panel"
            class={`shared-tab${kind === k ? " selected" : ""}`} onClick={() => setKind(k)}>{label[k]}</button>
        ))}
      </div>
      <div class="info-scroll" id="shared-panel" role="tabpanel" aria-labelledby={`shared-tab-${kind}`}>
        {entries === null ? <div class="shared-empty"><Spinner /></div>
          : entries.length === 0 ? <p class="shared-empty muted">{t("shared.empty")}</p>
          : kind === "image" ? (
            <ul class="shared-grid" aria-label={label.image}>
              {entries.map((e) => <SharedImage key={e.seq} entry={e} onOpen={onOpenImage} />)}
            </ul>
          ) : kind === "file" ? (
            <ul class="shared-list" aria-label={label.file}>
              {entries.map((e) => <SharedFile key={e.seq} entry={e} />)}
            </ul>
          ) : (
            <ul class="shared-list" aria-label={label.link}>
              {entries.map((e) => <SharedLink key={e.seq} entry={e} />)}
            </ul>
          )}
        {next !== undefined && entries && entries.length > 0 && (
          <button type="button" class="btn shared-more" disabled={loading} onClick={() => void load(next)}>{t("shared.more")}</button>
        )}
      </div>
    </aside>
  );
}

function bodyOf(entry: Entry): Record<string, unknown> {
  return (entry.body && typeof entry.body === "object" ? entry.body : {}) as Record<string, unknown>;
}

function SharedImage({ entry, onOpen }: { entry: Entry; onOpen: (fileId: string, name?: string) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const body = bodyOf(entry);
  const file = typeof body.file === "string" ? body.file : "";
  const name = typeof body.name === "string" ? body.name : undefined;
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => { let live = true; client.fileUrl(file, 256).then((u) => { if (live) setUrl(u); }, () => {}); return () => { live = false; }; }, [file]);
  return (
    <li class="shared-cell">
      <button type="button" class="shared-thumb" aria-label={t("shared.openImage", { name: name ?? t("preview.image") })} onClick={() => onOpen(file, name)}>
        {url ? <img src={url} alt="" /> : <Icon name="image" size={24} />}
      </button>
    </li>
  );
}

function SharedFile({ entry }: { entry: Entry }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const body = bodyOf(entry);
  const file = typeof body.file === "string" ? body.file : "";
  const name = typeof body.name === "string" ? body.name : entry.kind === "video" ? t("preview.video") : file;
  const size = typeof body.size === "number" ? body.size : undefined;
  const dot = name.lastIndexOf(".");
  const badge = entry.kind === "video" ? "VIDEO" : dot > 0 && name.length - dot <= 6 ? name.slice(dot + 1).toUpperCase() : "FILE";
  return (
    <li class="shared-row" data-testid="shared-file">
      <span class="type-badge" aria-hidden="true">{badge}</span>
      <span class="shared-text">
        <span class="shared-name">{name}</span>
        <span class="muted small">{[size !== undefined ? formatBytes(size) : null, displayName(client, entry.sender), formatFull(entry.at_ms, locale)].filter(Boolean).join(" · ")}</span>
      </span>
      <IconButton icon="download" label={t("shared.download", { name })}
        onClick={() => void attempt(() => downloadFile(client, file, name), t, (m) => toast(m))} />
    </li>
  );
}

function SharedLink({ entry }: { entry: Entry }): JSX.Element {
  const client = useClient();
  const { locale } = useT();
  const body = bodyOf(entry);
  const url = typeof body.url === "string" ? body.url : links(typeof body.text === "string" ? body.text : "")[0] ?? "";
  const [preview, setPreview] = useState<LinkPreview | null>(null);
  const [image, setImage] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setPreview(null);
    setImage(undefined);
    if (url) {
      void client.linkPreview(url).then((p) => {
        if (!live || !p) return;
        setPreview(p);
        if (p.image) client.linkPreviewImageUrl(url).then((u) => { if (live) setImage(u); }, () => {});
      });
    }
    return () => { live = false; };
  }, [url]);
  const title = preview?.title ?? (typeof body.title === "string" ? body.title : undefined);
  return (
    <li class="shared-row shared-link-row" data-testid="shared-link">
      {image ? <img class="shared-link-image" src={image} alt="" /> : <span class="type-badge" aria-hidden="true"><Icon name="link" size={16} /></span>}
      <span class="shared-text">
        {title && <span class="shared-name">{title}</span>}
        <a class="shared-url" href={url} target="_blank" rel="noopener noreferrer">{url}</a>
        <span class="muted small">{[preview?.site_name, displayName(client, entry.sender), formatFull(entry.at_ms, locale)].filter(Boolean).join(" · ")}</span>
      </span>
    </li>
  );
}
