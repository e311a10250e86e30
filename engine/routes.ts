// Which pairs can price a corridor: direct in either orientation, or two legs through a pivot.

export interface LegShape {
  pair: string;
  /** true when the pair is RECEIVE/SEND for this leg: priced at 1 / ask. */
  inverted: boolean;
}

/** Leg shapes that turn `from` into `to`: pair from/to (bid) or to/from (1 / ask). */
export function legShapes(from: string, to: string): LegShape[] {
  return [
    { pair: `${from}/${to}`, inverted: false },
    { pair: `${to}/${from}`, inverted: true },
  ];
}

/** Every pair a corridor can use, given the pivots. */
export function pairsFor(send: string, receive: string, pivots: readonly string[]): string[] {
  const pairs = legShapes(send, receive).map((l) => l.pair);
  for (const p of pivots) {
    if (p === send || p === receive) continue;
    for (const l of [...legShapes(send, p), ...legShapes(p, receive)]) pairs.push(l.pair);
  }
  return pairs;
}

/** pair -> corridors that can use it. */
export function corridorsByPair(corridors: Record<string, { send: string; receive: string }>, pivots: readonly string[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [id, c] of Object.entries(corridors))
    for (const pair of pairsFor(c.send, c.receive, pivots)) {
      const list = index.get(pair) ?? [];
      if (!list.includes(id)) list.push(id);
      index.set(pair, list);
    }
  return index;
}
