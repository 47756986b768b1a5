// Small building blocks: avatars, presence dots, icon buttons, dialogs, popovers and menus.

import type { ComponentChildren, JSX, RefObject } from "preact";
import { useContext, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { PresenceStatus } from "@magpie/sdk";
import { Icon, type IconName } from "./icons.tsx";
import { useT } from "../i18n/hooks.ts";
import { ClientContext } from "../state/client.ts";
import { toast } from "../state/toast.ts";

// ---- Avatars and presence ---------------------------------------------------------------

/** Avatar backgrounds: white initials on each have a contrast of at least 4.5:1. */
const AVATAR_COLOURS = ["#4a68e0", "#0f7f6c", "#b4561c", "#c23a5c", "#7448d8", "#0a6fa0", "#8c6a14", "#3b7a37"];

export function hashColour(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) | 0;
  return AVATAR_COLOURS[Math.abs(h) % AVATAR_COLOURS.length]!;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** A bracketed part of a name, in ASCII or full-width brackets: a team, a role, a nickname. */
const BRACKETED = /[(（\[［【〔{｛<＜《〈「『][^)）\]］】〕}｝>＞》〉」』]*[)）\]］】〕}｝>＞》〉」』]?/g;
const NOT_LETTER = /[^\p{L}\p{N}]+/u;

/** Two letters for an avatar: "AW" for Alice Wang, the last two characters of 王小明 (how
 * Chinese colleagues address each other). What is in brackets ("李娜（产品）", "Wang Wei (PM)")
 * and punctuation are left out, unless nothing else is left. */
export function initials(name: string): string {
  const outside = name.replace(BRACKETED, " ");
  const clean = (outside.split(NOT_LETTER).some(Boolean) ? outside : name).trim();
  const words = clean.split(NOT_LETTER).filter(Boolean);
  if (words.length === 0) return "?";
  if (CJK.test(clean)) {
    const chars = Array.from(words.join(""));
    return chars.length <= 2 ? chars.join("") : chars.slice(-2).join("");
  }
  const first = Array.from(words[0]!)[0] ?? "?";
  const second = words.length > 1 ? Array.from(words[1]!)[0] ?? "" : "";
  return (first + second).toUpperCase();
}

/** An avatar that names an uploaded image (protocol §5 `PATCH /v1/me`): its id. */
const FILE_ID = /^f[A-Za-z0-9_-]{22}$/;

/** The URL an avatar reference is shown from: an uploaded image's thumbnail, fetched with the
 * session (the image itself where it has none); an http(s) URL as it is; nothing otherwise. */
function useAvatarSrc(ref: string | undefined): string | undefined {
  const client = useContext(ClientContext);
  const fileId = ref && FILE_ID.test(ref) ? ref : undefined;
  const [fetched, setFetched] = useState<{ id: string; url: string } | undefined>(undefined);
  useEffect(() => {
    if (!fileId || !client) return;
    let live = true;
    client.fileUrl(fileId, 256).catch(() => client.fileUrl(fileId))
      .then((url) => { if (live) setFetched({ id: fileId, url }); }, () => { /* the initials stay */ });
    return () => { live = false; };
  }, [fileId, client]);
  if (fileId) return fetched?.id === fileId ? fetched.url : undefined;
  return ref && /^https?:\/\//.test(ref) ? ref : undefined;
}

export function Avatar(props: {
  name: string; seed: string; url?: string | undefined; size?: number; group?: boolean;
  presence?: PresenceStatus | undefined; class?: string;
}): JSX.Element {
  const size = props.size ?? 36;
  const safeUrl = useAvatarSrc(props.url);
  const [broken, setBroken] = useState<string | undefined>(undefined);
  const text = initials(props.name);
  return (
    <span class={`avatar${props.group ? " avatar-group" : ""}${props.class ? " " + props.class : ""}`} aria-hidden="true"
      data-initials={safeUrl && broken !== safeUrl || props.group ? undefined : text}
      style={{ width: `${size}px`, height: `${size}px`, background: hashColour(props.seed), fontSize: `${Math.round(size * (Array.from(text).length > 1 && CJK.test(text) ? 0.32 : 0.4))}px` }}>
      {/* The initials are drawn by CSS (data-initials): an avatar is a picture of the name
          shown next to it, not text of a control (a button holding one is named otherwise). */}
      {safeUrl && broken !== safeUrl
        ? <img src={safeUrl} alt="" referrerpolicy="no-referrer" onError={() => setBroken(safeUrl)} />
        : props.group ? <Icon name="users" size={Math.round(size * 0.5)} /> : null}
      {props.presence && <span class={`presence-dot presence-${props.presence}`} />}
    </span>
  );
}

