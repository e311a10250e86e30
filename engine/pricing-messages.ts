// Messages between the main thread and the pricing workers. Imported with `import type` by both sides;
// every field is a string, a number or a plain object of them (structured clone, no classes).
import type { BookTick, RouteLeg, TierPrice } from './types.js';

export interface PricingCorridorConfig {
  send: string;
  receive: string;
  maxStalenessMs: number;
  ratePrecision: number;
  tiers: { upTo?: string; spreadBps: string }[];
}

export interface PricingConfig {
  version: string;
  pivots: string[];
  partners: Record<string, { enabled: boolean; feeBps: string }>;
  corridors: Record<string, PricingCorridorConfig>;
}

export interface PricingBatch {
  nowMs: number;
  config: PricingConfig;
  corridors: string[];
  /** Latest tick per partner and pair, for every pair the batch's corridors can use. */
  ticks: BookTick[];
}

export interface PricedCorridor {
  corridor: string;
  tradeable: boolean;
  reason?: string;
  routeRate: string | null;
  mid: string | null;
  route: RouteLeg[];
  tiers: TierPrice[];
  tickTs: number;
  oldestTickUs: number;
  configVersion: string;
}

export interface PricingResult {
  corridors: PricedCorridor[];
  /** Time spent pricing inside the worker, µs. */
  workUs: number;
}
