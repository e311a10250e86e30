// pino JSON logs off the hot thread (async destination), credentials redacted; and what the engine's and
// feeds' diagnostics channels say that an operator should read.
import { pino, type Logger } from 'pino';
import { channels, listen, type QuoteStore } from '../engine/index.js';
import { feedChannels } from '../feeds/index.js';

export type { Logger };

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

/** Logs store reachability, pricing worker failures and feed state and errors; returns the unsubscribe. */
export function logEvents(logger: Logger, store: QuoteStore): () => void {
  const stops = [
    listen(channels.storeState, ({ up, error }) => {
      if (up) logger.info({ store: store.kind }, 'quote store reachable');
      else logger.error({ store: store.kind, error }, 'quote store unreachable: locks and redeems answer 503 store_unavailable');
    }),
    listen(channels.workerError, ({ error }) => logger.error({ err: error }, 'pricing batch failed; its corridors are re-priced')),
    listen(feedChannels.state, ({ partner, state, previous }) => {
      const level = state === 'open' || state === 'backoff' ? 'warn' : 'info';
      logger[level]({ partner, state, previous }, `feed ${partner}: ${state}`);
    }),
    // Bad data can come by the thousand: it is counted in metrics and logged at debug only.
    listen(feedChannels.error, (e) => logger[e.root === 'retryable' ? 'warn' : 'debug'](e, `feed ${e.partner}: ${e.code}`)),
  ];
  return () => stops.forEach((stop) => stop());
}
