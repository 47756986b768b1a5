// An app's answer to a slash command for this person only (issue 18: `ephemeral`): a bubble from
// the bot in the message list, saying that only they see it and what they ran, its message drawn
// as any message of its kind (Markdown, an interactive card whose buttons can't be used since it
// is stored nowhere…), and a button that dismisses it. It lives in this view of the conversation
// only (ChatView's state): the server keeps it nowhere.

import type { JSX } from "preact";
import type { Entry } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { EphemeralAnswer } from "../lib/commands.ts";
import { formatClock, formatFull } from "../lib/format.ts";
import { previewText } from "../lib/preview.ts";
import { useNames, useProfile } from "../state/client.ts";
import { MessageContent } from "./content.tsx";
import { Icon } from "./icons.tsx";
import type { RowEnv } from "./Message.tsx";
import { Avatar, BotBadge, IconButton } from "./ui.tsx";

export function CommandAnswerRow({ answer, env, onDismiss }: { answer: EphemeralAnswer; env: RowEnv; onDismiss: (key: string) => void }): JSX.Element {
  const { t, locale } = useT();
  const { client } = env;
  const profile = useProfile(client, answer.bot);
  const nameOf = useNames(client, [answer.bot]);
  const name = profile?.display_name || answer.botName;
  const entry: Entry = { conversation: env.conversation, seq: 0, id: 0, sender: answer.bot, kind: answer.kind, body: answer.body, at_ms: answer.atMs };
  const label = t("commands.answerLabel", { bot: name, text: previewText(entry, { t, locale, nameOf }) });
  return (
    <div class="msg theirs command-answer" data-testid="command-answer" data-key={answer.key} data-kind={answer.kind} role="article" aria-label={label}>
      <div class="msg-avatar">
        <Avatar name={name} seed={answer.bot} url={profile?.avatar} size={36} />
      </div>
      <div class="msg-main">
        <div class="msg-sender">
          <span class="command-answer-name">{name}</span>
          <BotBadge />
          <span class="command-answer-only" data-testid="command-answer-only"><Icon name="eye" size={12} /> {t("commands.onlyYou")}</span>
        </div>
        <div class="msg-line">
          <div class={`bubble kind-${answer.kind} command-answer-bubble`}>
            <p class="command-answer-invoked">{t("commands.invoked", { command: answer.command })}</p>
            <MessageContent entry={entry} mentioned={[]} readOnly cardNote={t("commands.cardNote")}
              onOpenImage={(fileId, fileName) => env.live.current.openImage(fileId, fileName)} />
          </div>
          <span class="msg-meta">
            <time dateTime={new Date(answer.atMs).toISOString()} title={formatFull(answer.atMs, locale)}>{formatClock(answer.atMs, locale)}</time>
          </span>
          <IconButton icon="close" size={16} class="small command-answer-dismiss" label={t("commands.dismiss", { bot: name })} testid="command-answer-dismiss"
            onClick={() => onDismiss(answer.key)} />
        </div>
      </div>
    </div>
  );
}
