// Administration → Stickers (docs/protocol.md §10.6): the sticker packs of the caller's own
// domain, each with its stickers as the chat shows them (the 256-pixel thumbnail); a new pack by
// its name; stickers added to a pack from image files chosen on this device, each uploaded (the
// chat's resumable upload) and then added with the emoji it stands for, if any, with its progress
// and the server's refusal of each file said at that file. For domain administrators, and server
// administrators for their own domain: the server makes packs in the caller's domain only. Packs
// and stickers cannot be removed (the server has no way to yet).

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { StickerPack } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import { formatCount } from "../lib/console.ts";
import { formatBytes } from "../lib/format.ts";
import {
  emojiTooLong, packNameProblem, pendingFraction, pendingOf, STICKER_EMOJI_CHARS_MAX, STICKER_PACK_NAME_CHARS_MAX, STICKER_PACKS_MAX,
  stickerFailure, STICKERS_PER_PACK_MAX, withPack, type PendingSticker, type StickerFailure,
} from "../lib/stickers.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { toast } from "../state/toast.ts";
import { useFileUrl } from "./content.tsx";
import { Icon } from "./icons.tsx";
import { Spinner } from "./ui.tsx";

/** What the server's refusal of one file means, for people. */
function failureText(f: StickerFailure, t: Translate, locale: "en" | "zh"): string {
  switch (f.kind) {
    case "not_image": return t("admin.stickerNotImage");
    case "not_yours": return t("admin.stickerNotYours");
    case "too_large":
      if (f.max === undefined) return t("admin.stickerTooLargeAny");
      return f.unit === "pixels" ? t("admin.stickerTooManyPixels", { pixels: formatCount(f.max, locale) }) : t("admin.stickerTooLarge", { size: formatBytes(f.max) });
    case "emoji": return t("admin.stickerEmojiBad", { max: STICKER_EMOJI_CHARS_MAX });
    case "full": return t("admin.stickerPackFull", { max: STICKERS_PER_PACK_MAX });
    case "gone": return t("admin.stickerPackGone");
    case "forbidden": return t("admin.stickersForbidden");
    case "other": return errorText(f.error, t);
  }
}

/** The packs of the caller's domain, oldest first, a new one made by its name, and stickers added
 * to each. `domain` is the one the page administers: a server administrator who picked another
 * is told that packs are their own domain's. */
