// The desk's store on the embedded defaults (no Redis): an applied change is written into the config file
// itself, comments and layout kept (the yaml Document API edits the nodes the patch touches), atomically
// (a temporary file renamed over it); the changes and the audit trail sit in files beside it:
//
//   config.yaml               the config, as the desk left it (the one source: a hand edit reloads as before)
//   config.yaml.changes.json  every change, rewritten atomically
//   config.yaml.audit.ndjson  the audit trail, one entry per line, appended
//
// One process owns these files; every step is synchronous, so no two decisions interleave.
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isCollection, isMap, parseDocument, type Document } from 'yaml';
import { fxError } from '../../engine/index.js';
import { loadConfig } from '../../config/index.js';
import type { Json } from './merge-patch.js';
import type { Applied, AuditRecord, ChangeRecord, DecideOutcome, Decision, DeskStore } from './store.js';

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A patch's value as it lands where nothing was: RFC 7396 drops null members at every depth. */
const withoutNulls = (v: Json): Json =>
  isObject(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)])) : v;

/** Applies a merge patch to a YAML document in place: only the nodes it names change, comments stay. */
export function patchDocument(doc: Document, patch: Json, path: string[] = []): void {
  if (!isObject(patch)) return;
  for (const [k, v] of Object.entries(patch)) {
    const at = [...path, k];
    if (v === null) doc.deleteIn(at);
    else if (isObject(v) && isMap(doc.getIn(at, true))) patchDocument(doc, v, at);
    else {
      // A value written inline ([...], {...}) stays inline.
      const was = doc.getIn(at, true);
      const node = doc.createNode(withoutNulls(v));
      if (isCollection(was) && was.flow && isCollection(node)) node.flow = true;
      doc.setIn(at, node);
    }
  }
}

/** Writes a temporary file, has `check` read it (a throw leaves the file in place untouched), then renames it over. */
function writeAtomically(path: string, text: string, check: (tmp: string) => void = () => {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  try {
    check(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
}

export class FileDeskStore implements DeskStore {
  readonly kind = 'file';
  readonly #changesPath: string;
  readonly #auditPath: string;
  readonly #changes = new Map<string, ChangeRecord>();

  constructor(private readonly configPath: string) {
    this.#changesPath = `${configPath}.changes.json`;
    this.#auditPath = `${configPath}.audit.ndjson`;
    if (existsSync(this.#changesPath))
      for (const c of JSON.parse(readFileSync(this.#changesPath, 'utf8')) as ChangeRecord[]) this.#changes.set(c.id, c);
  }

  #guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw fxError('desk_store_unavailable', `cannot ${what} beside ${this.configPath}: ${(err as Error).message}`);
    }
  }

  /** The revision is the config file's version as it is on disk now: a hand edit not yet reloaded moves it too. */
  async applied(): Promise<Applied> {
    return { rev: this.#guard('read the config', () => loadConfig(this.configPath).version) };
  }

  async change(id: string): Promise<ChangeRecord | undefined> {
    return this.#changes.get(id);
  }

  async changes(): Promise<ChangeRecord[]> {
    return [...this.#changes.values()];
  }

  async propose(change: ChangeRecord, audit: AuditRecord[]): Promise<void> {
    this.#save(change, audit);
  }

  async decide(d: Decision): Promise<DecideOutcome> {
    const current = this.#changes.get(d.change.id);
    if (d.expect === 'pending' && !current) return { ok: false, code: 'change_not_found' };
    if (d.expect === 'pending' && current!.status !== 'pending') return { ok: false, code: 'change_not_pending' };
    let rev = '';
    if (d.apply) {
      const { patch } = d.apply;
      rev = this.#guard('write the config', () => {
        if (loadConfig(this.configPath).version !== d.apply!.rev) return undefined;
        const doc = parseDocument(readFileSync(this.configPath, 'utf8'));
        patchDocument(doc, patch);
        // The file is only replaced by one the schema takes: a refused write leaves it as it was.
        writeAtomically(this.configPath, doc.toString({ lineWidth: 0 }), (tmp) => loadConfig(tmp));
        return loadConfig(this.configPath).version;
      }) ?? '';
      if (!rev) return { ok: false, code: 'config_changed' };
    }
    this.#save(d.change, d.audit);
    return { ok: true, rev };
  }

  #save(change: ChangeRecord, audit: AuditRecord[]): void {
    this.#changes.set(change.id, change);
    this.#guard('write the changes', () => writeAtomically(this.#changesPath, `${JSON.stringify([...this.#changes.values()], null, 1)}\n`));
    this.#appendNow(audit);
  }

  #appendNow(audit: AuditRecord[]): void {
    if (audit.length) this.#guard('append the audit', () => appendFileSync(this.#auditPath, audit.map((a) => `${JSON.stringify(a)}\n`).join('')));
  }

  async append(audit: AuditRecord[]): Promise<void> {
    this.#appendNow(audit);
  }

  async audit(limit: number): Promise<AuditRecord[]> {
    if (!existsSync(this.#auditPath)) return [];
    const lines = readFileSync(this.#auditPath, 'utf8').split('\n').filter(Boolean);
    return lines.slice(-limit).reverse().map((l) => JSON.parse(l) as AuditRecord);
  }

  onApplied(): void {}

  async close(): Promise<void> {}
}
