import { afterAll } from 'vitest';
import { MemoryQuoteStore, type Clock } from '../../engine/index.js';
import { quoteStoreContract } from './quote-store.contract.js';

let offsetMs = 0;
const clock: Clock = { nowMs: () => Date.now() + offsetMs, nowUs: () => (Date.now() + offsetMs) * 1000 };
const store = new MemoryQuoteStore(clock, 60_000);
afterAll(() => store.close());

quoteStoreContract('memory', () => ({
  store,
  now: async () => clock.nowMs(),
  advance: async (ms) => void (offsetMs += ms),
}));
