// The server's console on the administration page: the dashboard of what this node is doing now
// and over the last hour or day, who is connected (and disconnecting one), the backups and a
// backup made now, and the domains (listed, made, and picked for the rest of the page) for the
// server's administrators; and a domain's forbidden words and its compliance exports (started,
// followed while they run, and their archives downloaded) and its groups and channels (their
// members, handed to another member, dissolved) for its administrators too.

import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type {
  AdminGroupInfo, BackupInfo, ConnectionInfo, ConnectionsQuery, Dashboard, DashboardSample, DomainInfo, ExportInfo, LogLine, Member, ModerationAction, NewExport,
  Role, TlsStatus,
} from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey, Translate } from "../i18n/index.ts";
import {
  chartData, type ChartMetric, type ChartRange, distinctWords, formatCount, formatLatency, formatMeasure, formatPercent, linesOf,
  MODERATION_WORD_CHARS_MAX, MODERATION_WORDS_MAX, rangeStepMs, wordsProblem, type WordsProblem,
} from "../lib/console.ts";
import {
  anyRunning, EXPORT_REFRESH_MS, exportArchiveName, exportFraction, exportRequestOf, NO_EXPORT_FORM, withExport, type ExportForm, type ExportKind,
  type ExportProblem,
} from "../lib/exports.ts";
import { GROUP_SEARCH_DEBOUNCE_MS, groupQueryOf, groupRefusal, sortedMembers, transferCandidates, withPage } from "../lib/groups.ts";
import { formatBytes, formatClock, formatDate, formatDuration, formatFull } from "../lib/format.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { saveBlob } from "../state/media.ts";
import { missingEndpoint } from "../state/people.ts";
import { toast } from "../state/toast.ts";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { Icon } from "./icons.tsx";
import { TimeChart } from "./TimeChart.tsx";
import { Avatar, Spinner } from "./ui.tsx";

/** How often the dashboard asks again while it is shown: as often as the server samples. */
export const DASHBOARD_REFRESH_SECS = 10;
/** Connections one answer lists at most (the server's bound). */
const CONNECTIONS_LIMIT = 500;

/** Runs `run` now and then every `everyMs` after each run ends, while the page is visible: a
 * hidden page (another tab, a minimised window) asks nothing, and asks at once when shown again. */
function useRefresh(run: () => Promise<unknown>, everyMs: number): void {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    let live = true;
    let running = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      timer = undefined;
      running = true;
      try { await latest.current(); } finally { running = false; }
      if (live && document.visibilityState !== "hidden") timer = setTimeout(() => void tick(), everyMs);
    };
    const onVisibility = () => {
      if (document.visibilityState === "hidden") { clearTimeout(timer); timer = undefined; }
      else if (live && !running && timer === undefined) void tick();
    };
    document.addEventListener("visibilitychange", onVisibility);
    void tick();
    return () => { live = false; clearTimeout(timer); document.removeEventListener("visibilitychange", onVisibility); };
  }, [everyMs]);
}

// ---- Dashboard ------------------------------------------------------------------------------

/** The tiles of now: each a figure of the sample and how it is written. */
const TILES: { id: string; label: MessageKey; value: (s: DashboardSample, locale: "en" | "zh") => string }[] = [
  { id: "connections", label: "admin.dashConnections", value: (s, l) => formatCount(s.connections, l) },
  { id: "accounts", label: "admin.dashAccountsOnline", value: (s, l) => formatCount(s.accounts_online, l) },
  { id: "entries", label: "admin.dashEntries", value: (s, l) => formatMeasure(s.entries_per_min, l) },
  { id: "requests", label: "admin.dashRequests", value: (s, l) => formatMeasure(s.requests_per_min, l) },
  { id: "errors", label: "admin.dashErrors", value: (s, l) => formatMeasure(s.errors_per_min, l) },
  { id: "latency-mean", label: "admin.dashLatencyMean", value: (s, l) => formatLatency(s.latency_ms_mean, l) },
  { id: "latency-p99", label: "admin.dashLatencyP99", value: (s, l) => formatLatency(s.latency_ms_p99, l) },
  { id: "cpu", label: "admin.dashCpu", value: (s, l) => formatPercent(s.cpu_percent, l) },
  { id: "memory", label: "admin.dashMemory", value: (s) => formatBytes(s.memory_bytes) },
  { id: "database", label: "admin.dashDatabase", value: (s) => (s.database_bytes === undefined ? "—" : formatBytes(s.database_bytes)) },
  { id: "files", label: "admin.dashFiles", value: (s) => (s.files_bytes === undefined ? "—" : formatBytes(s.files_bytes)) },
  { id: "lag", label: "admin.dashLag", value: (s, l) => formatCount(s.follower_lag_max, l) },
];

/** The charts: each some figures of the samples, drawn as lines, and how their values read. */
const CHARTS: { id: string; title: MessageKey; lines: [ChartMetric, MessageKey][]; unit: "count" | "rate" | "ms" | "percent" | "bytes" }[] = [
  { id: "connections", title: "admin.dashChartConnections", lines: [["connections", "admin.dashConnections"], ["accounts_online", "admin.dashAccountsOnline"]], unit: "count" },
  { id: "entries", title: "admin.dashChartEntries", lines: [["entries_per_min", "admin.dashEntries"]], unit: "rate" },
  { id: "requests", title: "admin.dashChartRequests", lines: [["requests_per_min", "admin.dashRequests"], ["errors_per_min", "admin.dashErrors"]], unit: "rate" },
  { id: "latency", title: "admin.dashChartLatency", lines: [["latency_ms_mean", "admin.dashLatencyMean"], ["latency_ms_p99", "admin.dashLatencyP99"]], unit: "ms" },
  { id: "cpu", title: "admin.dashChartCpu", lines: [["cpu_percent", "admin.dashCpu"]], unit: "percent" },
  { id: "memory", title: "admin.dashChartMemory", lines: [["memory_bytes", "admin.dashMemory"]], unit: "bytes" },
];

function unitFormat(unit: (typeof CHARTS)[number]["unit"], locale: "en" | "zh"): (v: number) => string {
  switch (unit) {
    case "count": return (v) => formatMeasure(v, locale);
    case "rate": return (v) => formatMeasure(v, locale);
    case "ms": return (v) => formatLatency(v, locale);
    case "percent": return (v) => formatPercent(v, locale);
    case "bytes": return (v) => formatBytes(Math.max(0, v));
  }
}

/** This node now, in tiles, and over the last hour or day, in charts; asked again every 10 s
 * while the page is shown. */
