// RFC 7396 JSON merge patch: objects merge key by key, null removes a key, anything else (arrays included)
// replaces. Pure: the target is never changed, a new value is returned.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return structuredClone(patch as Json);
  const out: Record<string, Json> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Every leaf a patch sets, as [path, value] ("corridors.USD-INR.halted", true); a null is a leaf too (a removal). */
export function patchLeaves(patch: unknown, path: string[] = []): [string[], Json][] {
  if (!isObject(patch) || (Object.keys(patch).length === 0 && path.length > 0)) return [[path, patch as Json]];
  return Object.entries(patch).flatMap(([k, v]) => patchLeaves(v, [...path, k]));
}
