export { Desk } from './desk.js';
export type { DeskOptions } from './desk.js';
export { FileDeskStore, patchDocument } from './file-store.js';
export { RedisDeskStore } from './redis-store.js';
export { PartnerHealthTracker } from './partner-health.js';
export { mergePatch, patchLeaves } from './merge-patch.js';
export type { Json } from './merge-patch.js';
export { DESK_SECTIONS } from './store.js';
export type { DeskStore, ChangeRecord, AuditRecord } from './store.js';