/** A presence dot with an accessible name, for places where it is not inside a named control. */
export function PresenceBadge({ status, text }: { status: PresenceStatus; text?: string | undefined }): JSX.Element {
  const { t } = useT();
  const label = t(`presence.${status}`) + (text ? ` — ${text}` : "");
  return <span class={`presence-inline presence-${status}`} role="img" aria-label={label} title={label} />;
}

/** The badge by a bot's name (protocol §5 "Bots": a profile with `bot: true`): a word, not only
 * a colour, that a screen reader reads with the name. */
export function BotBadge(): JSX.Element {
  const { t } = useT();
  // The space keeps it a word of its own in the name it follows, as accessible names are read.
  return <>{" "}<span class="tag bot-badge" data-testid="bot-badge"><Icon name="bot" size={11} />{t("bot.badge")}</span></>;
}

// ---- Buttons ----------------------------------------------------------------------------

export function IconButton(props: {
  icon: IconName; label: string; onClick?: (e: MouseEvent) => void; class?: string; pressed?: boolean;
  disabled?: boolean; size?: number; buttonRef?: RefObject<HTMLButtonElement>; expanded?: boolean; haspopup?: "menu" | "dialog" | "listbox";
  title?: string; testid?: string; onKeyDown?: (e: KeyboardEvent) => void; tabIndex?: number;
}): JSX.Element {
  return (
    <button type="button" class={`icon-btn${props.class ? " " + props.class : ""}`} aria-label={props.label} title={props.title ?? props.label}
      onClick={props.onClick} onKeyDown={props.onKeyDown} tabIndex={props.tabIndex} disabled={props.disabled} ref={props.buttonRef} aria-pressed={props.pressed}
      aria-expanded={props.expanded} aria-haspopup={props.haspopup} data-testid={props.testid}>
      <Icon name={props.icon} size={props.size ?? 20} />
    </button>
  );
}

export function Spinner({ label }: { label?: string }): JSX.Element {
  return <span class="spinner" role={label ? "img" : undefined} aria-label={label} aria-hidden={label ? undefined : "true"} />;
}

// ---- Focus helpers ------------------------------------------------------------------------

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => !el.closest("[hidden]") && !(el as HTMLInputElement).hidden);
}

/** Keeps Tab inside `root`. */
function trapTab(e: KeyboardEvent, root: HTMLElement): void {
  if (e.key !== "Tab") return;
  const items = focusables(root);
  if (items.length === 0) return;
  const first = items[0]!;
  const last = items[items.length - 1]!;
  if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
}

// ---- Dialogs ----------------------------------------------------------------------------

let dialogSeq = 0;

/** The open dialogs, innermost last: Escape pressed while the focus is not in any (it has not
 * moved in yet, or it was clicked away) closes the innermost. */
const openDialogs: string[] = [];

/** A modal dialog: Escape and the backdrop close it, Tab stays inside, focus goes to the first
 * field (or `[data-autofocus]`) and back to where it was on close. */
/** How long a button that lets an app act for the person stays disabled after its dialog opens:
 * a click the person meant for the app's page, which opened the dialog under their pointer, does
 * not land on it (as browsers hold their permission prompts' buttons). */
export const ARM_DELAY_MS = 800;

/** Whether ARM_DELAY_MS has passed since the component mounted. */
export function useArmed(): boolean {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setArmed(true), ARM_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  return armed;
}

