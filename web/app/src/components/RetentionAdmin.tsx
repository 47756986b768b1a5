// Administration → Retention (docs/protocol.md "Retention"): how long a domain keeps its
// messages (a number of days, or for ever), the conversations that keep theirs for another time
// (a group given its own policy, picked from the domain's groups, or let follow the domain
// again), and the runs that delete them: the server's hourly ones, one run now, or a one-off
// purge of everything before a time. A change that deletes more than before, and a purge, are
// confirmed first; a running run is followed with the server's long poll (`wait_secs`) until it
// ends. For a domain's administrators, and server administrators for the domain the page shows.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { AdminGroupInfo, ConversationKind, ConversationRetention, Retention, RetentionRun } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Locale, Translate } from "../i18n/index.ts";
import { formatCount } from "../lib/console.ts";
import { formatFull } from "../lib/format.ts";
import { GROUP_SEARCH_DEBOUNCE_MS, groupQueryOf } from "../lib/groups.ts";
import {
  daysForm, daysOf, deletesMore, localTimeMs, localTimeValue, RETENTION_DAYS_MAX, RUN_WAIT_SECS, runningRun, withRun,
  type DaysForm, type DaysProblem,
} from "../lib/retention.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { toast } from "../state/toast.ts";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { Icon } from "./icons.tsx";
import { Spinner } from "./ui.tsx";

function daysProblemText(problem: DaysProblem, t: Translate, locale: Locale): string {
  switch (problem) {
    case "required": return t("admin.retDaysRequired");
    case "not_number": return t("admin.retDaysNotNumber");
    case "range": return t("admin.retDaysRange", { max: formatCount(RETENTION_DAYS_MAX, locale) });
  }
}

/** How long a policy keeps messages, for a table cell or a sentence (`undefined`, `null` or 0:
 * for ever). */
function keepsText(days: number | null | undefined, t: Translate): string {
  if (!days) return t("admin.retKeepsForever");
  return days === 1 ? t("admin.retKeepsDaysOne") : t("admin.retKeepsDays", { days });
}

function kindText(kind: ConversationKind, t: Translate): string {
  return kind === "channel" ? t("group.kindChannel") : kind === "group" ? t("group.kindGroup") : t("admin.retKindDirect");
}

function conversationName(c: Pick<ConversationRetention, "conversation" | "name">, t: Translate): string {
  return c.name || t("admin.retConvUnnamed", { id: c.conversation });
}

/** Resolves once the page is shown (at once if it is): a hidden page asks the server nothing. */
function whenVisible(): Promise<void> {
  if (document.visibilityState !== "hidden") return Promise.resolve();
  return new Promise((resolve) => {
    const shown = () => {
      if (document.visibilityState === "hidden") return;
      document.removeEventListener("visibilitychange", shown);
      resolve();
    };
    document.addEventListener("visibilitychange", shown);
  });
}