export function StickersAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const own = client.me.account.split("@")[1] ?? "";
  const [packs, setPacks] = useState<StickerPack[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<string | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  const load = async () => {
    const mine = ++latest.current;
    setLoading(true);
    try {
      const list = await client.stickers();
      if (mine !== latest.current) return;
      setPacks(list);
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // The packs shown stay when a refresh fails; the error says they are not current.
      setError(missingEndpoint(e) ? t("admin.consoleUnsupported") : errorText(e, t));
    } finally {
      if (mine === latest.current) setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [client]);

  const full = (packs?.length ?? 0) >= STICKER_PACKS_MAX;
  const create = async (e: Event) => {
    e.preventDefault();
    const problem = packNameProblem(name);
    if (problem) {
      setNameError(problem.kind === "required" ? t("admin.stickerNameRequired") : t("admin.stickerNameTooLong", { max: problem.max }));
      nameInput.current?.focus();
      return;
    }
    setCreating(true);
    setCreateError(null);
    try {
      const pack = await client.admin.createStickerPack(name.trim());
      setPacks((shown) => withPack(shown, pack));
      setName("");
      setMade(pack.id);
      toast(t("admin.stickerCreated", { name: pack.name }), "info");
    } catch (err) {
      if (isMagpieError(err) && (err.code === "invalid_field" || err.code === "too_large") && err.field === "name") {
        setNameError(err.code === "too_large" ? t("admin.stickerNameTooLong", { max: STICKER_PACK_NAME_CHARS_MAX }) : t("admin.stickerNameBad"));
        nameInput.current?.focus();
      } else {
        setCreateError(isMagpieError(err) && err.code === "forbidden" ? t("admin.stickersForbidden")
          : isMagpieError(err) && err.code === "limit_exceeded" ? t("admin.stickerPacksFull", { domain: own, max: STICKER_PACKS_MAX })
          : missingEndpoint(err) ? t("admin.consoleUnsupported")
          : errorText(err, t));
      }
    } finally {
      setCreating(false);
    }
  };

  return (
    <>
      <section class="card-section stickers-section" aria-labelledby="adm-sticker-new">
        <h2 id="adm-sticker-new">{t("admin.stickerNewPack")}</h2>
        <p class="muted small admin-intro">{t("admin.stickersHint", { domain: own })}</p>
        {domain !== own && <p class="notice" data-testid="stickers-own-domain">{t("admin.stickersOtherDomain", { own, domain })}</p>}
        <form class="inline-form" noValidate onSubmit={create}>
          <div class="field grow">
            <label for="adm-sticker-pack-name">{t("admin.stickerPackName")}</label>
            <input id="adm-sticker-pack-name" ref={nameInput} class="input" value={name} autoComplete="off" aria-invalid={nameError !== null}
              aria-describedby={nameError ? "adm-sticker-pack-name-hint adm-sticker-pack-name-error" : "adm-sticker-pack-name-hint"}
              onInput={(e) => { setName(e.currentTarget.value); setNameError(null); setCreateError(null); }} />
            <span id="adm-sticker-pack-name-hint" class="muted small">{t("admin.stickerPackNameHint", { max: STICKER_PACK_NAME_CHARS_MAX })}</span>
            {nameError && <span id="adm-sticker-pack-name-error" class="field-error" role="alert">{nameError}</span>}
          </div>
          <button type="submit" class="btn btn-primary" disabled={creating || full}>
            <Icon name="plus" size={16} /> {creating ? t("admin.stickerCreating") : t("admin.stickerCreate")}</button>
        </form>
        {full && <p class="muted small" data-testid="sticker-packs-full">{t("admin.stickerPacksFull", { domain: own, max: STICKER_PACKS_MAX })}</p>}
        {createError && <p class="form-error" role="alert" data-testid="sticker-create-error">{createError}</p>}
      </section>
      <section class="card-section stickers-section" aria-labelledby="adm-sticker-packs" aria-busy={loading}>
        <div class="section-head">
          <h2 id="adm-sticker-packs">{t("admin.stickersTitle")}</h2>
          <button type="button" class="btn btn-small" disabled={loading} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
        </div>
        {error && <p class="form-error" role="alert" data-testid="stickers-error">{error}</p>}
        {!packs && !error && <Spinner label={t("common.loading")} />}
        {packs && packs.length === 0 && <p class="muted" data-testid="sticker-packs-none">{t("admin.stickerPacksNone", { domain: own })}</p>}
        {packs && packs.length > 0 && (
          <>
            <p class="muted small" data-testid="sticker-packs-count">
              {packs.length === 1 ? t("admin.stickerPackCountOne") : t("admin.stickerPackCount", { count: formatCount(packs.length, locale) })}</p>
            <ul class="sticker-packs" role="list">
              {packs.map((p) => (
                <PackCard key={p.id} pack={p} fresh={p.id === made} onChanged={(pack) => setPacks((shown) => withPack(shown, pack))} />
              ))}
            </ul>
          </>
        )}
      </section>
    </>
  );
}

/** A sticker as the chat shows one: its 256-pixel thumbnail, and the emoji it stands for. */
function StickerThumb({ sticker }: { sticker: StickerPack["stickers"][number] }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const url = useFileUrl(client, sticker.id, 256);
  const label = sticker.emoji ? t("admin.stickerAlt", { emoji: sticker.emoji }) : t("msg.sticker");
  return (
    <li class="sticker-tile" data-testid="admin-sticker" data-id={sticker.id} data-emoji={sticker.emoji ?? ""}>
      <span class="sticker-thumb">
        {url ? <img src={url} alt={label} loading="lazy" /> : <span class="sticker-placeholder" role="img" aria-label={label} />}
      </span>
      <span class="sticker-emoji" data-testid="admin-sticker-emoji" aria-hidden="true">{sticker.emoji ?? ""}</span>
    </li>
  );
}

/** A file chosen on this device, shown before it is sent: an object URL while it is shown. */
function LocalPreview({ file }: { file: File }): JSX.Element {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file.type.startsWith("image/") || typeof URL.createObjectURL !== "function") return;
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [file]);
  return <span class="sticker-thumb small">{url ? <img src={url} alt="" /> : <Icon name="image" size={20} />}</span>;
}

