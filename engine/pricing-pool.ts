// The piscina pool that prices batches off the main thread.
import { Piscina } from 'piscina';
import type { PricingBatch, PricingResult } from './pricing-messages.js';

// From source (tests, tsx) the worker is a .ts file and needs tsx's loader; from dist it is plain JS.
const fromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(fromSource ? './pricing-worker.ts' : './pricing-worker.js', import.meta.url);

export class PricingPool {
  readonly #pool: Piscina<PricingBatch, PricingResult>;

  /** `worker` replaces the worker entry (tests wrap it to crash on purpose). */
  constructor(workers: number, worker: URL = workerFile) {
    this.#pool = new Piscina({
      filename: worker.href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
    });
  }

  price(batch: PricingBatch): Promise<PricingResult> {
    return this.#pool.run(batch);
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
