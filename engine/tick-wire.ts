// How ticks travel to the pricing workers: one line of text per tick, the lines of a batch joined into one
// string. A single string crosses threads as one copy, where an array of tick objects costs a structured
// clone per field; the rate book encodes each tick once, when it is accepted.
//
//   "<no> <partner> <pair> <bid> <ask> <ts> <seq> <receivedAtUs> <asOfUs>"   e.g. "41 lp-a USD/INR 84.50 84.52 1795... 7 ..."
//
// <no> numbers the lines this thread has made: one number, one line, never reused while the process lives, so
// a worker knows a line it has parsed before by its number, without comparing the text.
import type { BookTick } from './types.js';

// Partner ids and pairs (config/patterns.ts) hold no spaces or line breaks, so the format needs no escaping.

let lines = 0;

export function tickLine(t: BookTick): string {
  return `${++lines} ${t.partner} ${t.pair} ${t.bid} ${t.ask} ${t.ts} ${t.seq} ${t.receivedAtUs} ${t.asOfUs}`;
}

export function tickLines(ticks: BookTick[]): string {
  return ticks.map(tickLine).join('\n');
}

export function parseTickLines(text: string): BookTick[] {
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const [, partner, pair, bid, ask, ts, seq, receivedAtUs, asOfUs] = line.split(' ') as [string, string, string, string, string, string, string, string, string];
    return { partner, pair, bid, ask, ts: Number(ts), seq: Number(seq), receivedAtUs: Number(receivedAtUs), asOfUs: Number(asOfUs) };
  });
}
