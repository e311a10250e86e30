import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs off the hot thread (async destination), credentials redacted. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'fx-engine' },
      redact: { paths: ['authorization', 'apiKey', '*.authorization', '*.apiKey', 'headers.authorization', 'req.headers.authorization'], censor: '[Redacted]' },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
