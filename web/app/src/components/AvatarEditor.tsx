// Choosing an avatar (issue 23), for one's profile and for a group: pick an image, crop it
// square in a dialog (drag or arrow keys to move, the slider, the wheel or + and − to zoom; the
// round mask shows what an avatar shows), and it is drawn to a canvas of at most AVATAR_PX,
// uploaded by tus, and handed to `onSave` as the file id the profile or group then names.

import type { JSX } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { useT } from "../i18n/hooks.ts";
import { type Crop, ZOOM_MAX, initialCrop, moveCrop, outputSide, sourceRect, zoomCrop } from "../lib/crop.ts";
import { errorText, useClient } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Dialog } from "./ui.tsx";

/** The crop window's side in CSS pixels (less on a narrow phone). */
const VIEW_PX = 280;
/** Window pixels an arrow key moves the image, and the zoom a key press or wheel step adds. */
const KEY_STEP_PX = 10;
const ZOOM_STEP = 0.1;

/** A button that picks an image and opens the crop dialog; `onSave` sets the avatar. */
export function AvatarPicker({ label, title, group, onSave }: {
  label: string; title: string; group?: boolean; onSave: (fileId: string) => Promise<unknown>;
}): JSX.Element {
  const { t } = useT();
  const input = useRef<HTMLInputElement>(null);
  const [image, setImage] = useState<ImageBitmap | null>(null);
  const choose = async (file: File | undefined) => {
    if (!file) return;
    try {
      setImage(await createImageBitmap(file, { imageOrientation: "from-image" }));
    } catch {
      toast(t("avatar.notImage"));
    }
  };
  return (
    <>
      <button type="button" class="btn btn-small" onClick={() => input.current?.click()}>{label}</button>
      <input ref={input} type="file" accept="image/*" hidden aria-label={t("avatar.choose")}
        onChange={(e) => { const el = e.currentTarget; void choose(el.files?.[0]); el.value = ""; }} />
      {image && <CropDialog image={image} title={title} group={group === true} onSave={onSave} onClose={() => { image.close(); setImage(null); }} />}
    </>
  );
}

function CropDialog({ image, title, group, onSave, onClose }: {
  image: ImageBitmap; title: string; group: boolean; onSave: (fileId: string) => Promise<unknown>; onClose: () => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const view = Math.min(VIEW_PX, Math.max(160, window.innerWidth - 80));
  const [crop, setCrop] = useState<Crop>(() => initialCrop(image.width, image.height, view));
  const [busy, setBusy] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);

  // The image as it sits under the window, drawn at the screen's pixel density.
  useLayoutEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext("2d");
    if (!el || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(view * dpr);
    el.height = Math.round(view * dpr);
    const { sx, sy, size } = sourceRect(crop);
    ctx.imageSmoothingQuality = "high";
    ctx.clearRect(0, 0, el.width, el.height);
    ctx.drawImage(image, sx, sy, size, size, 0, 0, el.width, el.height);
  }, [crop, view]);

  const save = async () => {
    setBusy(true);
    try {
      const { sx, sy, size } = sourceRect(crop);
      const side = outputSide(size);
      const out = document.createElement("canvas");
      out.width = side;
      out.height = side;
      const ctx = out.getContext("2d");
      if (!ctx) throw new Error("no canvas");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(image, sx, sy, size, size, 0, 0, side, side);
      const blob = await new Promise<Blob | null>((done) => out.toBlob(done, "image/jpeg", 0.9));
      if (!blob) throw new Error("the image could not be encoded");
      const info = await client.upload(new File([blob], "avatar.jpg", { type: "image/jpeg" }));
      await onSave(info.id);
      onClose();
    } catch (e) {
      toast(errorText(e, t));
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = {
      // The photo moves the way the arrow points, as when it is dragged.
      ArrowLeft: [-KEY_STEP_PX, 0], ArrowRight: [KEY_STEP_PX, 0], ArrowUp: [0, -KEY_STEP_PX], ArrowDown: [0, KEY_STEP_PX],
    };
    const move = moves[e.key];
    if (move) { e.preventDefault(); setCrop((c) => moveCrop(c, move[0], move[1])); return; }
    if (e.key === "+" || e.key === "=") { e.preventDefault(); setCrop((c) => zoomCrop(c, c.zoom + ZOOM_STEP)); }
    else if (e.key === "-" || e.key === "_") { e.preventDefault(); setCrop((c) => zoomCrop(c, c.zoom - ZOOM_STEP)); }
  };

  return (
    <Dialog title={title} onClose={busy ? () => {} : onClose} size="sm" class="avatar-dialog"
      footer={<>
        <button type="button" class="btn" onClick={onClose} disabled={busy}>{t("common.cancel")}</button>
        <button type="button" class="btn btn-primary" onClick={() => void save()} disabled={busy}>{busy ? t("avatar.saving") : t("avatar.save")}</button>
      </>}>
      {/* Moving the image: the window is one control, named for what its keys do. */}
      <div class="crop-stage" style={{ width: `${view}px`, height: `${view}px` }} tabIndex={0} role="group" data-autofocus
        aria-label={t("avatar.stage")} data-testid="crop-stage" onKeyDown={onKeyDown}
        onPointerDown={(e) => {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d || d.id !== e.pointerId) return;
          const dx = e.clientX - d.x;
          const dy = e.clientY - d.y;
          drag.current = { id: d.id, x: e.clientX, y: e.clientY };
          setCrop((c) => moveCrop(c, dx, dy));
        }}
        onPointerUp={() => { drag.current = null; }} onPointerCancel={() => { drag.current = null; }}
        onWheel={(e) => {
          e.preventDefault();
          const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
          setCrop((c) => zoomCrop(c, c.zoom * (e.deltaY < 0 ? 1 + ZOOM_STEP : 1 / (1 + ZOOM_STEP)), e.clientX - box.left, e.clientY - box.top));
        }}>
        <canvas ref={canvas} style={{ width: `${view}px`, height: `${view}px` }} aria-hidden="true" />
        {/* What the avatar will show: a circle for a person, a rounded square for a group. */}
        <span class={`crop-mask${group ? " crop-mask-group" : ""}`} aria-hidden="true" />
      </div>
      <label class="crop-zoom">
        <span>{t("avatar.zoom")}</span>
        <input type="range" min={1} max={ZOOM_MAX} step={0.01} value={crop.zoom}
          onInput={(e) => { const z = Number(e.currentTarget.value); setCrop((c) => zoomCrop(c, z)); }} />
      </label>
    </Dialog>
  );
}
