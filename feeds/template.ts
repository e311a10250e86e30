// Config values may name the partner's secret and pairs, which are filled in at connect time: the secret comes
// from the environment through the composition root and never sits in the YAML.
//   "Bearer ${secret}"  ->  "Bearer s3cr3t"          "${pairs}" (a whole string)  ->  ["USDINR", "GBPINR"]

export interface TemplateVars {
  secret?: string | undefined;
  /** The feed's pairs in the partner's own spelling. */
  symbols: string[];
}

/** Fills ${secret} in every string and replaces a string that is exactly "${pairs}" by the symbol list. */
export function fill(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') {
    if (value === '${pairs}') return vars.symbols;
    if (!value.includes('${secret}')) return value;
    if (vars.secret === undefined) throw new Error('the config uses ${secret} but no secret was given for this partner');
    return value.replaceAll('${secret}', vars.secret);
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

/** Whether a config value uses ${secret} anywhere (the composition root then requires the env variable). */
export function usesSecret(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes('${secret}');
}

/** The partner's spelling of our pairs: the reverse of the configured symbol map, else "USD/INR" as is. */
export function symbolsFor(pairs: readonly string[], symbols?: Record<string, string>): string[] {
  const reverse = new Map(Object.entries(symbols ?? {}).map(([sym, pair]) => [pair, sym]));
  return pairs.map((p) => reverse.get(p) ?? p);
}