export function Dialog(props: {
  title: string; onClose: () => void; children: ComponentChildren; size?: "sm" | "md" | "lg"; class?: string;
  footer?: ComponentChildren; role?: "dialog" | "alertdialog";
}): JSX.Element {
  const { t } = useT();
  const ref = useRef<HTMLDivElement>(null);
  const [id] = useState(() => `dlg-${++dialogSeq}`);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  // Before the dialog is painted: an Escape pressed the moment it shows must find it listening.
  useLayoutEffect(() => {
    openDialogs.push(id);
    const onDocumentKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented || openDialogs[openDialogs.length - 1] !== id) return;
      e.preventDefault();
      onClose.current();
    };
    document.addEventListener("keydown", onDocumentKey);
    return () => {
      openDialogs.splice(openDialogs.indexOf(id), 1);
      document.removeEventListener("keydown", onDocumentKey);
    };
  }, []);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const root = ref.current;
    if (root) {
      const target = root.querySelector<HTMLElement>("[data-autofocus]") ?? root.querySelector<HTMLElement>("input, textarea, select") ?? focusables(root)[0];
      target?.focus();
    }
    // Without scrolling: the browser would otherwise scroll every ancestor, sideways too, to
    // bring the element fully into view, and a chat would stay shifted after an image viewer.
    return () => { if (previous && document.contains(previous)) previous.focus({ preventScroll: true }); };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") { e.stopPropagation(); e.preventDefault(); props.onClose(); return; }
    if (ref.current) trapTab(e, ref.current);
  };
  return (
    <div class="backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div ref={ref} class={`dialog dialog-${props.size ?? "md"}${props.class ? " " + props.class : ""}`} role={props.role ?? "dialog"}
        aria-modal="true" aria-labelledby={`${id}-title`} onKeyDown={onKeyDown}>
        <header class="dialog-header">
          <h2 id={`${id}-title`}>{props.title}</h2>
          <IconButton icon="close" label={t("common.close")} onClick={props.onClose} />
        </header>
        <div class="dialog-body">{props.children}</div>
        {props.footer && <footer class="dialog-footer">{props.footer}</footer>}
      </div>
    </div>
  );
}

/** "Are you sure?" with a confirm button (red when `danger`). */
export function ConfirmDialog(props: { title: string; text: string; confirm: string; danger?: boolean; onConfirm: () => void | Promise<void>; onClose: () => void }): JSX.Element {
  const { t } = useT();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={props.title} onClose={props.onClose} size="sm" role="alertdialog"
      footer={<>
        <button type="button" class="btn" onClick={props.onClose}>{t("common.cancel")}</button>
        <button type="button" class={`btn ${props.danger ? "btn-danger" : "btn-primary"}`} disabled={busy} data-autofocus
          onClick={async () => { setBusy(true); try { await props.onConfirm(); } finally { setBusy(false); } props.onClose(); }}>{props.confirm}</button>
      </>}>
      <p>{props.text}</p>
    </Dialog>
  );
}

// ---- Popovers and menus -------------------------------------------------------------------

/** A floating panel next to `anchor`, fixed-positioned so that scrolling containers never clip
 * it; flips above the anchor when there is no room below. Closes on Escape and outside clicks. */
export function Popover(props: {
  anchor: HTMLElement | null; onClose: () => void; children: ComponentChildren; class?: string;
  role?: "menu" | "dialog" | "listbox"; label?: string; align?: "start" | "end"; prefer?: "above" | "below"; focusFirst?: boolean; onKeyDown?: (e: KeyboardEvent) => void;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);
  const { anchor } = props;
  const closeRef = useRef(props.onClose);
  closeRef.current = props.onClose;
  const onClose = () => closeRef.current();

  useLayoutEffect(() => {
    const place = () => {
      const el = ref.current;
      if (!el || !anchor) return;
      const a = anchor.getBoundingClientRect();
      const w = el.offsetWidth;
      const h = el.offsetHeight;
      const vw = window.innerWidth;
      const vh = window.innerHeight;
      let left = props.align === "start" ? a.left : a.right - w;
      left = Math.max(8, Math.min(left, vw - w - 8));
      const below = a.bottom + 4;
      const above = a.top - h - 4;
      let top = props.prefer === "above" ? (above >= 8 ? above : below) : (below + h <= vh - 8 ? below : above);
      top = Math.max(8, Math.min(top, vh - h - 8));
      // Shown in place at once (not on the next render), so that it can take the focus now.
      el.style.left = `${left}px`;
      el.style.top = `${top}px`;
      el.style.visibility = "";
      setPos((p) => (p && Math.abs(p.left - left) < 0.5 && Math.abs(p.top - top) < 0.5 ? p : { left, top }));
    };
    place();
    window.addEventListener("resize", place);
    window.addEventListener("scroll", place, true);
    // Content that loads after opening (receipts) changes the size: place it again.
    const ro = typeof ResizeObserver === "undefined" || !ref.current ? null : new ResizeObserver(place);
    if (ro && ref.current) ro.observe(ref.current);
    return () => { window.removeEventListener("resize", place); window.removeEventListener("scroll", place, true); ro?.disconnect(); };
  }, [anchor, props.align, props.prefer]);

  // The focus moves in as the popover shows, once: a keyboard user goes on at once, and a
  // re-render (a push while the menu is open) must not pull the focus back to the first item.
  useLayoutEffect(() => {
    if (props.focusFirst !== false && ref.current) focusables(ref.current)[0]?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (ref.current?.contains(target) || anchor?.contains(target)) return;
      onClose();
    };
    document.addEventListener("pointerdown", onDown, true);
    return () => document.removeEventListener("pointerdown", onDown, true);
  }, [anchor]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") { e.stopPropagation(); e.preventDefault(); onClose(); anchor?.focus(); return; }
    props.onKeyDown?.(e);
  };
  return (
    <div ref={ref} class={`popover${props.class ? " " + props.class : ""}`} role={props.role} aria-label={props.label}
      style={pos ? { left: `${pos.left}px`, top: `${pos.top}px` } : { left: "0px", top: "0px", visibility: "hidden" }}
      onKeyDown={onKeyDown}>
      {props.children}
    </div>
  );
}

