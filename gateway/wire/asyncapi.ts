// The AsyncAPI 3.0 document of WS /v1/stream, generated from the registered frame shapes and written to
// docs/asyncapi.yaml (npm run contract:docs; a test fails when it is stale, and validates it with @asyncapi/parser).
import { stringify } from 'yaml';
import { CLIENT_FRAMES, SERVER_FRAMES } from './frames.js';
import { componentSchemas } from './json-schema.js';
import { idOf, wire } from './registry.js';
import { API_VERSION } from './openapi.js';

type Json = Record<string, unknown>;

const SUMMARIES: Record<string, string> = {
  subscribe: 'Subscribe to corridors at a tier', unsubscribe: 'Stop a corridor', lock: 'Lock a quote over the socket',
  quote: 'The latest price of a corridor', locked: 'A lock succeeded', quote_redeemed: 'A quote this socket locked was redeemed',
  quote_expired: 'A quote this socket locked expired', heartbeat: 'The link is alive', error: 'A frame was refused',
};

export function asyncApiDocument(): Json {
  const frames = { ...CLIENT_FRAMES, ...SERVER_FRAMES };
  const messages: Json = {};
  for (const [name, schema] of Object.entries(frames))
    messages[name] = {
      name, title: name, summary: SUMMARIES[name], description: wire.get(schema)?.description,
      contentType: 'application/json', payload: { $ref: `#/components/schemas/${idOf(schema)}` },
    };
  const all = componentSchemas('#/components/schemas/');
  // Only what the frames reach: the REST-only shapes stay in the OpenAPI document.
  const reached = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') {
        const id = x.slice('#/components/schemas/'.length);
        if (!reached.has(id)) (reached.add(id), visit(all[id]));
      } else visit(x);
    }
  };
  for (const schema of Object.values(frames)) visit({ $ref: `#/components/schemas/${idOf(schema)}` });
  const schemas = Object.fromEntries([...reached].sort().map((id) => [id, all[id]]));
  const channelMessages = Object.fromEntries(Object.keys(frames).map((n) => [n, { $ref: `#/components/messages/${n}` }]));
  const op = (action: 'send' | 'receive', names: string[], summary: string) => ({
    action, summary, channel: { $ref: '#/channels/stream' },
    messages: names.map((n) => ({ $ref: `#/channels/stream/messages/${n}` })),
  });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'FX pricing engine stream',
      version: API_VERSION,
      description: 'Indicative quotes per corridor and tier, conflated (the latest price wins, never a backlog), locks over the socket and lifecycle pushes. '
        + 'JSON text frames; money, rates and bps are decimal strings; ts and tickTs are epoch microseconds. A refused frame is answered with an error frame and the socket stays open. '
        + 'Close codes: 4008 slow consumer (queued past the bound), 1001 server shutting down, 1009 a frame far over the size bound.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:8080', protocol: 'ws', description: '`npm start`',
        security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/apiKeyQuery' }],
      },
    },
    channels: {
      stream: {
        address: '/v1/stream',
        title: 'The quote stream',
        description: 'One socket per client; the API key needs scope stream (and lock for lock frames).',
        messages: channelMessages,
      },
    },
    operations: {
      receiveClientFrames: op('receive', Object.keys(CLIENT_FRAMES), 'The server receives subscribe, unsubscribe and lock frames'),
      sendServerFrames: op('send', Object.keys(SERVER_FRAMES), 'The server sends quotes, lock answers, lifecycle pushes, heartbeats and errors'),
    },
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key> on the upgrade request.' },
        apiKeyQuery: { type: 'httpApiKey', name: 'apiKey', in: 'query', description: 'For browsers, which cannot set headers on a WebSocket: ?apiKey=<api key>.' },
      },
    },
  };
}

/** As written to docs/asyncapi.yaml. */
export function renderAsyncApi(): string {
  return stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
}
