// Sign in, register (in every registration mode: open, by invitation, with email verification,
// by approval), accept an invitation link, wait for approval, and reset a forgotten password.
// The register form asks the server what the account's domain needs (`GET /v1/auth/domains/
// {domain}`); a server that cannot say gets a form that offers everything optionally.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  type ChatClient, type SignupInfo, browserStorage, domainRegistration, isMissingEndpoint, login, requestEmailCode,
  requestPasswordReset, resetPassword, signUp,
} from "@magpie/sdk";
import { type Locale, type MessageKey, type Translate, locales, setLocale } from "../i18n/index.ts";
import { useT } from "../i18n/hooks.ts";
import { emailAllowed } from "../lib/org.ts";
import { errorText, isMagpieError, useNow } from "../state/client.ts";
import type { InviteLink } from "../state/router.ts";
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

const ADDRESS = /^[^@\s]+@[^@\s]+$/;

export function LanguageSelect({ id }: { id?: string }): JSX.Element {
  const { t, locale } = useT();
  return (
    <select id={id} class="select" aria-label={t("settings.language")} value={locale}
      onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
      {locales.map((l) => <option value={l.id} key={l.id}>{l.label}</option>)}
    </select>
  );
}

type View =
  | { kind: "signin"; notice?: MessageKey }
  | { kind: "register" }
  | { kind: "forgot" }
  | { kind: "pending"; account: string }
  | { kind: "rejected"; account: string };

/** What the server said of a domain's registration: `undefined` while asking (or before an
 * address is typed), `null` when the server cannot say. */
type Registration = SignupInfo | null | undefined;

/** Asks what registering in `domain` takes, once per domain and a moment after typing stops. */
function useRegistration(domain: string | undefined): Registration {
  const [known, setKnown] = useState<Record<string, SignupInfo | null>>({});
  useEffect(() => {
    if (!domain || domain in known) return;
    let live = true;
    const timer = setTimeout(() => {
      domainRegistration("", domain).then(
        (r) => { if (live) setKnown((k) => ({ ...k, [domain]: r })); },
        // Offline or failing: offer everything, as for a server that cannot say.
        () => { if (live) setKnown((k) => ({ ...k, [domain]: null })); },
      );
    }, 350);
    return () => { live = false; clearTimeout(timer); };
  }, [domain]);
  return domain ? known[domain] : undefined;
}

function domainOf(account: string): string | undefined {
  const at = account.lastIndexOf("@");
  const d = at >= 0 ? account.slice(at + 1).trim().toLowerCase() : "";
  return /^[^\s@]+\.[^\s@]+$|^localhost$/.test(d) ? d : undefined;
}

export function AuthScreen(props: { reason?: string | undefined; onSignedIn: (c: ChatClient) => void; invite?: InviteLink | null | undefined }): JSX.Element {
  const { t } = useT();
  const [view, setView] = useState<View>(props.invite ? { kind: "register" } : { kind: "signin" });
  const [account, setAccount] = useState("");
  const title = view.kind === "signin" ? t("auth.signInTitle") : view.kind === "register" ? (props.invite ? t("auth.inviteTitle") : t("auth.registerTitle"))
    : view.kind === "forgot" ? t("auth.resetTitle") : view.kind === "pending" ? t("auth.pendingTitle") : t("auth.rejectedTitle");
  return (
    <div class="auth-page">
      <div class="auth-lang"><Icon name="globe" size={16} /><LanguageSelect /></div>
      <main class="auth-card">
        <div class="auth-brand">
          <div class="brand-mark" aria-hidden="true">鹊</div>
          <div>
            <h1>{title}</h1>
            <p class="muted">{props.invite && view.kind === "register" ? t("auth.inviteTagline", { domain: props.invite.domain }) : t("auth.tagline")}</p>
          </div>
        </div>
        {view.kind === "signin" && <SignInForm reason={props.reason} notice={view.notice} account={account} setAccount={setAccount} onSignedIn={props.onSignedIn} setView={setView} />}
        {view.kind === "register" && <RegisterForm account={account} setAccount={setAccount} invite={props.invite} onSignedIn={props.onSignedIn} setView={setView} />}
        {view.kind === "forgot" && <ResetForm account={account} setAccount={setAccount} setView={setView} />}
        {(view.kind === "pending" || view.kind === "rejected") && <Decision view={view} onBack={() => setView({ kind: "signin" })} />}
      </main>
    </div>
  );
}

