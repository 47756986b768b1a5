// The message composer: Enter sends, Shift+Enter is a new line (never while an IME is
// composing), @mention autocomplete from the group's members, emoji, code blocks, files
// (button, paste, and drop on the chat), voice messages (hold the microphone button and
// release to send, or press it once to record and again to send), reply and edit modes,
// typing signals and drafts. In a thread (beside the chat) it sends replies to the thread's
// root, with "also send to the group"; its drafts stay on this device and it signals no typing
// (the chat would show it).
// typing signals and drafts, and scheduling the message for later (the clock button).
// Slash commands (issue 18): a text that begins with `/` lists the conversation's commands whose
// name it starts (fetched then, and kept for the session); choosing one fills `/name ` and shows
// its arguments' hint above the text. Sending `/name …` for an offered command invokes it instead
// of sending a message: busy until the app answers; an answer for this person only goes to the
// chat's list (onAnswer); a refusal or the app's failure is said above the text, which stays.

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation, Member, MessageView, OfferedCommand, SendOptions } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { editBody, editableText, type MentionCandidate, mentionQueryAt, parseComposer, rankCandidates } from "../lib/compose.ts";
import { canMentionAll, isGroupLike } from "../lib/permissions.ts";
import { previewText } from "../lib/preview.ts";
import { displayName, errorText, localPart, useClient, useNames } from "../state/client.ts";
import { rememberPreview } from "../state/media.ts";
import { formatFull } from "../lib/format.ts";
import { VoiceRecorder, canRecord } from "../state/recorder.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, IconButton, Spinner } from "./ui.tsx";
import { EmojiPicker } from "./EmojiPicker.tsx";
import { RecordingPanel } from "./Voice.tsx";
import { ScheduleDialog } from "./Scheduled.tsx";
import {
  COMMAND_TEXT_CHARS_MAX, type EphemeralAnswer, commandQuery, invocationRefusal, matchingCommands, mayBeCommand, parseInvocation,
} from "../lib/commands.ts";
import { charCount } from "../lib/bots.ts";
import { forgetCommands, loadCommands, membersKey, useOfferedCommands } from "../state/commands.ts";

/** Unsent text per conversation, kept while the app runs (and sent to the server as the draft
 * when the user leaves the conversation). */
const drafts = new Map<number, string>();
/** Unsent replies per thread ("conversation:root"), kept while the app runs. */
const threadDrafts = new Map<string, string>();

const MAX_HEIGHT_PX = 220;
/** Groups up to this size have all their members' names fetched for @mentions. */
const MENTION_NAMES_MAX = 500;

interface Suggestion extends MentionCandidate { all?: boolean }

/** A press on the microphone button longer than this is a hold: releasing it sends. */
const HOLD_MS = 350;
/** Recordings shorter than this are taken for a slip and not sent. */
const VOICE_MS_MIN = 700;
/** A recording stops and is sent at this length. */
const VOICE_MS_MAX = 5 * 60_000;
/** Live loudness bars shown while recording. */
const LEVELS_SHOWN = 24;
const TICK_MS = 100;

/** A recording under way: held (released, it is sent) or pressed once (sent with the button). */
interface Recording { mode: "hold" | "tap"; started: boolean; outside: boolean; elapsedMs: number; levels: number[] }

