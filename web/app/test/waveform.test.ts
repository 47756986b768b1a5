import { describe, expect, it } from "vitest";
import { WAVEFORM_BARS, computeWaveform, nextRate, progressOf, resample, waveformOf } from "../src/lib/waveform.ts";

/** A tone whose loudness follows `envelope` (one value per second) at 8 kHz. */
function tone(envelope: number[], rate = 8000): Float32Array {
  const out = new Float32Array(envelope.length * rate);
  for (let i = 0; i < out.length; i++) out[i] = envelope[Math.floor(i / rate)]! * Math.sin((2 * Math.PI * 440 * i) / rate);
  return out;
}

describe("voice waveforms", () => {
  it("has one bar per slice, the loudest at 100, quieter ones lower", () => {
    const bars = computeWaveform([tone([0.1, 0.8, 0.4, 0.8])], 4);
    expect(bars).toHaveLength(4);
    expect(bars[1]).toBe(100);
    expect(bars[3]).toBe(100);
    // sqrt scale: a quarter of the loudness is half the bar.
    expect(bars[0]).toBeGreaterThanOrEqual(34);
    expect(bars[0]).toBeLessThanOrEqual(37);
    expect(bars[2]).toBeGreaterThan(bars[0]!);
    expect(bars[2]).toBeLessThan(100);
  });

  it("makes WAVEFORM_BARS bars by default and mixes channels", () => {
    const left = tone([0.5, 0, 0, 0]);
    const right = tone([0, 0, 0, 0.5]);
    const bars = computeWaveform([left, right]);
    expect(bars).toHaveLength(WAVEFORM_BARS);
    expect(bars[0]).toBe(100);
    expect(bars[WAVEFORM_BARS - 1]).toBe(100);
    expect(bars[WAVEFORM_BARS / 2]).toBe(4);
  });

  it("draws silence, and nothing at all, as a flat line", () => {
    expect(computeWaveform([new Float32Array(16000)], 8)).toEqual(new Array(8).fill(4));
    expect(computeWaveform([], 3)).toEqual([4, 4, 4]);
    // Fewer samples than bars: each bar still has a sample to stand for.
    expect(computeWaveform([Float32Array.from([0.5, -0.5])], 4)).toHaveLength(4);
  });

  it("resamples to any number of bars and keeps the peaks", () => {
    expect(resample([10, 90, 20, 30], 2)).toEqual([90, 30]);
    expect(resample([10, 90], 4)).toEqual([10, 10, 90, 90]);
    expect(resample([5, 6, 7], 3)).toEqual([5, 6, 7]);
    expect(resample([], 3)).toEqual([]);
  });

  it("reads a body's waveform only when it is one", () => {
    expect(waveformOf([0, 50.4, 120, -3])).toEqual([0, 50, 100, 0]);
    expect(waveformOf("loud")).toBeUndefined();
    expect(waveformOf([])).toBeUndefined();
    expect(waveformOf([1, "2"])).toBeUndefined();
    expect(waveformOf([1, Number.NaN])).toBeUndefined();
    expect(waveformOf(new Array(257).fill(1))).toBeUndefined();
  });

  it("tells progress from the body's duration, also when the file has none", () => {
    expect(progressOf(1.5, 3000)).toBe(0.5);
    expect(progressOf(4, 3000)).toBe(1);
    expect(progressOf(Number.POSITIVE_INFINITY, 3000)).toBe(0);
    expect(progressOf(1, 0)).toBe(0);
  });

  it("cycles the playback speed 1×, 1.5×, 2×", () => {
    expect(nextRate(1)).toBe(1.5);
    expect(nextRate(1.5)).toBe(2);
    expect(nextRate(2)).toBe(1);
    expect(nextRate(0.75)).toBe(1);
  });
});