interface FormProps {
  account: string;
  setAccount: (a: string) => void;
  setView: (v: View) => void;
}

/** The sentence for a failed sign-in or registration. */
function authError(err: unknown, t: Translate): string {
  if (!isMagpieError(err)) return t("error.generic");
  switch (err.code) {
    case "invalid_credentials": return t("auth.invalidCredentials");
    case "registration_closed": return t("auth.registrationClosed");
    case "account_disabled": return t("auth.accountDisabled");
    case "already_exists": return t("auth.alreadyExists");
    case "rate_limited": return t("auth.rateLimited", { secs: err.retryAfterSecs ?? 30 });
    case "network": return t("auth.network");
    case "unavailable": return t("auth.unavailable");
    case "invalid_field":
      if (err.field === "password") return t("auth.badPassword");
      if (err.field === "display_name") return t("auth.badDisplayName");
      if (err.field === "invitation") return t("auth.badInvitation");
      if (err.field === "email") return t("auth.badEmail");
      if (err.field === "email_code") return t("auth.badEmailCode");
      if (err.field === "code") return t("auth.badResetCode");
      if (err.field === "account" || err.field === "name" || err.field === "domain") return t("auth.badAccount");
      return errorText(err, t);
    default: return errorText(err, t);
  }
}

function SignInForm(props: FormProps & { reason?: string | undefined; notice?: MessageKey | undefined; onSignedIn: (c: ChatClient) => void }): JSX.Element {
  const { t } = useT();
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notice = error ? null : props.notice ? t(props.notice) : props.reason ? t(REASONS[props.reason] ?? "auth.signedOutGeneric") : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    const addr = props.account.trim();
    if (!ADDRESS.test(addr)) { setError(t("auth.invalidAccount")); return; }
    if (!password) { setError(t("auth.passwordRequired")); return; }
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await login("", addr, password, { device: deviceName(), storage: browserStorage() }));
    } catch (err) {
      setBusy(false);
      // An applicant's right password tells them where their application stands.
      if (isMagpieError(err) && err.code === "approval_pending") { props.setView({ kind: "pending", account: addr }); return; }
      if (isMagpieError(err) && err.code === "registration_rejected") { props.setView({ kind: "rejected", account: addr }); return; }
      setError(authError(err, t));
    }
  };
  return (
    <>
      {notice && <p class="notice" role="status">{notice}</p>}
      <form onSubmit={submit} noValidate aria-label={t("auth.signIn")}>
        <div class="field">
          <label for="auth-account">{t("auth.account")}</label>
          <input id="auth-account" class="input" type="text" name="account" autoComplete="username" inputMode="email" autoCapitalize="none" spellcheck={false}
            placeholder="alice@example.com" value={props.account} onInput={(e) => props.setAccount(e.currentTarget.value)} required autoFocus />
        </div>
        <div class="field">
          <div class="label-row">
            <label for="auth-password">{t("auth.password")}</label>
            <button type="button" class="btn-link small" onClick={() => props.setView({ kind: "forgot" })}>{t("auth.forgot")}</button>
          </div>
          <input id="auth-password" class="input" type="password" name="password" autoComplete="current-password"
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>{busy ? t("auth.signingIn") : t("auth.signIn")}</button>
      </form>
      <p class="auth-switch">
        {t("auth.noAccount")}{" "}
        <button type="button" class="btn-link" onClick={() => props.setView({ kind: "register" })}>{t("auth.createAccount")}</button>
      </p>
    </>
  );
}