export function Composer(props: {
  conversation: Conversation; members: Member[] | undefined; title: string;
  replyTo: MessageView | null; editing: MessageView | null;
  onCancelReply: () => void; onCancelEdit: () => void; onSent: () => void; onEditLast: () => void;
  focusRef: { current: (() => void) | null };
  /** The root of the thread this composer replies in; undefined for the chat's own. */
  thread?: number | undefined;
  /** An app's answer to a slash command for this person only, to show in the chat. */
  onAnswer?: (answer: Omit<EphemeralAnswer, "key" | "atMs" | "afterSeq">) => void;
}): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const conv = props.conversation;
  const id = conv.id;
  const thread = props.thread;
  const draftKey = `${id}:${thread}`;
  const [text, setText] = useState(() => (thread !== undefined ? threadDrafts.get(draftKey) ?? "" : drafts.get(id) ?? conv.me.draft ?? ""));
  /** "Also send to the group" (§7.12 `broadcast`): for the next reply only. */
  const [broadcast, setBroadcast] = useState(false);
  const threadOptions = thread === undefined ? {} : { thread, ...(broadcast ? { broadcast: true } : {}) };
  /** Element ids that are unique also with the chat's composer on the page. */
  const idSuffix = thread === undefined ? `${id}` : `${id}-t${thread}`;
  const textRef = useRef(text);
  textRef.current = text;
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const emojiBtn = useRef<HTMLButtonElement>(null);
  const [emoji, setEmoji] = useState(false);
  const [mention, setMention] = useState<{ start: number; query: string; active: number } | null>(null);
  const [busy, setBusy] = useState(false);
  /** The message being scheduled (the composer's text when the clock was pressed). */
  const [scheduling, setScheduling] = useState<string | null>(null);
  const composing = useRef(false);
  const root = useRef<HTMLDivElement>(null);
  const recorder = useRef<VoiceRecorder | null>(null);
  const [rec, setRec] = useState<Recording | null>(null);
  const recRef = useRef(rec);
  recRef.current = rec;
  const pressedAt = useRef(0);
  /** A press on the button while recording by tap: its release sends. */
  const pressToSend = useRef(false);
  /** The text area comes back when a recording ends: it takes the focus then. */
  const focusText = useRef(false);
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);

  // Slash commands: the chat's composer only (a thread's replies are messages), not while editing.
  const commandsHere = thread === undefined && !props.editing;
  const membersNow = useMemo(() => membersKey(props.members), [props.members]);
  const offered = useOfferedCommands(client, id, membersNow, commandsHere && text.startsWith("/"));
  /** The command suggested, and whether the list was closed (Escape) until the text changes. */
  const [commandPick, setCommandPick] = useState<{ active: number; closed: boolean }>({ active: 0, closed: false });
  const commandTyped = commandsHere ? commandQuery(text) : null;
  const commandSuggestions = commandTyped !== null && offered && !commandPick.closed ? matchingCommands(offered, commandTyped) : [];
  const commandOpen = commandSuggestions.length > 0;
  const activeCommand = Math.min(commandPick.active, Math.max(commandSuggestions.length - 1, 0));
  /** The command being invoked: its app has not answered yet. */
  const [invoking, setInvoking] = useState<OfferedCommand | null>(null);
  const [commandError, setCommandError] = useState<string | null>(null);
  /** The offered command the text invokes, once its name is typed or chosen: its hint shows. */
  const invocation = commandsHere && offered && !commandOpen ? parseInvocation(text, offered) : null;
  const shownCommand = invoking ?? invocation?.command ?? null;

  props.focusRef.current = () => area.current?.focus();

  // Save the draft when leaving the conversation (a thread's only here).
  useEffect(() => () => {
    const draft = textRef.current;
    if (thread !== undefined) {
      if (draft.trim()) threadDrafts.set(draftKey, draft); else threadDrafts.delete(draftKey);
      return;
    }
    if (draft.trim()) drafts.set(id, draft); else drafts.delete(id);
    const server = conv.me.draft ?? "";
    if (draft.trim() !== server.trim()) client.updateSettings(id, { draft: draft.trim() ? draft : "" }).catch(() => { /* a draft is best effort */ });
  }, [id]);

  // Entering edit mode fills the composer with the message; leaving it restores the draft.
  // Only a change of mode does: on mount the composer shows the draft it was given. Before the
  // browser paints or takes input: what is typed into the edit box is never overwritten by a
  // fill that comes a frame late.
  const savedDraft = useRef<string>("");
  const editingKey = props.editing?.key;
  const shownEditing = useRef(editingKey);
  useLayoutEffect(() => {
    const was = shownEditing.current;
    if (was === editingKey) return;
    shownEditing.current = editingKey;
    if (props.editing) {
      if (was === undefined) savedDraft.current = textRef.current;
      setText(editableText(props.editing.entry.kind, props.editing.entry.body));
      requestAnimationFrame(() => { const el = area.current; if (el) { el.focus(); el.setSelectionRange(el.value.length, el.value.length); } });
    } else {
      setText(savedDraft.current);
      savedDraft.current = "";
    }
  }, [editingKey]);
  useEffect(() => { if (props.replyTo) area.current?.focus(); }, [props.replyTo?.key]);

  // Grow with the text.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [text]);

  // The members' names, for @mentions. In a group of up to MENTION_NAMES_MAX members they are
  // all fetched and followed (a profile that arrives after the members makes `@李娜` work);
  // in a bigger one that would be thousands of requests and work on every push, so the names
  // known already are used, and the address's part before `@` for the others.
  const members = props.members ?? [];
  const followed = members.length <= MENTION_NAMES_MAX ? members.map((m) => m.account) : [];
  useNames(client, followed);
  const candidatesNow = (): Suggestion[] => members
    .filter((m) => m.account !== client.me.account)
    .map((m) => ({ account: m.account, name: client.profile(m.account, { fetch: followed.length > 0 })?.display_name || localPart(m.account) }));
  const nameOf = (a: string) => displayName(client, a);
  const allowAll = canMentionAll(conv);
  const suggestions: Suggestion[] = mention
    ? [
      ...(allowAll && (t("composer.mentionAllWord").toLowerCase().startsWith(mention.query.toLowerCase()) || "all".startsWith(mention.query.toLowerCase()))
        ? [{ account: "", name: t("composer.mentionAllWord"), all: true }] : []),
      ...rankCandidates(candidatesNow(), mention.query),
    ]
    : [];

  const updateMention = (value: string, caret: number) => {
    if (!isGroupLike(conv)) { setMention(null); return; }
    const q = mentionQueryAt(value, caret);
    setMention(q ? { ...q, active: 0 } : null);
  };

  /** Replaces the text and puts the caret at once, so that keys typed right after land after
   * the insertion (the render that follows finds the same value and leaves the caret alone). */
  const replaceText = (next: string, caret: number) => {
    const el = area.current;
    textRef.current = next;
    if (el) {
      el.value = next;
      el.focus();
      el.setSelectionRange(caret, caret);
    }
    setText(next);
  };

  const insertAt = (insert: string, replaceFrom?: number) => {
    const el = area.current;
    const value = textRef.current;
    const startPos = replaceFrom ?? el?.selectionStart ?? value.length;
    const endPos = el?.selectionEnd ?? value.length;
    replaceText(value.slice(0, startPos) + insert + value.slice(endPos), startPos + insert.length);
  };

  const pickCommand = (c: OfferedCommand) => {
    const filled = `/${c.name} `;
    replaceText(filled, filled.length);
    setCommandPick({ active: 0, closed: false });
    setMention(null);
  };

  /** Invokes an offered command in place of sending the text: the text stays (read-only) until
   * the app has answered, and is kept when the server or the app refuses. */
  const invoke = async (command: OfferedCommand, args: string) => {
    if (charCount(args) > COMMAND_TEXT_CHARS_MAX) { setCommandError(t("commands.tooLong", { max: COMMAND_TEXT_CHARS_MAX })); return; }
    const typed = textRef.current;
    setBusy(true);
    setInvoking(command);
    setCommandError(null);
    setMention(null);
    try {
      const result = await client.invokeCommand(id, command.name, args);
      if (!mounted.current) return;
      if (textRef.current === typed) replaceText("", 0);
      drafts.delete(id);
      props.onCancelReply();
      if (result.response_type === "ephemeral" && result.kind && result.body) {
        props.onAnswer?.({ bot: command.bot, botName: command.bot_name, command: `/${command.name}${args ? ` ${args}` : ""}`, kind: result.kind, body: result.body });
      }
      props.onSent();
    } catch (e) {
      if (!mounted.current) return;
      const refused = invocationRefusal(e);
      // No bot here has it any more: the list was stale, and is fetched anew.
      if (refused === "gone") forgetCommands(client, id);
      setCommandError(refused === "gone" ? t("commands.gone", { name: command.name })
        : refused === "too_long" ? t("commands.tooLong", { max: COMMAND_TEXT_CHARS_MAX }) : errorText(e, t));
    } finally {
      if (mounted.current) { setBusy(false); setInvoking(null); }
    }
  };

  const pickSuggestion = (s: Suggestion) => {
    if (!mention) return;
    insertAt(`@${s.name} `, mention.start);
    setMention(null);
  };

  const send = async () => {
    if (busy) return;
    if (props.editing) {
      const e = props.editing.entry;
      const body = editBody(e.kind, text);
      if (!body) return;
      setBusy(true);
      try {
        await client.edit(id, e.seq, body);
        props.onCancelEdit();
      } catch (err) {
        toast(errorText(err, t));
      } finally {
        setBusy(false);
      }
      return;
    }
    // `/name …` of a command the conversation offers is invoked, not sent (the list is fetched
    // first if it is not here yet: a command pasted and sent at once). Any other text is a message.
    if (commandsHere && text.startsWith("/")) {
      let list = offered;
      if (!list) {
        setBusy(true);
        try { list = await loadCommands(client, id, membersNow); } catch { list = []; } finally { if (mounted.current) setBusy(false); }
        if (!mounted.current) return;
      }
      const invoked = parseInvocation(textRef.current, list);
      if (invoked) { await invoke(invoked.command, invoked.text); return; }
    }
    const composed = parseComposer(text, candidatesNow(), { allowMentionAll: allowAll });
    if (!composed) return;
    const options: SendOptions = { ...threadOptions };
    if (composed.mentions.length) options.mentions = composed.mentions;
    if (composed.mentionAll) options.mentionAll = true;
    if (props.replyTo && props.replyTo.entry.seq > 0) options.replyTo = props.replyTo.entry.seq;
    client.send(id, composed.kind, composed.body, options);
    setText("");
    if (thread !== undefined) threadDrafts.delete(draftKey); else drafts.delete(id);
    setBroadcast(false);
    setMention(null);
    props.onCancelReply();
    props.onSent();
  };

  /** Schedules what the composer holds, checked by the server as a send of it would be; the
   * composer empties once it is scheduled (a refusal keeps it, and the dialog says why). */
  const schedule = async (sendAtMs: number) => {
    const composed = parseComposer(text, candidatesNow(), { allowMentionAll: allowAll });
    if (!composed) return;
    const options: { mentions?: string[]; mentionAll?: boolean; replyTo?: number } = {};
    if (composed.mentions.length) options.mentions = composed.mentions;
    if (composed.mentionAll) options.mentionAll = true;
    if (props.replyTo && props.replyTo.entry.seq > 0) options.replyTo = props.replyTo.entry.seq;
    const scheduled = await client.scheduleMessage(id, composed.kind, composed.body, sendAtMs, options);
    replaceText("", 0);
    drafts.delete(id);
    setMention(null);
    props.onCancelReply();
    toast(t("scheduled.done", { time: formatFull(scheduled.send_at_ms, locale) }), "info");
  };

  const sendFiles = (files: Iterable<File>) => {
    for (const f of files) {
      const cmid = client.sendFile(id, f, threadOptions);
      rememberPreview(cmid, f);
    }
    props.onSent();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const composingNow = composing.current || e.isComposing || e.keyCode === 229;
    if (commandOpen && !composingNow) {
      const n = commandSuggestions.length;
      if (e.key === "ArrowDown") { e.preventDefault(); setCommandPick({ active: (activeCommand + 1) % n, closed: false }); return; }
      if (e.key === "ArrowUp") { e.preventDefault(); setCommandPick({ active: (activeCommand - 1 + n) % n, closed: false }); return; }
      if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); pickCommand(commandSuggestions[activeCommand] ?? commandSuggestions[0]!); return; }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); setCommandPick({ active: 0, closed: true }); return; }
    }
    if (mention && suggestions.length > 0 && !composingNow) {
      if (e.key === "ArrowDown") { e.preventDefault(); setMention({ ...mention, active: (mention.active + 1) % suggestions.length }); return; }
      if (e.key === "ArrowUp") { e.preventDefault(); setMention({ ...mention, active: (mention.active - 1 + suggestions.length) % suggestions.length }); return; }
      if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); pickSuggestion(suggestions[mention.active] ?? suggestions[0]!); return; }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); setMention(null); return; }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !composingNow) {
      e.preventDefault();
      void send();
      return;
    }
    if (e.key === "Escape") {
      if (props.editing) { e.preventDefault(); props.onCancelEdit(); }
      else if (props.replyTo) { e.preventDefault(); props.onCancelReply(); }
      return;
    }
    if (e.key === "ArrowUp" && textRef.current === "" && !props.editing) {
      e.preventDefault();
      props.onEditLast();
    }
  };

  const onInput = (e: Event) => {
    const el = e.currentTarget as HTMLTextAreaElement;
    setText(el.value);
    updateMention(el.value, el.selectionStart);
    setCommandPick({ active: 0, closed: false });
    setCommandError(null);
    // A slash command is no message to come: no typing for it.
    if (el.value.trim() && !props.editing && thread === undefined && !mayBeCommand(el.value, offered)) client.typing(id);
  };

  const onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length > 0 && !props.editing) {
      e.preventDefault();
      sendFiles(files);
    }
  };

  const insertCode = () => {
    const el = area.current;
    const value = textRef.current;
    const s = el?.selectionStart ?? value.length;
    const en = el?.selectionEnd ?? value.length;
    const selected = value.slice(s, en);
    const block = "```\n" + (selected || "") + "\n```";
    replaceText(value.slice(0, s) + block + value.slice(en), s + 4 + selected.length);
  };

  // ---- Voice messages ------------------------------------------------------------------
  const startRecording = (mode: Recording["mode"]) => {
    const r = new VoiceRecorder();
    recorder.current = r;
    setEmoji(false);
    setMention(null);
    setRec({ mode, started: false, outside: false, elapsedMs: 0, levels: [] });
    r.start().then(
      () => { if (recorder.current === r) setRec((s) => s && { ...s, started: true }); },
      () => {
        if (recorder.current !== r) return;
        recorder.current = null;
        setRec(null);
        toast(t("voice.micError"));
      },
    );
  };
  const cancelRecording = () => {
    recorder.current?.cancel();
    recorder.current = null;
    setRec(null);
  };
  const finishRecording = async () => {
    const r = recorder.current;
    if (!r) return;
    recorder.current = null;
    setRec(null);
    // Released before the microphone was there, or a slip of the finger: nothing to send.
    if (!r.recording) { r.cancel(); return; }
    if (r.elapsedMs() < VOICE_MS_MIN) { r.cancel(); toast(t("voice.tooShort"), "info"); return; }
    try {
      const recording = await r.stop();
      client.sendVoice(id, recording.file, { durationMs: recording.durationMs, ...(recording.waveform ? { waveform: recording.waveform } : {}) }, threadOptions);
      props.onSent();
    } catch (e) {
      toast(errorText(e, t));
    }
  };
  // The timer and the live loudness; the longest recording is sent when it is reached.
  const recording = rec !== null;
  useEffect(() => {
    if (!recording) return;
    const timer = setInterval(() => {
      const r = recorder.current;
      if (!r) return;
      const elapsedMs = r.elapsedMs();
      setRec((s) => s && { ...s, elapsedMs, levels: [...s.levels, r.level()].slice(-LEVELS_SHOWN) });
      if (elapsedMs >= VOICE_MS_MAX) void finishRecording();
    }, TICK_MS);
    // Escape throws the recording away, wherever the focus is.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      e.preventDefault();
      cancelRecording();
    };
    document.addEventListener("keydown", onKey);
    return () => {
      clearInterval(timer);
      document.removeEventListener("keydown", onKey);
      focusText.current = true;
    };
  }, [recording]);
  useEffect(() => {
    if (recording || !focusText.current) return;
    focusText.current = false;
    area.current?.focus();
  }, [recording]);
  useEffect(() => () => recorder.current?.cancel(), []);

  const micPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const current = recRef.current;
    if (current) { pressToSend.current = current.mode === "tap"; return; }
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    pressedAt.current = performance.now();
    startRecording("hold");
  };
  const micPointerMove = (e: PointerEvent) => {
    const current = recRef.current;
    if (current?.mode !== "hold") return;
    const box = root.current?.getBoundingClientRect();
    const outside = !!box && (e.clientX < box.left || e.clientX > box.right || e.clientY < box.top - 40 || e.clientY > box.bottom);
    if (outside !== current.outside) setRec({ ...current, outside });
  };
  const micPointerUp = () => {
    const current = recRef.current;
    if (!current) return;
    if (current.mode === "tap") {
      if (pressToSend.current) { pressToSend.current = false; void finishRecording(); }
      return;
    }
    // A short press: keep recording until the button is pressed again (or Escape).
    if (performance.now() - pressedAt.current < HOLD_MS) { setRec({ ...current, mode: "tap", outside: false }); return; }
    if (current.outside) cancelRecording();
    else void finishRecording();
  };
  // From the keyboard (Enter or Space): the first press records, the second sends. Clicks of
  // a pointer are handled by the pointer events above.
  const micClick = (e: MouseEvent) => {
    if (e.detail !== 0) return;
    if (recRef.current) void finishRecording();
    else startRecording("tap");
  };

  const context = props.editing ?? props.replyTo;
  const holdHint = rec?.outside ? t("voice.releaseToCancel") : rec?.mode === "hold" ? t("voice.releaseToSend") : t("voice.tapHint");
  return (
    <div ref={root} class={`composer${props.editing ? " editing" : ""}${rec ? " recording" : ""}`}>
      {context && (
        <div class="composer-context">
          <Icon name={props.editing ? "edit" : "reply"} size={16} />
          <div class="composer-context-text">
            <strong>{props.editing ? t("composer.editing") : t("composer.replyingTo", { name: nameOf(context.entry.sender) })}</strong>
            <span>{previewText(context.entry, { t, locale, nameOf })}</span>
          </div>
          <IconButton icon="close" size={16} label={props.editing ? t("composer.cancelEdit") : t("composer.cancelReply")}
            onClick={props.editing ? props.onCancelEdit : props.onCancelReply} />
        </div>
      )}
      {commandOpen && (
        <ul class="mention-list command-list" role="listbox" id={`commands-${idSuffix}`} aria-label={t("commands.suggestions")} data-testid="command-list">
          {commandSuggestions.map((c, i) => (
            <li key={c.name} id={`command-${idSuffix}-${i}`} role="option" aria-selected={i === activeCommand} data-command={c.name}
              class={`command-row${i === activeCommand ? " active" : ""}`}
              onMouseDown={(e) => { e.preventDefault(); pickCommand(c); }} onMouseEnter={() => setCommandPick({ active: i, closed: false })}>
              <span class="command-line">
                <span class="command-name">/{c.name}</span>
                {c.hint && <>{" "}<span class="command-args">{c.hint}</span></>}
              </span>
              {" "}<span class="command-desc">{c.description}</span>
              {" "}<span class="command-bot">{t("commands.from", { bot: c.bot_name })}</span>
            </li>
          ))}
        </ul>
      )}
      {mention && suggestions.length > 0 && !commandOpen && (
        <ul class="mention-list" role="listbox" id={`mentions-${idSuffix}`} aria-label={t("composer.suggestions")}>
          {suggestions.map((s, i) => (
            <li key={s.account || "all"} id={`mention-${idSuffix}-${i}`} role="option" aria-selected={i === mention.active}
              class={`person-row${i === mention.active ? " active" : ""}`}
              onMouseDown={(e) => { e.preventDefault(); pickSuggestion(s); }} onMouseEnter={() => setMention({ ...mention, active: i })}>
              {s.all
                ? <><span class="avatar avatar-all" aria-hidden="true">@</span><span class="person-text"><span class="person-name">{s.name}</span><span class="person-addr">{t("composer.mentionAllHint")}</span></span></>
                : <><Avatar name={s.name} seed={s.account} size={26} /><span class="person-text"><span class="person-name">{s.name}</span><span class="person-addr">{s.account}</span></span></>}
            </li>
          ))}
        </ul>
      )}
      {shownCommand && !rec && (
        <div class={`composer-command${invoking ? " running" : ""}`} id={`command-hint-${idSuffix}`} data-testid="command-hint">
          <Icon name="terminal" size={14} />
          <span class="command-line">
            <span class="command-name">/{shownCommand.name}</span>
            {shownCommand.hint && <>{" "}<span class="command-args">{shownCommand.hint}</span></>}
          </span>
          {" "}<span class="command-about">
            {invoking ? <><Spinner /> {t("commands.running", { name: shownCommand.name })}</> : <>{shownCommand.description} · {shownCommand.bot_name}</>}
          </span>
        </div>
      )}
      {/* Said to screen readers: the command under way (shown above as its hint's line). */}
      <div class="visually-hidden" aria-live="polite">{invoking ? t("commands.running", { name: invoking.name }) : ""}</div>
      {commandError && !rec && (
        <p class="composer-error" role="alert" id={`command-error-${idSuffix}`} data-testid="composer-error">
          <Icon name="alert" size={14} /><span>{commandError}</span>
        </p>
      )}
      {rec ? <RecordingPanel elapsedMs={rec.elapsedMs} levels={rec.levels} started={rec.started} hint={holdHint} warn={rec.outside} /> : <textarea ref={area} class="composer-input" rows={1} aria-label={thread === undefined ? t("composer.message") : t("thread.message")}
        placeholder={thread === undefined ? t("composer.placeholder", { name: props.title }) : t("thread.placeholder")}
        value={text} onInput={onInput} onKeyDown={onKeyDown} onPaste={onPaste} readOnly={invoking !== null}
        aria-describedby={[shownCommand ? `command-hint-${idSuffix}` : "", commandError ? `command-error-${idSuffix}` : ""].filter(Boolean).join(" ") || undefined}
        onClick={(e) => updateMention(e.currentTarget.value, e.currentTarget.selectionStart)}
        onCompositionStart={() => { composing.current = true; }} onCompositionEnd={() => { composing.current = false; }}
        aria-autocomplete={isGroupLike(conv) || commandsHere ? "list" : undefined}
        aria-controls={commandOpen ? `commands-${idSuffix}` : mention && suggestions.length ? `mentions-${idSuffix}` : undefined}
        aria-activedescendant={commandOpen ? `command-${idSuffix}-${activeCommand}` : mention && suggestions.length ? `mention-${idSuffix}-${mention.active}` : undefined} />}
      <div class="composer-bar">
        {rec && rec.mode === "tap" && <IconButton icon="trash" label={t("voice.cancel")} class="voice-cancel" onClick={cancelRecording} />}
        {!rec && <IconButton icon="smile" label={t("composer.emoji")} buttonRef={emojiBtn} onClick={() => setEmoji(!emoji)} expanded={emoji} haspopup="dialog" />}
        {!rec && <IconButton icon="paperclip" label={t("composer.attach")} onClick={() => fileInput.current?.click()} disabled={!!props.editing} />}
        {!rec && <IconButton icon="code" label={t("composer.code")} onClick={insertCode} />}
        {!rec && !props.editing && thread === undefined && <IconButton icon="clock" label={t("scheduled.schedule")} haspopup="dialog" expanded={scheduling !== null}
          disabled={text.trim() === ""} onClick={() => { setEmoji(false); setMention(null); setScheduling(text); }} testid="schedule-button" />}
        {!rec && isGroupLike(conv) && <IconButton icon="at" label={t("composer.mention")} onClick={() => {
          const el = area.current;
          const pos = el?.selectionStart ?? textRef.current.length;
          const needsSpace = pos > 0 && !/\s/.test(textRef.current[pos - 1] ?? "");
          insertAt(needsSpace ? " @" : "@");
          setMention({ start: pos + (needsSpace ? 1 : 0), query: "", active: 0 });
        }} />}
        <input ref={fileInput} type="file" multiple hidden aria-label={t("composer.chooseFile")}
          onChange={(e) => { const input = e.currentTarget; sendFiles(Array.from(input.files ?? [])); input.value = ""; }} />
        {thread !== undefined && !rec && !props.editing && (
          <label class="also-send">
            <input type="checkbox" checked={broadcast} onChange={(e) => setBroadcast(e.currentTarget.checked)} />
            <span>{conv.kind === "direct" ? t("thread.alsoSendChat") : t("thread.alsoSendGroup")}</span>
          </label>
        )}
        <span class="composer-hint">{rec || thread !== undefined ? "" : t("composer.hint")}</span>
        {props.editing && <button type="button" class="btn btn-ghost" onClick={props.onCancelEdit}>{t("common.cancel")}</button>}
        {!props.editing && canRecord() && (
          // The same element in every state, so that a press held on it keeps its pointer.
          <button type="button" class={`icon-btn mic-btn${rec ? " active" : ""}${rec?.mode === "tap" ? " to-send" : ""}`} data-testid="mic-button"
            aria-label={rec ? t("voice.send") : t("voice.record")} title={rec ? t("voice.send") : t("voice.record")} aria-pressed={rec ? true : undefined}
            onPointerDown={micPointerDown} onPointerMove={micPointerMove} onPointerUp={micPointerUp} onPointerCancel={cancelRecording}
            onClick={micClick} onContextMenu={(e) => e.preventDefault()}>
            <Icon name={rec?.mode === "tap" ? "send" : "mic"} size={20} />
          </button>
        )}
        {!rec && <button type="button" class="btn btn-primary send-btn" onClick={() => void send()} disabled={busy || text.trim() === ""}>
          <Icon name={props.editing ? "check" : "send"} size={16} />
          <span>{props.editing ? t("composer.save") : t("composer.send")}</span>
        </button>}
      </div>
      {scheduling !== null && (
        <ScheduleDialog title={t("scheduled.title")} confirm={t("scheduled.confirm")} preview={scheduling}
          onPick={schedule} onClose={() => { setScheduling(null); requestAnimationFrame(() => area.current?.focus()); }} />
      )}
      {emoji && <EmojiPicker prefer="above" anchor={emojiBtn.current} onClose={() => setEmoji(false)} onPick={(e) => { insertAt(e); }} />}
    </div>
  );
}
