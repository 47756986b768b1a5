// Administration → Apps: the apps of the domain's workbench, in the order its members see them
// (moved up and down), each an H5 page and an OAuth 2.0 client: its name, page, icon and
// description, the redirect URIs and scopes of its client, and who sees it (everyone, or the
// people of some departments and of those below them). A new app shows its client ID and secret
// once, to copy; an app is edited, given a new secret (confirmed, shown once) and deleted
// (confirmed: every token it was given stops working).

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { App, Department } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import {
  APP_DESCRIPTION_CHARS_MAX, APP_NAME_CHARS_MAX, APP_REDIRECT_URIS_MAX, APP_SCOPES, appChangeOf, appProblem, appRefusal, appRequestOf, formOf, movedOrder,
  NEW_APP_FORM, scopeName, scopeText, type AppField, type AppForm, type AppProblem,
} from "../lib/apps.ts";
import { buildTree, flatten } from "../lib/org.ts";
import { errorText, isMagpieError, useClient } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { toast } from "../state/toast.ts";
import { Confirm, type Confirming } from "./AdminConfirm.tsx";
import { Icon } from "./icons.tsx";
import { CopyField, Dialog, Spinner } from "./ui.tsx";
import { AppIcon } from "./Workbench.tsx";

/** What the form's problem says. */
function problemText(p: AppProblem, t: Translate): string {
  switch (p.kind) {
    case "refused": return p.message ? t("admin.appRefused", { why: p.message }) : t("error.invalidField");
    case "required": return p.field === "name" ? t("admin.appNameRequired") : t("admin.appUrlRequired");
    case "too_long":
      return "max" in p ? t("admin.appTooLong", { max: p.max }) : t("admin.appUrlTooLong");
    case "bad":
      if (p.field === "redirect_uris") return t("admin.appRedirectBad", { line: p.line });
      return p.field === "icon" ? t("admin.appIconBad") : t("admin.appUrlBad");
    case "too_many": return t("admin.appRedirectsTooMany", { max: p.max });
    case "none": return t("admin.appDepartmentsNone");
  }
}

/** A secret to show once: a new app's, or a rotated one. */
type Issued = { app: App; secret: string; rotated: boolean };

