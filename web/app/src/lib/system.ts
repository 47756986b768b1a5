// The sentence shown for a `system` entry (protocol §7.4): "Alice added Bob and Carol".

import type { Locale, Translate } from "../i18n/index.ts";
import { joinNames } from "../i18n/index.ts";
import { type Body, bool, has, num, str, strList } from "./body.ts";
import { formatFull } from "./format.ts";

export function systemText(body: Body, t: Translate, nameOf: (account: string) => string, locale: Locale): string {
  const event = str(body, "event");
  const by = nameOf(str(body, "by") ?? "");
  const names = (field: string) => joinNames(strList(body, field).map(nameOf), locale);
  switch (event) {
    case "created": {
      const channel = str(body, "kind") === "channel";
      const members = strList(body, "members");
      const name = str(body, "name") ?? "";
      if (members.length === 0) return t(channel ? "sys.createdChannel" : "sys.created", { by, name });
      return t(channel ? "sys.createdChannelWith" : "sys.createdWith", { by, name, members: names("members") });
    }
    case "members_added":
      return t("sys.added", { by, members: names("members") });
    case "members_removed":
      return t("sys.removed", { by, members: names("members") });
    case "member_left":
      return t("sys.left", { member: nameOf(str(body, "member") ?? "") });
    case "info_changed": {
      const parts: string[] = [];
      const name = str(body, "name");
      if (name !== undefined) parts.push(t("sys.renamed", { by, name }));
      if (has(body, "description")) parts.push(t("sys.description", { by }));
      if (has(body, "announcement")) parts.push(str(body, "announcement") ? t("sys.announcement", { by }) : t("sys.announcementCleared", { by }));
      if (has(body, "avatar")) parts.push(t("sys.avatar", { by }));
      const muteAll = bool(body, "mute_all");
      if (muteAll !== undefined) parts.push(t(muteAll ? "sys.muteAllOn" : "sys.muteAllOff", { by }));
      return parts.length ? parts.join(t("sys.separator")) : t("sys.unknown");
    }
    case "mute_all":
      return t(bool(body, "on") ? "sys.muteAllOn" : "sys.muteAllOff", { by });
    case "role_changed":
      return t(str(body, "role") === "admin" ? "sys.madeAdmin" : "sys.madeMember", { by, member: nameOf(str(body, "member") ?? "") });
    case "owner_changed":
      return t("sys.ownerChanged", { from: nameOf(str(body, "from") ?? ""), to: nameOf(str(body, "to") ?? "") });
    case "member_muted": {
      const until = num(body, "until_ms");
      const member = nameOf(str(body, "member") ?? "");
      return until === undefined ? t("sys.unmuted", { by, member }) : t("sys.muted", { by, member, time: formatFull(until, locale) });
    }
    case "dissolved":
      return t("sys.dissolved");
    case "message_pinned":
      return t("sys.pinned", { by });
    case "message_unpinned":
      return t("sys.unpinned", { by });
    case "history_pruned": {
      const before = num(body, "before_ms");
      return before === undefined ? t("sys.unknown") : t("sys.historyPruned", { time: formatFull(before, locale) });
    }
    default:
      return t("sys.unknown");
  }
}
