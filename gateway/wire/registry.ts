// The registry of named wire shapes: every schema registered here becomes a component of the OpenAPI and
// AsyncAPI documents (by its id), and the generators refuse a route or message whose schema is not in it.
import { z } from 'zod';

export interface WireMeta {
  /** The component name in the documents ("Quote"); absent on a documented field that is not a component. */
  id?: string;
  description?: string;
  /** Any other JSON Schema keyword to emit as is (oneOf for "exactly one of", examples). */
  [keyword: string]: unknown;
}

export const wire = z.registry<WireMeta>();

/** Registers a schema under a component name. */
export function named<T extends z.ZodType>(id: string, description: string, schema: T, extra: Omit<WireMeta, 'id' | 'description'> = {}): T {
  wire.add(schema, { id, description, ...extra });
  return schema;
}

/** Documents a field (not a component), on a copy: shared pieces (decimal, corridor id) stay undescribed. */
export function doc<T extends z.ZodType>(description: string, schema: T): T {
  const copy = schema.clone() as T;
  wire.add(copy, { description });
  return copy;
}

/** The component name of a registered schema; throws for one that is not, so every documented body has a name. */
export function idOf(schema: z.ZodType): string {
  const id = wire.get(schema)?.id;
  if (!id) throw new Error('a wire schema must be registered with named(): give it a component name');
  return id;
}
