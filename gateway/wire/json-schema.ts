// The registered wire shapes as JSON Schema (2020-12) components, the one conversion both documents use.
import { z } from 'zod';
import { wire } from './registry.js';

type Json = Record<string, unknown>;

/** Drops the noise zod adds that says nothing to a reader: integer bounds at +-2^53, per-component $schema/$id. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$schema' || k === '$id') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = tidy(v);
  }
  return out;
}

/** Every registered shape by component name, with $refs of the form `${prefix}<name>`. */
export function componentSchemas(prefix: string): Record<string, Json> {
  const { schemas } = z.toJSONSchema(wire, { metadata: wire, uri: (id) => `${prefix}${id}` });
  return tidy(schemas) as Record<string, Json>;
}
