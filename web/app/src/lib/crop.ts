// Cropping an avatar square (issue 23): an image under a square window of `view` CSS pixels,
// zoomed and dragged, never leaving part of the window empty. Zoom 1 fits the image's shorter
// side to the window; the offset is where the image's top-left corner is, relative to the
// window's (so it is never above 0).

export interface Crop {
  /** The image's size in pixels. */
  width: number;
  height: number;
  /** The square window's side, in CSS pixels. */
  view: number;
  /** 1 (the shorter side fills the window) to ZOOM_MAX. */
  zoom: number;
  x: number;
  y: number;
}

export const ZOOM_MAX = 4;
/** The side of the avatar made, in pixels (the server's larger thumbnail is 1024, its smaller
 * 256; avatars are shown at 24–64 CSS pixels, so 512 is sharp on any screen). */
export const AVATAR_PX = 512;

/** Image pixels to window pixels. */
export function scaleOf(c: Pick<Crop, "width" | "height" | "view" | "zoom">): number {
  return (c.view / Math.min(c.width, c.height)) * c.zoom;
}

/** The image centred at zoom 1. */
export function initialCrop(width: number, height: number, view: number): Crop {
  return clampCrop({ width, height, view, zoom: 1, x: -Infinity, y: -Infinity }, true);
}

/** The crop with its zoom in bounds and the image covering the window. `centre` puts it in
 * the middle (where x and y are not numbers yet). */
export function clampCrop(c: Crop, centre = false): Crop {
  const zoom = Math.min(ZOOM_MAX, Math.max(1, Number.isFinite(c.zoom) ? c.zoom : 1));
  const scale = scaleOf({ ...c, zoom });
  const minX = c.view - c.width * scale;
  const minY = c.view - c.height * scale;
  const x = centre ? minX / 2 : Math.min(0, Math.max(minX, c.x));
  const y = centre ? minY / 2 : Math.min(0, Math.max(minY, c.y));
  return { ...c, zoom, x, y };
}

/** Moved by (dx, dy) window pixels (a drag, an arrow key). */
export function moveCrop(c: Crop, dx: number, dy: number): Crop {
  return clampCrop({ ...c, x: c.x + dx, y: c.y + dy });
}

/** Zoomed to `zoom`, keeping the image's point under (fx, fy) of the window where it is (the
 * pointer for the wheel, the window's centre for the slider and the keys). */
export function zoomCrop(c: Crop, zoom: number, fx = c.view / 2, fy = c.view / 2): Crop {
  const before = scaleOf(c);
  const next = clampCrop({ ...c, zoom });
  const after = scaleOf(next);
  const ix = (fx - c.x) / before;
  const iy = (fy - c.y) / before;
  return clampCrop({ ...next, x: fx - ix * after, y: fy - iy * after });
}

/** The square of the image under the window, in image pixels: what drawImage takes. */
export function sourceRect(c: Crop): { sx: number; sy: number; size: number } {
  const scale = scaleOf(c);
  const size = Math.min(c.view / scale, c.width, c.height);
  const sx = Math.min(Math.max(0, -c.x / scale), c.width - size);
  const sy = Math.min(Math.max(0, -c.y / scale), c.height - size);
  return { sx, sy, size };
}

/** The side of the avatar to make from a square of `size` image pixels: AVATAR_PX, or the
 * square's own size when it is smaller (never blown up). */
export function outputSide(size: number): number {
  return Math.max(1, Math.min(AVATAR_PX, Math.round(size)));
}