/** One pack: its stickers, and image files chosen for it, each uploaded and added in turn. */
function PackCard(props: { pack: StickerPack; fresh: boolean; onChanged: (pack: StickerPack) => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const p = props.pack;
  const [pending, setPending] = useState<PendingSticker[]>([]);
  const [sending, setSending] = useState(false);
  const [emojiErrors, setEmojiErrors] = useState<Set<number>>(new Set());
  const [done, setDone] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const nextKey = useRef(1);
  // Files already uploaded whose adding failed: not uploaded again on a retry.
  const uploaded = useRef(new Map<number, string>());
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => { if (props.fresh) heading.current?.scrollIntoView?.({ block: "nearest" }); }, [props.fresh]);

  const room = STICKERS_PER_PACK_MAX - p.stickers.length;
  const choose = (files: File[]) => {
    if (files.length === 0) return;
    setDone(null);
    setPending((shown) => [...shown, ...pendingOf(files, nextKey.current)]);
    nextKey.current += files.length;
  };
  const update = (key: number, change: Partial<PendingSticker>) => setPending((shown) => shown.map((x) => (x.key === key ? { ...x, ...change } : x)));
  const remove = (key: number) => {
    uploaded.current.delete(key);
    setPending((shown) => shown.filter((x) => x.key !== key));
  };
  const toSend = pending.filter((x) => x.state === "ready" || x.state === "failed");

  const send = async () => {
    const bad = new Set(toSend.filter((x) => emojiTooLong(x.emoji)).map((x) => x.key));
    setEmojiErrors(bad);
    if (bad.size > 0) {
      document.getElementById(`adm-sticker-emoji-${p.id}-${[...bad][0]}`)?.focus();
      return;
    }
    setSending(true);
    setDone(null);
    const controller = new AbortController();
    abort.current = controller;
    let added = 0;
    let pack = p;
    for (const item of toSend) {
      if (controller.signal.aborted) break;
      try {
        let file = uploaded.current.get(item.key);
        if (file === undefined) {
          update(item.key, { state: "uploading", sent: 0, failure: undefined });
          const info = await client.upload(item.file, ({ sent, total }) => update(item.key, { sent, total }), controller.signal);
          file = info.id;
          uploaded.current.set(item.key, file);
        }
        update(item.key, { state: "adding", failure: undefined });
        const emoji = item.emoji.trim();
        pack = await client.admin.addSticker(p.id, { file, ...(emoji ? { emoji } : {}) });
        props.onChanged(pack);
        added += 1;
        remove(item.key);
      } catch (e) {
        if (controller.signal.aborted) break;
        const failure = stickerFailure(e);
        // Once refused as a file, it is no use to add it again: upload the next choice afresh.
        if (failure.kind === "not_image" || failure.kind === "not_yours") uploaded.current.delete(item.key);
        update(item.key, { state: "failed", failure });
        // A full pack, or one gone, takes no more: the rest stay as they are.
        if (failure.kind === "full" || failure.kind === "gone" || failure.kind === "forbidden") break;
      }
    }
    if (controller.signal.aborted) return;
    abort.current = null;
    setSending(false);
    if (added > 0) {
      setDone(added === 1 ? t("admin.stickerAddedOne", { name: pack.name }) : t("admin.stickerAdded", { count: added, name: pack.name }));
    }
  };

  const count = p.stickers.length;
  const headingId = `adm-sticker-pack-${p.id}`;
  return (
    <li class="sticker-pack" data-testid="sticker-pack" data-id={p.id} aria-busy={sending}>
      <div class="section-head">
        <h3 id={headingId} ref={heading}><span data-testid="sticker-pack-name">{p.name}</span></h3>
        <span class="muted small" data-testid="sticker-pack-count">
          {count === 0 ? t("admin.stickerPackEmpty") : count === 1 ? t("admin.stickerCountOne") : t("admin.stickerCount", { count: formatCount(count, locale) })}
        </span>
      </div>
      {count > 0 && (
        <ul class="sticker-grid" role="list" aria-label={t("admin.stickersOf", { name: p.name })}>
          {p.stickers.map((s) => <StickerThumb key={s.id} sticker={s} />)}
        </ul>
      )}
      {pending.length > 0 && (
        <ul class="sticker-pending" role="list" aria-label={t("admin.stickerChosen", { name: p.name })}>
          {pending.map((x) => {
            const fileName = x.file.name || t("admin.stickerUnnamed");
            const emojiId = `adm-sticker-emoji-${p.id}-${x.key}`;
            const errorId = `adm-sticker-error-${p.id}-${x.key}`;
            const emojiBad = emojiErrors.has(x.key);
            const busy = x.state === "uploading" || x.state === "adding";
            return (
              <li key={x.key} class={`sticker-pending-row${x.state === "failed" ? " is-failed" : ""}`} data-testid="sticker-pending" data-file={x.file.name} data-state={x.state}>
                <LocalPreview file={x.file} />
                <span class="sticker-pending-text">
                  <span class="sticker-file-name">{fileName}</span>
                  <span class="muted small">{formatBytes(x.file.size)}</span>
                  {busy && (
                    <span class="sticker-progress">
                      <progress class="export-bar" max={1} value={pendingFraction(x)} aria-label={t("admin.stickerProgress", { file: fileName })} />
                      <span class="muted small" data-testid="sticker-pending-state">
                        {x.state === "adding" ? t("admin.stickerStateAdding") : t("admin.stickerStateUploading", { percent: Math.round(pendingFraction(x) * 100) })}
                      </span>
                    </span>
                  )}
                  {x.failure && <span id={errorId} class="field-error" role="alert" data-testid="sticker-pending-error">{failureText(x.failure, t, locale)}</span>}
                </span>
                <span class="field sticker-emoji-field">
                  <label for={emojiId} class="visually-hidden">{t("admin.stickerEmojiFor", { file: fileName })}</label>
                  <input id={emojiId} class="input" value={x.emoji} placeholder={t("admin.stickerEmojiPlaceholder")} autoComplete="off" disabled={busy}
                    aria-invalid={emojiBad || x.failure?.kind === "emoji"} aria-describedby={emojiBad ? `${emojiId}-error` : x.failure ? errorId : undefined}
                    onInput={(e) => { const value = e.currentTarget.value; update(x.key, { emoji: value }); setEmojiErrors((s) => { const n = new Set(s); n.delete(x.key); return n; }); }} />
                  {emojiBad && <span id={`${emojiId}-error`} class="field-error" role="alert">{t("admin.stickerEmojiTooLong", { max: STICKER_EMOJI_CHARS_MAX })}</span>}
                </span>
                <button type="button" class="icon-btn small" disabled={busy || sending} aria-label={t("admin.stickerRemoveFile", { file: fileName })}
                  title={t("admin.stickerRemoveFile", { file: fileName })} onClick={() => remove(x.key)}><Icon name="close" size={14} /></button>
              </li>
            );
          })}
        </ul>
      )}
      <div class="row-actions wrap sticker-pack-actions">
        <button type="button" class="btn" disabled={sending || room <= 0} aria-label={t("admin.stickerChooseFor", { name: p.name })}
          onClick={() => input.current?.click()}><Icon name="image" size={16} /> {t("admin.stickerChoose")}</button>
        <input ref={input} type="file" accept="image/*" multiple hidden aria-label={t("admin.stickerFilesFor", { name: p.name })}
          onChange={(e) => { const el = e.currentTarget; choose(Array.from(el.files ?? [])); el.value = ""; }} />
        {toSend.length > 0 && (
          <button type="button" class="btn btn-primary" disabled={sending} onClick={() => void send()}>
            <Icon name="plus" size={16} /> {sending ? t("admin.stickerAdding")
              : toSend.length === 1 ? t("admin.stickerAddOne") : t("admin.stickerAdd", { count: toSend.length })}</button>
        )}
        <span class="muted small">{room <= 0 ? t("admin.stickerPackFull", { max: STICKERS_PER_PACK_MAX }) : t("admin.stickerChooseHint", { max: STICKERS_PER_PACK_MAX })}</span>
      </div>
      <p class="muted small sticker-pack-status" role="status" data-testid="sticker-pack-status">{done ?? ""}</p>
    </li>
  );
}
