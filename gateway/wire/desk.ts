// The desk's wire shapes (scope admin): config changes as RFC 7396 merge patches, maker-checker, the audit
// trail, and the live view the desk page needs beyond the public API (routes with tick ages, partner health).
import { z } from 'zod';
import { doc, named } from './registry.js';
import { CorridorId, CorridorReason, Decimal, RouteLeg, SpreadParts } from './shapes.js';

const timestamp = z.iso.datetime();
const json = z.record(z.string(), z.unknown());

export const DeskConfig = named('DeskConfig', 'The config in force that the desk may edit: corridors, partners, pricing, limits and synthetic (never apiKeys, feeds, server or store). version is the configVersion every quote carries.', z.strictObject({
  version: z.string(),
  config: json,
}));

export const ChangeStatus = named('ChangeStatus', 'pending until a second admin key approves (applied) or anyone rejects it (rejected). A halt-only patch is applied at once.', z.enum(['pending', 'applied', 'rejected']));

export const ChangeRequest = named('ChangeRequest', 'An RFC 7396 JSON merge patch of the DeskConfig\'s config (null removes a key, arrays are replaced whole), and why.', z.strictObject({
  patch: doc('The merge patch: only corridors, partners, pricing, limits and synthetic (else 403 not_desk_editable).', json),
  reason: doc('Why, for the audit trail (1-500 characters).', z.string().min(1).max(500)),
}));

export const Change = named('Change', 'A proposed config change and what became of it; proposedBy, approvedBy and rejectedBy are API key names.', z.strictObject({
  id: z.string().regex(/^chg_[0-9a-f]{16}$/),
  status: ChangeStatus,
  patch: json,
  reason: z.string(),
  baseVersion: doc('The config version it was proposed against: approving it after the config moved is 409 config_changed.', z.string()),
  proposedBy: z.string(),
  proposedAt: timestamp,
  approvedBy: z.string().optional(),
  approvedAt: timestamp.optional(),
  rejectedBy: z.string().optional(),
  rejectedAt: timestamp.optional(),
  configVersion: doc('With status applied: the config version it made.', z.string().optional()),
}));

export const ChangeList = named('ChangeList', 'Config changes, newest first.', z.strictObject({ changes: z.array(Change) }));

export const ChangeQuery = named('ChangeQuery', 'Which changes to list.', z.strictObject({
  status: doc('Only changes with this status (all without it).', ChangeStatus.optional()),
}));

export const AuditAction = named('AuditAction', 'propose, approve, reject, apply (an approved change in force), halt (a halt-only change in force at once, with one key), reload (the config file changed by hand).',
  z.enum(['propose', 'approve', 'reject', 'apply', 'halt', 'reload']));

export const AuditEntry = named('AuditEntry', 'One entry of the audit trail. by is the API key\'s name ("file" for a reload).', z.strictObject({
  at: timestamp,
  action: AuditAction,
  by: z.string(),
  changeId: z.string().optional(),
  configVersion: z.string().optional(),
  detail: doc('propose: the patch and reason; reload: what changed ({ corridor, field, old, new } or { path, old, new }).', z.unknown().optional()),
}));

export const AuditTrail = named('AuditTrail', 'The audit trail, newest first (the last 1000 entries).', z.strictObject({ entries: z.array(AuditEntry) }));

export const LiveCorridor = named('LiveCorridor', 'A corridor as the desk watches it: tier-0 rate, mid and spread parts, why it is not tradeable, and the route behind tier 0 with how old each leg\'s price is now.', z.strictObject({
  id: CorridorId,
  tradeable: z.boolean(),
  halted: z.boolean(),
  reason: CorridorReason.optional(),
  reasonDetail: z.string().optional(),
  rate: Decimal.nullable(),
  mid: Decimal.nullable(),
  spread: SpreadParts.nullable(),
  updatedAt: timestamp.nullable(),
  configVersion: doc('The config version the price was made under.', z.string().nullable()),
  route: z.array(RouteLeg),
}));

export const PartnerPair = named('PartnerPair', 'One pair of a partner\'s feed: how old its last accepted tick is, whether the feed calls it stale, whether its price is held out of routing as an outlier.', z.strictObject({
  pair: z.string(),
  ageMs: z.number().int().nonnegative().nullable(),
  stale: z.boolean(),
  heldOut: z.boolean(),
}));

export const PartnerHealth = named('PartnerHealth', 'A partner as this process sees its feed (a gateway-role process runs no feeds: feed null, no pairs).', z.strictObject({
  id: z.string(),
  enabled: z.boolean(),
  feeBps: Decimal,
  feed: doc('The feed\'s state: connecting, connected, backoff, open (circuit open), half_open, stopped; null without a feed here.', z.string().nullable()),
  ticksPerSecond: doc('Accepted ticks per second over the last 5 seconds.', z.number().nonnegative()),
  heldOut: doc('Ticks held out as outliers in the last 5 seconds.', z.number().int().nonnegative()),
  pairs: z.array(PartnerPair),
}));

export const DeskLive = named('DeskLive', 'What the desk page shows besides the stream: every corridor with its route and leg ages, every partner\'s health, and the config version in force.', z.strictObject({
  configVersion: z.string(),
  at: timestamp,
  corridors: z.array(LiveCorridor),
  partners: z.array(PartnerHealth),
}));
