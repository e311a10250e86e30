export { FeedAdapter } from './adapter.js';
export type { TickSink, FeedClock } from './adapter.js';
export { SyntheticFeed, prng } from './synthetic.js';
export type { SyntheticOptions, SyntheticPartnerOptions } from './synthetic.js';
export { toScaled, fromScaled } from './fixed-point.js';
