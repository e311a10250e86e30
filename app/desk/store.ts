// Where the desk keeps its changes, the applied config and the audit trail: Redis (redis-store.ts) or, on the
// embedded defaults, the config file itself and files beside it (file-store.ts). One interface, so the desk's
// rules (desk.ts) are written once.
import type { Wire } from '../../gateway/index.js';
import type { Json } from './merge-patch.js';

export type ChangeRecord = Wire.Change;
export type AuditRecord = Wire.AuditEntry;

/** The config sections the desk edits; the rest of the config (apiKeys, feeds, server, store) is the file's alone. */
export const DESK_SECTIONS = ['corridors', 'partners', 'pricing', 'limits', 'synthetic'] as const;
export type Sections = Record<string, Json>;

/** What the store last applied, and its revision: the store refuses to apply over a revision it no longer holds. */
export interface Applied {
  rev: string;
  /** With Redis: the desk's sections, which win over the file's. The file store: none (the file is the config). */
  sections?: Sections;
}

export type DecideOutcome = { ok: true; rev: string } | { ok: false; code: 'change_not_found' | 'change_not_pending' | 'config_changed' };

export interface Decision {
  /** The change as it is to be stored (status applied or rejected). */
  change: ChangeRecord;
  /** 'pending': it must be pending now; 'new': it is proposed and applied in one step (a halt). */
  expect: 'pending' | 'new';
  /** To put in force: the sections after the patch, the patch itself, and the revision it is based on. */
  apply?: { sections: Sections; patch: Json; rev: string };
  audit: AuditRecord[];
}

export interface DeskStore {
  readonly kind: 'redis' | 'file';
  applied(): Promise<Applied>;
  change(id: string): Promise<ChangeRecord | undefined>;
  changes(): Promise<ChangeRecord[]>;
  /** Records a new pending change and its audit entry. */
  propose(change: ChangeRecord, audit: AuditRecord[]): Promise<void>;
  /** One atomic step: checks the change's status and the revision, stores the change, applies, appends the audit. */
  decide(d: Decision): Promise<DecideOutcome>;
  append(audit: AuditRecord[]): Promise<void>;
  /** The newest entries first. */
  audit(limit: number): Promise<AuditRecord[]>;
  /** Called when another process applied a change (Redis pub/sub); the file store has no other process. */
  onApplied(fn: () => void): void;
  close(): Promise<void>;
}
