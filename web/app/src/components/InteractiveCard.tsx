// An app's interactive card (issue 18): a `card` message whose body is `{"card": "interactive"}`,
// drawn from its blocks (Markdown text through the app's sanitiser, fields, an https image, a
// divider, a note) and rows of buttons, selects, date pickers and text inputs. Pressing a button
// (after its confirmation, if it asks one) sends the button and what was chosen and typed in the
// card's inputs to the server, which asks the bot's app; while that is under way the button says
// so and every control of the card is disabled. The app's toast is shown to the person who
// pressed, its failure in the card itself. The app's answer comes back as an edit of the message,
// which draws the card anew (its inputs as the new card has them), with who acted.
//
// Nothing a card says is taken as HTML but the text blocks' Markdown, which goes through
// lib/markdown.ts like a markdown message.

import type { JSX } from "preact";
import { useContext, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CardBlock, CardButton, CardElement, InteractiveCard } from "@magpie/sdk";
import { CARD_INPUT_CHARS_DEFAULT } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { renderMarkdown } from "../lib/markdown.ts";
import { daysBetween, formatClock, formatFull } from "../lib/format.ts";
import { errorText, useClient } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { RowTabbable, useRowTabIndex } from "../state/rowtab.ts";
import { Icon } from "./icons.tsx";
import { ConfirmDialog, Spinner } from "./ui.tsx";

/** How long a card waits for the app's update (the edit that draws it anew) once the server has
 * said there is one, before it takes actions again. The edit comes over the WebSocket at once. */
const UPDATE_WAIT_MS = 10_000;

/** The cards whose action is under way or whose update is on its way, by `conversation:seq`,
 * until when: the card drawn anew takes the focus that the pressed button had (it went with the
 * old card). */
const acting = new Map<string, number>();

/** Whether the focus was lost (to the page's body), as when the focused button went away. */
const focusLost = () => !document.activeElement || document.activeElement === document.body;

/** The card's values to begin with: each select's and date picker's `initial`, empty inputs. */
function initialValues(card: InteractiveCard): Record<string, string> {
  const values: Record<string, string> = {};
  for (const block of card.blocks) {
    if (block.type !== "actions") continue;
    for (const e of block.elements) {
      if (e.type === "select" || e.type === "date") values[e.id] = e.initial ?? "";
      else if (e.type === "input") values[e.id] = "";
    }
  }
  return values;
}

/** The inputs to send: those that are set (a text input of blanks only is not). */
export function inputsOf(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ""));
}

