// Messages between the main thread and the pricing workers. Imported with `import type` by both sides;
// every field is a string, a number or a plain object of them (structured clone, no classes).
//
//   main ──PricingBatch { configVersion, config? , corridors, ticks, volatility }──► worker
//   main ◄─PricingResult: priced corridors, or needConfig when the worker lacks that version
//
// The config travels only when a worker asks for it (once per worker and version), not with every batch.
import type { CorridorSnapshot } from './types.js';

export interface PricingCorridorConfig {
  send: string;
  receive: string;
  maxStalenessMs: number;
  ratePrecision: number;
  /** The last tier's top: the corridor's maxAmount. */
  maxAmount: string;
  tiers: { upTo?: string; spreadBps: string }[];
  minSpreadBps: string;
  maxSpreadBps: string;
  marketClosedBps: string;
  skewBps: string;
  volatility?: { sampleMs: number; windowMs: number; thresholdBps: string; widenBps: string };
  partnerMaxAmounts: Record<string, string>;
  halted: boolean;
}

export interface PricingConfig {
  version: string;
  pivots: string[];
  outlierBps: string;
  partners: Record<string, { enabled: boolean; feeBps: string }>;
  corridors: Record<string, PricingCorridorConfig>;
}

/** A corridor's volatility state between batches: the last sampled mid and the decayed sum of squared returns. */
export interface VolatilityState {
  mid: string;
  atMs: number;
  sumSquares: string;
}

export interface PricingBatch {
  nowMs: number;
  configVersion: string;
  /** Present only when resent after a worker answered needConfig. */
  config?: PricingConfig;
  corridors: string[];
  /** Latest tick per partner and pair, for every pair the batch's corridors can use, as lines (tick-wire.ts). */
  ticks: string;
  /** Volatility state per corridor of the batch, as the last accepted result left it. */
  volatility: Record<string, VolatilityState>;
}

export type PricedCorridor = Omit<CorridorSnapshot, 'send' | 'receive' | 'seq' | 'ts'> & {
  /** The corridor's volatility state after this batch (absent without volatility widening). */
  volatility?: VolatilityState;
};

export type PricingResult =
  | {
      kind: 'priced';
      corridors: PricedCorridor[];
      /** Ticks held out of routing as outliers in this batch, "partner pair seq". */
      heldOut: string[];
      /** Time spent pricing inside the worker, µs. */
      workUs: number;
    }
  | { kind: 'needConfig' };
