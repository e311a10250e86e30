// The desk's rules: config changes as RFC 7396 merge patches, made by one admin key and approved by another
// (maker-checker); a patch that only halts applies at once (the kill switch); every step audited with the
// keys' names. The config in force is the file's, with the desk's sections from the store on top (Redis);
// on the embedded defaults the store writes into the file itself, so the file is the one source.
//
//   propose ─► validate (the schema a file reload uses) ─► pending ─► approve by another key ─► store.decide ─► apply
//                                                        └─ halt only ─────────────────────────► store.decide ─► apply
//   another process applied (pub/sub, or the 1 s poll) ─► store.applied() ─► a newer revision ─► apply
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { configSchema, diffConfig, takesEffectOnRestart, validateConfig, type LoadedConfig } from '../../config/index.js';
import { fxError } from '../../engine/index.js';
import type { DeskAdmin, Wire } from '../../gateway/index.js';
import { loggedChanges } from '../reload.js';
import { mergePatch, patchLeaves, type Json } from './merge-patch.js';
import { DESK_SECTIONS, type AuditRecord, type ChangeRecord, type DeskStore, type Sections } from './store.js';

const NOT_EDITABLE = new Set(['apiKeys', 'feeds', 'server', 'store']);
const AUDIT_LIMIT = 1_000;

export interface DeskOptions {
  store: DeskStore;
  /** The config file as loaded at start. */
  file: LoadedConfig;
  /** Puts a config in force in every part of this process. */
  apply(next: LoadedConfig): void;
  /** The file store rewrote the config file: the file watcher must take it as its own, not as a hand edit. */
  fileWritten?(file: LoadedConfig): void;
  /** Partner health for the desk page. */
  partners(): Wire.PartnerHealth[];
  logger: Logger;
}

/** The desk sections of a config, as plain JSON. */
function sectionsOf(config: LoadedConfig['config']): Sections {
  const out: Sections = {};
  for (const k of DESK_SECTIONS) if (config[k] !== undefined) out[k] = structuredClone(config[k]) as Json;
  return out;
}

/** The config with its desk sections replaced (a section absent from `sections` is removed). */
function withSections(config: LoadedConfig['config'], sections: Sections): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...config };
  for (const k of DESK_SECTIONS) delete doc[k];
  return { ...doc, ...sections };
}

/** Only halts: every leaf sets a corridor's halted to true or a partner's enabled to false, of one that exists. */
function haltsOnly(patch: Json, config: LoadedConfig['config']): boolean {
  const leaves = patchLeaves(patch);
  return leaves.length > 0 && leaves.every(([path, value]) =>
    path.length === 3 && ((path[0] === 'corridors' && path[2] === 'halted' && value === true && Object.hasOwn(config.corridors, path[1]!)) ||
      (path[0] === 'partners' && path[2] === 'enabled' && value === false && Object.hasOwn(config.partners, path[1]!))));
}

export class Desk implements DeskAdmin {
  readonly #o: DeskOptions;
  /** The config file as last loaded (Redis: the desk's sections go on top of it). */
  #file: LoadedConfig;
  #current: LoadedConfig;
  /** The store's revision this process has in force. */
  #rev = '';
  /** With Redis: the desk's sections in force, which go over the file's. */
  #sections: Sections | undefined;
  #syncing: Promise<void> | undefined;

  constructor(o: DeskOptions) {
    this.#o = o;
    this.#file = o.file;
    this.#current = o.file;
  }

  get current(): LoadedConfig {
    return this.#current;
  }

