// A bot's slash commands (issue 18), in its page of Administration → Bots and of Settings → My
// bots: the commands members see as they type `/` in a chat the bot is in, in their order, each
// with its name, what it does and a hint of its arguments. Rows are added, edited, moved up and
// down and removed here, then saved together (the server replaces the bot's commands); each
// problem is said at its row's field, before the server is asked and after it refused (a name
// another bot of the domain has, say), and the first one takes the focus. Moves and removals are
// said to screen readers; changes not saved yet are marked, and can be discarded.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Bot, BotCommand } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import {
  COMMANDS_PER_BOT_MAX, commandProblems, commandsChanged, commandsOf,
  commandsRefusal, moveRow, normaliseName, type CommandField, type CommandProblem, type CommandRow,
} from "../lib/commands.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Spinner } from "./ui.tsx";

/** What a problem says. */
function problemText(p: CommandProblem, t: Translate): string {
  switch (p.kind) {
    case "required": return p.field === "name" ? t("admin.commandNameRequired") : t("admin.commandDescriptionRequired");
    case "bad": return p.field === "name" ? t("admin.commandNameBad") : t("admin.commandBad");
    case "twice": return t("admin.commandNameTwice");
    case "taken": return t("admin.commandNameTaken");
    case "too_long": return t("admin.botTooLong", { max: p.max });
    case "refused": return t("admin.commandRefused", { why: p.why });
    case "too_many": return t("admin.commandsTooMany", { max: p.max });
  }
}

