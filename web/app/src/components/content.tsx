// The inside of a message bubble, by kind (protocol §7.3). Everything user-written is rendered
// as text nodes, except Markdown, which goes through the sanitiser in lib/markdown.ts.

import type { ComponentChildren, JSX } from "preact";
import { useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { readInteractiveCard, type ChatClient, type Entry } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { type Body, num, objList, str } from "../lib/body.ts";
import { renderMarkdown } from "../lib/markdown.ts";
import { highlightWith, loadHighlighter } from "../lib/highlight.ts";
import { formatBytes, formatDuration, formatFull, formatMoney } from "../lib/format.ts";
import { bodyPreview } from "../lib/preview.ts";
import { MENTION_ALL_WORDS } from "../lib/compose.ts";
import { links } from "../lib/links.ts";
import { errorText, useClient, useNames } from "../state/client.ts";
import { blurhashUrl, downloadFile, fitBox, localPreview } from "../state/media.ts";
import { openConversationRoute } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon, type IconName } from "./icons.tsx";
import { Avatar, Dialog, copyText } from "./ui.tsx";
import { RowTabbable, useRowTabIndex } from "../state/rowtab.ts";
import { LinkPreviewCard } from "./LinkPreviewCard.tsx";
import { InteractiveCardView } from "./InteractiveCard.tsx";
import { VoiceMessage } from "./Voice.tsx";

// ---- Text with links and mentions -------------------------------------------------------

const URL_RE = /\bhttps?:\/\/[^\s<>"'`）」】]+[^\s<>"'`）」】.,;:!?。，；：！？)]/g;

export type Segment = { type: "text" | "link" | "mention"; text: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Splits text into plain runs, links and `@name` for each of `mentioned` (names of the
 * people the message mentions, from its `mentions` list; longest first, so that `@Alice Chen`
 * is not cut to `@Alice`). A name ending in a Latin letter or digit must end there: `@Bob`
 * is not in `@Bobby`. */
export function segmentText(text: string, mentioned: string[]): Segment[] {
  const out: Segment[] = [];
  const names = [...new Set(mentioned.filter(Boolean))].sort((a, b) => b.length - a.length)
    .map((n) => escapeRe(n) + (/[A-Za-z0-9_]$/.test(n) ? "(?![A-Za-z0-9_])" : ""));
  const pattern = new RegExp(`${URL_RE.source}${names.length ? `|@(?:${names.join("|")})` : ""}`, "gi");
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const i = m.index ?? 0;
    if (i > last) out.push({ type: "text", text: text.slice(last, i) });
    out.push({ type: m[0].startsWith("@") ? "mention" : "link", text: m[0] });
    last = i + m[0].length;
  }
  if (last < text.length) out.push({ type: "text", text: text.slice(last) });
  return out;
}

/** The names under which a message mentions people: each mentioned account's display name
 * and the part of its address before `@` (what the composer recognises), and the words for
 * everyone when it mentions `@all`. Nothing else in the text is taken for a mention. */
export function mentionedNames(entry: Pick<Entry, "mentions" | "mention_all">, nameOf: (account: string) => string): string[] {
  const names: string[] = [];
  for (const account of entry.mentions ?? []) names.push(nameOf(account), account.split("@")[0] ?? "");
  if (entry.mention_all) names.push(...MENTION_ALL_WORDS);
  return names.filter(Boolean);
}

export function RichText({ text, mentioned = [] }: { text: string; mentioned?: string[] }): JSX.Element {
  const segments = useMemo(() => segmentText(text, mentioned), [text, mentioned.join("\u0000")]);
  const tab = useRowTabIndex();
  return (
    <div class="text-body">
      {segments.map((s, i) =>
        s.type === "link" ? <a key={i} href={s.text} target="_blank" rel="noopener noreferrer nofollow" tabIndex={tab}>{s.text}</a>
          : s.type === "mention" ? <span key={i} class="mention" data-testid="mention">{s.text}</span>
            : s.text)}
    </div>
  );
}

/** Wraps `@Name` in text nodes (not in code or links) in a mention span. */
function markMentions(root: HTMLElement, names: string[]): void {
  if (names.length === 0) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if ((n.textContent ?? "").includes("@") && !n.parentElement?.closest("code, pre, a, .mention")) nodes.push(n as Text);
  }
  for (const node of nodes) {
    const segments = segmentText(node.textContent ?? "", names);
    if (!segments.some((x) => x.type === "mention")) continue;
    const frag = document.createDocumentFragment();
    for (const seg of segments) {
      if (seg.type === "mention") {
        const span = document.createElement("span");
        span.className = "mention";
        span.dataset.testid = "mention";
        span.textContent = seg.text;
        frag.appendChild(span);
      } else frag.appendChild(document.createTextNode(seg.text));
    }
    node.replaceWith(frag);
  }
}