export function InteractiveCardView(props: {
  card: InteractiveCard; conversation: number; seq: number;
  /** A copy of the card (a saved message), or one not stored yet: it shows, nothing more. */
  readOnly?: boolean;
  /** What a read-only card with actions says of them (by default: answer it in the chat). */
  readOnlyNote?: string | undefined;
}): JSX.Element {
  const { card, conversation, seq } = props;
  const client = useClient();
  const { t, locale } = useT();
  const ids = useId();
  const key = `${conversation}:${seq}`;
  const root = useRef<HTMLDivElement>(null);
  const live = useRef(true);
  const inFlight = useRef(false);
  const [values, setValues] = useState(() => initialValues(card));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<CardButton | null>(null);
  const readOnly = props.readOnly === true || seq <= 0;
  const locked = busy !== null;

  useEffect(() => {
    live.current = true;
    // Drawn anew by the app's update of an action from here: the pressed button went with the old
    // card, and this one takes the focus.
    const until = acting.get(key);
    if (until !== undefined && until > Date.now() && focusLost()) {
      acting.delete(key);
      root.current?.focus({ preventScroll: true });
    }
    return () => { live.current = false; };
  }, []);

  const act = async (button: CardButton) => {
    // One action at a time from this card (two quick clicks come before the render that disables).
    if (inFlight.current) return;
    inFlight.current = true;
    acting.set(key, Date.now() + UPDATE_WAIT_MS);
    setBusy(button.id);
    setError(null);
    let updating = false;
    try {
      const result = await client.cardAction(conversation, seq, { action: button.id, inputs: inputsOf(values) });
      if (result.toast) toast(result.toast, "info");
      updating = result.updated_seq !== undefined;
    } catch (e) {
      if (live.current) setError(errorText(e, t));
      else toast(errorText(e, t));
    } finally {
      inFlight.current = false;
      if (!updating) {
        acting.delete(key);
        if (live.current) setBusy(null);
      } else if (live.current) {
        // The app updated the card: this one stays as it is, busy, until its edit draws it anew
        // (at once, as a rule), so that it does not take actions again in between.
        acting.set(key, Date.now() + UPDATE_WAIT_MS);
        setTimeout(() => { if (live.current) setBusy(null); }, UPDATE_WAIT_MS);
      }
    }
  };
  const press = (button: CardButton) => {
    if (locked || readOnly) return;
    if (button.confirm) setConfirming(button);
    else void act(button);
  };
  const set = (id: string, value: string) => {
    setValues((v) => ({ ...v, [id]: value }));
    setError(null);
  };

  const title = card.title;
  const acted = card.acted;
  const hasActions = card.blocks.some((b) => b.type === "actions");
  const actedTime = acted && (daysBetween(acted.at_ms, Date.now()) === 0 ? formatClock(acted.at_ms, locale) : formatFull(acted.at_ms, locale));

  return (
    <div ref={root} class={`app-card${locked ? " is-busy" : ""}`} role="group" data-testid="app-card" data-card={key} tabIndex={-1}
      aria-labelledby={title ? `${ids}-title` : undefined} aria-label={title ? undefined : t("appCard.label")} aria-busy={locked ? "true" : undefined}>
      {title && <div class="app-card-title" id={`${ids}-title`}>{title}</div>}
      {card.blocks.map((block, i) => (
        block.type === "actions"
          ? (readOnly ? null : (
            <div key={i} class="app-card-actions">
              {block.elements.map((e) => (
                <Element key={e.id} element={e} idp={`${ids}-${e.id}`} value={values[e.id] ?? ""} locked={locked} busy={busy === e.id}
                  onChange={(v) => set(e.id, v)} onPress={press} />
              ))}
            </div>
          ))
          : <Block key={i} block={block} image={{ conversation, seq, block: block.type === "image" ? block.index ?? i : i }} />
      ))}
      {readOnly && hasActions && <p class="app-card-note muted small">{props.readOnlyNote ?? t("appCard.actInChat")}</p>}
      {error && <p class="app-card-error" role="alert" data-testid="app-card-error"><Icon name="alert" size={14} /><span>{error}</span></p>}
      {acted && (
        <p class="app-card-acted" data-testid="app-card-acted" title={formatFull(acted.at_ms, locale)}>
          <Icon name="check" size={14} />
          <span>{t("appCard.acted", { name: acted.name, label: acted.label, time: actedTime ?? "" })}</span>
        </p>
      )}
      {confirming && (
        <ConfirmDialog title={t("appCard.confirmTitle")} text={confirming.confirm ?? ""} confirm={confirming.label} danger={confirming.style === "danger"}
          onClose={() => setConfirming(null)} onConfirm={() => { void act(confirming); }} />
      )}
    </div>
  );
}

/** Where a block's image is served from: the card's conversation, seq and the block's index. */
interface ImagePlace { conversation: number; seq: number; block: number }

function Block({ block, image }: { block: Exclude<CardBlock, { type: "actions" }>; image: ImagePlace }): JSX.Element {
  switch (block.type) {
    case "text": return <CardMarkdown text={block.text} />;
    case "fields":
      return (
        <dl class="app-card-fields">
          {block.fields.map((f, i) => <div key={i} class="app-card-field"><dt>{f.label}</dt><dd>{f.value}</dd></div>)}
        </dl>
      );
    case "image": return <CardImage url={block.url} alt={block.alt} place={image} />;
    case "divider": return <hr class="app-card-divider" />;
    case "note": return <p class="app-card-note muted small">{block.text}</p>;
  }
}

