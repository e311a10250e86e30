// Exact fixed-point helpers for adapters that must make or scale rates without decimal.js (which the engine
// owns) and without ever holding a rate in a JS number.

/** "84.5" at 8 places -> 8450000000n. Throws on anything but a plain decimal with at most `places` decimals. */
export function toScaled(s: string, places: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m || (m[3]?.length ?? 0) > places) throw new Error(`not a decimal with at most ${places} places: ${s}`);
  const v = BigInt(m[2]! + (m[3] ?? '').padEnd(places, '0'));
  return m[1] ? -v : v;
}

/** 8450000000n at 8 places -> "84.50000000". */
export function fromScaled(v: bigint, places: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(places + 1, '0');
  const int = digits.slice(0, digits.length - places);
  return (neg ? '-' : '') + (places ? `${int}.${digits.slice(-places)}` : int);
}
