// The waveform of a voice message (issue 23): how loud each slice of the recording is, as a
// few dozen bars of 0–100. The sender computes it from the recording and puts it in the voice
// body's extra field `waveform` (protocol §7.3: a body may carry extra fields, which the server
// keeps); a client that gets a voice message without one computes it from the audio on play.

/** Bars a waveform is made of when computed here. */
export const WAVEFORM_BARS = 48;
/** Longest waveform read from a body (anything longer is someone else's idea). */
export const WAVEFORM_BARS_MAX = 256;
/** The lowest bar drawn, so that silence still shows as a line. */
const FLOOR = 4;

/** Loudness per bar from the samples of each channel (as an AudioBuffer gives them): the RMS of
 * each slice, taken on a square-root scale (speech is quiet next to its peaks) and scaled so
 * that the loudest bar is 100. Silence is all at the floor. */
export function computeWaveform(channels: readonly Float32Array[], bars: number = WAVEFORM_BARS): number[] {
  const length = channels.reduce((n, c) => Math.max(n, c.length), 0);
  if (bars <= 0) return [];
  if (length === 0) return new Array<number>(bars).fill(FLOOR);
  const rms: number[] = [];
  for (let b = 0; b < bars; b++) {
    const start = Math.floor((b * length) / bars);
    const end = Math.max(start + 1, Math.floor(((b + 1) * length) / bars));
    let sum = 0;
    let n = 0;
    for (const channel of channels) {
      for (let i = start; i < end && i < channel.length; i++) {
        const v = channel[i]!;
        sum += v * v;
        n++;
      }
    }
    rms.push(n === 0 ? 0 : Math.sqrt(sum / n));
  }
  const loudest = Math.max(...rms);
  // Below this (about -60 dBFS) it is silence, not a recording too quiet to see.
  if (loudest < 1e-3) return new Array<number>(bars).fill(FLOOR);
  return rms.map((v) => Math.max(FLOOR, Math.round(100 * Math.sqrt(v / loudest))));
}

/** `values` drawn as `bars` bars: longer ones take the loudest of what falls in each bar, shorter
 * ones repeat their values, so that a waveform keeps its shape at any width. */
export function resample(values: readonly number[], bars: number): number[] {
  if (values.length === 0 || bars <= 0) return [];
  if (values.length === bars) return [...values];
  const out: number[] = [];
  for (let b = 0; b < bars; b++) {
    const start = Math.floor((b * values.length) / bars);
    const end = Math.max(start + 1, Math.floor(((b + 1) * values.length) / bars));
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, values[i]!);
    out.push(max);
  }
  return out;
}

/** A body's `waveform`, if it is one this app can draw: 1 to WAVEFORM_BARS_MAX numbers, each
 * clamped to 0–100; anything else is left out (and the waveform is computed on play). */
export function waveformOf(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > WAVEFORM_BARS_MAX) return undefined;
  if (!value.every((v) => typeof v === "number" && Number.isFinite(v))) return undefined;
  return (value as number[]).map((v) => Math.min(100, Math.max(0, Math.round(v))));
}

/** How far through a recording `seconds` is, 0–1, given its length in ms (a recording whose
 * container has no length, like the WebM a browser records, reports an infinite duration). */
export function progressOf(seconds: number, durationMs: number): number {
  if (!(durationMs > 0) || !Number.isFinite(seconds)) return 0;
  return Math.min(1, Math.max(0, (seconds * 1000) / durationMs));
}

/** The playback speeds offered, in turn. */
export const PLAYBACK_RATES = [1, 1.5, 2] as const;

/** The speed after `rate` (back to 1 after the fastest, and from anything unknown). */
export function nextRate(rate: number): number {
  const i = PLAYBACK_RATES.indexOf(rate as (typeof PLAYBACK_RATES)[number]);
  return PLAYBACK_RATES[(i + 1) % PLAYBACK_RATES.length]!;
}