export function BotCommands(props: { idp: string; bot: Bot }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { bot } = props;
  const p = `${props.idp}-cmd`;
  const name = bot.display_name;
  const [kept, setKept] = useState<BotCommand[] | null>(null);
  const [rows, setRows] = useState<CommandRow[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problems, setProblems] = useState<CommandProblem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** What a screen reader is told of a move or a removal. */
  const [said, setSaid] = useState("");
  const nextKey = useRef(1);
  const latest = useRef(0);
  /** The element to focus once the rows are drawn anew (a row added, moved or removed). */
  const focusNext = useRef<string | null>(null);
  useEffect(() => {
    if (focusNext.current === null) return;
    document.getElementById(focusNext.current)?.focus();
    focusNext.current = null;
  });

  const failed = (e: unknown) => (isMagpieError(e) && e.code === "not_found" ? t("admin.botGone") : errorText(e, t));
  /** Rows for the commands as kept: the keys of the rows shown stay with their places. */
  const rowsFor = (list: readonly BotCommand[], shown: readonly CommandRow[]): CommandRow[] =>
    list.map((c, i) => ({ key: shown[i]?.key ?? nextKey.current++, name: c.name, description: c.description, hint: c.hint }));
  const load = async () => {
    const ask = ++latest.current;
    setLoading(true);
    try {
      const list = await client.admin.botCommands(bot.account);
      if (ask !== latest.current) return;
      setKept(list);
      setRows(rowsFor(list, []));
      setProblems([]);
      setLoadError(null);
    } catch (e) {
      if (ask !== latest.current) return;
      setLoadError(failed(e));
    } finally {
      if (ask === latest.current) setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [client, bot.account]);

  const fieldId = (row: CommandRow, field: CommandField) => `${p}-${row.key}-${field}`;
  /** The first problem at a field takes the focus. */
  const focusFirst = (found: readonly CommandProblem[], shown: readonly CommandRow[]) => {
    const first = found.find((x) => x.row !== null);
    if (first && first.row !== null && shown[first.row]) document.getElementById(fieldId(shown[first.row]!, first.field))?.focus();
  };
  /** How a row is named in its buttons' labels: its command, or its place while it has no name. */
  const rowName = (row: CommandRow, i: number) => (normaliseName(row.name) ? `/${normaliseName(row.name)}` : t("admin.commandRow", { n: i + 1 }));

  const edit = (key: number, field: CommandField, value: string) => {
    const at = rows.findIndex((r) => r.key === key);
    setRows((shown) => shown.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
    setProblems((found) => found.filter((x) => !(x.row === at && x.field === field)));
    setError(null);
  };
  const add = () => {
    const row: CommandRow = { key: nextKey.current++, name: "", description: "", hint: "" };
    setRows((shown) => [...shown, row]);
    setProblems((found) => found.filter((x) => x.row === null));
    focusNext.current = fieldId(row, "name");
  };
  const move = (from: number, to: number, button: "up" | "down") => {
    const row = rows[from]!;
    setRows(moveRow(rows, from, to));
    setProblems([]);
    setSaid(t("admin.commandMoved", { name: rowName(row, from), n: to + 1, count: rows.length }));
    // The button pressed stays with its row; at the top (or the bottom) it can't be pressed again,
    // and the other one takes the focus.
    const focus = button === "up" && to === 0 ? "down" : button === "down" && to === rows.length - 1 ? "up" : button;
    focusNext.current = `${p}-${row.key}-${focus}`;
  };
  const remove = (at: number) => {
    const row = rows[at]!;
    const left = rows.filter((r) => r.key !== row.key);
    setRows(left);
    setProblems([]);
    setError(null);
    setSaid(t("admin.commandRemovedNote", { name: rowName(row, at) }));
    const next = left[at] ?? left[at - 1];
    focusNext.current = next ? `${p}-${next.key}-remove` : `${p}-add`;
  };
  const revert = () => {
    if (!kept) return;
    setRows(rowsFor(kept, []));
    setProblems([]);
    setError(null);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const found = commandProblems(rows);
    if (found.length > 0) { setProblems(found); focusFirst(found, rows); return; }
    setBusy(true);
    setProblems([]);
    setError(null);
    try {
      const list = await client.admin.setBotCommands(bot.account, commandsOf(rows));
      setKept(list);
      setRows((shown) => rowsFor(list, shown));
      setSaid("");
      toast(t("admin.commandsSaved", { name }), "info");
    } catch (err) {
      const refused = commandsRefusal(err);
      if (refused) { setProblems([refused]); focusFirst([refused], rows); }
      else setError(failed(err));
    } finally {
      setBusy(false);
    }
  };

  const changed = kept !== null && commandsChanged(rows, kept);
  const overall = problems.find((x) => x.row === null);
  return (
    <section class="card-section bot-commands" aria-labelledby={`${p}-title`} aria-busy={loading} data-testid="bot-commands">
      <div class="section-head">
        <h2 id={`${p}-title`}>{t("admin.botCommands")}</h2>
      </div>
      <p class="muted small admin-intro">{t("admin.botCommandsHint", { name, max: COMMANDS_PER_BOT_MAX })}</p>
      {loadError && <p class="form-error" role="alert" data-testid="bot-commands-load-error">{loadError}</p>}
      {kept === null && loadError === null && <Spinner label={t("common.loading")} />}
      {kept !== null && (
        <form class="stack bot-commands-form" noValidate onSubmit={save} aria-labelledby={`${p}-title`}>
          {rows.length === 0 && <p class="muted" data-testid="bot-commands-none">{t("admin.botCommandsNone")}</p>}
          {rows.length > 0 && (
            <ol class="bot-command-list" aria-label={t("admin.commandsList", { name })}>
              {rows.map((row, i) => {
                const problemAt = (field: CommandField) => problems.find((x) => x.row === i && x.field === field);
                const input = (field: CommandField, label: string, hintText?: string) => {
                  const problem = problemAt(field);
                  const id = fieldId(row, field);
                  const describedBy = [hintText ? `${id}-hint` : "", problem ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
                  return (
                    <div class={`field bot-command-${field}`}>
                      <label for={id}>{label}</label>
                      <span class={field === "name" ? "bot-command-slash" : undefined}>
                        {field === "name" && <span class="bot-command-slash-mark" aria-hidden="true">/</span>}
                        <input id={id} class="input" type="text" value={row[field]}
                          autoComplete="off" autoCapitalize="none" spellcheck={field !== "name"} aria-invalid={problem ? "true" : undefined}
                          aria-describedby={describedBy} data-testid={`bot-command-${field}`}
                          onInput={(ev) => {
                            // The `/` is shown before the name: one typed (or pasted) is left out.
                            const el = ev.currentTarget;
                            if (field === "name" && el.value.startsWith("/")) el.value = el.value.replace(/^\/+/, "");
                            edit(row.key, field, el.value);
                          }} />
                      </span>
                      {hintText && <span id={`${id}-hint`} class="muted small">{hintText}</span>}
                      {problem && <span id={`${id}-error`} class="field-error" role="alert">{problemText(problem, t)}</span>}
                    </div>
                  );
                };
                const label = rowName(row, i);
                return (
                  <li key={row.key} class="bot-command" data-testid="bot-command" aria-label={label}>
                    <div class="bot-command-fields">
                      {input("name", t("admin.commandName"), t("admin.commandNameHint"))}
                      {input("description", t("admin.commandDescription"))}
                      {input("hint", t("admin.commandHint"), t("admin.commandHintHint"))}
                    </div>
                    <span class="row-actions bot-command-actions">
                      <button type="button" id={`${p}-${row.key}-up`} class="icon-btn small" aria-label={t("admin.commandUp", { name: label })}
                        title={t("admin.commandUp", { name: label })} disabled={i === 0} onClick={() => move(i, i - 1, "up")}><Icon name="arrowUp" size={16} /></button>
                      <button type="button" id={`${p}-${row.key}-down`} class="icon-btn small" aria-label={t("admin.commandDown", { name: label })}
                        title={t("admin.commandDown", { name: label })} disabled={i === rows.length - 1} onClick={() => move(i, i + 1, "down")}><Icon name="arrowDown" size={16} /></button>
                      <button type="button" id={`${p}-${row.key}-remove`} class="icon-btn small danger" aria-label={t("admin.commandRemove", { name: label })}
                        title={t("admin.commandRemove", { name: label })} onClick={() => remove(i)}><Icon name="trash" size={16} /></button>
                    </span>
                  </li>
                );
              })}
            </ol>
          )}
          {overall && <p class="form-error" role="alert" data-testid="bot-commands-error">{problemText(overall, t)}</p>}
          {error && <p class="form-error" role="alert" data-testid="bot-commands-error">{error}</p>}
          <div class="bot-commands-bar">
            <button type="button" id={`${p}-add`} class="btn" disabled={rows.length >= COMMANDS_PER_BOT_MAX} onClick={add}>
              <Icon name="plus" size={16} /> {t("admin.commandAdd")}</button>
            <span class="bot-commands-state">
              {changed && <span class="muted small" data-testid="bot-commands-unsaved">{t("admin.commandsUnsaved")}</span>}
              {changed && <button type="button" class="btn btn-ghost" onClick={revert}>{t("admin.commandsRevert")}</button>}
              <button type="submit" class="btn btn-primary" disabled={busy || !changed}>{busy && <Spinner />} {t("admin.commandsSave")}</button>
            </span>
          </div>
          <div class="visually-hidden" aria-live="polite">{said}</div>
        </form>
      )}
    </section>
  );
}
