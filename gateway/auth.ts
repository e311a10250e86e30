// API keys: stored as SHA-256 hashes, never in plain text; each key has scopes.
import { createHash } from 'node:crypto';
import type { ApiKeyConfig, Limits, Scope } from '../config/index.js';
import { fxError } from '../engine/index.js';

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  limits: Limits;
}

/** The public demo keys the shipped config carries (as hashes); refused when NODE_ENV=production. */
export const DEMO_KEYS = ['demo-client-key', 'demo-transfer-key', 'demo-desk-key', 'demo-checker-key'] as const;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const DEMO_HASHES = new Set<string>(DEMO_KEYS.map(sha256));

const CACHE_MAX = 10_000;

export class ApiKeys {
  readonly #byHash = new Map<string, Principal>();
  /** key -> principal for keys seen valid: saves a SHA-256 per request. A new config builds a new ApiKeys. */
  readonly #byKey = new Map<string, Principal>();
  /** Authorization header -> principal, for headers that carried a valid key: saves parsing it per request. */
  readonly #byHeader = new Map<string, Principal>();

  constructor(keys: readonly ApiKeyConfig[], { production, limits }: { production: boolean; limits: Limits }) {
    for (const k of keys) {
      if (production && DEMO_HASHES.has(k.sha256)) continue;
      this.#byHash.set(k.sha256, { name: k.name, scopes: new Set(k.scopes), limits: { ...limits, ...k.limits } });
    }
  }

  /** Demo keys in force (plain text, from the public list), for the start-up banner. */
  demoKeys(): { key: string; name: string; scopes: Scope[] }[] {
    return DEMO_KEYS.flatMap((key) => {
      const p = this.#byHash.get(sha256(key));
      return p ? [{ key, name: p.name, scopes: [...p.scopes] }] : [];
    });
  }

  /** The principal for a key (from `Authorization: Bearer` or `?apiKey=`), or unauthorized. */
  authenticate(key: string): Principal {
    const cached = this.#byKey.get(key);
    if (cached) return cached;
    const p = key ? this.#byHash.get(sha256(key)) : undefined;
    if (!p) throw fxError('unauthorized', key ? 'the API key is not recognised' : 'send Authorization: Bearer <api key>');
    if (this.#byKey.size >= CACHE_MAX) this.#byKey.clear(); // only valid keys get here: a bound, not an eviction policy
    this.#byKey.set(key, p);
    return p;
  }

  /** The principal for an `Authorization: Bearer <key>` header value, or unauthorized. */
  fromHeader(header: string): Principal {
    const cached = this.#byHeader.get(header);
    if (cached) return cached;
    const p = this.authenticate(bearer(header));
    if (this.#byHeader.size >= CACHE_MAX) this.#byHeader.clear();
    this.#byHeader.set(header, p);
    return p;
  }

  /** The principal if it holds one of the scopes, or forbidden. */
  authorize(key: string, ...scopes: Scope[]): Principal {
    const p = this.authenticate(key);
    if (!scopes.some((s) => p.scopes.has(s)))
      throw fxError('forbidden', `this API key needs the ${scopes.join(' or ')} scope`);
    return p;
  }
}

/** The key from an Authorization header value ("Bearer k"). */
export function bearer(header: string): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : '';
}