function RegisterForm(props: FormProps & { invite?: InviteLink | null | undefined; onSignedIn: (c: ChatClient) => void }): JSX.Element {
  const { t, locale } = useT();
  const invite = props.invite ?? undefined;
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [invitation, setInvitation] = useState(invite?.code ?? "");
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [codeSent, setCodeSent] = useState<{ to: string; resendAt: number } | null>(null);
  const [sending, setSending] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(1000);

  // With an invitation link, a bare name is in the invitation's domain.
  const typed = props.account.trim();
  const addr = invite && typed && !typed.includes("@") ? `${typed}@${invite.domain}` : typed;
  const domain = domainOf(addr) ?? invite?.domain;
  const reg = useRegistration(domain);
  const mode = reg?.registration;
  // Unknown (an older server, or nothing typed yet): the code is asked for, optionally.
  const wantsInvitation = !!invite || mode === "invitation" || reg === null;
  const invitationRequired = mode === "invitation";
  const allowed = reg?.email_domains ?? [];
  // A domain that limits addresses to its email domains asks for one; one that verifies
  // addresses asks for the code mailed to it too.
  const wantsCode = reg?.email_verification === true;
  const wantsEmail = wantsCode || allowed.length > 0;
  const closed = mode === "closed";
  const resendIn = codeSent ? Math.max(0, Math.ceil((codeSent.resendAt - now) / 1000)) : 0;

  const sendCode = async () => {
    const to = email.trim();
    if (!domain || !ADDRESS.test(to)) { setError(t("auth.badEmail")); return; }
    if (!emailAllowed(to, allowed)) { setError(t("auth.emailNotAllowed", { domains: allowed.join(", ") })); return; }
    setSending(true);
    setError(null);
    try {
      const sent = await requestEmailCode("", domain, to, locale);
      setCodeSent({ to, resendAt: Date.now() + sent.resend_after_secs * 1000 });
    } catch (err) {
      if (isMagpieError(err) && err.code === "rate_limited") setCodeSent({ to, resendAt: Date.now() + (err.retryAfterSecs ?? 60) * 1000 });
      setError(authError(err, t));
    } finally {
      setSending(false);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ADDRESS.test(addr)) { setError(t("auth.invalidAccount")); return; }
    if (!password) { setError(t("auth.passwordRequired")); return; }
    if (invitationRequired && !invitation.trim()) { setError(t("auth.invitationRequired")); return; }
    if (wantsCode && (!email.trim() || !code.trim())) { setError(t("auth.emailCodeRequired")); return; }
    if (wantsEmail && !email.trim()) { setError(t("auth.emailRequired")); return; }
    if (wantsEmail && !emailAllowed(email.trim(), allowed)) { setError(t("auth.emailNotAllowed", { domains: allowed.join(", ") })); return; }
    setBusy(true);
    setError(null);
    try {
      const result = await signUp("", addr, password, {
        device: deviceName(), storage: browserStorage(), lang: locale,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        ...(wantsInvitation && invitation.trim() ? { invitation: invitation.trim() } : {}),
        ...(wantsEmail ? { email: email.trim() } : {}),
        ...(wantsCode ? { emailCode: code.trim() } : {}),
      });
      if (result.kind === "pending") props.setView({ kind: "pending", account: result.account });
      else props.onSignedIn(result.client);
    } catch (err) {
      setBusy(false);
      setError(authError(err, t));
    }
  };

  return (
    <>
      {closed && <p class="notice notice-warn" role="status">{t("auth.closedIn", { domain: domain ?? "" })}</p>}
      {mode === "approval" && <p class="notice" role="status">{t("auth.approvalIn", { domain: domain ?? "" })}</p>}
      <form onSubmit={submit} noValidate aria-label={t("auth.register")}>
        <div class="field">
          <label for="auth-account">{t("auth.account")}</label>
          <input id="auth-account" class="input" type="text" name="account" autoComplete="username" inputMode="email" autoCapitalize="none" spellcheck={false}
            placeholder={invite ? `alice@${invite.domain}` : "alice@example.com"} value={props.account} onInput={(e) => props.setAccount(e.currentTarget.value)}
            required autoFocus aria-describedby={invite ? "auth-account-hint" : undefined} />
          {invite && <span id="auth-account-hint" class="muted small">{t("auth.inviteAccountHint", { domain: invite.domain })}</span>}
        </div>
        <div class="field">
          <label for="auth-display-name">{t("auth.displayName")}</label>
          <input id="auth-display-name" class="input" type="text" name="display_name" autoComplete="name" value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </div>
        {wantsEmail && <>
          <div class="field">
            <label for="auth-email">{t("auth.email")}</label>
            <div class={wantsCode ? "input-with-button" : undefined}>
              <input id="auth-email" class="input" type="email" name="email" autoComplete="email" autoCapitalize="none" spellcheck={false} value={email}
                onInput={(e) => setEmail(e.currentTarget.value)} aria-describedby={allowed.length ? "auth-email-hint" : undefined} />
              {wantsCode && (
                <button type="button" class="btn" onClick={() => void sendCode()} disabled={sending || resendIn > 0 || !email.trim()}>
                  {resendIn > 0 ? t("auth.resendIn", { secs: resendIn }) : codeSent ? t("auth.resendCode") : t("auth.sendCode")}
                </button>
              )}
            </div>
            {allowed.length > 0 && <span id="auth-email-hint" class="muted small">{t("auth.emailDomainsHint", { domains: allowed.map((d) => `@${d}`).join(", ") })}</span>}
          </div>
          {codeSent && <p class="notice" role="status">{t("auth.codeSent", { email: codeSent.to })}</p>}
          {wantsCode && (
            <div class="field">
              <label for="auth-email-code">{t("auth.emailCode")}</label>
              <input id="auth-email-code" class="input" type="text" name="email_code" inputMode="numeric" autoComplete="one-time-code" value={code}
                onInput={(e) => setCode(e.currentTarget.value)} />
            </div>
          )}
        </>}
        <div class="field">
          <label for="auth-password">{t("auth.password")}</label>
          <input id="auth-password" class="input" type="password" name="password" autoComplete="new-password"
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} required aria-describedby="auth-password-hint" />
          <span id="auth-password-hint" class="muted small">{t("auth.passwordHint")}</span>
        </div>
        {wantsInvitation && (
          <div class="field">
            <label for="auth-invitation">{invitationRequired || invite ? t("auth.invitation") : t("auth.invitationOptional")}</label>
            <input id="auth-invitation" class="input" type="text" name="invitation" autoCapitalize="none" spellcheck={false} autoComplete="off"
              placeholder="inv_…" value={invitation} onInput={(e) => setInvitation(e.currentTarget.value)} />
          </div>
        )}
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || closed}>
          {busy ? t("auth.registering") : mode === "approval" ? t("auth.apply") : t("auth.register")}
        </button>
      </form>
      <p class="auth-switch">
        {t("auth.haveAccount")}{" "}
        <button type="button" class="btn-link" onClick={() => props.setView({ kind: "signin" })}>{t("auth.backToSignIn")}</button>
      </p>
    </>
  );
}

