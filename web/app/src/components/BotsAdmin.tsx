// Administration → Bots (docs/protocol.md "Bots"), and Settings → My bots: the bots the caller
// manages (a domain's administrators all of its bots; a member the ones they made, where the
// domain lets members make bots), each with its account, display name, owner and state; a new
// bot by its login name, display name and description, each refusal said at its field; and for
// one bot, its name and description edited, it turned off or on (confirmed), its tokens (made
// with a name, the conversations they reach, whether they read and send, and a lifetime; the
// secret shown once in a dialog to copy; rotated and revoked, confirmed), its incoming
// webhooks (made for a group the bot is a member of, chosen from those the caller sees or by
// its id; the URL shown once with a command that tries it; rotated and deleted, confirmed) and
// its event subscriptions (outgoing webhooks: BotSubscriptions.tsx) and its slash commands
// (BotCommands.tsx).

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type Bot, type BotToken, type CreatedWebhook, type IncomingWebhook, type IssuedBotToken, domainRegistration } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import {
  BOT_DESCRIPTION_CHARS_MAX, BOT_DISPLAY_NAME_CHARS_MAX, BOTS_PER_MEMBER_MAX, botRefusal, botState, charCount, curlExample, NEW_TOKEN_FORM, newBotProblem, parseIds,
  SCOPE_CONVERSATIONS_MAX, scopePowers, TOKEN_NAME_CHARS_MAX, TOKEN_TTL_DAYS_MAX, tokenExpired, tokenNameProblem, tokenRefusal, tokenRequestOf,
  webhookUrl, withBot, type BotProblem, type TokenForm, type TokenProblem,
} from "../lib/bots.ts";
import { formatCount } from "../lib/console.ts";
import { formatDate, formatFull } from "../lib/format.ts";
import { errorText, isMagpieError, useClient, useNames, useNow } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { toast } from "../state/toast.ts";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { BotSubscriptions } from "./BotSubscriptions.tsx";
import { BotCommands } from "./BotCommands.tsx";
import { Icon } from "./icons.tsx";
import { Avatar, CopyField, Dialog, Spinner } from "./ui.tsx";

/** Whose bots are managed: a domain's (its administrators'), or the caller's own (a member's). */
export type BotsScope = { kind: "domain"; domain: string } | { kind: "mine" };

/** A group a token or webhook can be for: the caller's own, or for a domain's administrators any
 * of the domain's. */
interface GroupChoice { id: number; name: string }

/** What the new-bot form's problem says. */
function botProblemText(p: BotProblem, t: Translate, domain: string): string {
  switch (p.kind) {
    case "required": return t("admin.botNameRequired");
    case "bad":
      return p.field === "name" ? t("admin.botNameBad") : p.field === "display_name" ? t("admin.botDisplayNameBad") : t("admin.botDescriptionBad");
    case "taken": return t("admin.botNameTaken");
    case "too_long": return t("admin.botTooLong", { max: p.max });
    case "forbidden": return t("admin.botCreateForbidden");
    case "full": return t("admin.botsFull", { max: BOTS_PER_MEMBER_MAX });
    case "no_domain": return t("admin.accNoDomain", { domain });
  }
}

/** What a token's (or webhook's) form's problem says. */
function tokenProblemText(p: TokenProblem, t: Translate): string {
  switch (p.field) {
    case "name": return p.kind === "required" ? t("admin.botTokenNameRequired") : t("admin.botTooLong", { max: p.max });
    case "conversations":
      return p.kind === "none" ? t("admin.botTokenNoConversation") : p.kind === "bad" ? t("admin.botTokenIdsBad") : t("admin.botTokenTooMany", { max: p.max });
    case "scope": return t("admin.botTokenNeither");
    case "days": return t("admin.botTokenDaysBad", { max: p.max });
  }
}

/** The groups the caller can choose for a bot's token or webhook: the domain's (for its
 * administrators), and the caller's own where the bot is of their domain. */
function useGroupChoices(scope: BotsScope): GroupChoice[] {
  const client = useClient();
  const own = client.me.account.split("@")[1] ?? "";
  const [admin, setAdmin] = useState<GroupChoice[]>([]);
  useEffect(() => {
    if (scope.kind !== "domain") return;
    let live = true;
    client.admin.adminGroups(scope.domain, { limit: 100 }).then(
      (page) => { if (live) setAdmin(page.groups.map((g) => ({ id: g.id, name: g.name }))); },
      () => { /* the caller's own groups stay to choose from */ },
    );
    return () => { live = false; };
  }, [client, scope.kind === "domain" ? scope.domain : ""]);
  const mine = scope.kind === "mine" || scope.domain === own
    ? client.conversations().filter((c) => c.kind !== "direct").map((c) => ({ id: c.id, name: c.name ?? `#${c.id}` }))
    : [];
  const byId = new Map<number, GroupChoice>();
  for (const g of [...admin, ...mine]) if (!byId.has(g.id)) byId.set(g.id, g);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}

/** Administration → Bots: the domain's bots. */
export function BotsAdmin({ domain }: { domain: string }): JSX.Element {
  return <BotsManager scope={{ kind: "domain", domain }} mayCreate />;
}

/** Settings → My bots, for a member: nothing where the member has no bots and may make none.
 * Whether the domain lets members make bots is read from its sign-up information
 * (`GET /v1/auth/domains/{domain}`, `members_make_bots`), as the invitations' `members_invite` is. */
export function MyBotsSection(): JSX.Element | null {
  const client = useClient();
  const member = client.me.role === "member";
  const [may, setMay] = useState<boolean | undefined>(undefined);
  const [owns, setOwns] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    if (!member) return;
    let live = true;
    client.admin.bots().then((list) => { if (live) setOwns(list.length > 0); }, () => { if (live) setOwns(false); });
    domainRegistration("", client.me.account.split("@")[1] ?? "").then(
      (info) => { if (live) setMay(info?.members_make_bots === true); },
      () => { if (live) setMay(false); },
    );
    return () => { live = false; };
  }, [client, member]);
  if (!member || may === undefined || owns === undefined || (!may && !owns)) return null;
  return <BotsManager scope={{ kind: "mine" }} mayCreate={may} />;
}

