// Contacts: friend requests in and out, sending one, the contact list, and blocks.

import type { JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import type { FriendRequests, Profile } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { formatFull } from "../lib/format.ts";
import { attempt, displayName, errorText, useClient, useClientVersion } from "../state/client.ts";
import { openConversationRoute } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, ConfirmDialog, MenuButton, Spinner } from "./ui.tsx";

export function ContactsPage(): JSX.Element {
  const client = useClient();
  useClientVersion(client);
  const { t, locale } = useT();
  const [contacts, setContacts] = useState<Profile[] | null>(null);
  const [requests, setRequests] = useState<FriendRequests | null>(null);
  const [blocked, setBlocked] = useState<Profile[] | null>(null);
  const [account, setAccount] = useState("");
  const [message, setMessage] = useState("");
  const [sending, setSending] = useState(false);
  const [confirm, setConfirm] = useState<{ title: string; text: string; confirm: string; run: () => Promise<unknown> } | null>(null);

  const reload = useCallback(() => {
    client.contacts().then(setContacts, (e: unknown) => toast(errorText(e, t)));
    client.friendRequests().then(setRequests, (e: unknown) => toast(errorText(e, t)));
    client.blocked().then(setBlocked, (e: unknown) => toast(errorText(e, t)));
  }, [client]);
  useEffect(reload, [reload]);
  useEffect(() => client.on("friend_request", () => reload()), [client, reload]);
  // Other devices and the other side change these lists too: reload on the account events
  // that concern them (§9.1), a few at once as one reload.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const kinds = new Set(["friend_request", "friend_request_sent", "friend_request_closed", "contact_added", "contact_removed", "block_changed"]);
    const off = client.on("account_event", (e) => {
      if (!kinds.has(e.event.kind) || timer) return;
      timer = setTimeout(() => { timer = undefined; reload(); }, 300);
    });
    return () => { off(); if (timer) clearTimeout(timer); };
  }, [client, reload]);

  const act = (action: () => Promise<unknown>, done?: string) =>
    attempt(action, t, (m) => toast(m)).then((ok) => { if (ok && done) toast(done, "info"); reload(); return ok; });

  const send = async (e: Event) => {
    e.preventDefault();
    const addr = account.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(addr)) { toast(t("auth.invalidAccount")); return; }
    setSending(true);
    try {
      const status = await client.sendFriendRequest(addr, message.trim() || undefined);
      toast(status === "added" ? t("contacts.added", { name: displayName(client, addr) }) : t("contacts.requested", { name: displayName(client, addr) }), "info");
      setAccount("");
      setMessage("");
      reload();
    } catch (err) {
      toast(errorText(err, t));
    } finally {
      setSending(false);
    }
  };

  const chat = (a: string) => client.openDirect(a).then((c) => openConversationRoute(c.id), (e: unknown) => toast(errorText(e, t)));
  const person = (a: string, p?: Profile, sub?: string) => {
    const name = p?.display_name || displayName(client, a);
    return (
      <>
        <Avatar name={name} seed={a} url={p?.avatar ?? client.profile(a)?.avatar} size={40} presence={client.presence(a)?.status} />
        <span class="person-text">
          <span class="person-name">{name}</span>
          <span class="person-addr" title={sub}>{sub || p?.signature || a}</span>
        </span>
      </>
    );
  };
  const incoming = requests?.incoming ?? [];
  const outgoing = requests?.outgoing ?? [];

  return (
    <main class="page contacts-page" aria-labelledby="contacts-title">
      <header class="page-header"><h1 id="contacts-title">{t("contacts.title")}</h1></header>
      <div class="page-scroll">
        <div class="page-grid">
          <section class="card-section" aria-labelledby="add-contact">
            <h2 id="add-contact">{t("contacts.add")}</h2>
            <form class="inline-form" onSubmit={send}>
              <div class="field grow">
                <label for="friend-account">{t("contacts.addAccount")}</label>
                <input id="friend-account" class="input" type="text" inputMode="email" autoCapitalize="none" placeholder="bob@example.com"
                  value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
              </div>
              <div class="field grow">
                <label for="friend-message">{t("contacts.addMessage")}</label>
                <input id="friend-message" class="input" type="text" maxLength={256} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
              </div>
              <button type="submit" class="btn btn-primary" disabled={sending || !account.trim()}>{t("contacts.send")}</button>
            </form>
          </section>

          <section class="card-section" aria-labelledby="requests-title">
            <h2 id="requests-title">{t("contacts.requests")}{incoming.length > 0 && <span class="count-pill">{incoming.length}</span>}</h2>
            {!requests && <Spinner label={t("common.loading")} />}
            {requests && incoming.length === 0 && outgoing.length === 0 && <p class="muted">{t("contacts.noRequests")}</p>}
            {incoming.length > 0 && <h3 class="subhead">{t("contacts.incoming")}</h3>}
            <ul class="people-list" role="list" aria-label={t("contacts.incoming")}>
              {incoming.map((r) => (
                <li key={r.account} class="person-row static">
                  {person(r.account, undefined, r.message ? `“${r.message}”` : `${r.account} · ${formatFull(r.at_ms, locale)}`)}
                  <span class="row-actions">
                    <button type="button" class="btn btn-small btn-primary" aria-label={t("contacts.acceptNamed", { name: displayName(client, r.account) })}
                      onClick={() => void act(() => client.acceptFriendRequest(r.account), t("contacts.added", { name: displayName(client, r.account) }))}>{t("contacts.accept")}</button>
                    <button type="button" class="btn btn-small" aria-label={t("contacts.declineNamed", { name: displayName(client, r.account) })}
                      onClick={() => void act(() => client.rejectFriendRequest(r.account))}>{t("contacts.decline")}</button>
                  </span>
                </li>
              ))}
            </ul>
            {outgoing.length > 0 && <h3 class="subhead">{t("contacts.outgoing")}</h3>}
            <ul class="people-list" role="list" aria-label={t("contacts.outgoing")}>
              {outgoing.map((r) => (
                <li key={r.account} class="person-row static">
                  {person(r.account, undefined, `${t("contacts.pending")} · ${formatFull(r.at_ms, locale)}`)}
                  <span class="row-actions">
                    <button type="button" class="btn btn-small" aria-label={t("contacts.withdrawNamed", { name: displayName(client, r.account) })}
                      onClick={() => void act(() => client.rejectFriendRequest(r.account))}>{t("contacts.withdraw")}</button>
                  </span>
                </li>
              ))}
            </ul>
          </section>

          <section class="card-section wide" aria-labelledby="contacts-list-title">
            <h2 id="contacts-list-title">{t("contacts.list", { count: contacts?.length ?? 0 })}</h2>
            {!contacts && <Spinner label={t("common.loading")} />}
            {contacts && contacts.length === 0 && <p class="muted">{t("contacts.none")}</p>}
            <ul class="people-list" role="list" aria-label={t("contacts.title")}>
              {contacts?.map((p) => (
                <li key={p.account} class="person-row static">
                  {person(p.account, p)}
                  <span class="row-actions">
                    <button type="button" class="btn btn-small" aria-label={t("contacts.messageNamed", { name: p.display_name })} onClick={() => void chat(p.account)}>
                      <Icon name="chat" size={14} /> {t("contacts.message")}</button>
                    <MenuButton icon="more" label={t("contacts.actions", { name: p.display_name })} class="small" items={[
                      { label: t("contacts.remove"), icon: "trash", onSelect: () => setConfirm({ title: t("contacts.remove"), text: t("confirm.removeContact", { name: p.display_name }), confirm: t("contacts.remove"), run: () => client.removeContact(p.account) }) },
                      { label: t("contacts.block"), icon: "ban", danger: true, onSelect: () => setConfirm({ title: t("contacts.block"), text: t("confirm.block", { name: p.display_name }), confirm: t("contacts.block"), run: () => client.block(p.account) }) },
                    ]} />
                  </span>
                </li>
              ))}
            </ul>
          </section>

          <section class="card-section wide" aria-labelledby="blocked-title">
            <h2 id="blocked-title">{t("contacts.blocked", { count: blocked?.length ?? 0 })}</h2>
            {blocked && blocked.length === 0 && <p class="muted">{t("contacts.noneBlocked")}</p>}
            <ul class="people-list" role="list" aria-label={t("contacts.blockedList")}>
              {blocked?.map((p) => (
                <li key={p.account} class="person-row static">
                  {person(p.account, p)}
                  <span class="row-actions">
                    <button type="button" class="btn btn-small" aria-label={t("contacts.unblockNamed", { name: p.display_name })}
                      onClick={() => void act(() => client.unblock(p.account))}>{t("contacts.unblock")}</button>
                  </span>
                </li>
              ))}
            </ul>
          </section>
        </div>
      </div>
      {confirm && <ConfirmDialog title={confirm.title} text={confirm.text} confirm={confirm.confirm} danger
        onConfirm={async () => { await act(confirm.run); }} onClose={() => setConfirm(null)} />}
    </main>
  );
}