export interface MenuItem {
  label: string; icon?: IconName; onSelect: () => void; danger?: boolean; hidden?: boolean;
  /** The item opens a dialog: the focus goes back to the menu's button first, for the dialog
   * to return it there when it closes (it would be lost with the menu otherwise). */
  dialog?: boolean;
}

/** A menu of actions (role="menu"), arrow keys to move, Enter to choose. */
export function Menu(props: { anchor: HTMLElement | null; items: MenuItem[]; onClose: () => void; label: string }): JSX.Element {
  const items = props.items.filter((i) => !i.hidden);
  const onKeyDown = (e: KeyboardEvent) => {
    const root = (e.currentTarget as HTMLElement);
    const all = Array.from(root.querySelectorAll<HTMLElement>('[role="menuitem"]'));
    const i = all.indexOf(document.activeElement as HTMLElement);
    if (e.key === "ArrowDown") { e.preventDefault(); all[(i + 1) % all.length]?.focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); all[(i - 1 + all.length) % all.length]?.focus(); }
    else if (e.key === "Home") { e.preventDefault(); all[0]?.focus(); }
    else if (e.key === "End") { e.preventDefault(); all[all.length - 1]?.focus(); }
    else if (e.key === "Tab") { props.onClose(); }
  };
  return (
    <Popover anchor={props.anchor} onClose={props.onClose} role="menu" label={props.label} class="menu" onKeyDown={onKeyDown}>
      {items.map((item) => (
        <button type="button" role="menuitem" class={`menu-item${item.danger ? " danger" : ""}`} key={item.label} aria-haspopup={item.dialog ? "dialog" : undefined}
          onClick={() => { if (item.dialog) props.anchor?.focus({ preventScroll: true }); props.onClose(); item.onSelect(); }}>
          {item.icon && <Icon name={item.icon} size={16} />}
          <span>{item.label}</span>
        </button>
      ))}
    </Popover>
  );
}

/** A button that opens a menu. */
export function MenuButton(props: { icon: IconName; label: string; items: MenuItem[]; class?: string; onOpenChange?: (open: boolean) => void }): JSX.Element {
  const ref = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const set = (v: boolean) => { setOpen(v); props.onOpenChange?.(v); };
  return (
    <>
      <IconButton icon={props.icon} label={props.label} buttonRef={ref} class={props.class} expanded={open} haspopup="menu"
        onClick={(e) => { e.stopPropagation(); set(!open); }}
        onKeyDown={(e) => { if (e.key === "Escape" && open) { e.stopPropagation(); e.preventDefault(); set(false); } }} />
      {open && <Menu anchor={ref.current} items={props.items} label={props.label} onClose={() => set(false)} />}
    </>
  );
}

/** Copies text; falls back to a hidden textarea where the async clipboard is not allowed. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
}

/** One value shown to copy, with its label and copy button. */
export function CopyField(props: { id: string; label: string; value: string; copyLabel: string; testid: string; block?: boolean }): JSX.Element {
  const { t } = useT();
  const copy = async () => { await copyText(props.value); toast(t("admin.copied"), "info"); };
  return (
    <div class="field">
      <span class="field-label" id={`${props.id}-label`}>{props.label}</span>
      <div class="copy-row">
        {props.block
          ? <pre class="copy-value bot-command" aria-labelledby={`${props.id}-label`} data-testid={props.testid}>{props.value}</pre>
          : <code class="copy-value" aria-labelledby={`${props.id}-label`} data-testid={props.testid}>{props.value}</code>}
        <button type="button" class="btn btn-small" aria-label={props.copyLabel} onClick={() => void copy()}><Icon name="copy" size={14} /> {t("admin.copy")}</button>
      </div>
    </div>
  );
}
