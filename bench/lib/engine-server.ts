// The engine as a bench child process: the real composition root (start()) with the Redis key prefix the
// runner gives it, so the bench can remove exactly its own keys. Reports its port over IPC; SIGTERM closes it
// cleanly, so that `node --cpu-prof` gets to write its profile.
import { createLogger, start } from '../../gateway/index.js';

const env = process.env;
const running = await start({
  configPath: env.FX_CONFIG!,
  port: Number(env.PORT ?? 0),
  host: '127.0.0.1',
  role: 'all',
  logLevel: 'warn',
  production: false,
  redisUrl: env.REDIS_URL,
  redisKeyPrefix: env.REDIS_KEY_PREFIX,
  logger: createLogger('warn'),
});
process.send?.({ ready: true, port: running.port });
const stop = () => void running.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
