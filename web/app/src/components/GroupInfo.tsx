// The group info pane: name, description, announcement, mute-all, the member's own pin, mute and
// notification level, the member list with roles, and the membership actions, each shown only to
// who may do it (protocol §7.1, §7.6).

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { isMuted, type Conversation, type Member } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import type { MessageKey } from "../i18n/index.ts";
import { canAddMembers, canDissolve, canEditInfo, canLeave, canRemove, canSetRoles, canTransfer, rank } from "../lib/permissions.ts";
import { formatFull } from "../lib/format.ts";
import { attempt, displayName, useClient, useClientState, useWakeAt } from "../state/client.ts";
import { muteEnd } from "../lib/conversationNotify.ts";
import { navigate } from "../state/router.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { Avatar, BotBadge, ConfirmDialog, IconButton, MenuButton, Spinner } from "./ui.tsx";
import { AddMembersDialog } from "./dialogs.tsx";
import { AvatarPicker } from "./AvatarEditor.tsx";
import { openPersonCard } from "../state/person.ts";
import { MuteDialog, NotifyLevelField, muteLabel } from "./ConversationNotify.tsx";

const ROLE_KEYS: Record<string, MessageKey> = { owner: "group.roleOwner", admin: "group.roleAdmin", member: "group.roleMember" };

type Confirm = { title: string; text: string; confirm: string; danger?: boolean; run: () => Promise<unknown>; ends?: boolean };

