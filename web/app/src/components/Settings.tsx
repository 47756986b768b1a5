// Settings: profile, presence status, password, inviting colleagues (where the domain lets
// members invite), the member's own bots (where the domain lets members make them, or they made
// some; BotsAdmin.tsx), the apps they allowed to act for them (Workbench.tsx), sessions,
// language, desktop notifications, the account's notification preferences (NotifySettings.tsx),
// sign out.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { PresenceStatus, Session } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatFull } from "../lib/format.ts";
import { attempt, errorText, signingOut as signingOutClients, useClient, useClientVersion } from "../state/client.ts";
import { type Permission, notificationsWanted, permission, requestPermission, setNotificationsWanted } from "../state/notify.ts";
import { toast } from "../state/toast.ts";
import { type ThemeChoice, useThemeChoice } from "../state/theme.ts";
import { Icon } from "./icons.tsx";
import { Avatar, ConfirmDialog, Spinner } from "./ui.tsx";
import { LanguageSelect } from "./Auth.tsx";
import { AvatarPicker } from "./AvatarEditor.tsx";
import { MyBotsSection } from "./BotsAdmin.tsx";
import { InviteSection } from "./Invite.tsx";
import { ConnectedAppsSection } from "./Workbench.tsx";
import { NotificationsSection, PushDevicesSection } from "./NotifySettings.tsx";

export function SettingsPage({ onSignOut }: { onSignOut: () => void }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const me = client.me;
  return (
    <main class="page settings-page" aria-labelledby="settings-title">
      <header class="page-header"><h1 id="settings-title">{t("settings.title")}</h1></header>
      <div class="page-scroll">
        <div class="settings-columns">
          <section class="card-section profile-card" aria-labelledby="profile-title">
            <div class="profile-head">
              <Avatar name={me.display_name} seed={me.account} url={me.avatar} size={56} presence={client.presence(me.account)?.status} />
              <div>
                <h2 id="profile-title">{me.display_name}</h2>
                <p class="muted">{me.account}</p>
                <div class="avatar-actions">
                  <AvatarPicker label={t("avatar.change")} title={t("avatar.cropTitle")}
                    onSave={async (file) => { await client.updateMe({ avatar: file }); toast(t("avatar.updated"), "info"); }} />
                  {me.avatar && <button type="button" class="btn btn-small btn-ghost" onClick={() =>
                    void attempt(() => client.updateMe({ avatar: "" }), t, (m) => toast(m)).then((ok) => ok && toast(t("avatar.removed"), "info"))}>
                    {t("avatar.remove")}</button>}
                </div>
              </div>
            </div>
            <ProfileForm />
          </section>
          <StatusForm />
          <PreferencesSection onSignOut={onSignOut} />
          <NotificationsSection />
          <PushDevicesSection />
          <PasswordForm />
        </div>
        <div class="settings-wide"><InviteSection /><MyBotsSection /><ConnectedAppsSection /><SessionsSection /></div>
      </div>
    </main>
  );
}

function ProfileForm(): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [name, setName] = useState(client.me.display_name);
  const [signature, setSignature] = useState(client.me.signature ?? "");
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const ok = await attempt(() => client.updateMe({ display_name: name.trim(), signature: signature.trim() }), t, (m) => toast(m));
    setBusy(false);
    if (ok) toast(t("common.saved"), "info");
  };
  return (
    <form class="stack" onSubmit={save}>
      <div class="field">
        <label for="profile-name">{t("settings.displayName")}</label>
        <input id="profile-name" class="input" value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="profile-signature">{t("settings.signature")}</label>
        <input id="profile-signature" class="input" value={signature} maxLength={256} placeholder={t("settings.signaturePlaceholder")}
          onInput={(e) => setSignature(e.currentTarget.value)} />
      </div>
      <div><button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>{t("settings.saveProfile")}</button></div>
    </form>
  );
}

