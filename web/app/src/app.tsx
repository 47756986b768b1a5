// The root: resumes a stored session, shows sign-in until there is a client, and hands the
// client to the shell, or on /oauth/authorize to the consent page of an app's request (signed in
// first where need be, the request kept in the URL). Owns the language, so that switching it
// re-renders everything.

import type { JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { type ChatClient, browserStorage, resume } from "@magpie/sdk";
import { getLocale, onLocaleChange } from "./i18n/index.ts";
import { LocaleContext, useT } from "./i18n/hooks.ts";
import { ClientContext, isMagpieError, signingOut } from "./state/client.ts";
import { AuthScreen } from "./components/Auth.tsx";
import { Shell } from "./components/Shell.tsx";
import { ConsentPage } from "./components/Consent.tsx";
import { Spinner } from "./components/ui.tsx";
import { parseAuthorize, parseInvite } from "./state/router.ts";

type Phase = { kind: "resuming" } | { kind: "resume_failed" } | { kind: "signed_out"; reason?: string | undefined } | { kind: "signed_in"; client: ChatClient };

export function App(): JSX.Element {
  const [locale, setLocale] = useState(getLocale());
  useEffect(() => onLocaleChange(setLocale), []);
  return (
    <LocaleContext.Provider value={locale}>
      <Root />
    </LocaleContext.Provider>
  );
}

function Root(): JSX.Element {
  const { t } = useT();
  // An invitation link opens registration with its code, whoever is signed in here.
  const [invite] = useState(() => parseInvite(location.pathname));
  // An app's authorization request: the consent page once there is a client.
  const [authorize] = useState(() => parseAuthorize(location.pathname, location.search));
  const [phase, setPhase] = useState<Phase>(invite ? { kind: "signed_out" } : { kind: "resuming" });

  const adopt = useCallback((client: ChatClient) => {
    const off = client.on("signed_out", (reason) => {
      off();
      client.close();
      setPhase({ kind: "signed_out", reason: signingOut.has(client) || reason === "logout" ? undefined : reason ?? "generic" });
    });
    client.start();
    // The invitation is used: the app's own routes take over.
    if (parseInvite(location.pathname)) history.replaceState(null, "", "/");
    setPhase({ kind: "signed_in", client });
  }, []);

  const tryResume = useCallback(() => {
    setPhase({ kind: "resuming" });
    resume("", browserStorage())
      .then((client) => (client ? adopt(client) : setPhase({ kind: "signed_out" })))
      .catch((e: unknown) => setPhase(isMagpieError(e) && e.code === "network" ? { kind: "resume_failed" } : { kind: "signed_out" }));
  }, [adopt]);

  useEffect(() => { if (!invite) tryResume(); }, [tryResume]);

  switch (phase.kind) {
    case "resuming":
      return <div class="splash"><div class="brand-mark" aria-hidden="true">鹊</div><Spinner label={t("common.loading")} /></div>;
    case "resume_failed":
      return (
        <div class="splash">
          <div class="brand-mark" aria-hidden="true">鹊</div>
          <p role="alert">{t("auth.network")}</p>
          <button type="button" class="btn btn-primary" onClick={tryResume}>{t("common.retry")}</button>
          <button type="button" class="btn btn-link" onClick={() => setPhase({ kind: "signed_out" })}>{t("auth.signIn")}</button>
        </div>
      );
    case "signed_out":
      return <AuthScreen reason={phase.reason} onSignedIn={adopt} invite={invite && parseInvite(location.pathname)} />;
    case "signed_in":
      return (
        <ClientContext.Provider value={phase.client}>
          {authorize
            ? <ConsentPage client={phase.client} request={authorize} />
            : <Shell client={phase.client} onSignOut={() => setPhase({ kind: "signed_out" })} />}
        </ClientContext.Provider>
      );
  }
}
