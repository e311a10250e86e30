// The peer reads the same config/default.yaml as the engine, the way a first version would: parse the YAML
// and use it. No schema and no live reload (a change needs a restart).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface PeerCorridor {
  id: string;
  send: string;
  receive: string;
  quoteTtlMs: number;
  maxStalenessMs: number;
  ratePrecision: number;
  minAmount: string;
  maxAmount: string;
  tiers: { upTo?: string; spreadBps: string }[];
}

export interface PeerLimits {
  lockPerSecond: number;
  lockBurst: number;
  redeemPerSecond: number;
  redeemBurst: number;
}

export interface PeerConfig {
  version: string;
  retentionMs: number;
  eventsMaxLen: number;
  maxPayloadBytes: number;
  heartbeatMs: number;
  wsMaxBackpressureBytes: number;
  pivots: string[];
  partners: Record<string, { enabled: boolean; feeBps: string }>;
  corridors: Map<string, PeerCorridor>;
  /** sha256(key) -> key name, scopes and rate limits */
  apiKeys: Map<string, { name: string; scopes: string[]; limits: PeerLimits }>;
  synthetic: any;
}

export function readPeerConfig(path: string): PeerConfig {
  const text = readFileSync(path, 'utf8');
  const doc = parse(text);
  const corridors = new Map<string, PeerCorridor>();
  for (const [id, c] of Object.entries<any>(doc.corridors)) {
    const [send, receive] = id.split('-') as [string, string];
    corridors.set(id, {
      id, send, receive, quoteTtlMs: c.quoteTtlMs ?? 30_000, maxStalenessMs: c.maxStalenessMs ?? 5_000, ratePrecision: c.ratePrecision ?? 4,
      minAmount: c.minAmount, maxAmount: c.maxAmount, tiers: c.tiers,
    });
  }
  const partners: PeerConfig['partners'] = {};
  for (const [id, p] of Object.entries<any>(doc.partners)) partners[id] = { enabled: p.enabled !== false, feeBps: p.feeBps ?? '0' };
  const limits: PeerLimits = { lockPerSecond: 20, lockBurst: 40, redeemPerSecond: 50, redeemBurst: 100, ...doc.limits };
  return {
    version: 'c_' + createHash('sha256').update(text).digest('hex').slice(0, 8),
    retentionMs: doc.store?.retentionMs ?? 86_400_000,
    eventsMaxLen: doc.store?.eventsMaxLen ?? 1_000_000,
    maxPayloadBytes: doc.server?.maxPayloadBytes ?? 16_384,
    heartbeatMs: doc.server?.heartbeatMs ?? 15_000,
    wsMaxBackpressureBytes: doc.server?.wsMaxBackpressureBytes ?? 262_144,
    pivots: doc.pricing?.pivots ?? ['USD', 'EUR'],
    partners,
    corridors,
    apiKeys: new Map((doc.apiKeys ?? []).map((k: any) => [k.sha256, { name: k.name, scopes: k.scopes, limits: { ...limits, ...k.limits } }])),
    synthetic: doc.synthetic,
  };
}
