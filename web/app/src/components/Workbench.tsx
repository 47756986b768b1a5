// The workbench (工作台): the apps of the person's domain that they may open, as tiles (with the
// icon the server fetched for each); an app opened in a panel inside the client (its name, "open
// in a new tab", close, and its H5 page in a sandboxed frame), which talks to the client through
// the bridge (lib/bridge.ts: who the person is, open a chat, pick people, send a card after the
// person confirms it, sign the person in with OAuth 2.0 after they consent); and Settings →
// Connected apps, the apps the person allowed to act for them, each withdrawn with Revoke.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type AppGrant, type AuthorizeInfo, type ChatClient, type Conversation, type Profile, type WorkbenchApp, newClientMsgId } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { Translate } from "../i18n/index.ts";
import { appInitial, scopeName, scopeText } from "../lib/apps.ts";
import {
  appOrigin, authorizedOf, bridgeListener, BridgeRefusal, type BridgeHandlers, type CardToSend, type PickedPerson, type PickOptions,
} from "../lib/bridge.ts";
import { formatFull } from "../lib/format.ts";
import { conversationTitle, errorText, localPart, useClient } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { navigate, openConversationRoute } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { restOf } from "../state/workbench.ts";
import { PeoplePicker } from "./dialogs.tsx";
import { Icon } from "./icons.tsx";
import { InteractiveCardView } from "./InteractiveCard.tsx";
import { ConfirmDialog, Dialog, IconButton, Spinner, useArmed } from "./ui.tsx";

/** The sandbox of an app's frame: its scripts and forms run, at its own origin (for its own
 * storage and cookies), and it may open windows; it may not navigate the client. */
const FRAME_SANDBOX = "allow-scripts allow-forms allow-same-origin allow-popups";

/** An app's icon, as the server fetched it from the app's `icon` URL (the page never contacts the
 * icon's site) or, without one, while it loads and where it cannot be had, its initial. */