function Markdown({ text, mentioned }: { text: string; mentioned: string[] }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const html = useMemo(() => renderMarkdown(text), [text]);
  const namesKey = mentioned.join("\u0000");
  useLayoutEffect(() => {
    if (ref.current) markMentions(ref.current, mentioned);
  }, [html, namesKey]);
  // The sanitised HTML's links follow the message's place in the Tab order.
  const tabbable = useContext(RowTabbable);
  useLayoutEffect(() => {
    ref.current?.querySelectorAll("a[href]").forEach((a) => { if (tabbable) a.removeAttribute("tabindex"); else a.setAttribute("tabindex", "-1"); });
  }, [html, tabbable]);
  useEffect(() => {
    const blocks = ref.current?.querySelectorAll<HTMLElement>("pre code");
    if (!blocks || blocks.length === 0) return;
    let live = true;
    void loadHighlighter().then((hljs) => {
      if (!live) return;
      blocks.forEach((el) => {
        const lang = /language-([\w+#.-]+)/.exec(el.className)?.[1];
        const out = highlightWith(hljs, el.textContent ?? "", lang);
        if (out) { el.innerHTML = out.html; el.classList.add("hljs"); }
      });
    });
    return () => { live = false; };
  }, [html]);
  return <div ref={ref} class="markdown-body" dangerouslySetInnerHTML={{ __html: html }} />;
}

function Code({ code, language }: { code: string; language?: string | undefined }): JSX.Element {
  const { t } = useT();
  const tab = useRowTabIndex();
  const [html, setHtml] = useState<{ html: string; language: string } | null>(null);
  useEffect(() => {
    let live = true;
    void loadHighlighter().then((hljs) => { if (live) setHtml(highlightWith(hljs, code, language)); });
    return () => { live = false; };
  }, [code, language]);
  return (
    <div class="code-block">
      <div class="code-head">
        <span>{language || html?.language || t("msg.code")}</span>
        <button type="button" class="icon-btn small" aria-label={t("msg.copyCode")} title={t("msg.copyCode")} tabIndex={tab}
          onClick={() => void copyText(code).then(() => toast(t("msg.copied"), "info"))}><Icon name="copy" size={14} /></button>
      </div>
      {html
        ? <pre><code class="hljs" dangerouslySetInnerHTML={{ __html: html.html }} /></pre>
        : <pre><code>{code}</code></pre>}
    </div>
  );
}

// ---- Media ------------------------------------------------------------------------------

/** A file's object URL (or its thumbnail's, of `side` pixels), fetched with the token; undefined
 * until it has loaded, and when it fails (shown as the caller's placeholder). */
export function useFileUrl(client: ChatClient, fileId: string | undefined, side?: 256 | 1024): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!fileId) return;
    let live = true;
    client.fileUrl(fileId, side).then((u) => { if (live) setUrl(u); }, () => { /* shown as the placeholder */ });
    return () => { live = false; };
  }, [fileId, side]);
  return url;
}

