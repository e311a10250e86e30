// uWebSockets.js comes from a republished package that silently falls back to a slow pure-JS server when its
// native binary does not load. We refuse to run on that fallback.
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

const require = createRequire(import.meta.url);
export const uws: typeof UWS = require('uWebSockets.js');

export function nativeBinding(): { native: boolean; abi: string } {
  return { native: String(uws.App).includes('[native code]'), abi: process.versions.modules };
}

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