/** Forgot password: ask for a code by email, then set a new password with it. */
function ResetForm(props: FormProps): JSX.Element {
  const { t, locale } = useT();
  const [asked, setAsked] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const domain = domainOf(props.account.trim());
  const reg = useRegistration(domain);
  const unsupported = reg?.password_reset === false;

  const ask = async (e: Event) => {
    e.preventDefault();
    const addr = props.account.trim();
    if (!ADDRESS.test(addr)) { setError(t("auth.invalidAccount")); return; }
    setBusy(true);
    setError(null);
    try {
      await requestPasswordReset("", addr, locale);
      setAsked(addr);
    } catch (err) {
      // An older server has no such endpoint; a server without mail refuses for good.
      const off = isMissingEndpoint(err) || (isMagpieError(err) && err.code === "forbidden");
      setError(off ? t("auth.resetUnavailable") : authError(err, t));
    } finally {
      setBusy(false);
    }
  };
  const reset = async (e: Event) => {
    e.preventDefault();
    if (!asked) return;
    if (!code.trim()) { setError(t("auth.resetCodeRequired")); return; }
    if (next !== confirm) { setError(t("settings.passwordMismatch")); return; }
    setBusy(true);
    setError(null);
    try {
      await resetPassword("", asked, code.trim(), next);
      props.setView({ kind: "signin", notice: "auth.resetDone" });
    } catch (err) {
      setBusy(false);
      setError(authError(err, t));
    }
  };
  return (
    <>
      {unsupported && <p class="notice notice-warn" role="status">{t("auth.resetUnavailable")}</p>}
      {!asked ? (
        <form onSubmit={ask} noValidate aria-label={t("auth.resetTitle")}>
          <p class="muted small">{t("auth.resetIntro")}</p>
          <div class="field">
            <label for="auth-account">{t("auth.account")}</label>
            <input id="auth-account" class="input" type="text" name="account" autoComplete="username" inputMode="email" autoCapitalize="none" spellcheck={false}
              placeholder="alice@example.com" value={props.account} onInput={(e) => props.setAccount(e.currentTarget.value)} required autoFocus />
          </div>
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy || unsupported}>{t("auth.sendResetCode")}</button>
        </form>
      ) : (
        <form onSubmit={reset} noValidate aria-label={t("auth.resetTitle")}>
          <p class="notice" role="status">{t("auth.resetSent", { account: asked })}</p>
          <div class="field">
            <label for="auth-reset-code">{t("auth.resetCode")}</label>
            <input id="auth-reset-code" class="input" type="text" inputMode="numeric" autoComplete="one-time-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autoFocus />
          </div>
          <div class="field">
            <label for="auth-new-password">{t("settings.newPassword")}</label>
            <input id="auth-new-password" class="input" type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} aria-describedby="auth-password-hint" />
            <span id="auth-password-hint" class="muted small">{t("auth.passwordHint")}</span>
          </div>
          <div class="field">
            <label for="auth-confirm-password">{t("settings.confirmPassword")}</label>
            <input id="auth-confirm-password" class="input" type="password" autoComplete="new-password" value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
          </div>
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy || !next}>{t("auth.setNewPassword")}</button>
          <button type="button" class="btn-link small" onClick={() => { setAsked(null); setCode(""); setError(null); }}>{t("auth.resetAgain")}</button>
        </form>
      )}
      <p class="auth-switch">
        <button type="button" class="btn-link" onClick={() => props.setView({ kind: "signin" })}>{t("auth.backToSignIn")}</button>
      </p>
    </>
  );
}

/** Waiting for an administrator, or declined. */
function Decision({ view, onBack }: { view: { kind: "pending" | "rejected"; account: string }; onBack: () => void }): JSX.Element {
  const { t } = useT();
  const domain = view.account.split("@")[1] ?? "";
  return (
    <div class="auth-decision" data-testid={view.kind === "pending" ? "approval-pending" : "registration-rejected"}>
      <div class={`decision-icon ${view.kind}`} aria-hidden="true"><Icon name={view.kind === "pending" ? "clock" : "ban"} size={28} /></div>
      <p role={view.kind === "rejected" ? "alert" : "status"}>
        {view.kind === "pending" ? t("auth.pendingText", { account: view.account, domain }) : t("auth.rejectedText", { account: view.account, domain })}
      </p>
      {view.kind === "pending" && <p class="muted small">{t("auth.pendingHint")}</p>}
      <button type="button" class="btn btn-primary btn-block" onClick={onBack}>{t("auth.returnToSignIn")}</button>
    </div>
  );
}
