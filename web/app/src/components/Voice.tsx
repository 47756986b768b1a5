// Voice messages (issue 23): the player in a message (play and pause, the waveform as a slider
// to seek with, the time, and the speed: 1×, 1.5×, 2×), and the recording panel the composer
// shows while the microphone records.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useT } from "../i18n/hooks.ts";
import { type Body, num, str } from "../lib/body.ts";
import { formatDuration } from "../lib/format.ts";
import { computeWaveform, nextRate, progressOf, resample, waveformOf } from "../lib/waveform.ts";
import { errorText, useClient } from "../state/client.ts";
import { decode } from "../state/recorder.ts";
import { useRowTabIndex } from "../state/rowtab.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";

/** Bars drawn in a message. */
const BARS_SHOWN = 40;
/** What is drawn before a waveform is known: a low, even line. */
const FLAT = new Array<number>(BARS_SHOWN).fill(8);
/** Seconds an arrow key moves through a recording. */
const SEEK_STEP_S = 2;
const RATE_KEY = "magpie.voiceRate";

/** Waveforms computed on play, for voice messages that came without one, by file. */
const computed = new Map<string, number[]>();
/** One voice message plays at a time. */
let playing: HTMLAudioElement | null = null;

function storedRate(): number {
  try { return Number(localStorage.getItem(RATE_KEY)) || 1; } catch { return 1; }
}

export function VoiceMessage({ body }: { body: Body }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const tab = useRowTabIndex();
  const fileId = str(body, "file");
  const durationMs = num(body, "duration_ms") ?? 0;
  const stored = waveformOf(body?.waveform);
  const [found, setFound] = useState<number[] | undefined>(() => (fileId ? computed.get(fileId) : undefined));
  const bars = resample(stored ?? found ?? FLAT, BARS_SHOWN);
  const audio = useRef<HTMLAudioElement>(null);
  const [loaded, setLoaded] = useState(false);
  const [loading, setLoading] = useState(false);
  const [isPlaying, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [rate, setRate] = useState(storedRate);

  useEffect(() => () => { if (playing === audio.current) playing = null; }, []);

  /** Fetches the file once (and, when the message has no waveform, computes one from it). */
  const load = async (): Promise<HTMLAudioElement | null> => {
    const el = audio.current;
    if (!el || !fileId) return null;
    if (loaded) return el;
    setLoading(true);
    try {
      const url = await client.fileUrl(fileId);
      el.src = url;
      setLoaded(true);
      if (!stored && !computed.has(fileId)) {
        void fetch(url).then((r) => r.blob()).then(decode).then((d) => {
          if (!d) return;
          const waveform = computeWaveform(d.channels);
          computed.set(fileId, waveform);
          setFound(waveform);
        });
      }
      return el;
    } catch (e) {
      toast(errorText(e, t));
      return null;
    } finally {
      setLoading(false);
    }
  };

  const play = async (fromSeconds?: number) => {
    const el = await load();
    if (!el) return;
    if (fromSeconds !== undefined) el.currentTime = fromSeconds;
    el.playbackRate = rate;
    await el.play().catch((e: unknown) => toast(errorText(e, t)));
  };
  const toggle = () => {
    const el = audio.current;
    if (el && !el.paused) el.pause();
    else void play();
  };
  const seek = (seconds: number) => {
    const s = Math.min(Math.max(0, seconds), durationMs / 1000);
    setPosition(s);
    const el = audio.current;
    if (el && loaded) el.currentTime = s;
    else void play(s);
  };
  const changeRate = () => {
    const next = nextRate(rate);
    setRate(next);
    if (audio.current) audio.current.playbackRate = next;
    try { localStorage.setItem(RATE_KEY, String(next)); } catch { /* kept for this message only */ }
  };

  const progress = progressOf(position, durationMs);
  const played = Math.round(progress * bars.length);
  const shown = isPlaying || position > 0 ? position * 1000 : durationMs;
  const rateLabel = `${rate}×`;
  return (
    <div class={`voice${isPlaying ? " playing" : ""}`} data-testid="voice">
      <button type="button" class="play-btn" tabIndex={tab} disabled={!fileId || loading}
        aria-label={isPlaying ? t("voice.pause") : t("msg.playVoice")} title={isPlaying ? t("voice.pause") : t("msg.playVoice")} onClick={toggle}>
        <Icon name={isPlaying ? "pause" : "play"} size={16} />
      </button>
      <div class="voice-wave" role="slider" tabIndex={fileId ? (tab ?? 0) : -1} aria-label={t("voice.position")}
        aria-valuemin={0} aria-valuemax={Math.round(durationMs / 1000)} aria-valuenow={Math.round(position)}
        aria-valuetext={`${formatDuration(position * 1000)} / ${formatDuration(durationMs)}`}
        onClick={(e) => {
          const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
          if (fileId && box.width > 0) seek(((e.clientX - box.left) / box.width) * (durationMs / 1000));
        }}
        onKeyDown={(e) => {
          const step = e.key === "ArrowRight" || e.key === "ArrowUp" ? SEEK_STEP_S : e.key === "ArrowLeft" || e.key === "ArrowDown" ? -SEEK_STEP_S : 0;
          if (step !== 0) { e.preventDefault(); e.stopPropagation(); seek(position + step); }
          else if (e.key === "Home") { e.preventDefault(); e.stopPropagation(); seek(0); }
          else if (e.key === "End") { e.preventDefault(); e.stopPropagation(); seek(durationMs / 1000); }
        }}>
        {bars.map((h, i) => <span key={i} class={i < played ? "played" : undefined} style={{ height: `${Math.max(8, h)}%` }} />)}
      </div>
      <span class="voice-time">{formatDuration(shown)}</span>
      <button type="button" class="voice-rate" tabIndex={tab} aria-label={t("voice.speed", { rate: rateLabel })} title={t("voice.speed", { rate: rateLabel })}
        onClick={changeRate}>{rateLabel}</button>
      <audio ref={audio} preload="none" hidden
        onPlay={(e) => {
          const el = e.currentTarget as HTMLAudioElement;
          if (playing && playing !== el) playing.pause();
          playing = el;
          setPlaying(true);
        }}
        onPause={() => setPlaying(false)}
        onEnded={(e) => { (e.currentTarget as HTMLAudioElement).currentTime = 0; setPosition(0); setPlaying(false); }}
        // While paused, the position is the one chosen (a recorded WebM has no length in its
        // header, and a seek to its very end may report another time).
        onTimeUpdate={(e) => { const el = e.currentTarget as HTMLAudioElement; if (!el.paused) setPosition(el.currentTime); }} />
    </div>
  );
}

/** What the composer shows while it records: the time, the live loudness, and what releasing
 * the button will do. */
export function RecordingPanel({ elapsedMs, levels, started, hint, warn }: {
  elapsedMs: number; levels: number[]; started: boolean; hint: string; warn: boolean;
}): JSX.Element {
  const { t } = useT();
  return (
    <div class="voice-recording" role="group" aria-label={t("voice.recording")}>
      <span class={`rec-dot${started ? " on" : ""}`} aria-hidden="true" />
      <span class="rec-time" role="timer" data-testid="recording-time">{formatDuration(Math.floor(elapsedMs / 1000) * 1000)}</span>
      <span class="rec-level" aria-hidden="true">
        {levels.map((l, i) => <span key={i} style={{ height: `${Math.max(10, Math.round(l * 100))}%` }} />)}
      </span>
      <span class={`rec-hint${warn ? " warn" : ""}`} aria-live="polite">{started ? hint : t("voice.waiting")}</span>
    </div>
  );
}
