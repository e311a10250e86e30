// npm run bench: every benchmark there is, one after another (today: lock and redeem, bench/lock.ts).
import { lockBench } from './lock.js';

await lockBench();
