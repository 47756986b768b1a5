// The emoji picker: the built-in set, grouped, with a tab per group.

import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import { useT } from "../i18n/hooks.ts";
import { EMOJI_GROUPS } from "../lib/emoji.ts";
import { Popover } from "./ui.tsx";

export function EmojiPicker(props: { anchor: HTMLElement | null; onPick: (emoji: string) => void; onClose: () => void; prefer?: "above" | "below" }): JSX.Element {
  const { t } = useT();
  const [group, setGroup] = useState(EMOJI_GROUPS[0]!.id);
  const scroller = useRef<HTMLDivElement>(null);
  const jump = (id: string) => {
    setGroup(id);
    const el = scroller.current?.querySelector<HTMLElement>(`[data-group="${id}"]`);
    if (el && scroller.current) scroller.current.scrollTop = el.offsetTop - scroller.current.offsetTop;
  };
  return (
    <Popover anchor={props.anchor} onClose={props.onClose} class="emoji-picker" role="dialog" label={t("emoji.picker")} align="start" prefer={props.prefer}>
      <div class="emoji-tabs" role="tablist" aria-label={t("emoji.picker")}>
        {EMOJI_GROUPS.map((g) => (
          <button type="button" role="tab" key={g.id} aria-selected={group === g.id} aria-label={t(g.label)} title={t(g.label)}
            class={`emoji-tab${group === g.id ? " active" : ""}`} onClick={() => jump(g.id)}>{g.emoji[0]}</button>
        ))}
      </div>
      <div class="emoji-scroll" ref={scroller}>
        {EMOJI_GROUPS.map((g) => (
          <section key={g.id} data-group={g.id} aria-label={t(g.label)}>
            <h3>{t(g.label)}</h3>
            <div class="emoji-grid">
              {g.emoji.map((e) => <button type="button" key={e} class="emoji-btn" onClick={() => props.onPick(e)}>{e}</button>)}
            </div>
          </section>
        ))}
      </div>
    </Popover>
  );
}
