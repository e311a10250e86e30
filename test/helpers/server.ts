import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parse, stringify } from 'yaml';
import { defaultConfigPath } from '../../config/index.js';
import type { RedisTarget } from '../../engine/index.js';
import { start, type Running } from '../../app/index.js';
import { sha256 } from '../../gateway/index.js';
import { checkResponse } from './contract.js';
import { REDIS_URL, testPrefix } from './redis.js';

export type StoreKind = 'memory' | 'redis';

/** The shipped config, changed by `edit`, written to a temp file (so a test can edit it under a running engine). */
export function writeConfig(edit: (doc: any) => void = () => {}): string {
  const doc = parse(readFileSync(defaultConfigPath(), 'utf8'));
  // Tests drive bursts far past a real client's rate; the tests of limits set their own.
  doc.limits = { lockPerSecond: 100_000, lockBurst: 100_000, redeemPerSecond: 100_000, redeemBurst: 100_000 };
  // A key that may watch the stream and nothing else: the lock paths must refuse it.
  doc.apiKeys.push({ name: 'test-stream-only', sha256: sha256(STREAM_ONLY), scopes: ['stream'] });
  edit(doc);
  const path = join(mkdtempSync(join(tmpdir(), 'fx-config-')), 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

export interface TestServer extends Running {
  base: string;
  ws: string;
  configPath: string;
  keyPrefix: string;
}

export async function startServer(opts: {
  store: StoreKind; edit?: (doc: any) => void; feeds?: boolean; configPath?: string;
  /** Another Redis than the shared test one: a URL, or a target (a cluster). */
  redisUrl?: string; redis?: RedisTarget; logger?: Logger;
}): Promise<TestServer> {
  const configPath = opts.configPath ?? writeConfig(opts.edit);
  const keyPrefix = testPrefix();
  const running = await start({
    configPath, port: 0, host: '127.0.0.1', role: 'all', logLevel: 'silent', production: false,
    redis: opts.store === 'redis' ? (opts.redis ?? { url: opts.redisUrl ?? REDIS_URL }) : undefined, redisKeyPrefix: keyPrefix, feeds: opts.feeds,
    logger: opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  return { ...running, base: `http://127.0.0.1:${running.port}`, ws: `ws://127.0.0.1:${running.port}/v1/stream`, configPath, keyPrefix };
}

export const CLIENT = 'demo-client-key';
export const TRANSFER = 'demo-transfer-key';
export const DESK = 'demo-desk-key';
/** Scope stream only (added by writeConfig). */
export const STREAM_ONLY = 'test-stream-only-key';

/** A request with fetch; the body it gets back is checked against the published OpenAPI document (docs/openapi.json). */
export async function http(base: string, method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  checkResponse(method, path, res.status, res.headers.get('content-type'), text);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Waits until `check` returns a value (not undefined), polling. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The second admin demo key: the desk's checker (approves what DESK proposes). */
export const CHECKER = 'demo-checker-key';
