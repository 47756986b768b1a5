// The audit log's screen (Administration → Audit log), its pure parts: the actions the server
// records by area, the query a set of filters makes, and the before → after rows of a record.

import type { AuditExportQuery, AuditRecordInfo } from "@magpie/sdk";

/** The actions the server records, `<area>.<verb>`, by area, in the order the filter lists
 * them. A newer server may record others: they show by their name. */
export const AUDIT_AREAS = {
  domain: ["domain.create", "domain.registration", "domain.signup_email", "domain.direct_requires_friendship", "domain.members_invite", "domain.members_make_bots"],
  account: [
    "account.create", "account.update", "account.disable", "account.enable", "account.password_reset", "account.sessions_revoke", "account.session_revoke",
  ],
  invitation: ["invitation.create", "invitation.revoke"],
  application: ["application.approve", "application.reject"],
  person: ["person.manager"],
  department: ["department.create", "department.update", "department.delete", "department.member_set", "department.member_remove"],
  ldap: ["ldap.source_set", "ldap.source_delete", "ldap.sync"],
  stickers: ["stickers.pack_create", "stickers.add"],
  announcement: ["announcement.send"],
  moderation: ["moderation.set", "moderation.block", "moderation.mask"],
  backup: ["backup.create"],
  export: ["export.create", "export.download"],
  group: ["group.transfer", "group.dissolve"],
  retention: ["retention.set", "retention.run"],
  bot: [
    "bot.create", "bot.update", "bot.disable", "bot.enable", "bot.token_create", "bot.token_rotate", "bot.token_revoke", "bot.webhook_create", "bot.webhook_rotate",
    "bot.webhook_delete",
  ],
} as const;

export type AuditArea = keyof typeof AUDIT_AREAS;
export type AuditAction = (typeof AUDIT_AREAS)[AuditArea][number];
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.values(AUDIT_AREAS).flat();

export function isAuditAction(action: string): action is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(action);
}

/** Which records a server administrator reads: every domain's and the deployment-wide ones, one
 * domain's, or only the deployment-wide ones. A domain's administrators read their own domain's. */
export type AuditScope = "all" | "domain" | "deployment";

/** The filters as the form holds them: text as typed, dates as `<input type="date">` gives them
 * (`YYYY-MM-DD`, a day in the viewer's time zone; `to` includes its whole day). */
export interface AuditFilters { actor: string; action: string; target: string; from: string; to: string; scope: AuditScope }

export const NO_FILTERS: AuditFilters = { actor: "", action: "", target: "", from: "", to: "", scope: "all" };

/** The local midnight that starts a `YYYY-MM-DD` day, `days` days later; undefined for anything
 * else (an empty field). */
export function dayStartMs(day: string, days = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days).getTime();
}

/** The query that the filters make: empty text left out, `from` from its day's start and `to` up
 * to the next day's (excluded). `domain` is the domain the page shows, asked for by a server
 * administrator's `domain` scope only: a domain's administrators read their own domain's
 * records whatever they ask. */
export function auditQueryOf(filters: AuditFilters, options: { serverAdmin: boolean; domain: string }): AuditExportQuery {
  const query: AuditExportQuery = {};
  const actor = filters.actor.trim();
  const target = filters.target.trim();
  if (actor) query.actor = actor;
  if (filters.action) query.action = filters.action;
  if (target) query.target = target;
  const since = dayStartMs(filters.from);
  const until = dayStartMs(filters.to, 1);
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  if (options.serverAdmin && filters.scope === "domain") query.domain = options.domain;
  if (options.serverAdmin && filters.scope === "deployment") query.deployment_only = true;
  return query;
}

/** Whether the dates make an empty range (the end before the start). */
export function badRange(filters: Pick<AuditFilters, "from" | "to">): boolean {
  const since = dayStartMs(filters.from);
  const until = dayStartMs(filters.to, 1);
  return since !== undefined && until !== undefined && until <= since;
}

/** Whether any filter narrows (the scope aside). */
export function filtering(filters: AuditFilters): boolean {
  return !!(filters.actor.trim() || filters.action || filters.target.trim() || filters.from || filters.to);
}

/** One field of a record's before → after: `before`/`after` undefined where that side lacks the
 * field (or the record has no such side). */
export interface AuditFieldChange { field: string; before: unknown; after: unknown; changed: boolean }

/** The fields of a record, each with its value before and after: the fields of `before` in their
 * order, then those only `after` has. A field is changed when its two sides differ as JSON. */
export function auditChanges(record: Pick<AuditRecordInfo, "before" | "after">): AuditFieldChange[] {
  const before = record.before ?? {};
  const after = record.after ?? {};
  const fields = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
  return fields.map((field) => {
    const b = field in before ? before[field] : undefined;
    const a = field in after ? after[field] : undefined;
    return { field, before: b, after: a, changed: !sameJson(b, a) };
  });
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonical(a) === canonical(b);
}

/** JSON with objects' keys sorted, so that the order of fields does not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