  /** Puts the store's applied config in force (Redis: the desk's sections over the file), then follows other processes' changes. */
  async start(): Promise<LoadedConfig> {
    try {
      // A connection still opening refuses commands (they fail fast): give it a moment before starting on the file alone.
      let applied: Awaited<ReturnType<DeskStore['applied']>> | undefined;
      for (const deadline = Date.now() + 3_000; !applied;) {
        applied = await this.#o.store.applied().catch((err: Error) => {
          if (Date.now() > deadline) throw err;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 50));
        });
      }
      this.#rev = applied.rev;
      const next = applied.sections && this.#overlay(this.#file, applied.sections);
      if (next) (this.#current = next), (this.#sections = applied.sections);
    } catch (err) {
      this.#o.logger.error({ error: (err as Error).message }, 'desk: cannot read the applied config; starting on the file until it can');
    }
    this.#o.store.onApplied(() => void this.sync());
    return this.#current;
  }

  /** Loads what another process applied, once per revision. */
  sync(): Promise<void> {
    return (this.#syncing ??= (async () => {
      try {
        const applied = await this.#o.store.applied();
        if (applied.rev === this.#rev || !applied.sections) return;
        const next = this.#overlay(this.#file, applied.sections);
        this.#rev = applied.rev;
        if (!next) return;
        this.#sections = applied.sections;
        this.#put(next);
      } catch (err) {
        this.#o.logger.warn({ error: (err as Error).message }, 'desk: cannot read the applied config; retrying');
      } finally {
        this.#syncing = undefined;
      }
    })());
  }

  #overlay(file: LoadedConfig, sections: Sections): LoadedConfig | undefined {
    try {
      return validateConfig(withSections(file.config, sections), file.path);
    } catch (err) {
      this.#o.logger.error({ error: (err as Error).message }, 'desk: the desk\'s config does not fit the config file; the last good config stays in force');
      return undefined;
    }
  }

  #put(next: LoadedConfig): void {
    if (next.version === this.#current.version) return;
    this.#current = next;
    this.#o.apply(next);
  }

  /** The config file changed by hand: in force (Redis: under the desk's sections), and audited with what changed. */
  fileReloaded(file: LoadedConfig): void {
    this.#file = file;
    const next = this.#sections ? this.#overlay(file, this.#sections) : file;
    if (!next) return;
    if (this.#o.store.kind === 'file') this.#rev = file.version;
    if (diffConfig(this.#current.config, next.config).length === 0) return;
    const entry: AuditRecord = { at: new Date().toISOString(), action: 'reload', by: 'file', configVersion: next.version, detail: { path: file.path, ...this.#changesTo(next) } };
    this.#put(next);
    this.#o.store.append([entry]).catch((err: Error) => this.#o.logger.error({ error: err.message }, 'desk: cannot audit a file reload'));
  }

  config(): Wire.DeskConfig {
    return { version: this.#current.version, config: sectionsOf(this.#current.config) };
  }

  /** The config a patch makes of the one in force, or invalid_config naming the first offending path. */
  #patched(patch: Json): { sections: Sections; next: LoadedConfig } {
    const sections = mergePatch(sectionsOf(this.#current.config), patch) as Sections;
    const doc = withSections(this.#current.config, sections);
    const result = configSchema.safeParse(doc);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const path = issue.path.join('.') || '(root)';
      throw fxError('invalid_config', `${path}: ${issue.message}`, { path });
    }
    return { sections, next: validateConfig(doc, this.#current.path) };
  }

  async propose(by: string, { patch, reason }: { patch: Record<string, unknown>; reason: string }): Promise<Wire.Change> {
    const refused = Object.keys(patch).filter((k) => NOT_EDITABLE.has(k));
    if (refused.length) throw fxError('not_desk_editable', `the desk may not change ${refused.join(', ')}: edit the config file (changes to it are audited as reloads)`);
    const { sections, next } = this.#patched(patch as Json);
    const now = new Date().toISOString();
    const change: ChangeRecord = {
      id: `chg_${randomBytes(8).toString('hex')}`, status: 'pending', patch, reason, baseVersion: this.#current.version, proposedBy: by, proposedAt: now,
    };
    const proposed: AuditRecord = { at: now, action: 'propose', by, changeId: change.id, detail: { patch, reason } };
    if (!haltsOnly(patch as Json, this.#current.config)) {
      await this.#o.store.propose(change, [proposed]);
      return change;
    }
    // The kill switch: in force now, with this one key. Another process's change meanwhile is no reason to
    // wait: catch up with it and halt on top of it.
    for (let attempt = 1; ; attempt++) {
      const { sections: s, next: n } = attempt === 1 ? { sections, next } : this.#patched(patch as Json);
      const applied: ChangeRecord = { ...change, baseVersion: this.#current.version, status: 'applied', approvedBy: by, approvedAt: now, configVersion: n.version };
      try {
        await this.#decide(applied, 'new', { sections: s, patch: patch as Json, next: n }, [proposed, { at: now, action: 'halt', by, changeId: change.id, configVersion: n.version }]);
        return applied;
      } catch (err) {
        if ((err as { code?: string }).code !== 'config_changed' || attempt === 3) throw err;
        await this.sync();
      }
    }
  }

  async approve(by: string, id: string): Promise<Wire.Change> {
    const change = await this.#pending(id);
    if (change.proposedBy === by) throw fxError('four_eyes_required', `${by} proposed ${id}: another admin key must approve it`);
    if (change.baseVersion !== this.#current.version)
      throw fxError('config_changed', `${id} was proposed against config ${change.baseVersion}; ${this.#current.version} is in force now: propose it again`);
    const { sections, next } = this.#patched(change.patch as Json);
    const now = new Date().toISOString();
    const applied: ChangeRecord = { ...change, status: 'applied', approvedBy: by, approvedAt: now, configVersion: next.version };
    const detail = this.#changesTo(next);
    await this.#decide(applied, 'pending', { sections, patch: change.patch as Json, next }, [
      { at: now, action: 'approve', by, changeId: id },
      { at: now, action: 'apply', by, changeId: id, configVersion: next.version, detail },
    ]);
    if (detail.onRestart) this.#o.logger.warn({ paths: detail.onRestart, changeId: id }, 'desk: these settings take effect on restart');
    return applied;
  }

  /** What a config changes of the one in force, as the reload log has it, and which of it waits for a restart. */
  #changesTo(next: LoadedConfig): { changes: unknown[]; onRestart?: string[] } {
    const changes = diffConfig(this.#current.config, next.config);
    const onRestart = changes.filter((c) => takesEffectOnRestart(c.path)).map((c) => c.path);
    return { changes: loggedChanges(changes), ...(onRestart.length ? { onRestart } : {}) };
  }

  async reject(by: string, id: string): Promise<Wire.Change> {
    const change = await this.#pending(id);
    const now = new Date().toISOString();
    const rejected: ChangeRecord = { ...change, status: 'rejected', rejectedBy: by, rejectedAt: now };
    await this.#decide(rejected, 'pending', undefined, [{ at: now, action: 'reject', by, changeId: id }]);
    return rejected;
  }

  async #pending(id: string): Promise<ChangeRecord> {
    const change = await this.#o.store.change(id);
    if (!change) throw fxError('change_not_found', `no change ${id}`);
    if (change.status !== 'pending') throw fxError('change_not_pending', `${id} is ${change.status} already`);
    return change;
  }

  async #decide(change: ChangeRecord, expect: 'pending' | 'new', apply: { sections: Sections; patch: Json; next: LoadedConfig } | undefined, audit: AuditRecord[]): Promise<void> {
    const outcome = await this.#o.store.decide({ change, expect, audit, apply: apply && { sections: apply.sections, patch: apply.patch, rev: this.#rev } });
    if (!outcome.ok) {
      if (outcome.code === 'config_changed' && this.#o.store.kind === 'redis') void this.sync();
      throw fxError(outcome.code, outcome.code === 'config_changed' ? 'the config moved (another process applied a change): propose it again' : `${change.id} was decided meanwhile`);
    }
    if (!apply) return;
    this.#rev = outcome.rev;
    if (this.#o.store.kind === 'redis') this.#sections = apply.sections;
    else {
      // The store wrote the file; what is in force is what the file now says.
      this.#file = validateConfig(withSections(this.#file.config, apply.sections), this.#file.path);
      this.#o.fileWritten?.(this.#file);
      this.#rev = this.#file.version;
      if (outcome.rev !== this.#file.version) this.#o.logger.warn({ file: outcome.rev, desk: this.#file.version }, 'desk: the config file reads back differently from the change');
    }
    this.#put(apply.next);
  }

  async changes(status?: Wire.ChangeStatus): Promise<Wire.Change[]> {
    const all = await this.#o.store.changes();
    return all.filter((c) => !status || c.status === status).sort((a, b) => (a.proposedAt < b.proposedAt ? 1 : a.proposedAt > b.proposedAt ? -1 : a.id < b.id ? 1 : -1));
  }

  audit(): Promise<Wire.AuditEntry[]> {
    return this.#o.store.audit(AUDIT_LIMIT);
  }

  partners(): Wire.PartnerHealth[] {
    return this.#o.partners();
  }
}
