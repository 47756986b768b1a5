import { describe, expect, it } from "vitest";
import { AVATAR_PX, ZOOM_MAX, clampCrop, initialCrop, moveCrop, outputSide, scaleOf, sourceRect, zoomCrop } from "../src/lib/crop.ts";

describe("cropping an avatar", () => {
  it("starts with the shorter side filling the window, centred", () => {
    const c = initialCrop(1200, 800, 200);
    expect(scaleOf(c)).toBeCloseTo(0.25);
    // 1200 × 0.25 = 300 wide in a 200 window: 50 cut off on each side.
    expect(c.x).toBeCloseTo(-50);
    expect(c.y).toBe(0);
    expect(sourceRect(c)).toEqual({ sx: 200, sy: 0, size: 800 });
  });

  it("is dragged only as far as the image covers the window", () => {
    const c = initialCrop(1200, 800, 200);
    expect(moveCrop(c, 30, 0).x).toBeCloseTo(-20);
    expect(moveCrop(c, 500, 0).x).toBe(0);
    expect(moveCrop(c, -500, 0).x).toBeCloseTo(-100);
    expect(moveCrop(c, 0, 40).y).toBe(0);
    expect(sourceRect(moveCrop(c, 500, 0))).toEqual({ sx: 0, sy: 0, size: 800 });
    expect(sourceRect(moveCrop(c, -500, 0))).toEqual({ sx: 400, sy: 0, size: 800 });
  });

  it("zooms between 1 and ZOOM_MAX around a point that stays put", () => {
    const c = initialCrop(1000, 1000, 200);
    const z = zoomCrop(c, 2);
    expect(z.zoom).toBe(2);
    // Around the centre: the middle of the image stays in the middle.
    expect(sourceRect(z)).toEqual({ sx: 250, sy: 250, size: 500 });
    // Around the top-left corner: it stays at the corner.
    expect(sourceRect(zoomCrop(c, 2, 0, 0))).toEqual({ sx: 0, sy: 0, size: 500 });
    // The image point under (150, 50) is the same before and after.
    const before = { x: (150 - c.x) / scaleOf(c), y: (50 - c.y) / scaleOf(c) };
    const after = zoomCrop(c, 3, 150, 50);
    expect((150 - after.x) / scaleOf(after)).toBeCloseTo(before.x);
    expect((50 - after.y) / scaleOf(after)).toBeCloseTo(before.y);
    expect(zoomCrop(c, 99).zoom).toBe(ZOOM_MAX);
    expect(zoomCrop(z, 0.2).zoom).toBe(1);
    // Back to 1, the image covers the window again.
    expect(sourceRect(zoomCrop(zoomCrop(c, 4, 200, 200), 1))).toEqual({ sx: 0, sy: 0, size: 1000 });
  });

  it("keeps a crop in bounds whatever it was given", () => {
    const c = clampCrop({ width: 400, height: 300, view: 100, zoom: Number.NaN, x: 50, y: -1000 });
    expect(c.zoom).toBe(1);
    expect(c.x).toBe(0);
    expect(c.y).toBe(0);
  });

  it("makes avatars of AVATAR_PX, never blown up", () => {
    expect(outputSide(2400)).toBe(AVATAR_PX);
    expect(outputSide(300.4)).toBe(300);
    expect(outputSide(0.2)).toBe(1);
  });
});
