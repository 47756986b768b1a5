// Invitations by members (protocol §5 "Invitations and applications"): where the caller's domain
// lets its members invite (`members_invite`, read from `GET /v1/auth/domains/{domain}`), or the
// caller administers it, Settings has an "Invite colleagues" section. It makes an invitation (at
// most 10 uses and 30 days for a member), shows its code and link once, and lists the caller's
// own invitations with their uses, to revoke. The panel that shows a new code is shared with the
// Administration page's invitations.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type CreatedInvitation, type Invitation, type SignupInfo, domainRegistration } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey, Translate } from "../i18n/index.ts";
import { formatFull } from "../lib/format.ts";
import { errorText, isMagpieError, useClient, useNow } from "../state/client.ts";
import { inviteUrl } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { ConfirmDialog, Spinner, copyText } from "./ui.tsx";

/** A member's bounds (§5): an administrator's are wider, and the server checks either. */
export const MEMBER_USES_MAX = 10;
const DAY_SECS = 86_400;

/** How long an invitation lasts; a member chooses up to 30 days. */
export const INVITATION_TTLS: { secs: number; key: MessageKey; adminOnly?: boolean }[] = [
  { secs: DAY_SECS, key: "admin.ttlDay" }, { secs: 7 * DAY_SECS, key: "admin.ttlWeek" },
  { secs: 30 * DAY_SECS, key: "admin.ttlMonth" }, { secs: 365 * DAY_SECS, key: "admin.ttlYear", adminOnly: true },
];

/** A new invitation's code and link, shown once, each with a copy button. `idPrefix` keeps the
 * element ids apart where two panels could be on one page. */
export function CreatedInvitationPanel(props: { created: CreatedInvitation; domain: string; idPrefix: string; onDone: () => void }): JSX.Element {
  const { t } = useT();
  const { created, idPrefix } = props;
  const link = inviteUrl(location.origin, props.domain, created.code);
  const copy = async (text: string) => { await copyText(text); toast(t("admin.copied"), "info"); };
  return (
    <div class="invite-made" role="status" aria-labelledby={`${idPrefix}-made`}>
      <h3 id={`${idPrefix}-made`}>{t("admin.invitationMade")}</h3>
      <p class="muted small">{t("admin.invitationOnce")}</p>
      <div class="field">
        <span class="field-label" id={`${idPrefix}-code-label`}>{t("admin.code")}</span>
        <div class="copy-row">
          <code class="copy-value" aria-labelledby={`${idPrefix}-code-label`} data-testid="invitation-code">{created.code}</code>
          <button type="button" class="btn btn-small" aria-label={t("admin.copyCode")} onClick={() => void copy(created.code)}><Icon name="copy" size={14} /> {t("admin.copy")}</button>
        </div>
      </div>
      <div class="field">
        <span class="field-label" id={`${idPrefix}-link-label`}>{t("admin.link")}</span>
        <div class="copy-row">
          <code class="copy-value" aria-labelledby={`${idPrefix}-link-label`} data-testid="invitation-link">{link}</code>
          <button type="button" class="btn btn-small" aria-label={t("admin.copyLink")} onClick={() => void copy(link)}><Icon name="copy" size={14} /> {t("admin.copy")}</button>
        </div>
      </div>
      <button type="button" class="btn btn-small btn-ghost" onClick={props.onDone}>{t("admin.done")}</button>
    </div>
  );
}

/** The sentence for a refused invitation. */
function inviteError(err: unknown, t: Translate): string {
  if (isMagpieError(err)) {
    if (err.code === "forbidden") return t("invite.notAllowed");
    if (err.code === "limit_exceeded") return t("invite.tooMany");
    if (err.code === "invalid_field") return t("invite.badBounds", { max: MEMBER_USES_MAX });
  }
  return errorText(err, t);
}

/** Whether the caller may invite: an administrator always, a member where the domain lets them.
 * `undefined` while asking; a server that cannot say (it predates the endpoint) lets only
 * administrators. */
function useMayInvite(): { may: boolean | undefined; info: SignupInfo | null | undefined } {
  const client = useClient();
  const domain = client.me.account.split("@")[1] ?? "";
  const admin = client.me.role === "domain_admin" || client.me.role === "server_admin";
  const [info, setInfo] = useState<SignupInfo | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    domainRegistration("", domain).then((i) => { if (live) setInfo(i); }, () => { if (live) setInfo(null); });
    return () => { live = false; };
  }, [domain]);
  return { may: admin || (info === undefined ? undefined : info?.members_invite === true), info };
}

/** Settings' "Invite colleagues": nothing at all where the caller may not invite. */
export function InviteSection(): JSX.Element | null {
  const { may, info } = useMayInvite();
  if (!may) return null;
  return <InviteColleagues info={info ?? null} />;
}