export function AppsAdmin({ domain }: { domain: string }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [apps, setApps] = useState<App[] | null>(null);
  const [departments, setDepartments] = useState<Department[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  const [moving, setMoving] = useState(false);
  // A secret made by a confirmed action shows once the confirmation has closed (see BotsAdmin).
  const queued = useRef<Issued | null>(null);
  const latest = useRef(0);

  const load = async () => {
    const ask = ++latest.current;
    setLoading(true);
    try {
      const list = await client.admin.apps(domain);
      if (ask !== latest.current) return;
      setApps(list);
      setError(null);
    } catch (e) {
      if (ask === latest.current) setError(missingEndpoint(e) ? t("admin.appsUnsupported") : errorText(e, t));
    } finally {
      if (ask === latest.current) setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [client, domain]);
  useEffect(() => {
    let live = true;
    client.admin.departmentTree(domain).then((list) => { if (live) setDepartments(list); }, () => { /* "everyone" stays the only choice */ });
    return () => { live = false; };
  }, [client, domain]);

  const tree = buildTree(departments);
  const departmentName = (id: number) => tree.byId.get(id)?.name ?? t("admin.appDepartmentGone", { id });
  const whoText = (app: App) => (app.departments === undefined ? t("admin.appEveryone") : app.departments.map(departmentName).join(t("admin.appListSeparator")));
  const replace = (app: App) => setApps((shown) => shown?.map((a) => (a.id === app.id ? app : a)) ?? shown);

  const move = async (index: number, by: -1 | 1) => {
    if (!apps) return;
    const ids = movedOrder(apps, index, by);
    if (!ids) return;
    setMoving(true);
    try {
      setApps(await client.admin.orderApps(domain, ids));
      const app = apps[index]!;
      // Where the moved app's button went: the focus follows it.
      requestAnimationFrame(() => document.getElementById(`adm-app-${app.id}-${by < 0 ? "up" : "down"}`)?.focus());
    } catch (e) {
      toast(errorText(e, t));
      await load();
    } finally {
      setMoving(false);
    }
  };
  const rotate = (app: App) => setConfirming({
    title: t("admin.appRotateTitle"), text: t("admin.appConfirmRotate", { name: app.name }), confirm: t("admin.appRotate"), danger: true,
    run: async () => {
      const { client_secret } = await client.admin.rotateAppSecret(app.id);
      queued.current = { app, secret: client_secret, rotated: true };
    },
  });
  const remove = (app: App) => setConfirming({
    title: t("admin.appDeleteTitle"), text: t("admin.appConfirmDelete", { name: app.name }), confirm: t("admin.appDelete"), danger: true,
    run: async () => {
      await client.admin.deleteApp(app.id);
      toast(t("admin.appDeleted", { name: app.name }), "info");
      if (editing === app.id) setEditing(null);
      await load();
    },
  });

  const current = apps?.find((a) => a.id === editing);
  return (
    <>
      <section class="card-section apps-admin" aria-labelledby="adm-apps-title" aria-busy={loading} data-testid="apps-admin">
        <div class="section-head">
          <h2 id="adm-apps-title">{t("admin.appsTitle")}</h2>
          <span class="row-actions wrap">
            <button type="button" class={`btn btn-small${creating ? " btn-primary" : ""}`} aria-expanded={creating} aria-controls="adm-app-new-panel"
              onClick={() => { setCreating(!creating); setEditing(null); }}><Icon name="plus" size={14} /> {t("admin.appNew")}</button>
            <button type="button" class="btn btn-small" disabled={loading} onClick={() => void load()}><Icon name="refresh" size={14} /> {t("admin.refresh")}</button>
          </span>
        </div>
        <p class="muted small admin-intro">{t("admin.appsHint", { domain })}</p>
        <div id="adm-app-new-panel">
          {creating && (
            <AppFormView idp="adm-app-new" domain={domain} departments={departments} onClose={() => setCreating(false)}
              onCreated={(app, secret) => { setCreating(false); setIssued({ app, secret, rotated: false }); void load(); }} />
          )}
        </div>
        {error && <p class="form-error" role="alert" data-testid="apps-error">{error}</p>}
        {!apps && !error && <Spinner label={t("common.loading")} />}
        {apps && apps.length === 0 && <p class="muted" data-testid="apps-none">{t("admin.appsNone", { domain })}</p>}
        {apps && apps.length > 0 && (
          <div class="table-scroll" role="region" tabIndex={0} aria-label={t("admin.appsTitle")}>
            <table class="report-table apps-table">
              <caption class="visually-hidden">{t("admin.appsTitle")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.appColApp")}</th><th scope="col">{t("admin.appColWho")}</th>
                  <th scope="col">{t("admin.appColClient")}</th>
                  <th scope="col"><span class="visually-hidden">{t("admin.connActions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {apps.map((a, i) => (
                  <tr key={a.id} data-testid="app-row" data-app={a.id} class={a.id === editing ? "is-selected" : undefined}>
                    <td class="app-cell">
                      <span class="bot-name-cell">
                        <AppIcon app={a} size={28} />
                        <span class="person-text">
                          <span class="person-name" data-testid="app-name">{a.name}</span>
                          <span class="person-addr app-url" data-testid="app-url">{a.url}</span>
                          {a.description && <span class="person-addr">{a.description}</span>}
                        </span>
                      </span>
                    </td>
                    <td data-testid="app-who">{whoText(a)}</td>
                    <td>
                      <code class="app-client-id" data-testid="app-client-id">{a.client_id}</code>
                    </td>
                    <td class="bot-actions">
                      <span class="row-actions wrap">
                        <button type="button" id={`adm-app-${a.id}-up`} class="btn btn-small btn-icon-text" disabled={moving || i === 0}
                          aria-label={t("admin.appMoveUp", { name: a.name })} onClick={() => void move(i, -1)}><Icon name="arrowUp" size={14} /></button>
                        <button type="button" id={`adm-app-${a.id}-down`} class="btn btn-small btn-icon-text" disabled={moving || i === apps.length - 1}
                          aria-label={t("admin.appMoveDown", { name: a.name })} onClick={() => void move(i, 1)}><Icon name="arrowDown" size={14} /></button>
                        <button type="button" class={`btn btn-small${a.id === editing ? " btn-primary" : ""}`} aria-expanded={a.id === editing} aria-controls="adm-app-edit-panel"
                          aria-label={t("admin.appEditNamed", { name: a.name })} onClick={() => { setEditing(a.id === editing ? null : a.id); setCreating(false); }}>
                          <Icon name="edit" size={14} /> {t("admin.appEdit")}</button>
                        <button type="button" class="btn btn-small" aria-haspopup="dialog" aria-label={t("admin.appRotateNamed", { name: a.name })}
                          onClick={() => rotate(a)}><Icon name="key" size={14} /> {t("admin.appRotate")}</button>
                        <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("admin.appDeleteNamed", { name: a.name })}
                          onClick={() => remove(a)}><Icon name="trash" size={14} /> {t("admin.appDelete")}</button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <div id="adm-app-edit-panel">
        {current && (
          <section class="card-section" aria-labelledby="adm-app-edit-title" data-testid="app-edit">
            <div class="section-head">
              <h2 id="adm-app-edit-title">{t("admin.appEditTitle", { name: current.name })}</h2>
              <button type="button" class="btn btn-small btn-ghost" onClick={() => setEditing(null)}>{t("common.close")}</button>
            </div>
            <AppFormView key={current.id} idp="adm-app-edit" domain={domain} departments={departments} app={current} onClose={() => setEditing(null)}
              onSaved={(app) => { replace(app); toast(t("admin.appSaved", { name: app.name }), "info"); }} />
          </section>
        )}
      </div>
      <Confirm confirming={confirming} onClose={() => {
        setConfirming(null);
        const next = queued.current;
        queued.current = null;
        if (next) setIssued(next);
      }} />
      {issued && <AppSecretDialog issued={issued} onClose={() => setIssued(null)} />}
    </>
  );
}

/** The form of a new app, or of one that is kept (`app`). */
function AppFormView(props: {
  idp: string; domain: string; departments: Department[]; app?: App; onClose: () => void;
  onCreated?: (app: App, secret: string) => void; onSaved?: (app: App) => void;
}): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { idp, app } = props;
  const [form, setForm] = useState<AppForm>(() => (app ? formOf(app) : NEW_APP_FORM));
  const [problem, setProblem] = useState<AppProblem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => { if (!app) first.current?.focus(); }, []);
  const edit = (change: Partial<AppForm>) => { setForm((f) => ({ ...f, ...change })); setProblem(null); setError(null); };
  const fail = (p: AppProblem) => {
    setProblem(p);
    document.getElementById(`${idp}-${p.field}`)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (app) {
      const made = appChangeOf(app, form);
      if ("problem" in made) { fail(made.problem); return; }
      if (Object.keys(made.change).length === 0) { toast(t("admin.appNothingChanged"), "info"); return; }
      setBusy(true);
      try {
        props.onSaved?.(await client.admin.updateApp(app.id, made.change));
      } catch (err) {
        const refused = appRefusal(err);
        if (refused) fail(refused);
        else setError(isMagpieError(err) && err.code === "not_found" ? t("admin.appGone") : errorText(err, t));
      } finally {
        setBusy(false);
      }
      return;
    }
    const made = appRequestOf(form);
    if ("problem" in made) { fail(made.problem); return; }
    setBusy(true);
    try {
      const created = await client.admin.createApp(props.domain, made.request);
      toast(t("admin.appCreated", { name: created.app.name }), "info");
      props.onCreated?.(created.app, created.client_secret);
    } catch (err) {
      const refused = appRefusal(err);
      if (refused) fail(refused);
      else setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: AppField) => problem?.field === field;
  const describedBy = (field: AppField, hint?: string) => [hint, invalid(field) ? `${idp}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const errorOf = (field: AppField) => invalid(field) && <span id={`${idp}-${field}-error`} class="field-error" role="alert">{problemText(problem!, t)}</span>;
  const toggleScope = (scope: (typeof APP_SCOPES)[number], on: boolean) =>
    edit({ scopes: on ? APP_SCOPES.filter((s) => s === scope || form.scopes.includes(s)) : form.scopes.filter((s) => s !== scope) });
  const toggleDepartment = (id: number, on: boolean) => edit({ departments: on ? [...form.departments, id] : form.departments.filter((d) => d !== id) });
  const departments = flatten(buildTree(props.departments));
  return (
    <form class={`stack${app ? "" : " admin-subform"} app-form`} noValidate onSubmit={submit} aria-labelledby={app ? undefined : `${idp}-title`}
      aria-label={app ? t("admin.appEditTitle", { name: app.name }) : undefined}>
      {!app && <h3 id={`${idp}-title`} class="subhead">{t("admin.appNewTitle")}</h3>}
      <div class="form-grid">
        <div class="field">
          <label for={`${idp}-name`}>{t("admin.appName")}</label>
          <input id={`${idp}-name`} ref={first} class="input" value={form.name} maxLength={APP_NAME_CHARS_MAX} autoComplete="off"
            aria-invalid={invalid("name")} aria-describedby={describedBy("name")} onInput={(e) => edit({ name: e.currentTarget.value })} />
          {errorOf("name")}
        </div>
        <div class="field">
          <label for={`${idp}-url`}>{t("admin.appUrl")}</label>
          <input id={`${idp}-url`} class="input" type="url" value={form.url} autoComplete="off" spellcheck={false} placeholder="https://"
            aria-invalid={invalid("url")} aria-describedby={describedBy("url", `${idp}-url-hint`)} onInput={(e) => edit({ url: e.currentTarget.value })} />
          <span id={`${idp}-url-hint`} class="muted small">{t("admin.appUrlHint")}</span>
          {errorOf("url")}
        </div>
        <div class="field">
          <label for={`${idp}-icon`}>{t("admin.appIcon")}</label>
          <input id={`${idp}-icon`} class="input" type="url" value={form.icon} autoComplete="off" spellcheck={false} placeholder="https://"
            aria-invalid={invalid("icon")} aria-describedby={describedBy("icon", `${idp}-icon-hint`)} onInput={(e) => edit({ icon: e.currentTarget.value })} />
          <span id={`${idp}-icon-hint`} class="muted small">{t("admin.appIconHint")}</span>
          {errorOf("icon")}
        </div>
        <div class="field">
          <label for={`${idp}-description`}>{t("admin.appDescription")}</label>
          <input id={`${idp}-description`} class="input" value={form.description} autoComplete="off"
            aria-invalid={invalid("description")} aria-describedby={describedBy("description", `${idp}-description-hint`)}
            onInput={(e) => edit({ description: e.currentTarget.value })} />
          <span id={`${idp}-description-hint`} class="muted small">{t("admin.appDescriptionHint", { max: APP_DESCRIPTION_CHARS_MAX })}</span>
          {errorOf("description")}
        </div>
      </div>
      <div class="field">
        <label for={`${idp}-redirect_uris`}>{t("admin.appRedirects")}</label>
        <textarea id={`${idp}-redirect_uris`} class="input app-redirects" rows={3} value={form.redirects} spellcheck={false} autoComplete="off"
          aria-invalid={invalid("redirect_uris")} aria-describedby={describedBy("redirect_uris", `${idp}-redirect_uris-hint`)}
          onInput={(e) => edit({ redirects: e.currentTarget.value })} />
        <span id={`${idp}-redirect_uris-hint`} class="muted small">{t("admin.appRedirectsHint", { max: APP_REDIRECT_URIS_MAX })}</span>
        {errorOf("redirect_uris")}
      </div>
      <fieldset class="bot-powers app-scopes" aria-describedby={describedBy("scopes")}>
        <legend class="field-label">{t("admin.appScopes")}</legend>
        {APP_SCOPES.map((s, i) => (
          <label class="check-row" key={s}>
            <input id={i === 0 ? `${idp}-scopes` : undefined} type="checkbox" checked={form.scopes.includes(s)} onChange={(e) => toggleScope(s, e.currentTarget.checked)} />
            <span><strong>{t(scopeName(s)!)}</strong> <span class="muted small">{t(scopeText(s)!)}</span></span>
          </label>
        ))}
        {errorOf("scopes")}
      </fieldset>
      <fieldset class="mode-options app-who">
        <legend class="field-label">{t("admin.appWho")}</legend>
        <label class={`mode-option${form.everyone ? " active" : ""}`}>
          <input type="radio" name={`${idp}-who`} checked={form.everyone} onChange={() => edit({ everyone: true })} />
          <span><strong>{t("admin.appEveryone")}</strong><span class="muted small">{t("admin.appEveryoneHint", { domain: props.domain })}</span></span>
        </label>
        <label class={`mode-option${form.everyone ? "" : " active"}`}>
          <input type="radio" name={`${idp}-who`} checked={!form.everyone} onChange={() => edit({ everyone: false })} />
          <span><strong>{t("admin.appSomeDepartments")}</strong><span class="muted small">{t("admin.appSomeDepartmentsHint")}</span></span>
        </label>
      </fieldset>
      {!form.everyone && (
        <fieldset class="bot-groups app-departments" aria-describedby={describedBy("departments")}>
          <legend class="field-label">{t("admin.appDepartments")}</legend>
          {departments.length === 0 && <p class="muted small">{t("admin.appNoDepartments")}</p>}
          {departments.length > 0 && (
            <ul class="bot-group-list" role="list">
              {departments.map(({ department: d, depth }, i) => (
                <li key={d.id} style={{ paddingLeft: `${depth * 18}px` }}>
                  <label class="check-row">
                    <input id={i === 0 ? `${idp}-departments` : undefined} type="checkbox" checked={form.departments.includes(d.id)}
                      onChange={(e) => toggleDepartment(d.id, e.currentTarget.checked)} />
                    {" "}{d.name}
                  </label>
                </li>
              ))}
            </ul>
          )}
          {errorOf("departments")}
        </fieldset>
      )}
      {error && <p class="form-error" role="alert" data-testid="app-form-error">{error}</p>}
      <div class="row-actions wrap">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {app ? t("admin.appSave") : <><Icon name="plus" size={16} /> {t("admin.appCreate")}</>}
        </button>
        <button type="button" class="btn" onClick={props.onClose}>{t("common.close")}</button>
      </div>
    </form>
  );
}

/** A new app's client ID and secret, or a rotated secret: shown this once, to copy. */
function AppSecretDialog({ issued, onClose }: { issued: Issued; onClose: () => void }): JSX.Element {
  const { t } = useT();
  const { app, secret } = issued;
  return (
    <Dialog title={issued.rotated ? t("admin.appRotatedTitle", { name: app.name }) : t("admin.appMadeTitle", { name: app.name })}
      onClose={onClose} size="md" role="alertdialog" class="bot-secret-dialog"
      footer={<button type="button" class="btn btn-primary" onClick={onClose}>{t("admin.done")}</button>}>
      <div class="stack" data-testid="app-secret-dialog">
        <CopyField id="app-client-id" label={t("admin.appClientId")} value={app.client_id} copyLabel={t("admin.appCopyClientId")} testid="app-client-id-value" />
        <p class="notice notice-warn" role="note">{t("admin.appSecretOnce", { name: app.name })}</p>
        <CopyField id="app-secret" label={t("admin.appSecret")} value={secret} copyLabel={t("admin.appCopySecret")} testid="app-secret-value" />
      </div>
    </Dialog>
  );
}