export function RetentionAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [retention, setRetention] = useState<Retention | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // Counts the loads that ended: a running run is followed afresh after each.
  const [loads, setLoads] = useState(0);
  const [followError, setFollowError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  // Only the newest load's answer counts.
  const latest = useRef(0);
  const load = async () => {
    const mine = ++latest.current;
    setLoading(true);
    try {
      const answer = await client.admin.adminRetention(domain);
      if (mine !== latest.current) return;
      setRetention(answer);
      setError(null);
      setFollowError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // What is shown stays when a refresh fails; the error says it is not current.
      setError(missingEndpoint(e) ? t("admin.accNoDomain") : errorText(e, t));
    } finally {
      if (mine === latest.current) { setLoading(false); setLoads((n) => n + 1); }
    }
  };
  useEffect(() => { setRetention(null); setError(null); void load(); }, [client, domain]);

  // A running run is asked for with `wait_secs`: the server answers as soon as it changes (its
  // counts, or its end), and it is asked again until it has ended.
  const running = retention ? runningRun(retention.runs) : undefined;
  useEffect(() => {
    if (!running) return;
    let live = true;
    void (async () => {
      let run = running;
      while (live && run.state === "running") {
        await whenVisible();
        if (!live) return;
        try {
          run = await client.admin.retentionRun(run.id, { wait_secs: RUN_WAIT_SECS });
        } catch (e) {
          if (live) setFollowError(errorText(e, t));
          return;
        }
        if (!live) return;
        const changed = run;
        setRetention((shown) => shown && { ...shown, runs: withRun(shown.runs, changed) });
      }
    })();
    return () => { live = false; };
  }, [client, running?.id, loads]);

  const started = (run: RetentionRun) => {
    setFollowError(null);
    setRetention((shown) => shown && { ...shown, runs: withRun(shown.runs, run) });
  };

  if (!retention) return error ? <p class="form-error" role="alert" data-testid="retention-error">{error}</p> : <Spinner label={t("common.loading")} />;
  return (
    <>
      {error && <p class="form-error" role="alert" data-testid="retention-error">{error}</p>}
      <PolicySection domain={domain} days={retention.days} onSaved={setRetention} confirm={setConfirming} />
      <ConversationsSection domain={domain} list={retention.conversations} domainDays={retention.days} onChanged={load} confirm={setConfirming} />
      <RunsSection domain={domain} runs={retention.runs} loading={loading} followError={followError} onRefresh={load} onStarted={started} confirm={setConfirming} />
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </>
  );
}

