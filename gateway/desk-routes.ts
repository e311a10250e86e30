// The desk's HTTP routes (scope admin) and its page. What changes the config lives behind DeskAdmin, which the
// composition root implements (app/desk/): maker-checker, the kill switch, the store, the audit trail.
//
//   /desk (static page) ──REST /v1/desk/* (Bearer key)──► DeskAdmin ──► the desk store (Redis, or the config file)
//                      ──WS /v1/stream?apiKey=──────────► the quotes everyone streams
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/index.js';
import { fxError, type QuoteDesk, type QuoteHub } from '../engine/index.js';
import { bearer, type ApiKeys } from './auth.js';
import { json, type Incoming, type Reply } from './http.js';
import { parseWith } from './requests.js';
import { ROUTES, type RouteSpec, type Wire } from './wire/index.js';

/** The desk's operations, as the composition root provides them. `by` is the calling API key's name. */
export interface DeskAdmin {
  config(): Wire.DeskConfig;
  propose(by: string, change: { patch: Record<string, unknown>; reason: string }): Promise<Wire.Change>;
  approve(by: string, id: string): Promise<Wire.Change>;
  reject(by: string, id: string): Promise<Wire.Change>;
  changes(status?: Wire.ChangeStatus): Promise<Wire.Change[]>;
  audit(): Promise<Wire.AuditEntry[]>;
  partners(): Wire.PartnerHealth[];
}

type Register = (spec: RouteSpec, fn: (req: Incoming) => Promise<Reply> | Reply) => void;

const PAGE_DIR = join(projectRoot(), 'gateway', 'desk-page');
const UPLOT_DIR = join(projectRoot(), 'node_modules', 'uplot', 'dist');
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8' };

/** The page's files, read once: its own, and uPlot's build from node_modules (no build step, no CDN). */
function pageFiles(): Map<string, Reply> {
  const files = new Map<string, Reply>();
  const add = (name: string, path: string) => {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]!;
    files.set(name, { status: 200, body: readFileSync(path, 'utf8'), headers: { 'content-type': type, 'cache-control': 'no-cache' } });
  };
  for (const f of ['index.html', 'desk.js', 'desk.css']) add(f, join(PAGE_DIR, f));
  for (const f of ['uPlot.min.js', 'uPlot.min.css']) add(f, join(UPLOT_DIR, f === 'uPlot.min.js' ? 'uPlot.iife.min.js' : f));
  return files;
}

export function deskRoutes(route: Register, deps: { admin: DeskAdmin; desk: QuoteDesk; hub: QuoteHub; keys: () => ApiKeys }): void {
  const { admin, desk, hub, keys } = deps;
  const by = (req: Incoming) => keys().authorize(bearer(req.authorization), 'admin').name;

  route(ROUTES.deskConfig, (req) => (by(req), json(200, admin.config() satisfies Wire.DeskConfig)));

  route(ROUTES.proposeChange, async (req) => {
    const who = by(req);
    const body = parseWith(ROUTES.proposeChange.body, req.body, 'body');
    return json(201, await admin.propose(who, body));
  });

  route(ROUTES.approveChange, async (req) => json(200, await admin.approve(by(req), req.params[0]!)));
  route(ROUTES.rejectChange, async (req) => json(200, await admin.reject(by(req), req.params[0]!)));

  route(ROUTES.listChanges, async (req) => {
    by(req);
    const query = parseWith(ROUTES.listChanges.query, Object.fromEntries(new URLSearchParams(req.query)), 'query');
    return json(200, { changes: await admin.changes(query.status) } satisfies Wire.ChangeList);
  });

  route(ROUTES.deskAudit, async (req) => (by(req), json(200, { entries: await admin.audit() } satisfies Wire.AuditTrail)));

  route(ROUTES.deskLive, (req) => {
    by(req);
    const loaded = desk.config;
    const nowMs = Date.now();
    const corridors = desk.corridors().map((c): Wire.LiveCorridor => {
      const s = hub.get(c.id);
      const t0 = c.tradeable ? s?.tiers[0] : undefined;
      const legs = t0?.route != null ? s!.routes[t0.route]!.legs : [];
      return {
        id: c.id, tradeable: c.tradeable, halted: loaded.config.corridors[c.id]!.halted,
        ...(c.reason ? { reason: c.reason, reasonDetail: c.reasonDetail } : {}),
        rate: c.rate, mid: c.mid, spread: t0?.spread ?? null, updatedAt: c.updatedAt, configVersion: s?.configVersion ?? null,
        // Leg ages as of now, from each leg's tick time.
        route: legs.map((l) => ({ partner: l.partner, pair: l.pair, rate: l.rate, ageMs: Math.max(0, Math.round(nowMs - l.tickTs / 1000)) })),
      };
    });
    return json(200, { configVersion: loaded.version, at: new Date().toISOString(), corridors, partners: admin.partners() } satisfies Wire.DeskLive);
  });

  const files = pageFiles();
  route(ROUTES.deskPage, () => files.get('index.html')!);
  route(ROUTES.deskAsset, (req) => {
    const file = files.get(req.params[0]!);
    if (!file || req.params[0] === 'index.html') throw fxError('not_found', 'no such file of the desk page');
    return file;
  });
}
