// How ticks travel to the pricing workers: one line of text per tick, the lines of a batch joined into one
// string. A single string crosses threads as one copy, where an array of tick objects costs a structured
// clone per field; the rate book encodes each tick once, when it is accepted.
//
//   "<partner> <pair> <bid> <ask> <ts> <seq> <receivedAtUs> <asOfUs>"   e.g. "lp-a USD/INR 84.50 84.52 1795... 7 ..."
import type { BookTick } from './types.js';

/** Partner ids and pairs as the book accepts them: no spaces or line breaks, so the format needs no escaping. */
export const PARTNER_ID = /^[a-z0-9][a-z0-9-]*$/;
export const PAIR = /^[A-Z]{3}\/[A-Z]{3}$/;

export function encodeTick(t: BookTick): string {
  return `${t.partner} ${t.pair} ${t.bid} ${t.ask} ${t.ts} ${t.seq} ${t.receivedAtUs} ${t.asOfUs}`;
}

export function encodeTicks(ticks: BookTick[]): string {
  return ticks.map(encodeTick).join('\n');
}

export function decodeTicks(text: string): BookTick[] {
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const [partner, pair, bid, ask, ts, seq, receivedAtUs, asOfUs] = line.split(' ') as [string, string, string, string, string, string, string, string];
    return { partner, pair, bid, ask, ts: Number(ts), seq: Number(seq), receivedAtUs: Number(receivedAtUs), asOfUs: Number(asOfUs) };
  });
}