/** The radio buttons and the days field of a policy's form; `idPrefix` keeps two forms apart. */
function DaysFields(props: {
  idPrefix: string; form: DaysForm; problem: string | null; onChange: (form: DaysForm) => void; input: { current: HTMLInputElement | null };
}): JSX.Element {
  const { t, locale } = useT();
  const { idPrefix, form, problem } = props;
  const hint = `${idPrefix}-days-hint`;
  const error = `${idPrefix}-days-error`;
  return (
    <>
      <fieldset class="mode-options">
        <legend class="field-label">{t("admin.retKeep")}</legend>
        {([true, false] as const).map((forever) => (
          <label key={String(forever)} class={`mode-option${form.forever === forever ? " active" : ""}`}>
            <input type="radio" name={`${idPrefix}-keep`} value={forever ? "forever" : "days"} checked={form.forever === forever}
              onChange={() => {
                props.onChange({ ...form, forever });
                if (!forever) requestAnimationFrame(() => props.input.current?.focus());
              }} />
            <span>
              <strong>{forever ? t("admin.retForever") : t("admin.retForDays")}</strong>
              <span class="muted small">{forever ? t("admin.retForeverHint") : t("admin.retForDaysHint")}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div class="field retention-days">
        <label for={`${idPrefix}-days`}>{t("admin.retDays")}</label>
        <input id={`${idPrefix}-days`} ref={props.input} class="input" value={form.days} inputMode="numeric" maxLength={6} autoComplete="off"
          disabled={form.forever} aria-invalid={problem !== null} aria-describedby={problem ? `${hint} ${error}` : hint}
          onInput={(e) => props.onChange({ ...form, days: e.currentTarget.value })} />
        <span id={hint} class="muted small">{t("admin.retDaysHint", { max: formatCount(RETENTION_DAYS_MAX, locale) })}</span>
        {problem && <span id={error} class="field-error" role="alert">{problem}</span>}
      </div>
    </>
  );
}

/** The domain's policy: for ever, or a number of days. */
function PolicySection(props: { domain: string; days: number | undefined; onSaved: (r: Retention) => void; confirm: (c: Confirming) => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { domain } = props;
  const [form, setForm] = useState<DaysForm>(() => daysForm(props.days));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<{ days: number | null } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // The policy as the server last said it (saved here, or read again by Refresh).
  useEffect(() => { setForm((shown) => daysForm(props.days, shown.days)); }, [props.days]);
  const change = (next: DaysForm) => { setForm(next); setProblem(null); setSaved(null); };
  const save = async (days: number | null) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await client.admin.setAdminRetention(domain, days);
      props.onSaved(answer);
      setSaved({ days: answer.days ?? null });
    } catch (e) {
      if (isMagpieError(e) && e.code === "invalid_field") { setProblem(daysProblemText("range", t, locale)); input.current?.focus(); }
      else setError(missingEndpoint(e) ? t("admin.accNoDomain") : errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const made = daysOf(form);
    if ("problem" in made) { setProblem(daysProblemText(made.problem, t, locale)); input.current?.focus(); return; }
    setProblem(null);
    setSaved(null);
    const days = made.days;
    if (days !== null && deletesMore(props.days, days)) {
      props.confirm({
        title: t("admin.retConfirmTitle"), text: t("admin.retConfirmDomain", { domain, days }), confirm: t("admin.retConfirmApply"), danger: true,
        run: () => save(days),
      });
    } else {
      void save(days);
    }
  };
  const savedText = saved && (saved.days === null ? t("admin.retSavedForever")
    : saved.days === 1 ? t("admin.retSavedDaysOne") : t("admin.retSavedDays", { days: saved.days }));
  return (
    <section class="card-section retention-section" aria-labelledby="adm-retention">
      <h2 id="adm-retention">{t("admin.retTitle")}</h2>
      <p class="muted small admin-intro">{t("admin.retHint", { domain })}</p>
      <form class="stack" noValidate onSubmit={submit}>
        <DaysFields idPrefix="adm-ret" form={form} problem={problem} onChange={change} input={input} />
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="row-actions wrap">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t("admin.retSave")}</button>
          <span role="status" class="announce-sent" data-testid="retention-saved">{savedText}</span>
        </div>
      </form>
    </section>
  );
}

/** The conversations that keep their messages for another time, and a group given its own. */
function ConversationsSection(props: {
  domain: string; list: ConversationRetention[]; domainDays: number | undefined; onChanged: () => Promise<void>; confirm: (c: Confirming) => void;
}): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { domain, domainDays } = props;
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [groups, setGroups] = useState<AdminGroupInfo[] | null>(null);
  const [groupsError, setGroupsError] = useState<string | null>(null);
  const [picked, setPicked] = useState("");
  const [form, setForm] = useState<DaysForm>(() => daysForm(undefined));
  const [groupProblem, setGroupProblem] = useState<string | null>(null);
  const [daysProblem, setDaysProblem] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const select = useRef<HTMLSelectElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  // The search asks once typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), GROUP_SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q]);
  useEffect(() => {
    const mine = ++latest.current;
    client.admin.adminGroups(domain, groupQueryOf(query, false)).then((page) => {
      if (mine !== latest.current) return;
      setGroups(page.groups);
      setGroupsError(null);
    }, (e: unknown) => {
      if (mine === latest.current) setGroupsError(missingEndpoint(e) ? t("admin.accNoDomain") : errorText(e, t));
    });
  }, [client, domain, query]);

  const follow = (c: ConversationRetention) => {
    const name = conversationName(c, t);
    props.confirm({
      title: t("admin.retConvFollowTitle"),
      text: t("admin.retConvFollowConfirm", { name, domain, policy: keepsText(domainDays, t) }),
      confirm: t("admin.retConvFollow"),
      danger: deletesMore(c.days || null, domainDays ?? null),
      run: async () => {
        setError(null);
        try {
          await client.admin.setConversationRetention(c.conversation, null);
        } catch (e) {
          setError(isMagpieError(e) && e.code === "not_found" ? t("admin.retConvGone", { name }) : errorText(e, t));
          return;
        }
        toast(t("admin.retConvFollowing", { name }), "info");
        await props.onChanged();
      },
    });
  };

  const group = groups?.find((g) => String(g.id) === picked);
  const submit = (e: Event) => {
    e.preventDefault();
    const made = daysOf(form);
    const noGroup = !group;
    setGroupProblem(noGroup ? t("admin.retConvGroupRequired") : null);
    setDaysProblem("problem" in made ? daysProblemText(made.problem, t, locale) : null);
    if (noGroup) { select.current?.focus(); return; }
    if ("problem" in made) { input.current?.focus(); return; }
    // 0 keeps for ever (null would mean "as the domain").
    const days = made.days ?? 0;
    const name = group.name;
    const held = props.list.find((c) => c.conversation === group.id);
    const before = held ? held.days || null : domainDays ?? null;
    const set = async () => {
      setBusy(true);
      setError(null);
      try {
        await client.admin.setConversationRetention(group.id, days);
      } catch (err) {
        if (isMagpieError(err) && err.code === "invalid_field") setDaysProblem(daysProblemText("range", t, locale));
        else setError(isMagpieError(err) && err.code === "not_found" ? t("admin.retConvGone", { name }) : errorText(err, t));
        return;
      } finally {
        setBusy(false);
      }
      toast(days === 0 ? t("admin.retConvSetForever", { name }) : days === 1 ? t("admin.retConvSetDaysOne", { name }) : t("admin.retConvSetDays", { name, days }), "info");
      setPicked("");
      setForm(daysForm(undefined));
      await props.onChanged();
    };
    if (days !== 0 && deletesMore(before, days)) {
      props.confirm({ title: t("admin.retConfirmTitle"), text: t("admin.retConvConfirm", { name, days }), confirm: t("admin.retConfirmApply"), danger: true, run: set });
    } else {
      void set();
    }
  };

  return (
    <section class="card-section retention-section" aria-labelledby="adm-ret-conversations">
      <h2 id="adm-ret-conversations">{t("admin.retConvTitle")}</h2>
      <p class="muted small admin-intro">{t("admin.retConvHint", { domain })}</p>
      {props.list.length === 0 ? <p class="muted" data-testid="retention-conversations-empty">{t("admin.retConvNone")}</p> : (
        <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.retConvTitle")}>
          <table class="report-table retention-table">
            <caption class="visually-hidden">{t("admin.retConvTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.retConvName")}</th><th scope="col">{t("admin.retConvKind")}</th><th scope="col">{t("admin.retConvKeeps")}</th>
                <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {props.list.map((c) => (
                <tr key={c.conversation} data-testid="retention-conversation" data-id={c.conversation}>
                  <td class="retention-name" data-testid="retention-conversation-name">{conversationName(c, t)}</td>
                  <td>{kindText(c.kind, t)}</td>
                  <td data-testid="retention-conversation-keeps">{keepsText(c.days, t)}</td>
                  <td class="retention-actions">
                    <button type="button" class="btn btn-small" aria-haspopup="dialog"
                      aria-label={t("admin.retConvFollowNamed", { name: conversationName(c, t) })} onClick={() => follow(c)}>
                      <Icon name="undo" size={14} /> {t("admin.retConvFollow")}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && <p class="form-error" role="alert" data-testid="retention-conversation-error">{error}</p>}
      <h3 class="retention-subhead">{t("admin.retConvAdd")}</h3>
      <form class="stack" noValidate onSubmit={submit}>
        <div class="retention-group-fields">
          <div class="field">
            <label for="adm-ret-find">{t("admin.retConvFind")}</label>
            <span class="search-box">
              <Icon name="search" size={16} />
              <input id="adm-ret-find" class="input" type="search" value={q} maxLength={64} autoComplete="off" spellcheck={false}
                placeholder={t("admin.retConvFindPlaceholder")} onInput={(e) => setQ(e.currentTarget.value)}
                // Enter finds at once, rather than set the policy of the group picked so far.
                onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); setQuery(q.trim()); } }} />
            </span>
          </div>
          <div class="field">
            <label for="adm-ret-group">{t("admin.retConvGroup")}</label>
            <select id="adm-ret-group" ref={select} class="select" value={picked} aria-invalid={groupProblem !== null}
              aria-describedby={groupProblem ? "adm-ret-group-error" : undefined}
              onChange={(e) => { setPicked(e.currentTarget.value); setGroupProblem(null); }}>
              <option value="">{groups && groups.length === 0 ? t("admin.retConvNoGroups") : t("admin.retConvPick")}</option>
              {(groups ?? []).map((g) => <option key={g.id} value={String(g.id)}>{`${g.name} · ${kindText(g.kind, t)}`}</option>)}
            </select>
            {groupProblem && <span id="adm-ret-group-error" class="field-error" role="alert">{groupProblem}</span>}
            {groupsError && <span class="field-error" role="alert">{groupsError}</span>}
          </div>
        </div>
        <DaysFields idPrefix="adm-ret-conv" form={form} problem={daysProblem} input={input}
          onChange={(next) => { setForm(next); setDaysProblem(null); }} />
        <div class="row-actions wrap">
          <button type="submit" class="btn btn-primary" disabled={busy}><Icon name="clock" size={16} /> {t("admin.retConvSet")}</button>
        </div>
      </form>
    </section>
  );
}

/** The domain's runs, newest first, one run now, and a purge of everything before a time. */
function RunsSection(props: {
  domain: string; runs: RetentionRun[]; loading: boolean; followError: string | null;
  onRefresh: () => Promise<void>; onStarted: (run: RetentionRun) => void; confirm: (c: Confirming) => void;
}): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const { domain, runs } = props;
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [before, setBefore] = useState("");
  const [beforeProblem, setBeforeProblem] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);
  const beforeInput = useRef<HTMLInputElement>(null);
  const running = runningRun(runs);

  /** Starts a run; resolves whether it started. A refusal is said where it belongs. */
  const start = async (beforeMs?: number): Promise<boolean> => {
    setStarting(true);
    setError(null);
    try {
      const run = await client.admin.startRetentionRun(domain, beforeMs);
      setStarted(run.id);
      props.onStarted(run);
      toast(t("admin.retRunStarted", { id: run.id }), "info");
      return true;
    } catch (e) {
      if (isMagpieError(e) && e.code === "invalid_field" && beforeMs !== undefined) {
        setBeforeProblem(t("admin.retPurgeFuture"));
        beforeInput.current?.focus();
      } else if (isMagpieError(e) && e.code === "conflict") {
        setError(t("admin.retRunBusy", { domain }));
        // The run under way shows, and is followed.
        void props.onRefresh();
      } else {
        setError(missingEndpoint(e) ? t("admin.accNoDomain") : errorText(e, t));
      }
      return false;
    } finally {
      setStarting(false);
    }
  };
  const purge = (e: Event) => {
    e.preventDefault();
    const ms = localTimeMs(before);
    if (ms === undefined) { setBeforeProblem(t("admin.retPurgeRequired")); beforeInput.current?.focus(); return; }
    if (ms > Date.now()) { setBeforeProblem(t("admin.retPurgeFuture")); beforeInput.current?.focus(); return; }
    setBeforeProblem(null);
    const time = formatFull(ms, locale);
    props.confirm({
      title: t("admin.retPurgeConfirmTitle", { time }), text: t("admin.retPurgeConfirm", { domain, time }), confirm: t("admin.retPurge"), danger: true,
      run: async () => { if (await start(ms)) setBefore(""); },
    });
  };
  const stateCell = (r: RetentionRun) => (
    <>
      {r.state === "running" && <span class="export-running"><Spinner /> {t("admin.retRunState.running")}</span>}
      {r.state === "done" && <span class="backup-ok"><Icon name="check" size={14} /> {t("admin.retRunState.done")}</span>}
      {r.state === "failed" && <span class="tag backup-broken">{t("admin.retRunState.failed")}</span>}
      {r.state !== "running" && r.state !== "done" && r.state !== "failed" && <span class="tag">{r.state}</span>}
      {r.error && <span class="export-error" data-testid="retention-run-error">{r.error}</span>}
    </>
  );
  const time = (ms: number) => <time dateTime={new Date(ms).toISOString()}>{formatFull(ms, locale)}</time>;
  return (
    <section class="card-section retention-section runs-section" aria-labelledby="adm-ret-runs" aria-busy={props.loading}>
      <div class="section-head">
        <h2 id="adm-ret-runs">{t("admin.retRunsTitle")}</h2>
        <span class="row-actions wrap">
          <button type="button" class="btn btn-small" disabled={props.loading} onClick={() => void props.onRefresh()}>
            <Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
          <button type="button" class="btn btn-small btn-primary" disabled={starting || running !== undefined} onClick={() => void start()}>
            <Icon name="play" size={14} /> {starting ? t("admin.retRunStarting") : t("admin.retRunNow")}</button>
        </span>
      </div>
      <p class="muted small admin-intro">{t("admin.retRunsHint", { domain })}</p>
      {error && <p class="form-error" role="alert" data-testid="retention-run-start-error">{error}</p>}
      {props.followError && <p class="form-error" role="alert" data-testid="retention-follow-error">{props.followError}</p>}
      {runs.length === 0 ? <p class="muted" data-testid="retention-runs-empty">{t("admin.retRunsNone")}</p> : (
        <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.retRunsTitle")}>
          <table class="report-table retention-runs">
            <caption class="visually-hidden">{t("admin.retRunsTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.retRunWhich")}</th><th scope="col">{t("admin.retRunBy")}</th><th scope="col">{t("admin.retRunScope")}</th>
                <th scope="col">{t("admin.retRunState")}</th><th scope="col">{t("admin.retRunDeleted")}</th><th scope="col">{t("admin.retRunFinished")}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid="retention-run" data-id={r.id} data-state={r.state} class={r.id === started ? "backup-new" : undefined}>
                  <td class="export-which"><span class="export-id">#{r.id}</span>{time(r.started_at_ms)}</td>
                  <td class="export-by" data-testid="retention-run-by">{r.started_by === "schedule" ? t("admin.retRunBySchedule") : r.started_by}</td>
                  <td data-testid="retention-run-scope">
                    {r.before_ms === undefined ? t("admin.retRunScopePolicy") : t("admin.retRunScopeBefore", { time: formatFull(r.before_ms, locale) })}</td>
                  <td data-testid="retention-run-state">{stateCell(r)}</td>
                  <td class="export-progress">
                    <span data-testid="retention-run-conversations">{t("admin.retRunConversations", { count: formatCount(r.conversations, locale) })}</span>
                    <span data-testid="retention-run-entries">{t("admin.retRunEntries", { count: formatCount(r.entries, locale) })}</span>
                    <span data-testid="retention-run-files">{t("admin.retRunFiles", { count: formatCount(r.files, locale) })}</span>
                  </td>
                  <td data-testid="retention-run-finished">{r.finished_at_ms === undefined ? <span class="muted">—</span> : time(r.finished_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="audit-foot">
        <span class="muted small" role="status" data-testid="retention-runs-count">
          {runs.length > 0 && (runs.length === 1 ? t("admin.retRunCountOne") : t("admin.retRunCount", { count: runs.length }))}
          {running && ` · ${t("admin.retRunFollowing")}`}
        </span>
      </div>
      <h3 class="retention-subhead">{t("admin.retPurgeTitle")}</h3>
      <p class="muted small admin-intro">{t("admin.retPurgeHint", { domain })}</p>
      <form class="inline-form" noValidate onSubmit={purge}>
        <div class="field">
          <label for="adm-ret-before">{t("admin.retPurgeBefore")}</label>
          <input id="adm-ret-before" ref={beforeInput} class="input" type="datetime-local" value={before} max={localTimeValue(Date.now())}
            aria-invalid={beforeProblem !== null} aria-describedby={beforeProblem ? "adm-ret-before-error" : undefined}
            onInput={(e) => { setBefore(e.currentTarget.value); setBeforeProblem(null); }} />
          {beforeProblem && <span id="adm-ret-before-error" class="field-error" role="alert">{beforeProblem}</span>}
        </div>
        <button type="submit" class="btn btn-danger-ghost" disabled={starting || running !== undefined} aria-haspopup="dialog">
          <Icon name="trash" size={16} /> {t("admin.retPurge")}</button>
      </form>
    </section>
  );
}