function InviteColleagues({ info }: { info: SignupInfo | null }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const now = useNow(60_000);
  const domain = client.me.account.split("@")[1] ?? "";
  const admin = client.me.role === "domain_admin" || client.me.role === "server_admin";
  const usesMax = admin ? 10_000 : MEMBER_USES_MAX;
  const [list, setList] = useState<Invitation[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [uses, setUses] = useState("1");
  const [ttl, setTtl] = useState(String(7 * DAY_SECS));
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const load = () => client.myInvitations().then((l) => { setList(l); setListError(null); }, (e: unknown) => setListError(inviteError(e, t)));
  useEffect(() => { void load(); }, [client]);

  const create = async (e: Event) => {
    e.preventDefault();
    const n = Math.round(Number(uses));
    if (!Number.isFinite(n) || n < 1 || n > usesMax) { setError(t("invite.badUses", { max: usesMax })); return; }
    setBusy(true);
    setError(null);
    try {
      const made = await client.createInvitation({ uses_max: n, ttl_secs: Number(ttl), ...(note.trim() ? { note: note.trim() } : {}) });
      setCreated(made);
      setNote("");
      void load();
    } catch (err) {
      setError(inviteError(err, t));
    } finally {
      setBusy(false);
    }
  };
  // Codes let people in only where registration is by invitation (or open, where none is needed).
  const modeNote = info && info.registration !== "invitation" && info.registration !== "open"
    ? t("invite.modeNote", { mode: t(`admin.mode.${info.registration}`) }) : null;
  return (
    <section class="card-section wide" aria-labelledby="invite-title">
      <h2 id="invite-title">{t("invite.title")}</h2>
      <p class="muted small invite-intro">{t(admin ? "invite.introAdmin" : "invite.intro", { domain, max: MEMBER_USES_MAX })}</p>
      {modeNote && <p class="notice notice-warn" role="note">{modeNote}</p>}
      <form class="inline-form" onSubmit={create} aria-label={t("invite.create")}>
        <div class="field">
          <label for="invite-uses">{t("admin.uses")}</label>
          <input id="invite-uses" class="input input-narrow" type="number" min={1} max={usesMax} value={uses} onInput={(e) => setUses(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="invite-ttl">{t("admin.expires")}</label>
          <select id="invite-ttl" class="select" value={ttl} onChange={(e) => setTtl(e.currentTarget.value)}>
            {INVITATION_TTLS.filter((x) => admin || !x.adminOnly).map((x) => <option key={x.secs} value={String(x.secs)}>{t(x.key)}</option>)}
          </select>
        </div>
        <div class="field grow">
          <label for="invite-note">{t("admin.note")}</label>
          <input id="invite-note" class="input" value={note} maxLength={256} placeholder={t("admin.notePlaceholder")} onInput={(e) => setNote(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy}>{t("invite.create")}</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      {created && <CreatedInvitationPanel created={created} domain={domain} idPrefix="invite" onDone={() => setCreated(null)} />}
      <h3 class="subhead invite-list-title" id="invite-list-title">{t("invite.mine", { count: list?.length ?? 0 })}</h3>
      {listError && <p class="form-error" role="alert">{listError}</p>}
      {!list && !listError && <Spinner label={t("common.loading")} />}
      {list && list.length === 0 && <p class="muted small">{t("invite.none")}</p>}
      <ul class="session-list" role="list" aria-labelledby="invite-list-title">
        {list?.map((inv) => {
          const label = inv.note || t("admin.invitationNumber", { id: inv.id });
          const usedUp = inv.uses >= inv.uses_max;
          const expired = inv.expires_at_ms <= now;
          return (
            <li key={inv.id} class="session-row" data-testid="my-invitation">
              <span class="session-icon" aria-hidden="true"><Icon name="mail" size={18} /></span>
              <span class="person-text">
                <span class="person-name">{label}{usedUp && <span class="tag">{t("admin.usedUp")}</span>}{expired && <span class="tag">{t("invite.expired")}</span>}</span>
                <span class="person-addr">{[
                  t("admin.usesOf", { uses: inv.uses, max: inv.uses_max }),
                  t(expired ? "invite.expiredAt" : "admin.expiresAt", { time: formatFull(inv.expires_at_ms, locale) }),
                ].join(" · ")}</span>
              </span>
              <button type="button" class="btn btn-small" aria-label={t("admin.revokeNamed", { name: label })} onClick={() => setRevoking(inv)}>{t("admin.revoke")}</button>
            </li>
          );
        })}
      </ul>
      {revoking && (
        <ConfirmDialog title={t("admin.revokeInvitation")} confirm={t("admin.revokeInvitation")} danger onClose={() => setRevoking(null)}
          text={t("admin.confirmRevokeInvitation", { name: revoking.note || t("admin.invitationNumber", { id: revoking.id }) })}
          onConfirm={async () => {
            try { await client.revokeInvitation(revoking.id); } catch (err) { toast(inviteError(err, t)); }
            await load();
          }} />
      )}
    </section>
  );
}
