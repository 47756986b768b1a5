// A person's card (protocol §11): name, avatar, status, where they sit in the organisation
// (each department's path and their title there), their own manager (from the directory or an
// administrator; a department's manager only where they have none of their own), the contact
// fields their profile shows, and a button that opens the direct chat.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Placements } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { pathText } from "../lib/org.ts";
import { displayName, errorText, useClient, useClientVersion } from "../state/client.ts";
import { missingEndpoint } from "../state/people.ts";
import { navigate, openConversationRoute } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, BotBadge, Dialog, PresenceBadge, Spinner } from "./ui.tsx";

export function PersonCard({ account, onClose, onOpen }: { account: string; onClose: () => void; onOpen: (account: string) => void }): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t } = useT();
  const profile = client.profile(account);
  const name = profile?.display_name || displayName(client, account);
  const presence = client.presence(account);
  const [placements, setPlacements] = useState<Placements | null | "error">(null);
  const [opening, setOpening] = useState(false);

  useEffect(() => {
    let live = true;
    setPlacements(null);
    const load = () => client.placements(account).then(
      (p) => { if (live) setPlacements(p); },
      // A server without the organisation (before issue 15) has no placements to show.
      (e: unknown) => { if (live) setPlacements(missingEndpoint(e) ? { departments: [] } : "error"); },
    );
    void load();
    const off = client.on("directory_changed", () => void load());
    return () => { live = false; off(); };
  }, [client, account]);

  const message = async () => {
    setOpening(true);
    try {
      const c = await client.openDirect(account);
      onClose();
      openConversationRoute(c.id);
    } catch (e) {
      toast(errorText(e, t));
      setOpening(false);
    }
  };
  const isMe = account === client.me.account;
  const sits = placements !== null && placements !== "error" ? placements : undefined;
  // The person's own manager is who they report to. Without one, each department's manager is
  // shown by that department, as before the server knew people's own managers.
  const ownManager = sits?.manager;
  const openManager = (m: string) => onOpen(m);

  return (
    <Dialog title={t("card.title", { name })} onClose={onClose} size="sm" class="person-card">
      <div class="card-hero">
        <Avatar name={name} seed={account} url={profile?.avatar} size={72} />
        <div class="card-hero-text">
          <p class="card-name">{name}{profile?.bot && <BotBadge />}</p>
          <p class="muted small">{account}</p>
          {presence && <p class="card-presence"><PresenceBadge status={presence.status} text={presence.text} /><span>{t(`presence.${presence.status}`)}{presence.text ? ` — ${presence.text}` : ""}</span></p>}
          {profile?.signature && <p class="card-signature">{profile.signature}</p>}
        </div>
      </div>
      <section aria-label={t("card.organisation")} class="card-block">
        <h3 class="subhead">{t("card.organisation")}</h3>
        {placements === null && <Spinner label={t("common.loading")} />}
        {placements === "error" && <p class="muted small">{t("error.generic")}</p>}
        {sits && sits.departments.length === 0 && <p class="muted small">{t("card.noDepartment")}</p>}
        {ownManager && (
          <p class="card-manager" data-testid="own-manager">
            <span class="muted small">{t("card.reportsTo")}</span>{" "}
            <button type="button" class="btn-link" onClick={() => openManager(ownManager)}>{displayName(client, ownManager)}</button>
          </p>
        )}
        {sits && sits.departments.length > 0 && (
          <ul class="placement-list" role="list">
            {sits.departments.map((p) => (
              <li key={p.department} class="placement">
                <button type="button" class="btn-link placement-path" onClick={() => { onClose(); navigate({ page: "directory", department: p.department }); }}>
                  {pathText(p.path)}
                </button>
                {p.title && <span class="placement-title">{p.title}</span>}
                {!ownManager && p.manager && p.manager !== account && (
                  <span class="placement-manager muted small">
                    {t("card.manager")}{" "}
                    <button type="button" class="btn-link" onClick={() => openManager(p.manager!)}>{displayName(client, p.manager)}</button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      {(profile?.email || profile?.phone) && (
        <dl class="info-list card-contact">
          {profile.email && <><dt>{t("card.email")}</dt><dd><a href={`mailto:${profile.email}`}>{profile.email}</a></dd></>}
          {profile.phone && <><dt>{t("card.phone")}</dt><dd><a href={`tel:${profile.phone.replace(/[^\d+]/g, "")}`}>{profile.phone}</a></dd></>}
        </dl>
      )}
      <div class="dialog-actions">
        <button type="button" class="btn btn-primary" onClick={() => void message()} disabled={opening} data-autofocus>
          <Icon name="chat" size={16} /> {isMe ? t("card.notes") : t("card.sendMessage")}
        </button>
      </div>
    </Dialog>
  );
}
