// Error details quote client input, but never much of it: a short prefix, JSON-quoted (so control
// characters and quotes cannot break a log line or a reader's terminal).
const MAX = 32;

export function excerpt(input: unknown): string {
  const s = typeof input === 'string' ? input : String(JSON.stringify(input) ?? input);
  return JSON.stringify(s.length > MAX ? `${s.slice(0, MAX)}…` : s);
}