function StatusForm(): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const current = client.presence(client.me.account);
  const [status, setStatus] = useState<Exclude<PresenceStatus, "offline">>(current && current.status !== "offline" ? current.status : "online");
  const [text, setText] = useState(current?.text ?? "");
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const ok = await attempt(() => client.setPresence(status, text.trim()), t, (m) => toast(m));
    setBusy(false);
    if (ok) toast(t("settings.statusSaved"), "info");
  };
  const options: Exclude<PresenceStatus, "offline">[] = ["online", "away", "busy"];
  return (
    <section class="card-section" aria-labelledby="status-title">
      <h2 id="status-title">{t("settings.status")}</h2>
      <form class="stack" onSubmit={save}>
        <fieldset class="status-options">
          <legend class="visually-hidden">{t("settings.status")}</legend>
          {options.map((s) => (
            <label key={s} class={`status-option${status === s ? " active" : ""}`}>
              <input type="radio" name="presence" value={s} checked={status === s} onChange={() => setStatus(s)} />
              <span class={`presence-inline presence-${s}`} aria-hidden="true" />
              <span>{t(`presence.${s}`)}</span>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="status-text">{t("settings.statusText")}</label>
          <input id="status-text" class="input" value={text} maxLength={128} placeholder={t("settings.statusPlaceholder")} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <div><button type="submit" class="btn btn-primary" disabled={busy}>{t("settings.setStatus")}</button></div>
      </form>
    </section>
  );
}

function PreferencesSection({ onSignOut }: { onSignOut: () => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [wanted, setWanted] = useState(notificationsWanted());
  const [perm, setPerm] = useState<Permission>(permission());
  const [signingOut, setSigningOut] = useState(false);
  const [theme, setTheme] = useThemeChoice();
  const on = wanted && perm === "granted";
  const toggle = async (next: boolean) => {
    setNotificationsWanted(next);
    setWanted(next);
    if (next && perm !== "granted") setPerm(await requestPermission());
  };
  const signOut = async () => {
    setSigningOut(true);
    signingOutClients.add(client);
    try { await client.logout(); } catch { /* the token is dropped locally either way */ }
    client.close();
    onSignOut();
  };
  return (
    <section class="card-section" aria-labelledby="prefs-title">
      <h2 id="prefs-title">{t("settings.preferences")}</h2>
      <div class="stack">
        <div class="field">
          <label for="language-select">{t("settings.language")}</label>
          <LanguageSelect id="language-select" />
        </div>
        <div class="field">
          <label for="theme-select">{t("settings.theme")}</label>
          <select id="theme-select" class="select" value={theme} onChange={(e) => setTheme(e.currentTarget.value as ThemeChoice)}>
            <option value="system">{t("settings.themeSystem")}</option>
            <option value="light">{t("settings.themeLight")}</option>
            <option value="dark">{t("settings.themeDark")}</option>
          </select>
        </div>
        <label class="switch-row">
          <span><strong>{t("settings.notifications")}</strong><span class="muted small">{t("settings.notificationsHint")}</span></span>
          <input type="checkbox" role="switch" checked={on} disabled={perm === "unsupported" || perm === "denied"}
            onChange={(e) => void toggle(e.currentTarget.checked)} />
        </label>
        {perm === "denied" && <p class="muted small">{t("settings.notificationsDenied")}</p>}
        {perm === "unsupported" && <p class="muted small">{t("settings.notificationsUnsupported")}</p>}
        <p class="muted small">{t("settings.shortcuts")}</p>
        <div><button type="button" class="btn btn-danger" onClick={() => void signOut()} disabled={signingOut}><Icon name="logOut" size={16} /> {t("settings.signOut")}</button></div>
      </div>
    </section>
  );
}

function PasswordForm(): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== confirm) { setError(t("settings.passwordMismatch")); return; }
    setBusy(true);
    setError(null);
    try {
      await client.changePassword(current, next);
      setCurrent(""); setNext(""); setConfirm("");
      toast(t("settings.passwordChanged"), "info");
    } catch (err) {
      const code = (err as { code?: string }).code;
      setError(code === "invalid_credentials" ? t("settings.wrongPassword") : code === "invalid_field" ? t("auth.badPassword") : errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card-section" aria-labelledby="password-title">
      <h2 id="password-title">{t("settings.changePassword")}</h2>
      <form class="stack" onSubmit={submit}>
        <div class="field">
          <label for="pw-current">{t("settings.currentPassword")}</label>
          <input id="pw-current" class="input" type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="pw-new">{t("settings.newPassword")}</label>
          <input id="pw-new" class="input" type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="pw-confirm">{t("settings.confirmPassword")}</label>
          <input id="pw-confirm" class="input" type="password" autoComplete="new-password" value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div><button type="submit" class="btn btn-primary" disabled={busy || !current || !next}>{t("settings.changePassword")}</button></div>
      </form>
    </section>
  );
}

function SessionsSection(): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [revoking, setRevoking] = useState<Session | null>(null);
  const load = () => { client.sessions().then((s) => setSessions([...s].sort((a, b) => Number(b.current) - Number(a.current) || b.last_seen_at_ms - a.last_seen_at_ms)), (e: unknown) => toast(errorText(e, t))); };
  useEffect(load, []);
  return (
    <section class="card-section wide" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t("settings.sessions")}</h2>
      {!sessions && <Spinner label={t("common.loading")} />}
      <ul class="session-list" role="list" aria-label={t("settings.sessions")}>
        {sessions?.map((s) => (
          <li key={s.id} class={`session-row${s.current ? " current" : ""}`}>
            <span class="session-icon" aria-hidden="true"><Icon name="monitor" size={20} /></span>
            <span class="person-text">
              <span class="person-name">{s.device || t("settings.unknownDevice")}{s.current && <span class="tag">{t("settings.thisSession")}</span>}</span>
              <span class="person-addr">{[s.ip, t("settings.lastActive", { time: formatFull(s.last_seen_at_ms, locale) })].filter(Boolean).join(" · ")}</span>
            </span>
            {!s.current && <button type="button" class="btn btn-small" aria-label={t("settings.revokeNamed", { name: s.device || t("settings.unknownDevice") })}
              onClick={() => setRevoking(s)}>{t("settings.revoke")}</button>}
          </li>
        ))}
      </ul>
      {revoking && <ConfirmDialog title={t("settings.revoke")} text={t("confirm.revoke", { name: revoking.device || t("settings.unknownDevice") })}
        confirm={t("settings.revoke")} danger onClose={() => setRevoking(null)}
        onConfirm={async () => { await attempt(() => client.revokeSession(revoking.id), t, (m) => toast(m)); load(); }} />}
    </section>
  );
}