export function GroupInfo({ conversation: c, members, onClose }: { conversation: Conversation; members: Member[] | undefined; onClose: () => void }): JSX.Element {
  const client = useClient();
  const { t, locale } = useT();
  const me = client.me.account;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(c.name ?? "");
  const [description, setDescription] = useState(c.description ?? "");
  const [announcement, setAnnouncement] = useState(c.announcement ?? "");
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [muting, setMuting] = useState(false);
  // A timed mute ends by itself: the switch turns off then.
  const nowMs = Date.now();
  const muted = isMuted(c, nowMs);
  const muteEndsMs = muteEnd(c, nowMs);
  useWakeAt(muteEndsMs);
  const heading = useRef<HTMLHeadingElement>(null);
  const nameOf = (a: string) => displayName(client, a);
  // The members' names, avatars and presence, followed while the pane is open.
  useClientState(client, () => (members ?? []).map((m) => `${nameOf(m.account)}\u0001${client.profile(m.account)?.avatar ?? ""}\u0001${client.presence(m.account)?.status ?? ""}`).join("\u0000"));
  const run = (action: () => Promise<unknown>) => attempt(async () => { await action(); await client.refreshMembers(c.id); }, t, (m) => toast(m));

  useEffect(() => { heading.current?.focus(); }, []);
  useEffect(() => {
    if (!editing) { setName(c.name ?? ""); setDescription(c.description ?? ""); setAnnouncement(c.announcement ?? ""); }
  }, [c.name, c.description, c.announcement, editing]);

  const save = async (e: Event) => {
    e.preventDefault();
    const change: { name?: string; description?: string; announcement?: string } = {};
    if (name.trim() && name.trim() !== (c.name ?? "")) change.name = name.trim();
    if (description !== (c.description ?? "")) change.description = description;
    if (announcement !== (c.announcement ?? "")) change.announcement = announcement;
    if (Object.keys(change).length === 0) { setEditing(false); return; }
    setBusy(true);
    const ok = await attempt(() => client.updateGroup(c.id, change), t, (m) => toast(m));
    setBusy(false);
    if (ok) setEditing(false);
  };

  const sorted = [...(members ?? [])].sort((a, b) => rank(b.role) - rank(a.role) || nameOf(a.account).localeCompare(nameOf(b.account)));
  const editable = canEditInfo(c);
  const label = c.kind === "channel" ? t("group.channelInfo") : t("group.info");

  return (
    <aside class="info-pane" aria-label={label} onKeyDown={(e) => { if (e.key === "Escape" && !confirm && !adding && !muting) { e.stopPropagation(); onClose(); } }}>
      <header class="pane-header">
        <h2 ref={heading} tabIndex={-1}>{label}</h2>
        <IconButton icon="close" label={t("common.close")} onClick={onClose} />
      </header>
      <div class="info-scroll">
        <div class="info-hero">
          <Avatar name={c.name ?? ""} seed={`g${c.id}`} group size={64} url={c.avatar} />
          <h3>{c.name}</h3>
          {editable && (
            <AvatarPicker label={t("avatar.changeGroup")} title={t("avatar.cropGroupTitle")} group
              onSave={async (file) => { await client.updateGroup(c.id, { avatar: file }); toast(t("avatar.updated"), "info"); }} />
          )}
          <p class="muted small">{c.kind === "channel" ? t("group.kindChannel") : t("group.kindGroup")} · {t("chat.members", { count: c.member_count })}</p>
        </div>

        {editing ? (
          <form class="stack info-section" onSubmit={save}>
            <div class="field">
              <label for="group-name">{t("group.name")}</label>
              <input id="group-name" class="input" value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="group-description">{t("group.description")}</label>
              <textarea id="group-description" class="input" rows={3} value={description} maxLength={1024} onInput={(e) => setDescription(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="group-announcement">{t("group.announcement")}</label>
              <textarea id="group-announcement" class="input" rows={3} value={announcement} maxLength={4096} onInput={(e) => setAnnouncement(e.currentTarget.value)} />
            </div>
            <div class="dialog-actions">
              <button type="button" class="btn" onClick={() => setEditing(false)}>{t("common.cancel")}</button>
              <button type="submit" class="btn btn-primary" disabled={busy}>{t("common.save")}</button>
            </div>
          </form>
        ) : (
          <div class="info-section">
            <dl class="info-list">
              <dt>{t("group.description")}</dt>
              <dd class={c.description ? "" : "muted"}>{c.description || t("group.noDescription")}</dd>
              <dt>{t("group.announcement")}</dt>
              <dd class={c.announcement ? "pre" : "muted"}>{c.announcement || t("group.noAnnouncement")}</dd>
            </dl>
            {editable && <button type="button" class="btn btn-small" onClick={() => setEditing(true)}><Icon name="edit" size={14} /> {t("group.editInfo")}</button>}
          </div>
        )}

        <div class="info-section toggles">
          {editable && (
            <label class="switch-row">
              <span><strong>{t("group.muteAll")}</strong><span class="muted small">{t("group.muteAllHint")}</span></span>
              <input type="checkbox" role="switch" checked={c.mute_all}
                onChange={(e) => void attempt(() => client.updateGroup(c.id, { mute_all: e.currentTarget.checked }), t, (m) => toast(m))} />
            </label>
          )}
          <label class="switch-row">
            <span><strong>{t("group.pinned")}</strong></span>
            <input type="checkbox" role="switch" checked={c.me.pinned}
              onChange={(e) => void attempt(() => client.updateSettings(c.id, { pinned: e.currentTarget.checked }), t, (m) => toast(m))} />
          </label>
          {/* Turned on, it asks for how long first (and stays off if that is cancelled). */}
          <label class="switch-row">
            <span>
              <strong>{t("group.muteNotifications")}</strong>
              {muteEndsMs !== undefined && <span class="muted small" data-testid="muted-until">{muteLabel(c, nowMs, t, locale)}</span>}
            </span>
            <input type="checkbox" role="switch" checked={muted}
              onChange={(e) => {
                if (e.currentTarget.checked) setMuting(true);
                else void attempt(() => client.updateSettings(c.id, { muted: false }), t, (m) => toast(m));
              }} />
          </label>
        </div>

        <div class="info-section">
          <NotifyLevelField conversation={c} />
        </div>

        <div class="info-section">
          <div class="section-head">
            <h3>{t("group.members", { count: members?.length ?? c.member_count })}</h3>
            {canAddMembers(c) && <button type="button" class="btn btn-small" onClick={() => setAdding(true)}><Icon name="userPlus" size={14} /> {t("group.addMembers")}</button>}
          </div>
          {!members && <div class="center-pad"><Spinner label={t("common.loading")} /></div>}
          <ul class="member-list" role="list" aria-label={t("group.memberList")}>
            {sorted.map((m) => {
              const n = nameOf(m.account);
              const isMe = m.account === me;
              const muted = m.muted_until_ms !== undefined && m.muted_until_ms > Date.now();
              const actions = [
                { label: t("group.makeAdmin"), icon: "shield" as const, hidden: !canSetRoles(c) || isMe || m.role !== "member", onSelect: () => void run(() => client.setRole(c.id, m.account, "admin")) },
                { label: t("group.makeMember"), icon: "shield" as const, hidden: !canSetRoles(c) || isMe || m.role !== "admin", onSelect: () => void run(() => client.setRole(c.id, m.account, "member")) },
                { label: t("group.transfer"), icon: "crown" as const, hidden: !canTransfer(c) || isMe, onSelect: () => setConfirm({
                  title: t("group.transfer"), text: t("confirm.transfer", { name: n }), confirm: t("group.transfer"), run: () => client.transferOwnership(c.id, m.account),
                }) },
                { label: t("group.remove"), icon: "trash" as const, danger: true, hidden: !canRemove(c, m, me), onSelect: () => setConfirm({
                  title: t("group.remove"), text: t("confirm.remove", { name: n }), confirm: t("group.remove"), danger: true, run: () => client.removeMember(c.id, m.account),
                }) },
                { label: t("group.muteHour"), icon: "bellOff" as const, hidden: !canRemove(c, m, me), onSelect: () => void run(() => client.muteMember(c.id, m.account, Date.now() + 3600_000)) },
                { label: t("group.muteDay"), icon: "bellOff" as const, hidden: !canRemove(c, m, me), onSelect: () => void run(() => client.muteMember(c.id, m.account, Date.now() + 86_400_000)) },
                { label: t("group.unmute"), icon: "bell" as const, hidden: !canRemove(c, m, me) || !muted, onSelect: () => void run(() => client.muteMember(c.id, m.account)) },
                { label: t("card.view"), icon: "info" as const, onSelect: () => openPersonCard(m.account) },
                { label: t("contacts.message"), icon: "chat" as const, hidden: isMe, onSelect: () => void client.openDirect(m.account).then((d) => navigate({ page: "chats", conversation: d.id }), () => toast(t("error.generic"))) },
              ];
              return (
                <li key={m.account} class="member-row">
                  <Avatar name={n} seed={m.account} url={client.profile(m.account)?.avatar} size={32} presence={client.presence(m.account)?.status} />
                  <span class="person-text">
                    <span class="person-name">{n}{isMe && <span class="muted"> ({t("common.you")})</span>}{client.profile(m.account)?.bot && <BotBadge />}</span>
                    <span class="person-addr">{m.account}{muted && ` · ${t("group.mutedUntil", { time: formatFull(m.muted_until_ms!, locale) })}`}</span>
                  </span>
                  {m.role !== "member" && <span class={`role-tag role-${m.role}`}>{t(ROLE_KEYS[m.role]!)}</span>}
                  {actions.some((a) => !a.hidden) && <MenuButton icon="more" label={t("group.memberActions", { name: n })} items={actions} class="small" />}
                </li>
              );
            })}
          </ul>
        </div>

        <div class="info-section danger-zone">
          {canLeave(c) && <button type="button" class="btn btn-danger-ghost btn-block" onClick={() => setConfirm({
            title: t("group.leave"), text: t("confirm.leave", { name: c.name ?? "" }), confirm: t("group.leave"), danger: true,
            ends: true, run: async () => { await client.leave(c.id); navigate({ page: "chats" }); },
          })}><Icon name="logOut" size={16} /> {t("group.leave")}</button>}
          {canDissolve(c) && <button type="button" class="btn btn-danger-ghost btn-block" onClick={() => setConfirm({
            title: t("group.dissolve"), text: t("confirm.dissolve", { name: c.name ?? "" }), confirm: t("group.dissolve"), danger: true,
            ends: true, run: async () => { await client.dissolve(c.id); navigate({ page: "chats" }); },
          })}><Icon name="trash" size={16} /> {t("group.dissolve")}</button>}
        </div>
      </div>
      {muting && <MuteDialog conversation={c.id} onClose={() => setMuting(false)} />}
      {adding && <AddMembersDialog conversation={c.id} existing={new Set((members ?? []).map((m) => m.account))} onClose={() => setAdding(false)} />}
      {confirm && (
        <ConfirmDialog title={confirm.title} text={confirm.text} confirm={confirm.confirm} danger={confirm.danger}
          onConfirm={async () => { await (confirm.ends ? attempt(confirm.run, t, (m) => toast(m)) : run(confirm.run)); }} onClose={() => setConfirm(null)} />
      )}
    </aside>
  );
}
