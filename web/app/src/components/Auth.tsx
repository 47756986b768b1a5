// Sign in and register.

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { type ChatClient, browserStorage, login, register } from "@magpie/sdk";
import { type Locale, type MessageKey, locales, setLocale } from "../i18n/index.ts";
import { useT } from "../i18n/hooks.ts";
import { errorText, isMagpieError } from "../state/client.ts";
import { Icon } from "./icons.tsx";

/** A device name for the sessions list, from the browser's user agent: "Chrome on macOS". */
export function deviceName(ua: string = navigator.userAgent): string {
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

const REASONS: Record<string, MessageKey> = {
  revoked: "auth.signedOutRevoked",
  password_changed: "auth.signedOutPassword",
  expired: "auth.signedOutExpired",
  account_disabled: "auth.accountDisabled",
};

export function LanguageSelect({ id }: { id?: string }): JSX.Element {
  const { t, locale } = useT();
  return (
    <select id={id} class="select" aria-label={t("settings.language")} value={locale}
      onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
      {locales.map((l) => <option value={l.id} key={l.id}>{l.label}</option>)}
    </select>
  );
}

export function AuthScreen(props: { reason?: string | undefined; onSignedIn: (c: ChatClient) => void }): JSX.Element {
  const { t } = useT();
  const [mode, setMode] = useState<"signin" | "register">("signin");
  const [account, setAccount] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reason = props.reason && !error ? t(REASONS[props.reason] ?? "auth.signedOutGeneric") : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    const addr = account.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(addr)) { setError(t("auth.invalidAccount")); return; }
    if (!password) { setError(t("auth.passwordRequired")); return; }
    setBusy(true);
    setError(null);
    try {
      const opts = { device: deviceName(), storage: browserStorage() };
      const client = mode === "signin"
        ? await login("", addr, password, opts)
        : await register("", addr, password, { ...opts, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
      props.onSignedIn(client);
    } catch (err) {
      setError(authError(err));
      setBusy(false);
    }
  };

  const authError = (err: unknown): string => {
    if (!isMagpieError(err)) return t("error.generic");
    switch (err.code) {
      case "invalid_credentials": return t("auth.invalidCredentials");
      case "registration_closed": return t("auth.registrationClosed");
      case "account_disabled": return t("auth.accountDisabled");
      case "already_exists": return t("auth.alreadyExists");
      case "rate_limited": return t("auth.rateLimited", { secs: err.retryAfterSecs ?? 30 });
      case "network": return t("auth.network");
      case "invalid_field":
        if (err.field === "password") return t("auth.badPassword");
        if (err.field === "display_name") return t("auth.badDisplayName");
        if (err.field === "account" || err.field === "name" || err.field === "domain") return t("auth.badAccount");
        return errorText(err, t);
      default: return errorText(err, t);
    }
  };

  const switchMode = () => { setMode(mode === "signin" ? "register" : "signin"); setError(null); };

  return (
    <div class="auth-page">
      <div class="auth-lang"><Icon name="globe" size={16} /><LanguageSelect /></div>
      <main class="auth-card">
        <div class="auth-brand">
          <div class="brand-mark" aria-hidden="true">鹊</div>
          <div>
            <h1>{mode === "signin" ? t("auth.signInTitle") : t("auth.registerTitle")}</h1>
            <p class="muted">{t("auth.tagline")}</p>
          </div>
        </div>
        {reason && <p class="notice" role="status">{reason}</p>}
        <form onSubmit={submit} noValidate aria-label={mode === "signin" ? t("auth.signIn") : t("auth.register")}>
          <div class="field">
            <label for="auth-account">{t("auth.account")}</label>
            <input id="auth-account" class="input" type="text" name="account" autoComplete="username" inputMode="email" autoCapitalize="none" spellcheck={false}
              placeholder="alice@example.com" value={account} onInput={(e) => setAccount(e.currentTarget.value)} required autoFocus />
          </div>
          {mode === "register" && (
            <div class="field">
              <label for="auth-display-name">{t("auth.displayName")}</label>
              <input id="auth-display-name" class="input" type="text" name="display_name" autoComplete="name" value={displayName}
                onInput={(e) => setDisplayName(e.currentTarget.value)} />
            </div>
          )}
          <div class="field">
            <label for="auth-password">{t("auth.password")}</label>
            <input id="auth-password" class="input" type="password" name="password" autoComplete={mode === "signin" ? "current-password" : "new-password"}
              value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
          </div>
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? (mode === "signin" ? t("auth.signingIn") : t("auth.registering")) : mode === "signin" ? t("auth.signIn") : t("auth.register")}
          </button>
        </form>
        <p class="auth-switch">
          {mode === "signin" ? t("auth.noAccount") : t("auth.haveAccount")}{" "}
          <button type="button" class="btn-link" onClick={switchMode}>{mode === "signin" ? t("auth.createAccount") : t("auth.backToSignIn")}</button>
        </p>
      </main>
    </div>
  );
}