function BotsManager({ scope, mayCreate }: { scope: BotsScope; mayCreate: boolean }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const own = client.me.account.split("@")[1] ?? "";
  const domain = scope.kind === "domain" ? scope.domain : own;
  const mine = scope.kind === "mine";
  const idp = mine ? "my-bot" : "adm-bot";
  const [bots, setBots] = useState<Bot[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const latest = useRef(0);
  const groups = useGroupChoices(scope);

  const load = async () => {
    const ask = ++latest.current;
    setLoading(true);
    try {
      const list = await client.admin.bots(scope.kind === "domain" && domain !== own ? domain : undefined);
      if (ask !== latest.current) return;
      setBots(list);
      setError(null);
    } catch (e) {
      if (ask !== latest.current) return;
      setError(missingEndpoint(e) ? t("admin.botsUnsupported") : errorText(e, t));
    } finally {
      if (ask === latest.current) setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [client, domain]);

  const changed = (bot: Bot) => setBots((shown) => withBot(shown, bot));
  const current = bots?.find((b) => b.account === selected);
  const full = mine && (bots?.length ?? 0) >= BOTS_PER_MEMBER_MAX;
  // Owners by their names, as their profiles arrive; a member's own list says "you".
  const nameOf = useNames(client, bots?.map((b) => b.owner) ?? []);
  const ownerText = (b: Bot) => (b.owner === undefined ? t("admin.botOwnerOperator") : mine && b.owner === client.me.account ? t("admin.botOwnerYou") : nameOf(b.owner));

  return (
    <>
      <section class={`card-section bots-section${mine ? " wide" : ""}`} aria-labelledby={`${idp}s-title`} aria-busy={loading}>
        <div class="section-head">
          <h2 id={`${idp}s-title`}>{mine ? t("settings.myBots") : t("admin.botsTitle")}</h2>
          <span class="row-actions wrap">
            {mayCreate && (
              <button type="button" class={`btn btn-small${creating ? " btn-primary" : ""}`} aria-expanded={creating} aria-controls={`${idp}-new-panel`}
                disabled={full} onClick={() => setCreating(!creating)}><Icon name="plus" size={14} /> {t("admin.botNew")}</button>
            )}
            <button type="button" class="btn btn-small" disabled={loading} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
          </span>
        </div>
        <p class="muted small admin-intro">{mine ? t("settings.myBotsHint", { domain, max: BOTS_PER_MEMBER_MAX }) : t("admin.botsHint", { domain })}</p>
        {mine && !mayCreate && <p class="notice" data-testid="my-bots-off">{t("settings.myBotsOff")}</p>}
        {full && <p class="muted small" data-testid="bots-full">{t("admin.botsFull", { max: BOTS_PER_MEMBER_MAX })}</p>}
        <div id={`${idp}-new-panel`}>
          {creating && (
            <NewBotForm idp={idp} domain={domain} named={scope.kind === "domain" && domain !== own ? domain : undefined} onClose={() => setCreating(false)}
              onCreated={(bot) => { changed(bot); setSelected(bot.account); setCreating(false); }} />
          )}
        </div>
        {error && <p class="form-error" role="alert" data-testid="bots-error">{error}</p>}
        {!bots && !error && <Spinner label={t("common.loading")} />}
        {bots && bots.length === 0 && <p class="muted" data-testid="bots-none">{mine ? t("settings.myBotsNone") : t("admin.botsNone", { domain })}</p>}
        {bots && bots.length > 0 && (
          <>
            <p class="muted small" data-testid="bots-count">{bots.length === 1 ? t("admin.botCountOne") : t("admin.botCount", { count: formatCount(bots.length, locale) })}</p>
            <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.botsTitle")}>
              <table class="report-table bots-table">
                <caption class="visually-hidden">{mine ? t("settings.myBots") : t("admin.botsTitle")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("admin.botColName")}</th><th scope="col">{t("admin.botColAccount")}</th>
                    <th scope="col">{t("admin.botColOwner")}</th><th scope="col">{t("admin.botColState")}</th>
                    <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                  </tr>
                </thead>
                <tbody>
                  {bots.map((b) => (
                    <tr key={b.account} data-testid="bot-row" data-account={b.account} class={b.account === selected ? "is-selected" : undefined}>
                      <td class="bot-name">
                        <span class="bot-name-cell">
                          <Avatar name={b.display_name} seed={b.account} url={b.avatar} size={28} />
                          <span class="person-text">
                            <span class="person-name" data-testid="bot-display-name">{b.display_name}</span>
                            {b.description && <span class="person-addr" data-testid="bot-description">{b.description}</span>}
                          </span>
                        </span>
                      </td>
                      <td class="bot-account" data-testid="bot-account">{b.account}</td>
                      <td data-testid="bot-owner">{ownerText(b)}</td>
                      <td data-testid="bot-state">
                        <span class={`tag bot-state bot-state-${botState(b)}`}>{b.disabled ? t("admin.botStateDisabled") : t("admin.botStateActive")}</span>
                      </td>
                      <td class="bot-actions">
                        <button type="button" class={`btn btn-small${b.account === selected ? " btn-primary" : ""}`} aria-expanded={b.account === selected}
                          aria-controls={`${idp}-detail`} aria-label={t("admin.botManageNamed", { name: b.display_name })}
                          onClick={() => setSelected(b.account === selected ? null : b.account)}>
                          <Icon name="settings" size={14} /> {t("admin.botManage")}</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
      <div id={`${idp}-detail`}>
        {current && (
          <BotDetail key={current.account} idp={idp} bot={current} groups={groups} ownerText={ownerText(current)}
            onChanged={changed} onClose={() => setSelected(null)} />
        )}
      </div>
    </>
  );
}

/** A new bot: its login name (in the domain), display name and description. */
function NewBotForm(props: { idp: string; domain: string; named: string | undefined; onClose: () => void; onCreated: (bot: Bot) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { idp } = props;
  const [name, setName] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: BotProblem["field"]; text: string } | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => { first.current?.focus(); }, []);
  const focusField = (field: BotProblem["field"]) => {
    if (field) document.getElementById(`${idp}-new-${field}`)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const local = newBotProblem(name, displayName, description);
    if (local) {
      setProblem({ field: local.field, text: botProblemText(local, t, props.domain) });
      focusField(local.field);
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const made = await client.admin.createBot({
        name: name.trim().toLowerCase(), ...(props.named ? { domain: props.named } : {}),
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}), ...(description.trim() ? { description: description.trim() } : {}),
      });
      toast(t("admin.botCreated", { name: made.display_name }), "info");
      props.onCreated(made);
    } catch (err) {
      const refused = botRefusal(err);
      if (refused) {
        setProblem({ field: refused.field, text: botProblemText(refused, t, props.domain) });
        focusField(refused.field);
      } else {
        setProblem({ field: null, text: errorText(err, t) });
      }
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: BotProblem["field"]) => problem !== null && problem.field === field;
  const describedBy = (field: "name" | "display_name" | "description") =>
    [`${idp}-new-${field}-hint`, invalid(field) ? `${idp}-new-${field}-error` : undefined].filter(Boolean).join(" ");
  const fieldError = (field: "name" | "display_name" | "description") =>
    invalid(field) && <span id={`${idp}-new-${field}-error`} class="field-error" role="alert">{problem!.text}</span>;
  return (
    <form class="stack admin-subform bot-new" noValidate onSubmit={submit} aria-labelledby={`${idp}-new-title`}>
      <h3 id={`${idp}-new-title`} class="subhead">{t("admin.botNewTitle")}</h3>
      <div class="form-grid">
        <div class="field">
          <label for={`${idp}-new-name`}>{t("admin.botLoginName")}</label>
          <span class="input-suffixed">
            <input id={`${idp}-new-name`} ref={first} class="input" value={name} maxLength={64} autoComplete="off" autoCapitalize="none" spellcheck={false}
              aria-invalid={invalid("name")} aria-describedby={describedBy("name")} onInput={(e) => { setName(e.currentTarget.value); setProblem(null); }} />
            <span class="input-suffix" aria-hidden="true">@{props.domain}</span>
          </span>
          <span id={`${idp}-new-name-hint`} class="muted small">{t("admin.botLoginNameHint", { domain: props.domain })}</span>
          {fieldError("name")}
        </div>
        <div class="field">
          <label for={`${idp}-new-display_name`}>{t("admin.botDisplayNameOptional")}</label>
          <input id={`${idp}-new-display_name`} class="input" value={displayName} maxLength={BOT_DISPLAY_NAME_CHARS_MAX} autoComplete="off"
            aria-invalid={invalid("display_name")} aria-describedby={describedBy("display_name")}
            onInput={(e) => { setDisplayName(e.currentTarget.value); setProblem(null); }} />
          <span id={`${idp}-new-display_name-hint`} class="muted small">{t("admin.botDisplayNameHint")}</span>
          {fieldError("display_name")}
        </div>
      </div>
      <div class="field">
        <label for={`${idp}-new-description`}>{t("admin.botDescriptionOptional")}</label>
        <input id={`${idp}-new-description`} class="input" value={description} autoComplete="off"
          aria-invalid={invalid("description")} aria-describedby={describedBy("description")}
          onInput={(e) => { setDescription(e.currentTarget.value); setProblem(null); }} />
        <span id={`${idp}-new-description-hint`} class="muted small">{t("admin.botDescriptionHint", { max: BOT_DESCRIPTION_CHARS_MAX })}</span>
        {fieldError("description")}
      </div>
      {problem && problem.field === null && <p class="form-error" role="alert" data-testid="bot-create-error">{problem.text}</p>}
      <div class="row-actions wrap">
        <button type="submit" class="btn btn-primary" disabled={busy}><Icon name="plus" size={16} /> {busy ? t("admin.botCreating") : t("admin.botCreate")}</button>
        <button type="button" class="btn" onClick={props.onClose}>{t("common.close")}</button>
      </div>
    </form>
  );
}

/** A secret just made, to show once: a token's, or a webhook's URL. */
type Issued = { kind: "token"; token: IssuedBotToken; rotated: boolean } | { kind: "webhook"; hook: CreatedWebhook; rotated: boolean };

/** One bot: its name and description, on or off, its tokens, its incoming webhooks, its event
 * subscriptions and its slash commands. */
function BotDetail(props: {
  idp: string; bot: Bot; groups: GroupChoice[]; ownerText: string; onChanged: (bot: Bot) => void; onClose: () => void;
}): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { bot, idp } = props;
  const [tokens, setTokens] = useState<BotToken[] | null>(null);
  const [hooks, setHooks] = useState<IncomingWebhook[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  // A secret made by a confirmed action is shown once its confirmation has closed, so that the
  // confirmation's giving the focus back does not take it from the secret's dialog.
  const queued = useRef<Issued | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = bot.display_name;

  const loadAll = async () => {
    try {
      const [tk, wh] = await Promise.all([client.admin.botTokens(bot.account), client.admin.botWebhooks(bot.account)]);
      setTokens(tk);
      setHooks(wh);
      setLoadError(null);
    } catch (e) {
      setLoadError(isMagpieError(e) && e.code === "not_found" ? t("admin.botGone") : errorText(e, t));
    }
  };
  useEffect(() => { void loadAll(); }, [client, bot.account, bot.disabled]);
  useEffect(() => { heading.current?.scrollIntoView?.({ block: "nearest" }); }, []);

  const groupName = (id: number) => props.groups.find((g) => g.id === id)?.name ?? t("admin.botConversation", { id });
  const failed = (e: unknown) => {
    if (isMagpieError(e) && e.code === "not_found") return t("admin.botGone");
    if (isMagpieError(e) && e.code === "limit_exceeded") return t("admin.botTokensFull", { name });
    if (isMagpieError(e) && e.code === "account_disabled") return t("admin.botIsDisabled", { name });
    return errorText(e, t);
  };
  const setState = (disabled: boolean) => setConfirming({
    title: disabled ? t("admin.botDisable") : t("admin.botEnable"),
    text: disabled ? t("admin.botConfirmDisable", { name }) : t("admin.botConfirmEnable", { name }),
    confirm: disabled ? t("admin.botDisable") : t("admin.botEnable"), danger: disabled,
    run: async () => {
      props.onChanged(await client.admin.updateBot(bot.account, { disabled }));
      toast(disabled ? t("admin.botDisabledDone", { name }) : t("admin.botEnabledDone", { name }), "info");
    },
  });
  const rotateToken = (tk: BotToken) => setConfirming({
    title: t("admin.botRotateTokenTitle"), text: t("admin.botConfirmRotateToken", { name: tk.name }), confirm: t("admin.botRotate"), danger: true,
    run: async () => {
      const made = await client.admin.rotateBotToken(bot.account, tk.id);
      queued.current = { kind: "token", token: made, rotated: true };
      await loadAll();
    },
  });
  const revokeToken = (tk: BotToken) => setConfirming({
    title: t("admin.botRevokeTokenTitle"), text: t("admin.botConfirmRevokeToken", { name: tk.name, bot: name }), confirm: t("admin.revoke"), danger: true,
    run: async () => {
      await client.admin.revokeBotToken(bot.account, tk.id);
      toast(t("admin.botTokenRevoked", { name: tk.name }), "info");
      await loadAll();
    },
  });
  const rotateHook = (h: IncomingWebhook) => setConfirming({
    title: t("admin.botRotateWebhookTitle"), text: t("admin.botConfirmRotateWebhook", { name: h.name }), confirm: t("admin.botRotate"), danger: true,
    run: async () => {
      const made = await client.admin.rotateWebhook(bot.account, h.id);
      queued.current = { kind: "webhook", hook: made, rotated: true };
      await loadAll();
    },
  });
  const deleteHook = (h: IncomingWebhook) => setConfirming({
    title: t("admin.botDeleteWebhookTitle"), text: t("admin.botConfirmDeleteWebhook", { name: h.name }), confirm: t("admin.botDeleteWebhook"), danger: true,
    run: async () => {
      await client.admin.deleteWebhook(bot.account, h.id);
      toast(t("admin.botWebhookDeleted", { name: h.name }), "info");
      await loadAll();
    },
  });

  return (
    <>
      <section class="card-section bot-detail" aria-labelledby={`${idp}-detail-title`} data-testid="bot-detail" data-account={bot.account}>
        <div class="section-head">
          <h2 id={`${idp}-detail-title`} ref={heading}>{t("admin.botDetailTitle", { name })}</h2>
          <button type="button" class="btn btn-small btn-ghost" onClick={props.onClose}>{t("common.close")}</button>
        </div>
        <p class="muted small">
          <span data-testid="bot-detail-account">{bot.account}</span>{" · "}
          <time dateTime={new Date(bot.created_at_ms).toISOString()}>
            {bot.owner === undefined ? t("admin.botMadeByOperator", { date: formatDate(bot.created_at_ms, locale) })
              : t("admin.botMadeBy", { owner: props.ownerText, date: formatDate(bot.created_at_ms, locale) })}
          </time>
        </p>
        <BotProfileForm idp={idp} bot={bot} onSaved={props.onChanged} />
        <div class="bot-state-row">
          <span>
            <strong>{t("admin.botColState")}</strong>{" "}
            <span class={`tag bot-state bot-state-${botState(bot)}`} data-testid="bot-detail-state">{bot.disabled ? t("admin.botStateDisabled") : t("admin.botStateActive")}</span>
          </span>
          {bot.disabled
            ? <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.botEnableNamed", { name })} onClick={() => setState(false)}>
                <Icon name="check" size={14} /> {t("admin.botEnable")}</button>
            : <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.botDisableNamed", { name })} onClick={() => setState(true)}>
                <Icon name="ban" size={14} /> {t("admin.botDisable")}</button>}
        </div>
        {bot.disabled && <p class="notice" data-testid="bot-disabled-note">{t("admin.botIsDisabled", { name })}</p>}
        {loadError && <p class="form-error" role="alert">{loadError}</p>}
      </section>

      <section class="card-section bot-tokens" aria-labelledby={`${idp}-tokens-title`} aria-busy={tokens === null && loadError === null}>
        <h2 id={`${idp}-tokens-title`}>{t("admin.botTokens")}</h2>
        <p class="muted small admin-intro">{t("admin.botTokensHint", { name })}</p>
        {tokens === null && loadError === null && <Spinner label={t("common.loading")} />}
        {tokens && tokens.length === 0 && <p class="muted" data-testid="bot-tokens-none">{t("admin.botTokensNone")}</p>}
        {tokens && tokens.length > 0 && (
          <TokensTable tokens={tokens} name={name} groupName={groupName} onRotate={rotateToken} onRevoke={revokeToken} />
        )}
        <NewTokenForm idp={idp} bot={bot} groups={props.groups} failed={failed}
          onIssued={(token) => { setIssued({ kind: "token", token, rotated: false }); void loadAll(); }} />
      </section>

      <section class="card-section bot-webhooks" aria-labelledby={`${idp}-hooks-title`} aria-busy={hooks === null && loadError === null}>
        <h2 id={`${idp}-hooks-title`}>{t("admin.botWebhooks")}</h2>
        <p class="muted small admin-intro">{t("admin.botWebhooksHint", { name })}</p>
        {hooks === null && loadError === null && <Spinner label={t("common.loading")} />}
        {hooks && hooks.length === 0 && <p class="muted" data-testid="bot-webhooks-none">{t("admin.botWebhooksNone")}</p>}
        {hooks && hooks.length > 0 && (
          <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.botWebhooks")}>
            <table class="report-table bot-table">
              <caption class="visually-hidden">{t("admin.botWebhooks")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.botTokenName")}</th><th scope="col">{t("admin.botWebhookGroup")}</th>
                  <th scope="col">{t("admin.botTokenCreated")}</th><th scope="col">{t("admin.botTokenLastUsed")}</th>
                  <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {hooks.map((h) => (
                  <tr key={h.id} data-testid="bot-webhook" data-id={h.id}>
                    <td class="bot-item-name" data-testid="bot-webhook-name">{h.name}</td>
                    <td data-testid="bot-webhook-group">{groupName(h.conversation)}</td>
                    <td><time dateTime={new Date(h.created_at_ms).toISOString()}>{formatFull(h.created_at_ms, locale)}</time></td>
                    <td>{usedText(h, t, locale)}</td>
                    <td class="bot-actions">
                      <span class="row-actions">
                        <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.botRotateWebhookNamed", { name: h.name })}
                          onClick={() => rotateHook(h)}><Icon name="refresh" size={14} /> {t("admin.botRotate")}</button>
                        <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.botDeleteWebhookNamed", { name: h.name })}
                          onClick={() => deleteHook(h)}><Icon name="trash" size={14} /> {t("admin.botDeleteWebhook")}</button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <NewWebhookForm idp={idp} bot={bot} groups={props.groups} failed={failed}
          onMade={(hook) => { setIssued({ kind: "webhook", hook, rotated: false }); void loadAll(); }} />
      </section>

      <BotSubscriptions idp={idp} bot={bot} />

      <BotCommands idp={idp} bot={bot} />

      <Confirm confirming={confirming} onClose={() => {
        setConfirming(null);
        const next = queued.current;
        queued.current = null;
        if (next) setIssued(next);
      }} />
      {issued?.kind === "token" && <TokenSecretDialog issued={issued.token} rotated={issued.rotated} bot={name} onClose={() => setIssued(null)} />}
      {issued?.kind === "webhook" && (
        <WebhookUrlDialog made={issued.hook} rotated={issued.rotated} bot={name} group={groupName(issued.hook.conversation)} onClose={() => setIssued(null)} />
      )}
    </>
  );
}

/** When a token or webhook was last used (within a minute), or that it has not been yet. */
function usedText(item: { created_at_ms: number; last_used_at_ms: number }, t: Translate, locale: "en" | "zh"): string {
  return item.last_used_at_ms > item.created_at_ms ? formatFull(item.last_used_at_ms, locale) : t("admin.botNotUsed");
}

function TokensTable(props: {
  tokens: BotToken[]; name: string; groupName: (id: number) => string; onRotate: (tk: BotToken) => void; onRevoke: (tk: BotToken) => void;
}): JSX.Element {
  const { t, locale } = useT();
  const now = useNow(60_000);
  return (
    <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.botTokens")}>
      <table class="report-table bot-table">
        <caption class="visually-hidden">{t("admin.botTokens")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("admin.botTokenName")}</th><th scope="col">{t("admin.botTokenReach")}</th><th scope="col">{t("admin.botTokenMay")}</th>
            <th scope="col">{t("admin.botTokenCreated")}</th><th scope="col">{t("admin.botTokenLastUsed")}</th><th scope="col">{t("admin.botTokenExpires")}</th>
            <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((tk) => (
            <tr key={tk.id} data-testid="bot-token" data-id={tk.id}>
              <td class="bot-item-name" data-testid="bot-token-name">{tk.name}</td>
              <td class="bot-reach" data-testid="bot-token-reach">
                {tk.scope.conversations === undefined ? t("admin.botReachAll")
                  : t("admin.botReachSome", { list: tk.scope.conversations.map(props.groupName).join(locale === "zh" ? "、" : ", ") })}
              </td>
              <td data-testid="bot-token-may">{t(`admin.botMay.${scopePowers(tk.scope)}`)}</td>
              <td><time dateTime={new Date(tk.created_at_ms).toISOString()}>{formatFull(tk.created_at_ms, locale)}</time></td>
              <td>{usedText(tk, t, locale)}</td>
              <td>
                {tk.expires_at_ms === undefined ? t("admin.botNever")
                  : tokenExpired(tk, now) ? <span class="tag">{t("admin.botExpired")}</span>
                  : <time dateTime={new Date(tk.expires_at_ms).toISOString()}>{formatDate(tk.expires_at_ms, locale)}</time>}
              </td>
              <td class="bot-actions">
                <span class="row-actions">
                  <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.botRotateTokenNamed", { name: tk.name })}
                    onClick={() => props.onRotate(tk)}><Icon name="refresh" size={14} /> {t("admin.botRotate")}</button>
                  <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.botRevokeTokenNamed", { name: tk.name })}
                    onClick={() => props.onRevoke(tk)}><Icon name="ban" size={14} /> {t("admin.revoke")}</button>
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A bot's display name and description, saved together. */
function BotProfileForm(props: { idp: string; bot: Bot; onSaved: (bot: Bot) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { bot, idp } = props;
  const [displayName, setDisplayName] = useState(bot.display_name);
  const [description, setDescription] = useState(bot.description);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: "display_name" | "description" | null; text: string } | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const shown = displayName.trim();
    const said = description.trim();
    if (!shown) { setProblem({ field: "display_name", text: t("admin.botDisplayNameRequired") }); document.getElementById(`${idp}-edit-display_name`)?.focus(); return; }
    if (charCount(said) > BOT_DESCRIPTION_CHARS_MAX) {
      setProblem({ field: "description", text: t("admin.botTooLong", { max: BOT_DESCRIPTION_CHARS_MAX }) });
      document.getElementById(`${idp}-edit-description`)?.focus();
      return;
    }
    const change = { ...(shown !== bot.display_name ? { display_name: shown } : {}), ...(said !== bot.description ? { description: said } : {}) };
    if (Object.keys(change).length === 0) return;
    setBusy(true);
    setProblem(null);
    try {
      props.onSaved(await client.admin.updateBot(bot.account, change));
      toast(t("common.saved"), "info");
    } catch (err) {
      const refused = botRefusal(err);
      if (refused && (refused.field === "display_name" || refused.field === "description")) {
        setProblem({ field: refused.field, text: botProblemText(refused, t, "") });
        document.getElementById(`${idp}-edit-${refused.field}`)?.focus();
      } else {
        setProblem({ field: null, text: isMagpieError(err) && err.code === "not_found" ? t("admin.botGone") : errorText(err, t) });
      }
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: "display_name" | "description") => problem?.field === field;
  return (
    <form class="stack bot-profile" noValidate onSubmit={save} aria-label={t("admin.botProfile")}>
      <div class="form-grid">
        <div class="field">
          <label for={`${idp}-edit-display_name`}>{t("admin.botDisplayName")}</label>
          <input id={`${idp}-edit-display_name`} class="input" value={displayName} maxLength={BOT_DISPLAY_NAME_CHARS_MAX} autoComplete="off"
            aria-invalid={invalid("display_name")} aria-describedby={invalid("display_name") ? `${idp}-edit-display_name-error` : undefined}
            onInput={(e) => { setDisplayName(e.currentTarget.value); setProblem(null); }} />
          {invalid("display_name") && <span id={`${idp}-edit-display_name-error`} class="field-error" role="alert">{problem!.text}</span>}
        </div>
        <div class="field">
          <label for={`${idp}-edit-description`}>{t("admin.botDescription")}</label>
          <input id={`${idp}-edit-description`} class="input" value={description} autoComplete="off"
            aria-invalid={invalid("description")} aria-describedby={`${idp}-edit-description-hint${invalid("description") ? ` ${idp}-edit-description-error` : ""}`}
            onInput={(e) => { setDescription(e.currentTarget.value); setProblem(null); }} />
          <span id={`${idp}-edit-description-hint`} class="muted small">{t("admin.botDescriptionHint", { max: BOT_DESCRIPTION_CHARS_MAX })}</span>
          {invalid("description") && <span id={`${idp}-edit-description-error`} class="field-error" role="alert">{problem!.text}</span>}
        </div>
      </div>
      {problem?.field === null && <p class="form-error" role="alert">{problem.text}</p>}
      <div><button type="submit" class="btn btn-primary" disabled={busy}>{t("admin.botSave")}</button></div>
    </form>
  );
}

/** A new token: its name, the conversations it reaches, what it may do and how long it lives. */
function NewTokenForm(props: {
  idp: string; bot: Bot; groups: GroupChoice[]; failed: (e: unknown) => string; onIssued: (token: IssuedBotToken) => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { idp } = props;
  const p = `${idp}-token`;
  const [form, setForm] = useState<TokenForm>(NEW_TOKEN_FORM);
  const [problem, setProblem] = useState<TokenProblem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const edit = (change: Partial<TokenForm>) => { setForm((f) => ({ ...f, ...change })); setProblem(null); setError(null); };
  const focusOf = (pr: TokenProblem) => {
    const id = pr.field === "name" ? `${p}-name` : pr.field === "conversations" ? `${p}-ids` : pr.field === "scope" ? `${p}-read` : `${p}-days`;
    document.getElementById(id)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const made = tokenRequestOf(form);
    if ("problem" in made) { setProblem(made.problem); focusOf(made.problem); return; }
    setBusy(true);
    setError(null);
    try {
      const issued = await client.admin.createBotToken(props.bot.account, made.request);
      setForm(NEW_TOKEN_FORM);
      props.onIssued(issued);
    } catch (err) {
      const refused = tokenRefusal(err);
      if (refused) { setProblem(refused); focusOf(refused); } else setError(props.failed(err));
    } finally {
      setBusy(false);
    }
  };
  const off = props.bot.disabled;
  const errorOf = (field: TokenProblem["field"]) =>
    problem?.field === field && <span id={`${p}-${field}-error`} class="field-error" role="alert">{tokenProblemText(problem, t)}</span>;
  const describedBy = (field: TokenProblem["field"], hint?: string) => [hint, problem?.field === field ? `${p}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const toggle = (id: number, on: boolean) => edit({ chosen: on ? [...form.chosen, id] : form.chosen.filter((x) => x !== id) });
  return (
    <form class="stack admin-subform bot-new-token" noValidate onSubmit={submit} aria-labelledby={`${p}-title`}>
      <h3 id={`${p}-title`} class="subhead">{t("admin.botNewToken")}</h3>
      <fieldset class="bot-fieldset" disabled={off}>
        <legend class="visually-hidden">{t("admin.botNewToken")}</legend>
        <div class="form-grid">
          <div class="field">
            <label for={`${p}-name`}>{t("admin.botTokenNameLabel")}</label>
            <input id={`${p}-name`} class="input" value={form.name} maxLength={TOKEN_NAME_CHARS_MAX} autoComplete="off" spellcheck={false}
              aria-invalid={problem?.field === "name"} aria-describedby={describedBy("name", `${p}-name-hint`)} onInput={(e) => edit({ name: e.currentTarget.value })} />
            <span id={`${p}-name-hint`} class="muted small">{t("admin.botTokenNameHint", { max: TOKEN_NAME_CHARS_MAX })}</span>
            {errorOf("name")}
          </div>
          <div class="field">
            <label for={`${p}-days`}>{t("admin.botTokenDays")}</label>
            <input id={`${p}-days`} class="input input-narrow" inputMode="numeric" value={form.days} maxLength={4} autoComplete="off"
              aria-invalid={problem?.field === "days"} aria-describedby={describedBy("days", `${p}-days-hint`)} onInput={(e) => edit({ days: e.currentTarget.value })} />
            <span id={`${p}-days-hint`} class="muted small">{t("admin.botTokenDaysHint", { max: TOKEN_TTL_DAYS_MAX })}</span>
            {errorOf("days")}
          </div>
        </div>
        <fieldset class="mode-options bot-reach">
          <legend class="field-label">{t("admin.botTokenReachLegend")}</legend>
          <label class={`mode-option${form.reach === "all" ? " active" : ""}`}>
            <input type="radio" name={`${p}-reach`} value="all" checked={form.reach === "all"} onChange={() => edit({ reach: "all" })} />
            <span><strong>{t("admin.botTokenReachAll")}</strong><span class="muted small">{t("admin.botTokenReachAllHint")}</span></span>
          </label>
          <label class={`mode-option${form.reach === "chosen" ? " active" : ""}`}>
            <input type="radio" name={`${p}-reach`} value="chosen" checked={form.reach === "chosen"} onChange={() => edit({ reach: "chosen" })} />
            <span><strong>{t("admin.botTokenReachChosen")}</strong><span class="muted small">{t("admin.botTokenReachChosenHint", { max: SCOPE_CONVERSATIONS_MAX })}</span></span>
          </label>
        </fieldset>
        {form.reach === "chosen" && (
          <div class="stack bot-chosen">
            <fieldset class="bot-groups">
              <legend class="field-label">{t("admin.botTokenGroups")}</legend>
              {props.groups.length === 0 && <p class="muted small">{t("admin.botGroupsNone")}</p>}
              {props.groups.length > 0 && (
                <ul class="bot-group-list" role="list">
                  {props.groups.map((g) => (
                    <li key={g.id}>
                      <label class="check-row">
                        <input type="checkbox" checked={form.chosen.includes(g.id)} onChange={(e) => toggle(g.id, e.currentTarget.checked)} />
                        {" "}{g.name} <span class="muted small">#{g.id}</span>
                      </label>
                    </li>
                  ))}
                </ul>
              )}
            </fieldset>
            <div class="field">
              <label for={`${p}-ids`}>{t("admin.botTokenIds")}</label>
              <input id={`${p}-ids`} class="input" value={form.ids} autoComplete="off" spellcheck={false} inputMode="numeric"
                aria-invalid={problem?.field === "conversations"} aria-describedby={describedBy("conversations", `${p}-ids-hint`)}
                onInput={(e) => edit({ ids: e.currentTarget.value })} />
              <span id={`${p}-ids-hint`} class="muted small">{t("admin.botTokenIdsHint")}</span>
              {errorOf("conversations")}
            </div>
          </div>
        )}
        <fieldset class="bot-powers">
          <legend class="field-label">{t("admin.botTokenPowers")}</legend>
          <label class="check-row"><input id={`${p}-read`} type="checkbox" checked={form.read} aria-describedby={describedBy("scope")}
            onChange={(e) => edit({ read: e.currentTarget.checked })} /> {t("admin.botTokenRead")}</label>
          <label class="check-row"><input type="checkbox" checked={form.send} aria-describedby={describedBy("scope")}
            onChange={(e) => edit({ send: e.currentTarget.checked })} /> {t("admin.botTokenSend")}</label>
          {errorOf("scope")}
        </fieldset>
      </fieldset>
      {error && <p class="form-error" role="alert" data-testid="bot-token-error">{error}</p>}
      <div><button type="submit" class="btn btn-primary" disabled={busy || off}><Icon name="key" size={16} /> {t("admin.botTokenCreate")}</button></div>
    </form>
  );
}

/** The value of the "by its id" choice of the webhook's group. */
const BY_ID = "id";

/** A new incoming webhook: its name, and a group the bot is a member of (chosen, or by its id). */
function NewWebhookForm(props: {
  idp: string; bot: Bot; groups: GroupChoice[]; failed: (e: unknown) => string; onMade: (hook: CreatedWebhook) => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const p = `${props.idp}-hook`;
  const [name, setName] = useState("");
  const [picked, setPicked] = useState("");
  const [id, setId] = useState("");
  const [problem, setProblem] = useState<{ field: "name" | "group" | "id" | null; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const fail = (field: "name" | "group" | "id" | null, text: string) => {
    setProblem({ field, text });
    if (field) document.getElementById(`${p}-${field}`)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const named = tokenNameProblem(name);
    if (named) { fail("name", tokenProblemText(named, t)); return; }
    let conversation: number;
    if (picked === BY_ID) {
      const ids = parseIds(id);
      if (!ids || ids.length !== 1) { fail("id", t("admin.botWebhookIdBad")); return; }
      conversation = ids[0]!;
    } else if (picked) {
      conversation = Number(picked);
    } else {
      fail("group", t("admin.botWebhookGroupRequired"));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const made = await client.admin.createWebhook(props.bot.account, { name: name.trim(), conversation });
      setName(""); setPicked(""); setId("");
      props.onMade(made);
    } catch (err) {
      const refused = tokenRefusal(err);
      if (refused?.field === "name") fail("name", tokenProblemText(refused, t));
      // The bot is no member of it (or it is no conversation of the bot's domain).
      else if (isMagpieError(err) && err.code === "not_found" && err.message.startsWith("conversation")) {
        fail(picked === BY_ID ? "id" : "group", t("admin.botWebhookNotMember", { name: props.bot.display_name }));
      } else fail(null, props.failed(err));
    } finally {
      setBusy(false);
    }
  };
  const off = props.bot.disabled;
  const describedBy = (field: "name" | "group" | "id", hint?: string) => [hint, problem?.field === field ? `${p}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const errorOf = (field: "name" | "group" | "id") => problem?.field === field && <span id={`${p}-${field}-error`} class="field-error" role="alert">{problem.text}</span>;
  return (
    <form class="stack admin-subform bot-new-webhook" noValidate onSubmit={submit} aria-labelledby={`${p}-title`}>
      <h3 id={`${p}-title`} class="subhead">{t("admin.botNewWebhook")}</h3>
      <fieldset class="bot-fieldset" disabled={off}>
        <legend class="visually-hidden">{t("admin.botNewWebhook")}</legend>
        <div class="form-grid">
          <div class="field">
            <label for={`${p}-name`}>{t("admin.botWebhookNameLabel")}</label>
            <input id={`${p}-name`} class="input" value={name} maxLength={TOKEN_NAME_CHARS_MAX} autoComplete="off" aria-invalid={problem?.field === "name"}
              aria-describedby={describedBy("name", `${p}-name-hint`)} onInput={(e) => { setName(e.currentTarget.value); setProblem(null); }} />
            <span id={`${p}-name-hint`} class="muted small">{t("admin.botWebhookNameHint", { max: TOKEN_NAME_CHARS_MAX })}</span>
            {errorOf("name")}
          </div>
          <div class="field">
            <label for={`${p}-group`}>{t("admin.botWebhookGroupLabel")}</label>
            <select id={`${p}-group`} class="select" value={picked} aria-invalid={problem?.field === "group"} aria-describedby={describedBy("group", `${p}-group-hint`)}
              onChange={(e) => { setPicked(e.currentTarget.value); setProblem(null); }}>
              <option value="">{t("admin.botWebhookPick")}</option>
              {props.groups.map((g) => <option key={g.id} value={String(g.id)}>{`${g.name} · #${g.id}`}</option>)}
              <option value={BY_ID}>{t("admin.botWebhookById")}</option>
            </select>
            <span id={`${p}-group-hint`} class="muted small">{t("admin.botWebhookGroupHint", { name: props.bot.display_name })}</span>
            {errorOf("group")}
          </div>
          {picked === BY_ID && (
            <div class="field">
              <label for={`${p}-id`}>{t("admin.botWebhookId")}</label>
              <input id={`${p}-id`} class="input input-narrow" value={id} inputMode="numeric" autoComplete="off" aria-invalid={problem?.field === "id"}
                aria-describedby={describedBy("id")} onInput={(e) => { setId(e.currentTarget.value); setProblem(null); }} />
              {errorOf("id")}
            </div>
          )}
        </div>
      </fieldset>
      {problem?.field === null && <p class="form-error" role="alert" data-testid="bot-webhook-error">{problem.text}</p>}
      <div><button type="submit" class="btn btn-primary" disabled={busy || off}><Icon name="link" size={16} /> {t("admin.botWebhookCreate")}</button></div>
    </form>
  );
}

/** A token's secret, shown this once. */
function TokenSecretDialog(props: { issued: IssuedBotToken; rotated: boolean; bot: string; onClose: () => void }): JSX.Element {
  const { t } = useT();
  return (
    <Dialog title={props.rotated ? t("admin.botTokenRotatedTitle", { name: props.issued.name }) : t("admin.botTokenMadeTitle", { name: props.issued.name })}
      onClose={props.onClose} size="md" role="alertdialog" class="bot-secret-dialog"
      footer={<button type="button" class="btn btn-primary" onClick={props.onClose}>{t("admin.done")}</button>}>
      <div class="stack">
        <p class="notice notice-warn" role="note">{t("admin.botSecretOnce", { bot: props.bot })}</p>
        <CopyField id="bot-secret" label={t("admin.botSecretLabel")} value={props.issued.token} copyLabel={t("admin.botCopyToken")} testid="bot-secret" />
        <p class="muted small">{t("admin.botSecretUse")}</p>
      </div>
    </Dialog>
  );
}

/** A webhook's URL, shown this once, with a command that tries it. */
function WebhookUrlDialog(props: { made: CreatedWebhook; rotated: boolean; bot: string; group: string; onClose: () => void }): JSX.Element {
  const { t } = useT();
  const url = webhookUrl(location.origin, props.made.path);
  return (
    <Dialog title={props.rotated ? t("admin.botWebhookRotatedTitle", { name: props.made.name }) : t("admin.botWebhookMadeTitle", { name: props.made.name })}
      onClose={props.onClose} size="md" role="alertdialog" class="bot-secret-dialog"
      footer={<button type="button" class="btn btn-primary" onClick={props.onClose}>{t("admin.done")}</button>}>
      <div class="stack">
        <p class="notice notice-warn" role="note">{t("admin.botWebhookOnce", { bot: props.bot, group: props.group })}</p>
        <CopyField id="bot-webhook-url" label={t("admin.botWebhookUrl")} value={url} copyLabel={t("admin.botCopyUrl")} testid="bot-webhook-url" />
        <CopyField id="bot-webhook-try" label={t("admin.botWebhookTry")} value={curlExample(url)} copyLabel={t("admin.botCopyCommand")} testid="bot-webhook-curl" block />
        <p class="muted small">{t("admin.botWebhookFormat")}</p>
      </div>
    </Dialog>
  );
}