function ImageContent({ body, clientMsgId, onOpen }: { body: Body; clientMsgId?: string | undefined; onOpen: (fileId: string, name?: string) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const fileId = str(body, "file");
  const name = str(body, "name");
  const local = localPreview(clientMsgId);
  const remote = useFileUrl(client, fileId, 256);
  const [loaded, setLoaded] = useState(false);
  const box = fitBox(num(body, "width"), num(body, "height"), 280, 280);
  const placeholder = blurhashUrl(str(body, "blurhash"));
  const src = loaded || !local ? remote ?? local : local;
  const tab = useRowTabIndex();
  return (
    <button type="button" class="image-frame" aria-label={name ? t("msg.openImageNamed", { name }) : t("msg.openImage")} tabIndex={tab}
      style={{ width: `${box.width}px`, aspectRatio: `${box.width} / ${box.height}`, backgroundImage: placeholder ? `url(${placeholder})` : undefined }}
      onClick={() => fileId && onOpen(fileId, name)} disabled={!fileId}>
      {local && !loaded && <img src={local} alt="" class="loaded" />}
      {remote && <img src={remote} alt={name ?? ""} class={loaded ? "loaded" : ""} onLoad={() => setLoaded(true)} />}
      {!src && !placeholder && <Icon name="image" size={28} />}
    </button>
  );
}

/** The full-size view of an image: the 1024 thumbnail, and the original on request. */
export function ImageViewer({ fileId, name, onClose }: { fileId: string; name?: string | undefined; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const large = useFileUrl(client, fileId, 1024);
  const [original, setOriginal] = useState<string | undefined>(undefined);
  return (
    <Dialog title={name || t("msg.image")} onClose={onClose} size="lg" class="image-viewer"
      footer={<>
        <button type="button" class="btn" onClick={() => client.fileUrl(fileId).then(setOriginal, (e: unknown) => toast(errorText(e, t)))}>{t("msg.viewOriginal")}</button>
        <button type="button" class="btn btn-primary" onClick={() => downloadFile(client, fileId, name ?? "image").catch((e: unknown) => toast(errorText(e, t)))}>
          <Icon name="download" size={16} /> {t("msg.download")}</button>
      </>}>
      <div class="viewer-frame">{(original ?? large) ? <img src={original ?? large} alt={name ?? ""} /> : <span class="spinner" />}</div>
    </Dialog>
  );
}

const FILE_ICONS: [RegExp, string][] = [
  [/\.(pdf)$/i, "PDF"], [/\.(docx?|odt|rtf)$/i, "DOC"], [/\.(csv|tsv)$/i, "CSV"], [/\.(xlsx?|ods)$/i, "XLS"], [/\.(pptx?|odp|key)$/i, "PPT"],
  [/\.(zip|rar|7z|tar|gz|tgz|bz2|xz)$/i, "ZIP"], [/\.(png|jpe?g|gif|webp|svg|heic)$/i, "IMG"], [/\.(mp3|wav|m4a|aac|ogg|flac)$/i, "AUD"],
  [/\.(mp4|mov|avi|mkv|webm)$/i, "VID"], [/\.(txt|md|log)$/i, "TXT"],
];

export function fileBadge(name: string): string {
  for (const [re, label] of FILE_ICONS) if (re.test(name)) return label;
  const ext = /\.([a-z0-9]{1,4})$/i.exec(name)?.[1];
  return ext ? ext.toUpperCase() : "FILE";
}

function FileContent({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const fileId = str(body, "file");
  const name = str(body, "name") ?? t("msg.file");
  const size = num(body, "size");
  const badge = fileBadge(name);
  const tab = useRowTabIndex();
  return (
    <div class="file-card">
      <span class={`file-badge file-${badge.toLowerCase()}`} aria-hidden="true">{badge}</span>
      <span class="file-text">
        <span class="file-name" title={name}>{name}</span>
        {size !== undefined && <span class="file-size">{formatBytes(size)}</span>}
      </span>
      {fileId && <button type="button" class="icon-btn" aria-label={t("msg.downloadNamed", { name })} title={t("msg.download")} tabIndex={tab}
        onClick={() => downloadFile(client, fileId, name).catch((e: unknown) => toast(errorText(e, t)))}><Icon name="download" size={18} /></button>}
    </div>
  );
}

function VideoContent({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const fileId = str(body, "file");
  const [url, setUrl] = useState<string | undefined>(undefined);
  const duration = formatDuration(num(body, "duration_ms") ?? 0);
  const tab = useRowTabIndex();
  if (url) return <video class="video-player" controls autoPlay src={url} />;
  return (
    <div class="card-row">
      <button type="button" class="play-btn" aria-label={t("msg.playVideo")} disabled={!fileId} tabIndex={tab}
        onClick={() => fileId && client.fileUrl(fileId).then(setUrl, (e: unknown) => toast(errorText(e, t)))}><Icon name="play" size={16} /></button>
      <span class="card-title">{t("msg.video")}</span>
      <span class="muted">{duration}</span>
    </div>
  );
}

function Sticker({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const url = useFileUrl(client, str(body, "sticker"), 256);
  return <div class="sticker">{url ? <img src={url} alt={t("msg.sticker")} /> : <span class="sticker-placeholder" role="img" aria-label={t("msg.sticker")} />}</div>;
}

// ---- Cards ------------------------------------------------------------------------------

function Card(props: { icon: IconName; tone?: string; title: ComponentChildren; children?: ComponentChildren; footer?: ComponentChildren }): JSX.Element {
  return (
    <div class={`msg-card${props.tone ? " tone-" + props.tone : ""}`}>
      <div class="card-row">
        <span class="card-icon" aria-hidden="true"><Icon name={props.icon} size={20} /></span>
        <span class="card-title">{props.title}</span>
      </div>
      {props.children && <div class="card-body">{props.children}</div>}
      {props.footer && <div class="card-footer">{props.footer}</div>}
    </div>
  );
}

function LocationCard({ body }: { body: Body }): JSX.Element {
  const { t } = useT();
  const lat = num(body, "latitude") ?? 0;
  const lon = num(body, "longitude") ?? 0;
  const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
  const tab = useRowTabIndex();
  return (
    <Card icon="mapPin" tone="green" title={str(body, "name") || t("msg.location")}
      footer={<a href={href} target="_blank" rel="noopener noreferrer" tabIndex={tab}>{t("msg.openMap")} <Icon name="external" size={12} /></a>}>
      {str(body, "address") && <div>{str(body, "address")}</div>}
      <div class="muted small">{lat.toFixed(5)}, {lon.toFixed(5)}</div>
    </Card>
  );
}

/** A `card` message: an app's interactive card (InteractiveCard.tsx), or a contact, group or
 * link card. */
function CardContent({ entry, readOnly, note }: { entry: Entry; readOnly: boolean; note?: string | undefined }): JSX.Element {
  const body = entry.body;
  const interactive = useMemo(() => readInteractiveCard(body), [body]);
  // An edit replaces the card: drawn anew, its inputs as the new card has them.
  const drawn = useMemo(() => JSON.stringify(body), [body]);
  if (interactive) {
    // A forwarded copy is no app's card where it was forwarded to: it shows, and takes no actions.
    return <InteractiveCardView key={drawn} card={interactive} conversation={entry.conversation} seq={entry.seq}
      readOnly={readOnly || entry.forwarded_from !== undefined} readOnlyNote={note} />;
  }
  return <PlainCard body={body} />;
}

function PlainCard({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const card = str(body, "card");
  const account = str(body, "account") ?? "";
  const tab = useRowTabIndex();
  const nameOf = useNames(client, [account]);
  if (card === "contact") {
    const name = str(body, "title") || nameOf(account);
    return (
      <Card icon="contacts" title={t("msg.contactCard")}
        footer={account && account !== client.me.account ? <button type="button" class="btn btn-small" tabIndex={tab} onClick={() =>
          client.openDirect(account).then((c) => openConversationRoute(c.id), (e: unknown) => toast(errorText(e, t)))}>{t("msg.sendMessage")}</button> : null}>
        <div class="person-row static"><Avatar name={name} seed={account} size={32} /><span class="person-text"><span class="person-name">{name}</span><span class="person-addr">{account}</span></span></div>
      </Card>
    );
  }
  if (card === "group") {
    return <Card icon="users" title={str(body, "title") || t("msg.groupCard")}>{str(body, "description") && <div class="muted">{str(body, "description")}</div>}</Card>;
  }
  const url = str(body, "url") ?? "";
  const safe = /^https?:\/\//i.test(url);
  let host = url;
  try { host = new URL(url).host; } catch { /* shown as given */ }
  return (
    <Card icon="link" tone="blue" title={safe ? <a href={url} target="_blank" rel="noopener noreferrer nofollow" tabIndex={tab}>{str(body, "title") || url}</a> : str(body, "title") || url}>
      {str(body, "description") && <div class="muted">{str(body, "description")}</div>}
      <div class="muted small">{host}</div>
    </Card>
  );
}

function RedPacket({ body }: { body: Body }): JSX.Element {
  const { t, locale } = useT();
  return (
    <div class="red-packet">
      <div class="card-row"><span class="card-icon" aria-hidden="true"><Icon name="gift" size={22} /></span>
        <span class="card-title">{str(body, "greeting") || t("msg.redPacketDefault")}</span></div>
      <div class="card-footer">{t("msg.redPacket")} · {t("msg.redPacketDetail", { count: num(body, "count") ?? 1, amount: formatMoney(num(body, "total_cents") ?? 0, "CNY", locale) })}</div>
    </div>
  );
}

function PaymentRequest({ body }: { body: Body }): JSX.Element {
  const { t, locale } = useT();
  return (
    <Card icon="wallet" tone="orange" title={t("msg.payment")}>
      <div class="amount">{formatMoney(num(body, "amount_cents") ?? 0, str(body, "currency") ?? "CNY", locale)}</div>
      {str(body, "note") && <div class="muted">{str(body, "note")}</div>}
    </Card>
  );
}

function CallCard({ body }: { body: Body }): JSX.Element {
  const { t } = useT();
  const video = str(body, "media") === "video";
  const outcome = str(body, "outcome");
  const secs = num(body, "duration_secs");
  const detail = outcome === "ended" ? (secs !== undefined ? t("msg.callEnded", { duration: formatDuration(secs * 1000) }) : t("msg.callEndedShort"))
    : outcome === "missed" ? t("msg.callMissed") : outcome === "declined" ? t("msg.callDeclined") : t("msg.callCancelled");
  return (
    <div class={`card-row call-card${outcome === "missed" ? " missed" : ""}`}>
      <span class="card-icon" aria-hidden="true"><Icon name={video ? "video" : "phone"} size={18} /></span>
      <span class="card-title">{video ? t("msg.videoCall") : t("msg.voiceCall")}</span>
      <span class="muted">{detail}</span>
    </div>
  );
}

function ForwardCard({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [open, setOpen] = useState(false);
  const items = objList(body, "messages");
  const nameOf = useNames(client, items.map((m) => String(m.sender ?? "")));
  const tab = useRowTabIndex();
  const line = (m: Record<string, unknown>) => bodyPreview(String(m.kind ?? ""), (m.body ?? null) as Body, { t, locale, nameOf });
  return (
    <>
      <button type="button" class="msg-card forward-card" tabIndex={tab} onClick={() => setOpen(true)}>
        <div class="card-row"><span class="card-icon" aria-hidden="true"><Icon name="forward" size={18} /></span><span class="card-title">{t("msg.chatHistory")}</span></div>
        <div class="card-body">
          {items.slice(0, 4).map((m, i) => <div key={i} class="forward-line">{nameOf(String(m.sender ?? ""))}: {line(m)}</div>)}
        </div>
        <div class="card-footer">{t("msg.forwardCount", { count: items.length })}</div>
      </button>
      {open && (
        // A dialog of its own: its links are in the Tab order whatever the message is.
        <RowTabbable.Provider value={true}>
        <Dialog title={t("msg.chatHistory")} onClose={() => setOpen(false)} size="md">
          <ol class="history-list">
            {items.map((m, i) => (
              <li key={i}>
                <div class="history-head"><strong>{nameOf(String(m.sender ?? ""))}</strong>
                  <span class="muted small">{typeof m.at_ms === "number" ? formatFull(m.at_ms, locale) : ""}</span></div>
                {m.kind === "text" || m.kind === "markdown" ? <RichText text={String((m.body as Body)?.text ?? "")} /> : <div>{line(m)}</div>}
              </li>
            ))}
          </ol>
        </Dialog>
        </RowTabbable.Provider>
      )}
    </>
  );
}

// ---- By kind ----------------------------------------------------------------------------

export function MessageContent(props: {
  entry: Entry; mentioned: string[]; onOpenImage: (fileId: string, name?: string) => void;
  /** A copy of the message (a saved one): an app's card shows, and takes no actions. */
  readOnly?: boolean;
  /** What a read-only interactive card says of its actions, in place of "open the chat". */
  cardNote?: string;
}): JSX.Element {
  const { t } = useT();
  const { entry } = props;
  const body = entry.body;
  switch (entry.kind) {
    case "text": case "markdown": {
      const text = str(body, "text") ?? "";
      // The first link's preview (issue 23), under the text.
      const link = links(text)[0];
      return <>
        {entry.kind === "text" ? <RichText text={text} mentioned={props.mentioned} /> : <Markdown text={text} mentioned={props.mentioned} />}
        {link && <LinkPreviewCard key={link} url={link} />}
      </>;
    }
    case "code": return <Code code={str(body, "code") ?? ""} language={str(body, "language")} />;
    case "image": return <ImageContent body={body} clientMsgId={entry.client_msg_id} onOpen={props.onOpenImage} />;
    case "file": return <FileContent body={body} />;
    case "voice": return <VoiceMessage body={body} />;
    case "video": return <VideoContent body={body} />;
    case "sticker": return <Sticker body={body} />;
    case "location": return <LocationCard body={body} />;
    case "card": return <CardContent entry={entry} readOnly={props.readOnly === true} note={props.cardNote} />;
    case "red_packet": return <RedPacket body={body} />;
    case "payment_request": return <PaymentRequest body={body} />;
    case "call": return <CallCard body={body} />;
    case "encrypted": return <Card icon="lock" title={t("msg.encrypted")} />;
    case "forward": return <ForwardCard body={body} />;
    default: return <p class="unknown-kind"><Icon name="info" size={14} /> {t("msg.unknownKind")}</p>;
  }
}