/** A text block: the app's sanitised Markdown, its links in the message's Tab order. */
function CardMarkdown({ text }: { text: string }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const html = useMemo(() => renderMarkdown(text), [text]);
  const tabbable = useContext(RowTabbable);
  useLayoutEffect(() => {
    ref.current?.querySelectorAll("a[href]").forEach((a) => { if (tabbable) a.removeAttribute("tabindex"); else a.setAttribute("tabindex", "-1"); });
  }, [html, tabbable]);
  return <div ref={ref} class="markdown-body app-card-text" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** A block's image, as the server fetched it (the page never contacts the image's site): loaded
 * as the card is drawn, its text alternative while it loads and when it cannot be had (a card
 * that is not stored, such as an app's private answer, has none). */
function CardImage({ url, alt, place }: { url: string; alt?: string | undefined; place: ImagePlace }): JSX.Element {
  const { t } = useT();
  const client = useClient();
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    setSrc(null);
    setFailed(false);
    if (place.seq <= 0) {
      setFailed(true);
      return;
    }
    let live = true;
    client.cardImageUrl(place.conversation, place.seq, place.block, url)
      .then((u) => { if (live) setSrc(u); }, () => { if (live) setFailed(true); });
    return () => { live = false; };
  }, [client, place.conversation, place.seq, place.block, url]);
  if (failed || src === null) {
    return (
      <div class="app-card-image-failed" role="img" aria-label={alt || t("appCard.image")} aria-busy={!failed}>
        <Icon name="image" size={18} />{alt && <span aria-hidden="true">{alt}</span>}
      </div>
    );
  }
  return <img class="app-card-image" src={src} alt={alt ?? ""} decoding="async" onError={() => setFailed(true)} />;
}

function Element(props: {
  element: CardElement; idp: string; value: string; locked: boolean; busy: boolean;
  onChange: (value: string) => void; onPress: (button: CardButton) => void;
}): JSX.Element {
  const { t } = useT();
  const tab = useRowTabIndex();
  const { element: e, idp, value, locked } = props;
  switch (e.type) {
    case "button": {
      const style = e.style === "primary" ? " btn-primary" : e.style === "danger" ? " btn-danger" : "";
      // aria-disabled rather than disabled while in flight: the pressed button keeps the focus.
      return (
        <button type="button" class={`btn btn-small app-card-button${style}`} tabIndex={tab} data-action={e.id}
          aria-disabled={locked ? "true" : undefined} aria-haspopup={e.confirm ? "dialog" : undefined}
          onClick={() => props.onPress(e)}>
          {props.busy && <Spinner />}
          <span>{e.label}</span>
          {props.busy && <>{" "}<span class="visually-hidden">{t("appCard.sending")}</span></>}
        </button>
      );
    }
    case "select": {
      const name = e.label ?? e.placeholder ?? t("appCard.choice");
      return (
        <div class="app-card-control">
          {e.label && <label for={idp}>{e.label}</label>}
          <select id={idp} class="select" tabIndex={tab} value={value} disabled={locked} aria-label={e.label ? undefined : name}
            onChange={(ev) => props.onChange(ev.currentTarget.value)}>
            {e.initial === undefined && <option value="">{e.placeholder ?? t("appCard.choose")}</option>}
            {e.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </div>
      );
    }
    case "date":
      return (
        <div class="app-card-control">
          {e.label && <label for={idp}>{e.label}</label>}
          <input id={idp} type="date" class="input" tabIndex={tab} value={value} disabled={locked} aria-label={e.label ? undefined : t("appCard.date")}
            onInput={(ev) => props.onChange(ev.currentTarget.value)} />
        </div>
      );
    case "input": {
      const max = e.max_chars ?? CARD_INPUT_CHARS_DEFAULT;
      return (
        <div class="app-card-control">
          <label for={idp}>{e.label}</label>
          {e.multiline
            ? <textarea id={idp} class="input" rows={3} tabIndex={tab} value={value} maxLength={max} placeholder={e.placeholder} disabled={locked}
                onInput={(ev) => props.onChange(ev.currentTarget.value)} />
            : <input id={idp} type="text" class="input" tabIndex={tab} value={value} maxLength={max} placeholder={e.placeholder} disabled={locked}
                autoComplete="off" onInput={(ev) => props.onChange(ev.currentTarget.value)} />}
        </div>
      );
    }
  }
}
