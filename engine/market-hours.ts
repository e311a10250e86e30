// When the FX market is closed: from Friday 17:00 to Sunday 17:00 in New York, whatever the daylight
// saving offset (Intl applies America/New_York's rules, so no UTC offsets are typed here).

const newYork = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', hour: 'numeric', hourCycle: 'h23' });

// The answer only changes on the hour, so one lookup per minute is plenty for a per-batch call.
let cached = { minute: Number.NaN, closed: false };

/** true from Friday 17:00 to Sunday 17:00 America/New_York. */
export function marketClosed(nowMs: number): boolean {
  const minute = Math.floor(nowMs / 60_000);
  if (minute === cached.minute) return cached.closed;
  let weekday = '';
  let hour = 0;
  for (const part of newYork.formatToParts(nowMs)) {
    if (part.type === 'weekday') weekday = part.value;
    else if (part.type === 'hour') hour = Number(part.value);
  }
  const closed = (weekday === 'Fri' && hour >= 17) || weekday === 'Sat' || (weekday === 'Sun' && hour < 17);
  cached = { minute, closed };
  return closed;
}