export function DashboardAdmin(): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [range, setRange] = useState<ChartRange>("hour");
  const [loading, setLoading] = useState(true);
  const load = async () => {
    try {
      setDashboard(await client.admin.dashboard());
      setError(null);
    } catch (e) {
      // The figures shown stay; the error says they are not current.
      setError(isMagpieError(e) && e.code === "forbidden" ? t("admin.dashForbidden") : missingEndpoint(e) ? t("admin.consoleUnsupported") : errorText(e, t));
    } finally {
      setLoading(false);
    }
  };
  useRefresh(load, DASHBOARD_REFRESH_SECS * 1000);

  const samples = dashboard ? (range === "hour" ? dashboard.hour : dashboard.day) : [];
  const step = rangeStepMs(range, dashboard?.sample_secs ?? DASHBOARD_REFRESH_SECS);
  const charts = useMemo(
    () => CHARTS.map((c) => ({ ...c, data: chartData(samples, c.lines.map(([metric]) => metric), step) })),
    [dashboard, range],
  );
  const now = dashboard?.now;
  return (
    <section class="card-section dashboard-section" aria-labelledby="adm-dash" aria-busy={loading}>
      <div class="section-head">
        <h2 id="adm-dash">{t("admin.dashTitle")}</h2>
        <span class="row-actions">
          {now && <span class="muted small" data-testid="dash-updated">{t("admin.dashUpdated", { time: formatClock(now.at_ms, locale) })}</span>}
          <button type="button" class="btn btn-small" onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
        </span>
      </div>
      <p class="muted small admin-intro">{t("admin.dashHint", { secs: DASHBOARD_REFRESH_SECS })}</p>
      {error && <p class="form-error" role="alert" data-testid="dash-error">{error}</p>}
      {!dashboard && !error && <Spinner label={t("common.loading")} />}
      {now && (
        <dl class="stat-tiles" aria-label={t("admin.dashNow")}>
          {TILES.map((tile) => (
            <div key={tile.id} class="stat-tile" data-testid={`dash-${tile.id}`}>
              <dt>{t(tile.label)}</dt>
              <dd data-testid="dash-value">{tile.value(now, locale)}</dd>
            </div>
          ))}
        </dl>
      )}
      {dashboard?.tls && <TlsCertificate tls={dashboard.tls} now={dashboard.now.at_ms} />}
      {dashboard && (
        <>
          <div class="section-head chart-toolbar">
            <h3 class="subhead" id="adm-dash-charts">{range === "hour" ? t("admin.dashLastHour") : t("admin.dashLastDay")}</h3>
            <div class="segmented" role="group" aria-label={t("admin.dashRange")}>
              {(["hour", "day"] as const).map((r) => (
                <button key={r} type="button" class={`segment${range === r ? " selected" : ""}`} aria-pressed={range === r} onClick={() => setRange(r)}>
                  {r === "hour" ? t("admin.dashHour") : t("admin.dashDay")}
                </button>
              ))}
            </div>
          </div>
          <div class="chart-grid" role="group" aria-labelledby="adm-dash-charts">
            {charts.map((c) => (
              <TimeChart key={c.id} id={`dash-chart-${c.id}`} title={t(c.title)} xs={c.data.xs} format={unitFormat(c.unit, locale)} integer={c.unit === "count"}
                lines={c.lines.map(([, label], i) => ({ label: t(label), column: c.data.columns[i]! }))}
                empty={t("admin.dashNoSamples", { secs: range === "hour" ? dashboard.sample_secs : 60 })} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

/** Days before expiry from which the certificate is shown as a warning. */
export const TLS_WARN_DAYS = 14;

/** The certificate this node presents when it terminates TLS itself: where it comes from, its
 * names, when it expires (a warning within two weeks), and the last failure to reload or
 * renew it, while the one before stays in service. */
function TlsCertificate({ tls, now }: { tls: TlsStatus; now: number }): JSX.Element {
  const { t, locale } = useT();
  const days = tls.expires_at_ms === undefined ? null : Math.floor((tls.expires_at_ms - now) / 86_400_000);
  const soon = days !== null && days < TLS_WARN_DAYS;
  return (
    <div class={`tls-card${soon || tls.error ? " warn" : ""}`} role="group" aria-labelledby="adm-dash-tls" data-testid="dash-tls">
      <h3 class="subhead" id="adm-dash-tls">{t("admin.tlsTitle")}</h3>
      <dl class="tls-facts">
        <dt>{t("admin.tlsSource")}</dt>
        <dd data-testid="tls-source">{tls.source === "acme" ? t("admin.tlsSourceAcme") : t("admin.tlsSourceFiles")}</dd>
        <dt>{t("admin.tlsNames")}</dt>
        <dd data-testid="tls-names">{tls.names.length > 0 ? tls.names.join(", ") : t("admin.tlsNoneYet")}</dd>
        {tls.expires_at_ms !== undefined && days !== null && (
          <>
            <dt>{t("admin.tlsExpires")}</dt>
            <dd data-testid="tls-expires">
              {t(days < 0 ? "admin.tlsExpired" : soon ? "admin.tlsExpiresSoon" : "admin.tlsExpiresOn", { date: formatDate(tls.expires_at_ms, locale), days: Math.abs(days) })}
            </dd>
          </>
        )}
      </dl>
      {tls.error && (
        <p class="form-error" role="alert" data-testid="tls-error">
          {t("admin.tlsError", { time: tls.error_at_ms === undefined ? "" : formatFull(tls.error_at_ms, locale), error: tls.error })}
        </p>
      )}
    </div>
  );
}

// ---- Connections --------------------------------------------------------------------------------

/** Who is connected to this node, newest first: a domain's administrators see their domain's, a
 * server administrator everyone's or the page's domain's. Each can be disconnected, which ends
 * its session (that device signs in again). */
export function ConnectionsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const serverAdmin = client.me.role === "server_admin";
  const [scope, setScope] = useState<"all" | "domain">(serverAdmin ? "all" : "domain");
  const [list, setList] = useState<{ total: number; connections: ConnectionInfo[]; at_ms: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [confirming, setConfirming] = useState<Confirming>(null);
  // Sessions ended from here: their connections close in a moment, and a list read before the
  // server has let them go would show them again.
  const ended = useRef(new Set<number>());
  const latest = useRef(0);
  const load = async () => {
    const mine = ++latest.current;
    const query: ConnectionsQuery = { limit: CONNECTIONS_LIMIT, ...(scope === "domain" ? { domain } : {}) };
    setBusy(true);
    try {
      const answer = await client.admin.connections(query);
      if (mine !== latest.current) return;
      const connections = answer.connections.filter((c) => !ended.current.has(c.session));
      setList({ total: answer.total - (answer.connections.length - connections.length), connections, at_ms: Date.now() });
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // A domain asked for by name that is not the caller's answers not_found, as does a server
      // from before the console.
      setError(isMagpieError(e) && e.code === "forbidden" ? t("admin.connForbidden")
        : missingEndpoint(e) ? (query.domain === undefined ? t("admin.consoleUnsupported") : t("admin.accNoDomain"))
        : errorText(e, t));
    } finally {
      if (mine === latest.current) setBusy(false);
    }
  };
  useEffect(() => { void load(); }, [client, domain, scope]);

  const device = (c: ConnectionInfo) => c.device || t("settings.unknownDevice");
  const disconnect = (c: ConnectionInfo) => setConfirming({
    title: t("admin.connDisconnect"), text: t("admin.connConfirmDisconnect", { device: device(c), account: c.account }), confirm: t("admin.connDisconnect"), danger: true,
    run: async () => {
      await client.admin.revokeAccountSession(c.account, c.session);
      ended.current.add(c.session);
      toast(t("admin.connDisconnected", { device: device(c), account: c.account }), "info");
      await load();
    },
  });
  const shown = list?.connections.length ?? 0;
  return (
    <section class="card-section connections-section" aria-labelledby="adm-conn" aria-busy={busy}>
      <div class="section-head">
        <h2 id="adm-conn">{t("admin.connTitle")}</h2>
        <span class="row-actions wrap">
          {serverAdmin && (
            <span class="inline-field">
              <label for="adm-conn-scope" class="small">{t("admin.connScope")}</label>
              <select id="adm-conn-scope" class="select select-small" value={scope} onChange={(e) => setScope(e.currentTarget.value as "all" | "domain")}>
                <option value="all">{t("admin.auditScopeAll")}</option>
                <option value="domain">{t("admin.auditScopeDomain", { domain })}</option>
              </select>
            </span>
          )}
          <button type="button" class="btn btn-small" disabled={busy} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
        </span>
      </div>
      <p class="muted small admin-intro">{serverAdmin ? t("admin.connHintServer") : t("admin.connHint", { domain })}</p>
      {error && <p class="form-error" role="alert" data-testid="connections-error">{error}</p>}
      {!list && !error && <Spinner label={t("common.loading")} />}
      {list && list.connections.length === 0 && <p class="muted" data-testid="connections-empty">{t("admin.connNone")}</p>}
      {list && list.connections.length > 0 && (
        <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.connTitle")}>
          <table class="report-table connections-table">
            <caption class="visually-hidden">{t("admin.connTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.connAccount")}</th><th scope="col">{t("admin.connDevice")}</th><th scope="col">{t("admin.auditIp")}</th>
                <th scope="col">{t("admin.connSince")}</th><th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {list.connections.map((c, i) => {
                const own = c.session === client.session.id;
                return (
                  <tr key={`${c.session}-${c.connected_at_ms}-${i}`} data-testid="connection" data-account={c.account} data-session={c.session}>
                    <td class="conn-account">{c.account}</td>
                    <td>{device(c)}{own && <span class="tag">{t("admin.connThisBrowser")}</span>}</td>
                    <td class="audit-ip">{c.ip ?? <span class="muted">—</span>}</td>
                    <td><time dateTime={new Date(c.connected_at_ms).toISOString()}>{formatFull(c.connected_at_ms, locale)}</time></td>
                    <td class="conn-actions">
                      {!own && (
                        <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog"
                          aria-label={t("admin.connDisconnectNamed", { device: device(c), account: c.account })} onClick={() => disconnect(c)}>
                          <Icon name="logOut" size={14} /> {t("admin.connDisconnect")}</button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="audit-foot">
        <span class="muted small" role="status" data-testid="connections-count">
          {list && (list.total > shown ? t("admin.connShownOf", { shown, total: list.total })
            : list.total === 1 ? t("admin.connCountOne") : t("admin.connCount", { count: list.total }))}
          {list && ` · ${t("admin.connAsOf", { time: formatClock(list.at_ms, locale) })}`}
        </span>
      </div>
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </section>
  );
}

// ---- Backups --------------------------------------------------------------------------------------

function backupError(e: unknown, t: Translate): string {
  if (isMagpieError(e)) {
    if (e.code === "conflict") return t("admin.backupBusy");
    if (e.code === "invalid_field" && e.field === "backup") return t("admin.backupCluster");
    if (e.code === "forbidden") return t("admin.backupForbidden");
    if (e.code === "unavailable") return t("admin.backupUnavailable");
    if (missingEndpoint(e)) return t("admin.consoleUnsupported");
  }
  return errorText(e, t);
}

/** The server's backups, newest first, and a backup made now: the server answers once it is
 * finished, so the button says how long it has been going meanwhile. */
export function BackupsAdmin(): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [list, setList] = useState<BackupInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [makeError, setMakeError] = useState<string | null>(null);
  const [making, setMaking] = useState<number | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [made, setMade] = useState<string | null>(null);
  const load = () => client.admin.backups().then((l) => { setList(l); setError(null); }, (e: unknown) => setError(backupError(e, t)));
  useEffect(() => { void load(); }, [client]);
  // The time the backup has taken so far, for the person waiting.
  useEffect(() => {
    if (making === null) return;
    const timer = setInterval(() => setElapsed(Date.now() - making), 1000);
    return () => clearInterval(timer);
  }, [making]);
  const make = async () => {
    setMaking(Date.now());
    setElapsed(0);
    setMakeError(null);
    setMade(null);
    try {
      const backup = await client.admin.makeBackup();
      setMade(backup.name);
      toast(t("admin.backupMade", { name: backup.name }), "info");
      setList((shown) => [backup, ...(shown ?? []).filter((b) => b.name !== backup.name)]);
      void load();
    } catch (e) {
      setMakeError(backupError(e, t));
    } finally {
      setMaking(null);
    }
  };
  return (
    <section class="card-section backups-section" aria-labelledby="adm-backups" aria-busy={list === null && error === null}>
      <div class="section-head">
        <h2 id="adm-backups">{t("admin.backupTitle")}</h2>
        <button type="button" class="btn btn-small btn-primary" disabled={making !== null} onClick={() => void make()}>
          <Icon name="database" size={14} /> {making !== null ? t("admin.backupMaking") : t("admin.backupNow")}</button>
      </div>
      <p class="muted small admin-intro">{t("admin.backupHint")}</p>
      {/* Said once when the backup starts; the time it has taken is for the eyes only, rather
          than read out every second. */}
      <div class="backup-progress" data-testid="backup-progress">
        {making !== null && <Spinner />}
        <span role="status">{making !== null && t("admin.backupProgress")}</span>
        {making !== null && <span class="backup-elapsed" aria-hidden="true" data-testid="backup-elapsed">{formatDuration(elapsed)}</span>}
      </div>
      {makeError && <p class="form-error" role="alert" data-testid="backup-error">{makeError}</p>}
      {error && <p class="form-error" role="alert">{error}</p>}
      {!list && !error && <Spinner label={t("common.loading")} />}
      {list && list.length === 0 && <p class="muted" data-testid="backups-empty">{t("admin.backupNone")}</p>}
      {list && list.length > 0 && (
        <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.backupTitle")}>
          <table class="report-table backups-table">
            <caption class="visually-hidden">{t("admin.backupTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.backupName")}</th><th scope="col">{t("admin.backupCreated")}</th><th scope="col">{t("admin.backupState")}</th>
                <th scope="col">{t("admin.backupDatabase")}</th><th scope="col">{t("admin.backupFiles")}</th><th scope="col">{t("admin.backupFilesBytes")}</th>
                <th scope="col">{t("admin.backupMissing")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => (
                <tr key={b.name} data-testid="backup" data-name={b.name} data-finished={String(b.finished)} class={b.name === made ? "backup-new" : undefined}>
                  <td class="backup-name"><code>{b.name}</code>{b.name === made && <span class="tag">{t("admin.backupJustMade")}</span>}</td>
                  <td><time dateTime={new Date(b.created_at_ms).toISOString()}>{formatFull(b.created_at_ms, locale)}</time></td>
                  <td>{b.finished
                    ? <span class="backup-ok"><Icon name="check" size={14} /> {t("admin.backupFinished")}</span>
                    : <span class="tag backup-broken">{t("admin.backupUnfinished")}</span>}</td>
                  <td class="numeric">{formatBytes(b.database_bytes)}</td>
                  <td class="numeric">{formatCount(b.files, locale)}</td>
                  <td class="numeric">{formatBytes(b.files_bytes)}</td>
                  <td class="numeric">{b.missing > 0 ? <span class="tag backup-broken">{formatCount(b.missing, locale)}</span> : "0"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// ---- Moderation -----------------------------------------------------------------------------------

const ACTIONS: ModerationAction[] = ["block", "mask"];

function wordsProblemText(problem: WordsProblem, t: Translate): string {
  return problem.kind === "too_long"
    ? t("admin.modTooLong", { word: problem.word, max: problem.max })
    : t("admin.modTooMany", { count: problem.count, max: problem.max });
}

/** A domain's forbidden words, one a line, and what a message with one becomes; saved, the
 * words show as the server kept them (trimmed, each once). */
export function ModerationAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [loaded, setLoaded] = useState(false);
  const [text, setText] = useState("");
  const [action, setAction] = useState<ModerationAction>("block");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ kept: number; dropped: number } | null>(null);
  useEffect(() => {
    client.admin.moderation(domain).then((rules) => {
      setText(rules.words.join("\n"));
      setAction(rules.action);
      setLoaded(true);
    }, (e: unknown) => setError(missingEndpoint(e) ? t("admin.accNoDomain") : errorText(e, t)));
  }, [client, domain]);
  const count = distinctWords(linesOf(text)).length;
  const save = async (e: Event) => {
    e.preventDefault();
    const words = linesOf(text);
    const problem = wordsProblem(words);
    if (problem) { setFieldError(wordsProblemText(problem, t)); return; }
    setBusy(true);
    setError(null);
    setFieldError(null);
    setSaved(null);
    try {
      const kept = await client.admin.setModeration(domain, { action, words });
      setText(kept.words.join("\n"));
      setAction(kept.action);
      setSaved({ kept: kept.words.length, dropped: words.length - kept.words.length });
    } catch (err) {
      if (isMagpieError(err) && err.code === "invalid_field") setFieldError(t("admin.modRefused"));
      else setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  if (!loaded) return error ? <p class="form-error" role="alert">{error}</p> : <Spinner label={t("common.loading")} />;
  return (
    <section class="card-section" aria-labelledby="adm-mod">
      <h2 id="adm-mod">{t("admin.modTitle")}</h2>
      <p class="muted small admin-intro">{t("admin.modHint", { domain })}</p>
      <form class="stack" noValidate onSubmit={save}>
        <fieldset class="mode-options">
          <legend class="field-label">{t("admin.modAction")}</legend>
          {ACTIONS.map((a) => (
            <label key={a} class={`mode-option${action === a ? " active" : ""}`}>
              <input type="radio" name="moderation-action" value={a} checked={action === a} onChange={() => { setAction(a); setSaved(null); }} />
              <span><strong>{t(`admin.modAction.${a}`)}</strong><span class="muted small">{t(`admin.modActionHint.${a}`)}</span></span>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="adm-mod-words">{t("admin.modWords")}</label>
          <textarea id="adm-mod-words" class="input moderation-words" rows={10} value={text} spellcheck={false} autoCapitalize="none"
            aria-invalid={fieldError !== null} aria-describedby={["adm-mod-words-hint", "adm-mod-words-count", fieldError ? "adm-mod-words-error" : ""].filter(Boolean).join(" ")}
            onInput={(e) => { setText(e.currentTarget.value); setSaved(null); setFieldError(null); }} />
          <span id="adm-mod-words-hint" class="muted small">{t("admin.modWordsHint", { max: MODERATION_WORD_CHARS_MAX })}</span>
          <span id="adm-mod-words-count" class="muted small announce-count" data-testid="moderation-count">
            {t("admin.modCount", { count, max: formatCount(MODERATION_WORDS_MAX, locale) })}</span>
          {fieldError && <span id="adm-mod-words-error" class="field-error" role="alert">{fieldError}</span>}
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="row-actions wrap">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t("admin.modSave")}</button>
          <span role="status" class="announce-sent moderation-saved" data-testid="moderation-saved">
            {saved && <span>{saved.kept === 1 ? t("admin.modSavedOne") : t("admin.modSaved", { count: saved.kept })}</span>}
            {saved && saved.dropped > 0 && <span>{saved.dropped === 1 ? t("admin.modDroppedOne") : t("admin.modDropped", { count: saved.dropped })}</span>}
          </span>
        </div>
      </form>
    </section>
  );
}

// ---- Exports --------------------------------------------------------------------------------------

const EXPORT_KINDS: ExportKind[] = ["account", "conversation"];

/** A problem with the form, or the server's refusal, by the field it is about (null: the form as
 * a whole). */
type ExportFormError = { field: "account" | "conversation" | "to" | null; text: string };

function exportProblemText(problem: ExportProblem, t: Translate): string {
  switch (problem.kind) {
    case "account_required": return t("admin.exportAccountRequired");
    case "account_bad": return t("admin.exportAccountBad");
    case "account_elsewhere": return t("admin.exportAccountElsewhere", { domain: problem.domain });
    case "conversation_required": return t("admin.exportConversationRequired");
    case "conversation_bad": return t("admin.exportConversationBad");
    case "range": return t("admin.exportBadRange");
  }
}

/** The server's refusal of a new export, at the field it names where it names one. */
function exportStartError(e: unknown, request: NewExport, t: Translate): ExportFormError {
  if (isMagpieError(e)) {
    const field = request.account !== undefined ? "account" : "conversation";
    if (e.code === "not_found") {
      return request.account !== undefined
        ? { field, text: t("admin.exportNoAccount", { account: request.account }) }
        : { field, text: t("admin.exportNoConversation", { id: request.conversation ?? "" }) };
    }
    if (e.code === "invalid_field") {
      if (e.field === "account") return { field: "account", text: t("admin.exportAccountBad") };
      if (e.field === "conversation") return { field: "conversation", text: t("admin.exportConversationBad") };
      if (e.field === "from_ms" || e.field === "until_ms") return { field: "to", text: t("admin.exportBadRange") };
    }
    if (e.code === "conflict") return { field: null, text: t("admin.exportBusy") };
    if (e.code === "forbidden") return { field: null, text: t("admin.exportForbidden") };
    if (e.code === "method_not_allowed") return { field: null, text: t("admin.consoleUnsupported") };
  }
  return { field: null, text: errorText(e, t) };
}

/** The period an export covers, for people: both ends are days, the end one included. */
function exportPeriod(e: Pick<ExportInfo, "from_ms" | "until_ms">, t: Translate, locale: "en" | "zh"): string {
  const from = e.from_ms === undefined ? undefined : formatDate(e.from_ms, locale);
  // `until_ms` is excluded: the last day covered is the one before it.
  const to = e.until_ms === undefined ? undefined : formatDate(e.until_ms - 1, locale);
  if (from !== undefined && to !== undefined) return t("admin.exportRange", { from, to });
  if (from !== undefined) return t("admin.exportSince", { from });
  if (to !== undefined) return t("admin.exportUntil", { to });
  return t("admin.exportAllTime");
}

/** Compliance exports: one started for an account (by its address) or a conversation (by its
 * id), over a period or all time; the list of exports, newest first, asked again every few
 * seconds while one runs, with each one's progress and size, the error of a failed one, and
 * Download for a done one (the archive fetched with the token and saved as a ZIP). A domain's
 * administrators see and start their own domain's; a server administrator any domain's. */
export function ExportsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const serverAdmin = client.me.role === "server_admin";
  const [scope, setScope] = useState<"all" | "domain">(serverAdmin ? "all" : "domain");
  const [list, setList] = useState<ExportInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // Counts the loads that ended, so that a running export is asked for again after each.
  const [loads, setLoads] = useState(0);
  const [form, setForm] = useState<ExportForm>(NO_EXPORT_FORM);
  const [formError, setFormError] = useState<ExportFormError | null>(null);
  const [starting, setStarting] = useState(false);
  const [started, setStarted] = useState<number | null>(null);
  const [downloading, setDownloading] = useState<number | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const accountInput = useRef<HTMLInputElement>(null);
  const conversationInput = useRef<HTMLInputElement>(null);
  const toInput = useRef<HTMLInputElement>(null);
  // Only the newest load's answer counts: an older one (another scope) is dropped.
  const latest = useRef(0);
  const asked = scope === "domain" && serverAdmin ? domain : undefined;
  const load = async (quiet = false) => {
    const mine = ++latest.current;
    if (!quiet) setLoading(true);
    try {
      const answer = await client.admin.adminExports(asked);
      if (mine !== latest.current) return;
      setList(answer);
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // The exports shown stay when a refresh fails; the error says they are not current. A
      // domain asked for by name that does not exist answers not_found, as does a server from
      // before exports.
      setError(isMagpieError(e) && e.code === "forbidden" ? t("admin.exportForbidden")
        : missingEndpoint(e) ? (asked === undefined ? t("admin.consoleUnsupported") : t("admin.accNoDomain"))
        : errorText(e, t));
    } finally {
      if (mine === latest.current) { setLoading(false); setLoads((n) => n + 1); }
    }
  };
  useEffect(() => { setList(null); setError(null); void load(); }, [client, domain, scope]);

  // While an export runs, the list is asked again every few seconds; a hidden page asks nothing,
  // and asks at once when shown again.
  const running = anyRunning(list);
  useEffect(() => {
    if (!running) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onVisibility = () => {
      if (document.visibilityState !== "hidden" && timer === undefined) void load(true);
    };
    if (document.visibilityState !== "hidden") timer = setTimeout(() => { timer = undefined; void load(true); }, EXPORT_REFRESH_MS);
    document.addEventListener("visibilitychange", onVisibility);
    return () => { clearTimeout(timer); document.removeEventListener("visibilitychange", onVisibility); };
  }, [running, loads]);

  const set = <K extends keyof ExportForm>(key: K, value: ExportForm[K]) => {
    setForm((shown) => ({ ...shown, [key]: value }));
    setFormError(null);
  };
  const focusField = (field: ExportFormError["field"]) =>
    (field === "account" ? accountInput : field === "conversation" ? conversationInput : field === "to" ? toInput : null)?.current?.focus();
  const start = async (e: Event) => {
    e.preventDefault();
    const made = exportRequestOf(form, { domain, serverAdmin });
    if ("problem" in made) {
      const failure = { field: made.problem.field, text: exportProblemText(made.problem, t) };
      setFormError(failure);
      focusField(failure.field);
      return;
    }
    setStarting(true);
    setFormError(null);
    try {
      const info = await client.admin.adminStartExport(made.request);
      setStarted(info.id);
      setForm({ ...NO_EXPORT_FORM, kind: form.kind });
      toast(t("admin.exportStarted", { id: info.id }), "info");
      // Shown at once, running; the list (and so its refreshes) follows it from here.
      setList((shown) => withExport(shown, info));
      void load(true);
    } catch (err) {
      const failure = exportStartError(err, made.request, t);
      setFormError(failure);
      focusField(failure.field);
    } finally {
      setStarting(false);
    }
  };
  const download = async (item: ExportInfo) => {
    setDownloading(item.id);
    setDownloadError(null);
    try {
      saveBlob(await client.admin.adminExportArchive(item.id), exportArchiveName(item.id));
      toast(t("admin.exportDownloaded", { id: item.id }), "info");
    } catch (e) {
      setDownloadError(isMagpieError(e) && e.code === "not_found" ? t("admin.exportGone", { id: item.id }) : errorText(e, t));
      void load(true);
    } finally {
      setDownloading(null);
    }
  };

  const invalid = (field: ExportFormError["field"]) => formError !== null && formError.field === field;
  const describedBy = (field: "account" | "conversation" | "to", hint: string) => (invalid(field) ? `${hint} adm-export-${field}-error` : hint);
  const fieldError = (field: "account" | "conversation" | "to") =>
    invalid(field) && <span id={`adm-export-${field}-error`} class="field-error" role="alert">{formError!.text}</span>;
  const showDomain = serverAdmin && scope === "all";
  return (
    <>
      <section class="card-section exports-section" aria-labelledby="adm-export-new">
        <h2 id="adm-export-new">{t("admin.exportNew")}</h2>
        <p class="muted small admin-intro">{t("admin.exportHint")}</p>
        <form class="stack" noValidate onSubmit={start}>
          <fieldset class="mode-options">
            <legend class="field-label">{t("admin.exportWhat")}</legend>
            {EXPORT_KINDS.map((k) => (
              <label key={k} class={`mode-option${form.kind === k ? " active" : ""}`}>
                <input type="radio" name="export-kind" value={k} checked={form.kind === k} onChange={() => set("kind", k)} />
                <span><strong>{t(`admin.exportKind.${k}`)}</strong><span class="muted small">{t(`admin.exportKindHint.${k}`)}</span></span>
              </label>
            ))}
          </fieldset>
          <div class="export-fields">
            {/* Two inputs, not one reused: Preact, taking the account's input for the
                conversation's, would leave it a maxLength of 0, which takes no typing. */}
            {form.kind === "account" ? (
              <div key="account" class="field export-target-field">
                <label for="adm-export-account">{t("admin.exportAccount")}</label>
                <input id="adm-export-account" ref={accountInput} class="input" value={form.account} maxLength={320} autoComplete="off" autoCapitalize="none"
                  spellcheck={false} placeholder={`name@${domain}`} aria-invalid={invalid("account")} aria-describedby={describedBy("account", "adm-export-account-hint")}
                  onInput={(e) => set("account", e.currentTarget.value)} />
                <span id="adm-export-account-hint" class="muted small">
                  {serverAdmin ? t("admin.exportAccountHintServer", { domain }) : t("admin.exportAccountHint", { domain })}</span>
                {fieldError("account")}
              </div>
            ) : (
              <div key="conversation" class="field export-target-field">
                <label for="adm-export-conversation">{t("admin.exportConversation")}</label>
                <input id="adm-export-conversation" ref={conversationInput} class="input" value={form.conversation} maxLength={20} inputMode="numeric" autoComplete="off"
                  spellcheck={false} aria-invalid={invalid("conversation")}
                  aria-describedby={describedBy("conversation", "adm-export-conversation-hint")} onInput={(e) => set("conversation", e.currentTarget.value)} />
                <span id="adm-export-conversation-hint" class="muted small">{t("admin.exportConversationHint")}</span>
                {fieldError("conversation")}
              </div>
            )}
            <div class="field">
              <label for="adm-export-from">{t("admin.exportFrom")}</label>
              <input id="adm-export-from" class="input" type="date" value={form.from} max={form.to || undefined} aria-describedby="adm-export-range-hint"
                onInput={(e) => set("from", e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="adm-export-to">{t("admin.exportTo")}</label>
              <input id="adm-export-to" ref={toInput} class="input" type="date" value={form.to} min={form.from || undefined} aria-invalid={invalid("to")}
                aria-describedby={describedBy("to", "adm-export-range-hint")} onInput={(e) => set("to", e.currentTarget.value)} />
              {fieldError("to")}
            </div>
          </div>
          <span id="adm-export-range-hint" class="muted small">{t("admin.exportRangeHint")}</span>
          {formError && formError.field === null && <p class="form-error" role="alert" data-testid="export-start-error">{formError.text}</p>}
          <div class="row-actions wrap">
            <button type="submit" class="btn btn-primary" disabled={starting}>
              <Icon name="archive" size={16} /> {starting ? t("admin.exportStarting") : t("admin.exportStart")}</button>
          </div>
        </form>
      </section>
      <section class="card-section exports-section" aria-labelledby="adm-exports" aria-busy={loading}>
        <div class="section-head">
          <h2 id="adm-exports">{t("admin.exportListTitle")}</h2>
          <span class="row-actions wrap">
            {serverAdmin && (
              <span class="inline-field">
                <label for="adm-export-scope" class="small">{t("admin.exportScope")}</label>
                <select id="adm-export-scope" class="select select-small" value={scope} onChange={(e) => setScope(e.currentTarget.value as "all" | "domain")}>
                  <option value="all">{t("admin.auditScopeAll")}</option>
                  <option value="domain">{t("admin.auditScopeDomain", { domain })}</option>
                </select>
              </span>
            )}
            <button type="button" class="btn btn-small" disabled={loading} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
          </span>
        </div>
        <p class="muted small admin-intro">{serverAdmin ? t("admin.exportListHintServer") : t("admin.exportListHint", { domain })}</p>
        {error && <p class="form-error" role="alert" data-testid="exports-error">{error}</p>}
        {downloadError && <p class="form-error" role="alert" data-testid="export-download-error">{downloadError}</p>}
        {!list && !error && <Spinner label={t("common.loading")} />}
        {list && list.length === 0 && <p class="muted" data-testid="exports-empty">{t("admin.exportNone")}</p>}
        {list && list.length > 0 && (
          <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.exportListTitle")}>
            <table class="report-table exports-table">
              <caption class="visually-hidden">{t("admin.exportListTitle")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.exportWhich")}</th>
                  {showDomain && <th scope="col">{t("admin.auditDomain")}</th>}
                  <th scope="col">{t("admin.exportRequestedBy")}</th><th scope="col">{t("admin.exportPeriod")}</th>
                  <th scope="col">{t("admin.exportState")}</th><th scope="col">{t("admin.exportProgress")}</th><th scope="col">{t("admin.exportSize")}</th>
                  <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {list.map((x) => (
                  <tr key={x.id} data-testid="export" data-id={x.id} data-state={x.state} class={x.id === started ? "backup-new" : undefined}>
                    <td class="export-which">
                      <span class="export-id">#{x.id}</span>{x.id === started && <span class="tag">{t("admin.exportJustStarted")}</span>}
                      <span class="export-target" data-testid="export-target">{x.target}</span>
                      <time class="muted small" dateTime={new Date(x.created_at_ms).toISOString()}>{formatFull(x.created_at_ms, locale)}</time>
                    </td>
                    {showDomain && <td>{x.domain}</td>}
                    <td class="export-by">{x.requested_by}</td>
                    <td>{exportPeriod(x, t, locale)}</td>
                    <td data-testid="export-state">
                      {x.state === "running" && <span class="export-running"><Spinner /> {t("admin.exportState.running")}</span>}
                      {x.state === "done" && <span class="backup-ok"><Icon name="check" size={14} /> {t("admin.exportState.done")}</span>}
                      {x.state === "failed" && <span class="tag backup-broken">{t("admin.exportState.failed")}</span>}
                      {x.state !== "running" && x.state !== "done" && x.state !== "failed" && <span class="tag">{x.state}</span>}
                      {x.error && <span class="export-error" data-testid="export-error">{x.error}</span>}
                    </td>
                    <td class="export-progress">
                      {x.state === "running" && x.conversations_total > 0 && (
                        <progress class="export-bar" max={1} value={exportFraction(x)} aria-label={t("admin.exportProgressOf", { id: x.id })} />
                      )}
                      <span data-testid="export-conversations">{t("admin.exportConversations", { done: formatCount(x.conversations_done, locale), total: formatCount(x.conversations_total, locale) })}</span>
                      <span data-testid="export-messages">{t("admin.exportMessages", { count: formatCount(x.messages, locale) })}</span>
                      <span data-testid="export-files">{t("admin.exportFiles", { count: formatCount(x.files, locale) })}</span>
                    </td>
                    <td class="numeric" data-testid="export-size">{x.state === "done" ? formatBytes(x.bytes) : <span class="muted">—</span>}</td>
                    <td class="export-actions">
                      {x.state === "done" && (
                        <>
                          <button type="button" class="btn btn-small" disabled={downloading !== null} aria-label={t("admin.exportDownloadNamed", { id: x.id })}
                            onClick={() => void download(x)}>
                            <Icon name="download" size={14} /> {downloading === x.id ? t("admin.exportDownloading") : t("admin.exportDownload")}</button>
                          {x.expires_at_ms !== undefined && (
                            <span class="muted small">{t("admin.exportExpires", { date: formatFull(x.expires_at_ms, locale) })}</span>
                          )}
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="audit-foot">
          <span class="muted small" role="status" data-testid="exports-count">
            {list && list.length > 0 && (list.length === 1 ? t("admin.exportCountOne") : t("admin.exportCount", { count: list.length }))}
            {running && ` · ${t("admin.exportFollowing")}`}
          </span>
        </div>
      </section>
    </>
  );
}

// ---- Groups ---------------------------------------------------------------------------------------

const GROUP_ROLE_LABEL: Record<Role, MessageKey> = { owner: "group.roleOwner", admin: "group.roleAdmin", member: "group.roleMember" };

/** A domain's groups and channels, newest first, searched by name, the dissolved ones shown on
 * demand, a page at a time; one picked shows its members, and can be handed to one of them or
 * dissolved (each confirmed first). Its administrators do this without being members; a server
 * administrator for the domain the page shows. */
export function GroupsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [dissolved, setDissolved] = useState(false);
  const [list, setList] = useState<AdminGroupInfo[] | null>(null);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"load" | "more" | null>("load");
  const [selectedId, setSelectedId] = useState<number | null>(null);
  // Only the newest load's answer counts: a slower older one (another search) is dropped.
  const latest = useRef(0);

  // The search asks once typing pauses; Enter asks at once.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), GROUP_SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q]);

  const load = async (before?: number) => {
    const mine = ++latest.current;
    setBusy(before === undefined ? "load" : "more");
    try {
      const page = await client.admin.adminGroups(domain, groupQueryOf(query, dissolved, before));
      if (mine !== latest.current) return;
      setList((shown) => (before === undefined ? page.groups : withPage(shown, page.groups)));
      setNext(page.next_before);
      setError(null);
    } catch (e) {
      if (mine !== latest.current) return;
      // The groups shown stay when a further page fails; a first page's failure leaves none,
      // rather than another search's groups under this one.
      if (before === undefined) { setList(null); setNext(undefined); }
      setError(isMagpieError(e) && e.code === "forbidden" ? t("admin.groupsForbidden")
        : missingEndpoint(e) ? t("admin.accNoDomain")
        : errorText(e, t));
    } finally {
      if (mine === latest.current) setBusy(null);
    }
  };
  useEffect(() => { void load(); }, [client, domain, query, dissolved]);

  const selected = list?.find((g) => g.id === selectedId) ?? null;
  const kindLabel = (g: AdminGroupInfo) => (g.kind === "channel" ? t("group.kindChannel") : g.kind === "group" ? t("group.kindGroup") : g.kind);
  // What the panel did to a group, shown in the list at once: the list is not asked again, which
  // would drop the further pages shown.
  const changed = (id: number, change: Partial<AdminGroupInfo> | null) => {
    setList((shown) => {
      if (!shown) return shown;
      if (change === null) return shown.filter((g) => g.id !== id);
      return shown.map((g) => (g.id === id ? { ...g, ...change } : g));
    });
  };
  return (
    <>
      <section class="card-section groups-section" aria-labelledby="adm-groups" aria-busy={busy !== null}>
        <div class="section-head">
          <h2 id="adm-groups">{t("admin.groupsTitle")}</h2>
          <button type="button" class="btn btn-small" disabled={busy !== null} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
        </div>
        <p class="muted small admin-intro">{t("admin.groupsHint", { domain })}</p>
        <div class="groups-filters">
          <form class="accounts-search" role="search" aria-label={t("admin.groupsSearch")} onSubmit={(e) => { e.preventDefault(); setQuery(q.trim()); }}>
            <label for="adm-groups-q" class="visually-hidden">{t("admin.groupsSearch")}</label>
            <span class="search-box accounts-search-box">
              <Icon name="search" size={16} />
              <input id="adm-groups-q" class="input" type="search" value={q} maxLength={64} autoComplete="off" spellcheck={false}
                placeholder={t("admin.groupsSearchPlaceholder")} onInput={(e) => setQ(e.currentTarget.value)} />
            </span>
          </form>
          <label class="check-row groups-dissolved">
            <input type="checkbox" id="adm-groups-dissolved" checked={dissolved} onChange={(e) => setDissolved(e.currentTarget.checked)} />
            <span>{t("admin.groupsShowDissolved")}</span>
          </label>
        </div>
        {error && <p class="form-error" role="alert" data-testid="groups-error">{error}</p>}
        {!list && !error && <Spinner label={t("common.loading")} />}
        {list && list.length === 0 && (
          <p class="muted" data-testid="groups-empty">{query ? t("admin.groupsNoMatch", { q: query }) : t("admin.groupsNone", { domain })}</p>
        )}
        {list && list.length > 0 && (
          <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.groupsTitle")}>
            <table class="report-table groups-table">
              <caption class="visually-hidden">{t("admin.groupsTitle")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.groupName")}</th><th scope="col">{t("admin.groupKind")}</th><th scope="col">{t("admin.groupOwner")}</th>
                  <th scope="col">{t("admin.groupMembers")}</th><th scope="col">{t("admin.groupLastActivity")}</th>
                  <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {list.map((g) => (
                  <tr key={g.id} data-testid="admin-group" data-id={g.id} data-dissolved={String(g.dissolved)}
                    class={[g.id === selectedId ? "selected-row" : "", g.dissolved ? "is-dissolved" : ""].filter(Boolean).join(" ") || undefined}>
                    <td class="group-name">
                      <span data-testid="admin-group-name">{g.name}</span>
                      {g.dissolved && <span class="tag group-dissolved" data-testid="admin-group-dissolved">{t("admin.groupDissolved")}</span>}
                    </td>
                    <td data-testid="admin-group-kind">{kindLabel(g)}</td>
                    <td class="group-owner" data-testid="admin-group-owner">{g.owner ?? <span class="muted">—</span>}</td>
                    <td class="numeric" data-testid="admin-group-members">{formatCount(g.member_count, locale)}</td>
                    <td><time dateTime={new Date(g.last_activity_ms).toISOString()}>{formatFull(g.last_activity_ms, locale)}</time></td>
                    <td class="group-actions">
                      <button type="button" class={`btn btn-small${g.id === selectedId ? " btn-primary" : ""}`} aria-expanded={g.id === selectedId}
                        aria-controls="adm-group-panel" aria-label={t("admin.groupViewNamed", { name: g.name })}
                        onClick={() => setSelectedId(g.id === selectedId ? null : g.id)}>
                        <Icon name="users" size={14} /> {t("admin.groupView")}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="audit-foot">
          <span class="muted small" role="status" data-testid="groups-count">
            {list && list.length > 0 && (list.length === 1 ? t("admin.groupShownOne") : t("admin.groupShown", { count: list.length }))}
          </span>
          {list && next !== undefined && (
            <button type="button" class="btn" disabled={busy !== null} onClick={() => void load(next)}>
              {busy === "more" ? t("common.loading") : t("admin.groupMore")}</button>
          )}
        </div>
      </section>
      <div id="adm-group-panel">
        {selected && (
          <GroupPanel key={selected.id} group={selected} onClose={() => setSelectedId(null)}
            onTransferred={(owner) => changed(selected.id, { owner })}
            onDissolved={() => { changed(selected.id, dissolved ? { dissolved: true, owner: undefined } : null); setSelectedId(null); }} />
        )}
      </div>
    </>
  );
}

/** One group's members, with its owner handed to one of them, or the group dissolved. */
function GroupPanel(props: { group: AdminGroupInfo; onClose: () => void; onTransferred: (owner: string) => void; onDissolved: () => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const g = props.group;
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [to, setTo] = useState("");
  const [confirming, setConfirming] = useState<Confirming>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const loadMembers = () => client.admin.adminGroupMembers(g.id).then(
    (list) => { setMembers(sortedMembers(list)); setError(null); },
    (e: unknown) => setError(isMagpieError(e) && e.code === "not_found" ? t("admin.groupGone", { name: g.name }) : errorText(e, t)),
  );
  useEffect(() => { void loadMembers(); }, [client, g.id]);
  useEffect(() => { heading.current?.focus(); }, []);

  const candidates = members ? transferCandidates(members) : [];
  const owner = members?.find((m) => m.role === "owner")?.account ?? g.owner;
  const transfer = (e: Event) => {
    e.preventDefault();
    const member = to;
    if (!member) return;
    setConfirming({
      title: t("admin.groupTransfer"),
      text: owner ? t("admin.groupConfirmTransfer", { member, name: g.name, owner }) : t("admin.groupConfirmTransferNoOwner", { member, name: g.name }),
      confirm: t("admin.groupTransfer"),
      run: async () => {
        setActionError(null);
        try {
          await client.admin.adminTransferGroup(g.id, member);
        } catch (err) {
          const refusal = groupRefusal(err, "transfer");
          setActionError(refusal === "already_owner" ? t("admin.groupAlreadyOwner", { member, name: g.name })
            : refusal === "not_member" ? t("admin.groupNotMember", { member, name: g.name })
            : refusal === "changed" ? t("admin.groupChanged", { name: g.name })
            : errorText(err, t));
          void loadMembers();
          return;
        }
        toast(t("admin.groupTransferred", { member, name: g.name }), "info");
        setTo("");
        props.onTransferred(member);
        await loadMembers();
      },
    });
  };
  const dissolve = () => setConfirming({
    title: t("admin.groupDissolveNamed", { name: g.name }),
    text: t("admin.groupConfirmDissolve", { name: g.name, count: members?.length ?? g.member_count }),
    confirm: t("admin.groupDissolve"), danger: true,
    run: async () => {
      setActionError(null);
      try {
        await client.admin.adminDissolveGroup(g.id);
      } catch (err) {
        setActionError(groupRefusal(err, "dissolve") === "gone" ? t("admin.groupGone", { name: g.name }) : errorText(err, t));
        return;
      }
      toast(t("admin.groupDissolvedDone", { name: g.name }), "info");
      props.onDissolved();
    },
  });
  const count = members?.length;
  return (
    <section class="card-section group-panel" aria-labelledby="adm-group-members" aria-busy={members === null && error === null} data-testid="group-panel" data-id={g.id}>
      <div class="section-head">
        <h2 id="adm-group-members" ref={heading} tabIndex={-1}>{t("admin.groupMembersTitle", { name: g.name })}</h2>
        <button type="button" class="btn btn-small" onClick={props.onClose}><Icon name="close" size={14} /> {t("admin.groupClose")}</button>
      </div>
      <p class="muted small admin-intro">
        {t("admin.groupMembersHint", { id: g.id, date: formatDate(g.created_at_ms, locale) })}
        {/* Apart by a space in English; Chinese puts none after 。. */}
        {count !== undefined && <>{locale === "zh" ? "" : " "}{count === 1 ? t("admin.groupMemberCountOne") : t("admin.groupMemberCount", { count })}</>}
      </p>
      {error && <p class="form-error" role="alert" data-testid="group-members-error">{error}</p>}
      {!members && !error && <Spinner label={t("common.loading")} />}
      {members && members.length === 0 && <p class="muted" data-testid="group-members-empty">{t("admin.groupMembersNone")}</p>}
      {members && members.length > 0 && (
        <ul class="account-list group-members" role="list" aria-label={t("admin.groupMembersTitle", { name: g.name })}>
          {members.map((m) => (
            <li key={m.account} class="account-row" data-testid="group-member" data-account={m.account} data-role={m.role}>
              <Avatar name={m.account} seed={m.account} size={32} />
              <span class="person-text">
                <span class="person-name">
                  <span data-testid="group-member-account">{m.account}</span>{" "}
                  <span class={`tag group-role group-role-${m.role}`} data-testid="group-member-role">{t(GROUP_ROLE_LABEL[m.role])}</span>
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {g.dissolved ? (
        <p class="notice" data-testid="group-is-dissolved">{t("admin.groupIsDissolved")}</p>
      ) : (
        <div class="group-manage">
          <form class="inline-form" noValidate onSubmit={transfer}>
            <div class="field grow">
              <label for="adm-group-owner">{t("admin.groupNewOwner")}</label>
              <select id="adm-group-owner" class="select" value={to} disabled={candidates.length === 0} aria-describedby="adm-group-owner-hint"
                onChange={(e) => { setTo(e.currentTarget.value); setActionError(null); }}>
                <option value="">{candidates.length === 0 ? t("admin.groupNoCandidates") : t("admin.groupPickMember")}</option>
                {candidates.map((m) => <option key={m.account} value={m.account}>{`${m.account} · ${t(GROUP_ROLE_LABEL[m.role])}`}</option>)}
              </select>
              <span id="adm-group-owner-hint" class="muted small">{t("admin.groupTransferHint")}</span>
            </div>
            <button type="submit" class="btn btn-primary" disabled={!to} aria-haspopup="dialog"><Icon name="crown" size={16} /> {t("admin.groupTransfer")}</button>
          </form>
          <div class="row-actions wrap">
            <button type="button" class="btn btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.groupDissolveNamed", { name: g.name })} onClick={dissolve}>
              <Icon name="trash" size={16} /> {t("admin.groupDissolve")}</button>
          </div>
        </div>
      )}
      {actionError && <p class="form-error" role="alert" data-testid="group-action-error">{actionError}</p>}
      <Confirm confirming={confirming} onClose={() => setConfirming(null)} />
    </section>
  );
}

// ---- Domains --------------------------------------------------------------------------------------

function domainError(e: unknown, t: Translate): string {
  if (isMagpieError(e)) {
    if (e.code === "already_exists") return t("admin.domainExists");
    if (e.code === "invalid_field") return t("admin.domainBadName");
    if (e.code === "forbidden") return t("admin.domainForbidden");
  }
  return errorText(e, t);
}

/** The server's domains with their settings, a new one made, and one picked for the rest of
 * the page (its registration, accounts, departments …). */
export function DomainsAdmin(props: { domain: string; onManage: (domain: string) => void; onChanged: (domains: DomainInfo[]) => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [list, setList] = useState<DomainInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const load = () => client.admin.domains().then((l) => { setList(l); setError(null); props.onChanged(l); }, (e: unknown) => setError(domainError(e, t)));
  useEffect(() => { void load(); }, [client]);
  const create = async (e: Event) => {
    e.preventDefault();
    const wanted = name.trim().toLowerCase();
    if (!wanted) { setFormError(t("admin.domainNameRequired")); input.current?.focus(); return; }
    setBusy(true);
    setFormError(null);
    try {
      const made = await client.admin.createDomain({ name: wanted });
      setName("");
      setCreated(made.name);
      toast(t("admin.domainCreated", { domain: made.name }), "info");
      await load();
    } catch (err) {
      setFormError(domainError(err, t));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };
  const yesNo = (v: boolean | undefined) => (v === undefined ? <span class="muted">—</span> : t(v ? "admin.auditYes" : "admin.auditNo"));
  return (
    <>
      <section class="card-section" aria-labelledby="adm-domains" aria-busy={list === null && error === null}>
        <h2 id="adm-domains">{t("admin.domainsTitle")}</h2>
        <p class="muted small admin-intro">{t("admin.domainsHint")}</p>
        {error && <p class="form-error" role="alert">{error}</p>}
        {!list && !error && <Spinner label={t("common.loading")} />}
        {list && (
          <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.domainsTitle")}>
            <table class="report-table domains-table">
              <caption class="visually-hidden">{t("admin.domainsTitle")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.domainName")}</th><th scope="col">{t("admin.registrationMode")}</th>
                  <th scope="col">{t("admin.emailVerification")}</th><th scope="col">{t("admin.membersInvite")}</th>
                  <th scope="col">{t("admin.domainDirectNeedsContacts")}</th><th scope="col">{t("admin.domainCreatedOn")}</th>
                  <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.name} data-testid="domain" data-domain={d.name} class={d.name === created ? "backup-new" : undefined}>
                    <td class="domain-name">{d.name}{d.name === props.domain && <span class="tag">{t("admin.domainShown")}</span>}</td>
                    <td>{t(`admin.mode.${d.registration}`)}</td>
                    <td>{yesNo(d.email_verification)}</td>
                    <td>{yesNo(d.members_invite)}</td>
                    <td>{yesNo(d.direct_requires_friendship)}</td>
                    <td><time dateTime={new Date(d.created_at_ms).toISOString()}>{formatDate(d.created_at_ms, locale)}</time></td>
                    <td>
                      <button type="button" class="btn btn-small" aria-label={t("admin.domainManageNamed", { domain: d.name })} onClick={() => props.onManage(d.name)}>
                        <Icon name="settings" size={14} /> {t("admin.domainManage")}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card-section" aria-labelledby="adm-domain-new">
        <h2 id="adm-domain-new">{t("admin.domainNew")}</h2>
        <form class="inline-form" noValidate onSubmit={create}>
          <div class="field grow">
            <label for="adm-domain-name">{t("admin.domainName")}</label>
            <input id="adm-domain-name" ref={input} class="input" value={name} maxLength={253} autoComplete="off" autoCapitalize="none" spellcheck={false}
              placeholder="example.com" aria-invalid={formError !== null}
              aria-describedby={formError ? "adm-domain-name-hint adm-domain-name-error" : "adm-domain-name-hint"}
              onInput={(e) => { setName(e.currentTarget.value); setFormError(null); }} />
            <span id="adm-domain-name-hint" class="muted small">{t("admin.domainNameHint")}</span>
            {formError && <span id="adm-domain-name-error" class="field-error" role="alert">{formError}</span>}
          </div>
          <button type="submit" class="btn btn-primary" disabled={busy}><Icon name="plus" size={16} /> {t("admin.domainCreate")}</button>
        </form>
        {created && (
          <p class="notice" role="status" data-testid="domain-created">{t("admin.domainCreatedNote", { domain: created })}{" "}
            <button type="button" class="btn-link" onClick={() => props.onManage(created)}>{t("admin.domainManageNamed", { domain: created })}</button></p>
        )}
      </section>
    </>
  );
}

// ---- Logs -----------------------------------------------------------------------------------------

/** Lines the logs tab keeps on screen; older ones scroll away. */
export const LOG_LINES_SHOWN_MAX = 1_000;
/** How long one ask for new lines waits at the server before it answers with none. */
const LOG_WAIT_SECS = 20;
const LOG_LEVELS = ["", "debug", "info", "warn", "error"] as const;

/** The server's recent log lines, filtered, following new ones live while shown and not paused
 * (server administrators). */
export function LogsAdmin(): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [level, setLevel] = useState<(typeof LOG_LEVELS)[number]>("");
  const [target, setTarget] = useState("");
  const [text, setText] = useState("");
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<LogLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filters = useMemo(() => ({
    ...(level ? { level } : {}), ...(target.trim() ? { target: target.trim() } : {}), ...(text.trim() ? { q: text.trim() } : {}),
  }), [level, target, text]);
  useEffect(() => {
    if (paused) return;
    let live = true;
    setLines(null);
    setError(null);
    const follow = async () => {
      let after = 0;
      let first = true;
      while (live) {
        if (document.visibilityState === "hidden" && !first) {
          // A hidden page asks nothing; it asks again when shown.
          await new Promise<void>((resolve) => {
            const shown = () => { if (document.visibilityState !== "hidden") { document.removeEventListener("visibilitychange", shown); resolve(); } };
            document.addEventListener("visibilitychange", shown);
          });
          continue;
        }
        try {
          const answer = await client.admin.logs({ ...filters, after, ...(first ? {} : { wait_secs: LOG_WAIT_SECS }) }, );
          if (!live) return;
          after = answer.last;
          first = false;
          setLines((shown) => [...(shown ?? []), ...answer.lines].slice(-LOG_LINES_SHOWN_MAX));
          setError(null);
        } catch (e) {
          if (!live) return;
          setError(isMagpieError(e) && e.code === "forbidden" ? t("admin.logsForbidden") : errorText(e, t));
          return;
        }
      }
    };
    void follow();
    return () => { live = false; };
  }, [client, filters, paused]);

  const newest = lines ? [...lines].reverse() : [];
  return (
    <section class="card-section logs-section" aria-labelledby="adm-logs">
      <div class="section-head">
        <h2 id="adm-logs">{t("admin.logsTitle")}</h2>
        <button type="button" class="btn btn-small" aria-pressed={paused} onClick={() => setPaused((p) => !p)} data-testid="logs-pause">
          <Icon name={paused ? "play" : "pause"} size={14} /> {paused ? t("admin.logsResume") : t("admin.logsPause")}
        </button>
      </div>
      <p class="muted small admin-intro">{t("admin.logsHint")}</p>
      <div class="audit-filters" role="search">
        <span class="inline-field">
          <label for="adm-logs-level" class="small">{t("admin.logsLevel")}</label>
          <select id="adm-logs-level" class="select select-small" value={level} onChange={(e) => setLevel(e.currentTarget.value as (typeof LOG_LEVELS)[number])}>
            {LOG_LEVELS.map((l) => <option key={l} value={l}>{l ? l.toUpperCase() : t("admin.logsAnyLevel")}</option>)}
          </select>
        </span>
        <span class="inline-field">
          <label for="adm-logs-target" class="small">{t("admin.logsTarget")}</label>
          <input id="adm-logs-target" class="input input-small" value={target} placeholder="magpie::security" onChange={(e) => setTarget(e.currentTarget.value)} />
        </span>
        <span class="inline-field">
          <label for="adm-logs-text" class="small">{t("admin.logsText")}</label>
          <input id="adm-logs-text" class="input input-small" type="search" value={text} onChange={(e) => setText(e.currentTarget.value)} />
        </span>
      </div>
      {error && <p class="form-error" role="alert" data-testid="logs-error">{error}</p>}
      {!lines && !error && !paused && <Spinner label={t("common.loading")} />}
      {lines && lines.length === 0 && <p class="muted" data-testid="logs-empty">{t("admin.logsNone")}</p>}
      {newest.length > 0 && (
        <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.logsTitle")}>
          <table class="report-table logs-table">
            <caption class="visually-hidden">{t("admin.logsTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.logsTime")}</th><th scope="col">{t("admin.logsLevel")}</th>
                <th scope="col">{t("admin.logsTarget")}</th><th scope="col">{t("admin.logsMessage")}</th>
              </tr>
            </thead>
            <tbody>
              {newest.map((line) => {
                const fields = Object.entries(line.fields ?? {});
                const at = Date.parse(line.at);
                return (
                  <tr key={line.id} data-testid="log-line" data-level={line.level} class={`log-${line.level.toLowerCase()}`}>
                    <td><time dateTime={line.at}>{Number.isNaN(at) ? line.at : formatClock(at, locale, true)}</time></td>
                    <td><span class={`tag log-level log-level-${line.level.toLowerCase()}`}>{line.level}</span></td>
                    <td class="log-target">{line.target}</td>
                    <td class="log-message">
                      {line.message}
                      {fields.length > 0 && (
                        <span class="log-fields muted small">
                          {fields.map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join("")}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="audit-foot">
        <span class="muted small" role="status" data-testid="logs-count">
          {lines && t("admin.logsCount", { count: lines.length })}{paused && ` · ${t("admin.logsPaused")}`}
        </span>
      </div>
    </section>
  );
}
