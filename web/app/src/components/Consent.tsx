// The OAuth 2.0 consent page, at /oauth/authorize: an app of the person's domain sent the browser
// here to ask to act for them. The server says what the request asks (the app, its scopes) and
// whether the person granted all of it before: then the page goes on at once. Otherwise it shows
// the app and what each scope lets it do, in plain words, with Allow and Deny: Allow grants it and
// sends the browser to the app with a code, Deny sends it to the app with `access_denied`. A
// request the server refuses (a parameter wrong, no such app, an app not for the person) is said
// here and the browser goes nowhere: its redirect URI is not to be trusted then.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { AuthorizeInfo, AuthorizeRequest, ChatClient } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import { errorText, isMagpieError, signingOut } from "../state/client.ts";
import { LanguageSelect } from "./Auth.tsx";
import { Icon } from "./icons.tsx";
import { Spinner, useArmed } from "./ui.tsx";
import { AppIcon, ConsentScopes } from "./Workbench.tsx";

type Phase =
  | { kind: "asking" }
  | { kind: "consent"; info: AuthorizeInfo }
  | { kind: "leaving" }
  | { kind: "failed"; text: string; info?: AuthorizeInfo };

/** Where the browser may be sent: an absolute http(s) URL only. */
function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/** What a refused request says, in the person's words. */
function refusalText(e: unknown, t: Translate): string {
  if (isMagpieError(e)) {
    if (e.code === "invalid_field") return e.field ? t("consent.badParameter", { field: e.field }) : t("consent.badRequest");
    if (e.code === "not_found") return t("consent.noApp");
    if (e.code === "forbidden") return t("consent.forbidden");
  }
  return errorText(e, t);
}

export function ConsentPage({ client, request, go = (url) => location.assign(url) }: {
  client: ChatClient; request: AuthorizeRequest;
  /** How the browser leaves for the app: `location.assign` (a test's own). */
  go?: (url: string) => void;
}): JSX.Element {
  const { t } = useT();
  /** The browser leaves for the app, unless the URL is not one to go to. */
  const leaveFor = (url: string): boolean => {
    if (!isWebUrl(url)) return false;
    go(url);
    return true;
  };
  const [phase, setPhase] = useState<Phase>({ kind: "asking" });
  const [busy, setBusy] = useState(false);

  const allow = async (info?: AuthorizeInfo) => {
    setBusy(true);
    try {
      const { redirect } = await client.authorize(request);
      if (leaveFor(redirect)) setPhase({ kind: "leaving" });
      else setPhase({ kind: "failed", text: t("consent.badRedirect"), ...(info ? { info } : {}) });
    } catch (e) {
      setPhase({ kind: "failed", text: refusalText(e, t), ...(info ? { info } : {}) });
    } finally {
      setBusy(false);
    }
  };
  const deny = (info: AuthorizeInfo) => {
    if (leaveFor(info.deny_redirect)) setPhase({ kind: "leaving" });
    else setPhase({ kind: "failed", text: t("consent.badRedirect"), info });
  };

  useEffect(() => {
    let live = true;
    client.authorizeInfo(request).then(
      (info) => {
        if (!live) return;
        // Granted all of it before: on at once, as the person already said yes.
        if (info.granted) void allow(info);
        else setPhase({ kind: "consent", info });
      },
      (e: unknown) => { if (live) setPhase({ kind: "failed", text: refusalText(e, t) }); },
    );
    return () => { live = false; };
  }, [client]);

  const otherAccount = () => {
    signingOut.add(client);
    void client.logout().catch(() => undefined);
  };
  const info = phase.kind === "consent" ? phase.info : phase.kind === "failed" ? phase.info : undefined;
  return (
    <div class="auth-page consent-page">
      <div class="auth-lang"><Icon name="globe" size={16} /><LanguageSelect /></div>
      <main class="auth-card consent-card" aria-labelledby="consent-title" aria-busy={phase.kind === "asking" || phase.kind === "leaving"}>
        <div class="auth-brand">
          {info ? <AppIcon app={info.app} size={44} /> : <div class="brand-mark" aria-hidden="true">鹊</div>}
          <div>
            <h1 id="consent-title" data-testid="consent-title">{info ? t("consent.title", { app: info.app.name }) : t("consent.titleNoApp")}</h1>
            {info?.app.description && <p class="muted" data-testid="consent-description">{info.app.description}</p>}
          </div>
        </div>
        {(phase.kind === "asking" || phase.kind === "leaving") && (
          <div class="center-pad"><Spinner label={phase.kind === "leaving" ? t("consent.leaving") : t("common.loading")} /></div>
        )}
        {phase.kind === "consent" && (
          <div class="stack">
            <p>{t("consent.asks", { app: phase.info.app.name, account: client.me.account })}</p>
            <ConsentScopes scopes={phase.info.scopes} />
            <p class="muted small">{t("consent.revokeLater")}</p>
            <ConsentActions busy={busy} onDeny={() => deny(phase.info)} onAllow={() => void allow(phase.info)} />
          </div>
        )}
        {phase.kind === "failed" && (
          <div class="stack">
            <p class="form-error" role="alert" data-testid="consent-error">{phase.text}</p>
            <a class="btn" href="/">{t("consent.toMagpie")}</a>
          </div>
        )}
        {phase.kind !== "leaving" && (
          <p class="auth-switch">
            {t("consent.signedInAs", { account: client.me.account })}{" "}
            <button type="button" class="btn-link" onClick={otherAccount}>{t("consent.otherAccount")}</button>
          </p>
        )}
      </main>
    </div>
  );
}

/** Deny and Allow; Allow only once the page has shown for a moment (useArmed), so that a click
 * meant for the page that sent the person here does not grant anything. */
function ConsentActions(props: { busy: boolean; onDeny: () => void; onAllow: () => void }): JSX.Element {
  const { t } = useT();
  const armed = useArmed();
  return (
    <div class="consent-actions">
      <button type="button" class="btn" disabled={props.busy} onClick={props.onDeny}>{t("consent.deny")}</button>
      <button type="button" class="btn btn-primary" disabled={props.busy || !armed} onClick={props.onAllow}>{t("consent.allow")}</button>
    </div>
  );
}