export function AppIcon({ app, size = 44 }: { app: Pick<WorkbenchApp, "name" | "icon" | "id">; size?: number }): JSX.Element {
  const client = useClient();
  const [src, setSrc] = useState<string | null>(null);
  const [broken, setBroken] = useState<string | null>(null);
  useEffect(() => {
    setSrc(null);
    if (!app.icon) return;
    let live = true;
    client.appIconUrl(app.id, app.icon).then((url) => { if (live) setSrc(url); }, () => { /* the initial stays */ });
    return () => { live = false; };
  }, [client, app.id, app.icon]);
  const shown = src !== null && broken !== src ? src : null;
  return (
    <span class="app-icon" aria-hidden="true" data-initial={shown ? undefined : appInitial(app.name)}
      style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.42)}px` }}>
      {shown && <img src={shown} alt="" decoding="async" onError={() => setBroken(shown)} />}
    </span>
  );
}

/** What an app asks to do for the person, scope by scope, in plain words (the consent page's, and
 * the workbench's consent dialog's). */
export function ConsentScopes({ scopes }: { scopes: string[] }): JSX.Element {
  const { t } = useT();
  return (
    <ul class="consent-scopes" aria-label={t("consent.scopes")} data-testid="consent-scopes">
      {scopes.map((s) => {
        const key = scopeText(s);
        return <li key={s} data-scope={s}><Icon name="check" size={16} /><span>{key ? t(key) : t("consent.scopeUnknown", { scope: s })}</span></li>;
      })}
    </ul>
  );
}

type Loaded = { kind: "loading" } | { kind: "apps"; apps: WorkbenchApp[] } | { kind: "error"; text: string };

/** The workbench page: the tiles, or with `app` that app open. */
export function WorkbenchPage({ app }: { app?: number | undefined }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" });
  const latest = useRef(0);
  const load = () => {
    const ask = ++latest.current;
    setLoaded({ kind: "loading" });
    client.workbenchApps().then(
      (apps) => { if (ask === latest.current) setLoaded({ kind: "apps", apps }); },
      (e: unknown) => { if (ask === latest.current) setLoaded({ kind: "error", text: missingEndpoint(e) ? t("workbench.unsupported") : errorText(e, t) }); },
    );
  };
  useEffect(load, [client]);

  if (app !== undefined && loaded.kind === "apps") {
    const open = loaded.apps.find((a) => a.id === app);
    if (open) return <AppPanel key={open.id} app={open} />;
  }
  return (
    <main class="page workbench-page" aria-labelledby="workbench-title">
      <header class="page-header"><h1 id="workbench-title">{t("workbench.title")}</h1></header>
      <div class="page-scroll">
        <div class="workbench-column">
          {loaded.kind === "loading" && <Spinner label={t("common.loading")} />}
          {loaded.kind === "error" && (
            <div class="workbench-empty">
              <p class="form-error" role="alert" data-testid="workbench-error">{loaded.text}</p>
              <button type="button" class="btn btn-small" onClick={load}><Icon name="refresh" size={14} /> {t("common.retry")}</button>
            </div>
          )}
          {loaded.kind === "apps" && app !== undefined && <p class="notice" role="alert" data-testid="workbench-gone">{t("workbench.appGone")}</p>}
          {loaded.kind === "apps" && loaded.apps.length === 0 && (
            <div class="workbench-empty" data-testid="workbench-none">
              <Icon name="grid" size={40} />
              <p>{t("workbench.none")}</p>
              <p class="muted small">{t("workbench.noneHint")}</p>
            </div>
          )}
          {loaded.kind === "apps" && loaded.apps.length > 0 && (
            <ul class="app-tiles" role="list" aria-label={t("workbench.apps")}>
              {loaded.apps.map((a) => (
                <li key={a.id}>
                  <button type="button" class="app-tile" data-testid="app-tile" data-app={a.id} onClick={() => navigate({ page: "workbench", app: a.id })}>
                    <AppIcon app={a} />
                    <span class="app-tile-text">
                      <span class="app-tile-name">{a.name}</span>
                      {/* A space, so that the name is read apart from the description. */}
                      {a.description && <>{" "}<span class="app-tile-description">{a.description}</span></>}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </main>
  );
}

/** A dialog the bridge waits on: its request, and how to settle it. */
type Asking =
  | { kind: "pick"; options: PickOptions; done: (people: PickedPerson[] | null) => void }
  | { kind: "card"; conversation: Conversation; card: CardToSend; done: (send: boolean) => void }
  | { kind: "consent"; info: AuthorizeInfo; done: (allow: boolean) => void };

/** The conversation `id` as the person knows it: from the client's list, else asked of the server
 * (`not_found` for one that is not theirs). */
async function conversationOf(client: ChatClient, id: number): Promise<Conversation> {
  return client.conversations().find((c) => c.id === id) ?? restOf(client).conversation(id);
}

/** The open app: its header and its frame, and the host of its bridge. */
function AppPanel({ app }: { app: WorkbenchApp }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const frame = useRef<HTMLIFrameElement>(null);
  const [asking, setAsking] = useState<Asking | null>(null);
  const origin = appOrigin(app.url);
  // A page of the client's own origin would, with scripts and its origin allowed, reach past the
  // sandbox into the client (and its session): such an app is not opened here.
  const framable = origin !== null && origin !== location.origin;
  const tRef = useRef<Translate>(t);
  tRef.current = t;

  useEffect(() => {
    if (!framable || !origin) return;
    let live = true;
    // One dialog at a time: a request that needs the person waits for the one before it.
    let turn: Promise<unknown> = Promise.resolve();
    const inTurn = <T,>(work: () => Promise<T>): Promise<T> => {
      const next = turn.then(work, work);
      turn = next.catch(() => undefined);
      return next;
    };
    // The dialog still open when the panel closes is answered as closed.
    const waiting = new Set<() => void>();
    const ask = <T,>(make: (done: (v: T) => void) => Asking, closed: T): Promise<T> => new Promise<T>((resolve) => {
      if (!live) { resolve(closed); return; }
      const close = () => { waiting.delete(close); resolve(closed); };
      waiting.add(close);
      setAsking(make((v) => { waiting.delete(close); setAsking(null); resolve(v); }));
    });
    const handlers: BridgeHandlers = {
      getUser: () => {
        const me = client.me;
        return { account: me.account, name: me.display_name || localPart(me.account), avatar: me.avatar && /^https:\/\//.test(me.avatar) ? me.avatar : null };
      },
      openChat: async (target) => {
        const id = "account" in target ? (await client.openDirect(target.account)).id : (await conversationOf(client, target.conversation)).id;
        // After the answer is posted: the panel (and its frame) goes with the navigation.
        setTimeout(() => openConversationRoute(id), 0);
      },
      pickPeople: (options) => inTurn(() => ask<PickedPerson[] | null>((done) => ({ kind: "pick", options, done }), null)),
      sendCard: (conversation, card) => inTurn(async () => {
        const target = await conversationOf(client, conversation);
        const send = await ask<boolean>((done) => ({ kind: "card", conversation: target, card, done }), false);
        if (!send) return null;
        try {
          const ack = await restOf(client).send(conversation, { client_msg_id: newClientMsgId(), kind: "card", body: card.body });
          return { seq: ack.seq };
        } catch (e) {
          toast(tRef.current("workbench.cardFailed", { app: app.name, why: errorText(e, tRef.current) }));
          throw e;
        }
      }),
      authorize: (request) => inTurn(async () => {
        // The server checks the request (answered with its code where it is wrong) and says whose
        // client it is: this app's only, or another app would be signed in through this frame.
        const info = await client.authorizeInfo(request);
        if (info.app.id !== app.id) throw new BridgeRefusal("forbidden", "client_id is not this app's");
        if (!info.granted) {
          const allow = await ask<boolean>((done) => ({ kind: "consent", info, done }), false);
          if (!allow) return null;
        }
        const authorized = authorizedOf((await client.authorize(request)).redirect);
        if (!authorized) throw new BridgeRefusal("internal", "the server's answer had no code");
        return authorized;
      }),
    };
    const listener = bridgeListener({ frame: () => frame.current?.contentWindow, origin, handlers });
    const onMessage = (event: MessageEvent) => listener(event);
    window.addEventListener("message", onMessage);
    return () => {
      live = false;
      window.removeEventListener("message", onMessage);
      for (const close of [...waiting]) close();
    };
  }, [client, app.id, app.url]);

  const close = () => navigate({ page: "workbench" });
  return (
    <main class="page app-panel" aria-labelledby="app-panel-title" data-testid="app-panel" data-app={app.id}>
      <header class="page-header app-panel-header">
        <AppIcon app={app} size={28} />
        <h1 id="app-panel-title">{app.name}</h1>
        <span class="app-panel-actions">
          {origin && (
            <a class="btn btn-small" href={app.url} target="_blank" rel="noopener noreferrer">
              <Icon name="external" size={14} /> {t("workbench.openInTab")}
            </a>
          )}
          <IconButton icon="close" label={t("workbench.close")} onClick={close} />
        </span>
      </header>
      {framable
        ? <iframe ref={frame} class="app-frame" title={app.name} src={app.url} sandbox={FRAME_SANDBOX} referrerpolicy="origin" />
        : <div class="chat-empty"><p role="alert">{t("workbench.cannotOpen")}</p></div>}
      {asking?.kind === "pick" && <PickPeopleDialog app={app} options={asking.options} onDone={asking.done} />}
      {asking?.kind === "card" && <SendCardDialog app={app} conversation={asking.conversation} card={asking.card} onDone={asking.done} />}
      {asking?.kind === "consent" && <ConsentDialog info={asking.info} onDone={asking.done} />}
    </main>
  );
}

/** pickPeople: the client's people picker, at most `max` people. */
function PickPeopleDialog(props: { app: WorkbenchApp; options: PickOptions; onDone: (people: PickedPerson[] | null) => void }): JSX.Element {
  const { t } = useT();
  const [selected, setSelected] = useState(() => new Map<string, Profile>());
  const { max } = props.options;
  const full = selected.size >= max;
  const toggle = (p: Profile, on: boolean) => setSelected((prev) => {
    if (on && prev.size >= max) return prev;
    const next = new Map(prev);
    if (on) next.set(p.account, p); else next.delete(p.account);
    return next;
  });
  const done = () => props.onDone([...selected.values()].map((p) => ({ account: p.account, name: p.display_name || localPart(p.account) })));
  return (
    <Dialog title={props.options.title ?? t("workbench.pickTitle")} onClose={() => props.onDone(null)} size="md" class="app-pick-dialog"
      footer={<>
        <button type="button" class="btn" onClick={() => props.onDone(null)}>{t("common.cancel")}</button>
        <button type="button" class="btn btn-primary" disabled={selected.size === 0} onClick={done}>{t("workbench.pickDone", { count: selected.size })}</button>
      </>}>
      <p class="muted small" aria-live="polite" data-testid="app-pick-note">
        {full ? t("workbench.pickFull", { max }) : t("workbench.pickFor", { app: props.app.name, max })}
      </p>
      <PeoplePicker selected={selected} onToggle={toggle} />
    </Dialog>
  );
}

/** sendCard: the card as it will show, the conversation it goes to, and Send or Cancel. */
function SendCardDialog(props: { app: WorkbenchApp; conversation: Conversation; card: CardToSend; onDone: (send: boolean) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const title = conversationTitle(client, props.conversation, t);
  const armed = useArmed();
  return (
    <Dialog title={t("workbench.cardTitle")} onClose={() => props.onDone(false)} size="md" role="alertdialog" class="app-card-dialog"
      footer={<>
        {/* The focus starts on Cancel: Enter alone does not send a message as the person. */}
        <button type="button" class="btn" data-autofocus onClick={() => props.onDone(false)}>{t("common.cancel")}</button>
        <button type="button" class="btn btn-primary" disabled={!armed} onClick={() => props.onDone(true)}><Icon name="send" size={14} /> {t("workbench.cardSend")}</button>
      </>}>
      <p data-testid="app-card-to">{t("workbench.cardTo", { app: props.app.name, name: title })}</p>
      <div class="app-card-preview">
        <InteractiveCardView card={props.card.card} conversation={props.conversation.id} seq={0} readOnly />
      </div>
    </Dialog>
  );
}

/** authorize: the consent page's question, in a dialog over the app: what it asks, Allow or Deny. */
function ConsentDialog(props: { info: AuthorizeInfo; onDone: (allow: boolean) => void }): JSX.Element {
  const client = useClient();
  const { t } = useT();
  const { app } = props.info;
  const armed = useArmed();
  return (
    <Dialog title={t("consent.title", { app: app.name })} onClose={() => props.onDone(false)} size="md" role="alertdialog" class="app-consent-dialog"
      footer={<>
        {/* The focus starts on Deny: Enter alone does not let an app act for the person. */}
        <button type="button" class="btn" data-autofocus onClick={() => props.onDone(false)}>{t("consent.deny")}</button>
        <button type="button" class="btn btn-primary" disabled={!armed} onClick={() => props.onDone(true)}>{t("consent.allow")}</button>
      </>}>
      <div class="stack">
        <p>{t("consent.asks", { app: app.name, account: client.me.account })}</p>
        <ConsentScopes scopes={props.info.scopes} />
        <p class="muted small">{t("consent.revokeLater")}</p>
      </div>
    </Dialog>
  );
}

/** Settings → Connected apps: the apps the person allowed, what they may do, and Revoke. Nothing
 * where the server has no workbench. */
export function ConnectedAppsSection(): JSX.Element | null {
  const client = useClient();
  const { t, locale } = useT();
  const [grants, setGrants] = useState<AppGrant[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [absent, setAbsent] = useState(false);
  const [revoking, setRevoking] = useState<AppGrant | null>(null);
  const load = () => {
    client.appGrants().then(
      (list) => { setGrants(list); setError(null); },
      (e: unknown) => { if (missingEndpoint(e)) setAbsent(true); else setError(errorText(e, t)); },
    );
  };
  useEffect(load, [client]);
  if (absent) return null;
  const scopesText = (scopes: string[]) => scopes.map((s) => { const k = scopeName(s); return k ? t(k) : s; }).join(locale === "zh" ? "、" : ", ");
  return (
    <section class="card-section wide" aria-labelledby="connected-apps-title" aria-busy={grants === null && error === null} data-testid="connected-apps">
      <h2 id="connected-apps-title">{t("settings.connectedApps")}</h2>
      <p class="muted small admin-intro">{t("settings.connectedAppsHint")}</p>
      {grants === null && error === null && <Spinner label={t("common.loading")} />}
      {error && <p class="form-error" role="alert">{error}</p>}
      {grants && grants.length === 0 && <p class="muted" data-testid="connected-apps-none">{t("settings.connectedAppsNone")}</p>}
      {grants && grants.length > 0 && (
        <ul class="session-list" role="list" aria-label={t("settings.connectedApps")}>
          {grants.map((g) => (
            <li key={g.app.id} class="session-row" data-testid="connected-app" data-app={g.app.id}>
              <AppIcon app={g.app} size={32} />
              <span class="person-text">
                <span class="person-name">{g.app.name}</span>
                <span class="person-addr">{t("settings.connectedAppMay", { scopes: scopesText(g.scopes), time: formatFull(g.granted_at_ms, locale) })}</span>
              </span>
              <button type="button" class="btn btn-small btn-danger-ghost" aria-haspopup="dialog" aria-label={t("settings.connectedAppRevokeNamed", { name: g.app.name })}
                onClick={() => setRevoking(g)}>{t("settings.connectedAppRevoke")}</button>
            </li>
          ))}
        </ul>
      )}
      {revoking && (
        <ConfirmDialog title={t("settings.connectedAppRevoke")} text={t("settings.connectedAppConfirm", { name: revoking.app.name })}
          confirm={t("settings.connectedAppRevoke")} danger onClose={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await client.revokeAppGrant(revoking.app.id);
              toast(t("settings.connectedAppRevoked", { name: revoking.app.name }), "info");
            } catch (e) {
              toast(errorText(e, t));
            }
            load();
          }} />
      )}
    </section>
  );
}
