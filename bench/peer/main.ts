// The peer as a process, configured like a typical service: PORT, HOST, REDIS_URL, FX_CONFIG, REDIS_KEY_PREFIX.
// SIGTERM closes it cleanly (so `node --cpu-prof` gets to write its profile).
import { defaultConfigPath } from '../../config/index.js';
import { startPeer } from './server.js';

const peer = await startPeer({
  configPath: process.env.FX_CONFIG ?? defaultConfigPath(),
  port: Number(process.env.PORT ?? 8090),
  host: process.env.HOST ?? '127.0.0.1',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  keyPrefix: process.env.REDIS_KEY_PREFIX,
});
console.log(`peer listening on http://127.0.0.1:${peer.port}`);
const stop = () => void peer.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
