// The amounts of a lock on exact scaled integers (BigInt), so the lock path never builds a decimal.js value.
// decimal.js stays the reference: test/engine/firm-amounts.test.ts holds every result here to receiveFor and
// sendFor in decimal.ts over random amounts, rates and fees.
//
// A value is an integer count of 10^-scale units: "83.9543" is { int: 839543n, scale: 4 }.

export interface Scaled {
  int: bigint;
  scale: number;
}

const POW10: bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));
const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

/** A plain non-negative decimal string ("83.9543") as a scaled integer. The caller has validated it. */
export function scaledOf(s: string): Scaled {
  const dot = s.indexOf('.');
  return dot < 0 ? { int: BigInt(s), scale: 0 } : { int: BigInt(s.slice(0, dot) + s.slice(dot + 1)), scale: s.length - dot - 1 };
}

/** A decimal string with exactly `places` decimals as its integer count of 10^-places units ("1000.00" -> 100000n). */
export function unitsOf(s: string, places: number): bigint {
  return places === 0 ? BigInt(s) : BigInt(s.slice(0, s.length - places - 1) + s.slice(s.length - places));
}

/** An integer count of 10^-places units as a decimal string with exactly `places` decimals. */
export function formatUnits(v: bigint, places: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString();
  if (places === 0) return neg ? `-${digits}` : digits;
  const padded = digits.length > places ? digits : '0'.repeat(places - digits.length + 1) + digits;
  return `${neg ? '-' : ''}${padded.slice(0, padded.length - places)}.${padded.slice(padded.length - places)}`;
}

/**
 * Send-fixed: roundDown((send - fee) * rate) to the receive currency's minor units, as receiveFor does
 * (ROUND_DOWN is toward zero, which BigInt division is too). `send` and `fee` in send minor units.
 */
export function receiveUnits(send: bigint, fee: bigint, sendPlaces: number, rate: Scaled, receivePlaces: number): bigint {
  const product = (send - fee) * rate.int;
  const shift = sendPlaces + rate.scale - receivePlaces;
  return shift >= 0 ? product / pow10(shift) : product * pow10(-shift);
}

/**
 * Receive-fixed: roundUp(receive / rate) to the send currency's minor units, plus the fee, as sendFor does.
 * `receive` in receive minor units (positive), the result and `fee` in send minor units.
 */
export function sendUnits(receive: bigint, fee: bigint, receivePlaces: number, rate: Scaled, sendPlaces: number): bigint {
  // receive / 10^rp / (R / 10^rs), counted in 10^-sp units: receive * 10^(rs + sp) / (R * 10^rp), rounded up.
  let num = receive;
  let den = rate.int;
  const shift = rate.scale + sendPlaces - receivePlaces;
  if (shift >= 0) num *= pow10(shift);
  else den *= pow10(-shift);
  return (num + den - 1n) / den + fee;
}
