// Recording a voice message in the browser (issue 23): the microphone through MediaRecorder, as
// Opus in WebM or Ogg (whichever the browser records), with the live loudness for the
// recording bar; when it stops, the recording's length and waveform, read from the audio itself.

import { WAVEFORM_BARS, computeWaveform } from "../lib/waveform.ts";

/** Containers tried in turn: Opus in WebM (Chromium, Firefox), in Ogg (Firefox), then what the
 * browser picks (Safari records AAC in MP4). */
const MIME_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg", "audio/mp4"];
/** Opus at this rate is clear speech and about 240 KB a minute. */
const BITS_PER_SECOND = 32_000;

export interface Recording {
  file: File;
  durationMs: number;
  /** Absent when the browser could not decode what it recorded. */
  waveform?: number[];
}

/** Can this browser record at all? */
export function canRecord(): boolean {
  return typeof MediaRecorder !== "undefined" && typeof navigator !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
}

function mimeType(): string | undefined {
  return MIME_TYPES.find((t) => MediaRecorder.isTypeSupported(t));
}

function extension(type: string): string {
  return type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
}

/** One recording, from start() to stop() or cancel(). */
export class VoiceRecorder {
  private stream: MediaStream | null = null;
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];
  private audio: AudioContext | null = null;
  private analyser: AnalyserNode | null = null;
  private levels: Uint8Array<ArrayBuffer> | null = null;
  private startedAt = 0;
  private cancelled = false;

  /** Asks for the microphone and starts; rejects when it is refused or there is none. */
  async start(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    if (this.cancelled) { stream.getTracks().forEach((t) => t.stop()); return; }
    this.stream = stream;
    const type = mimeType();
    const recorder = new MediaRecorder(stream, { ...(type ? { mimeType: type } : {}), audioBitsPerSecond: BITS_PER_SECOND });
    recorder.ondataavailable = (e) => { if (e.data.size > 0) this.chunks.push(e.data); };
    this.recorder = recorder;
    recorder.start();
    this.startedAt = performance.now();
    try {
      this.audio = new AudioContext();
      this.analyser = this.audio.createAnalyser();
      this.analyser.fftSize = 256;
      this.audio.createMediaStreamSource(stream).connect(this.analyser);
      this.levels = new Uint8Array(this.analyser.fftSize);
    } catch {
      // No live level: the recording itself goes on.
    }
  }

  get recording(): boolean { return this.recorder?.state === "recording"; }

  /** Milliseconds since recording began. */
  elapsedMs(): number {
    return this.startedAt === 0 ? 0 : performance.now() - this.startedAt;
  }

  /** The loudness right now, 0–1. */
  level(): number {
    if (!this.analyser || !this.levels) return 0;
    this.analyser.getByteTimeDomainData(this.levels);
    let sum = 0;
    for (const v of this.levels) sum += ((v - 128) / 128) ** 2;
    return Math.min(1, Math.sqrt(sum / this.levels.length) * 3);
  }

  /** Stops and gives the recording, its length and its waveform. */
  async stop(): Promise<Recording> {
    const recorder = this.recorder;
    if (!recorder) throw new Error("not recording");
    const measuredMs = this.elapsedMs();
    const stopped = new Promise<void>((done) => { recorder.onstop = () => done(); });
    if (recorder.state !== "inactive") recorder.stop();
    await stopped;
    this.release();
    const type = recorder.mimeType || this.chunks[0]?.type || "audio/webm";
    const blob = new Blob(this.chunks, { type });
    const file = new File([blob], `voice.${extension(type)}`, { type });
    const decoded = await decode(blob);
    return decoded
      ? { file, durationMs: Math.round(decoded.duration * 1000) || Math.round(measuredMs), waveform: computeWaveform(decoded.channels, WAVEFORM_BARS) }
      : { file, durationMs: Math.round(measuredMs) };
  }

  /** Stops and throws the recording away (also while start() still waits for the microphone). */
  cancel(): void {
    this.cancelled = true;
    if (this.recorder && this.recorder.state !== "inactive") {
      this.recorder.onstop = null;
      this.recorder.stop();
    }
    this.release();
  }

  private release(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    void this.audio?.close().catch(() => {});
    this.audio = null;
    this.analyser = null;
  }
}

/** The samples and length of some recorded audio, or null when the browser cannot decode it. */
export async function decode(blob: Blob): Promise<{ channels: Float32Array[]; duration: number } | null> {
  const Context = typeof OfflineAudioContext === "undefined" ? undefined : OfflineAudioContext;
  if (!Context) return null;
  try {
    // decodeAudioData resamples to the context's rate; 8 kHz is plenty for a waveform.
    const context = new Context(1, 1, 8000);
    const buffer = await context.decodeAudioData(await blob.arrayBuffer());
    const channels: Float32Array[] = [];
    for (let c = 0; c < buffer.numberOfChannels; c++) channels.push(buffer.getChannelData(c));
    return { channels, duration: buffer.duration };
  } catch {
    return null;
  }
}
