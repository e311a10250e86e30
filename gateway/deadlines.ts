// Many deadlines, one timer: a binary min-heap by time, and a single timer armed for the earliest. The
// stream's quote_expired pushes use it, so a lock costs a heap entry, not a timer of its own.

interface Entry<T> {
  atMs: number;
  item: T;
}

export class Deadlines<T> {
  readonly #heap: Entry<T>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;

  /** `onDue` gets each item once its time has come (in time order); `now` is the wall clock in ms. */
  constructor(private readonly onDue: (item: T) => void, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.#heap.length;
  }

  add(atMs: number, item: T): void {
    const h = this.#heap;
    h.push({ atMs, item });
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.atMs <= h[i]!.atMs) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
    if (atMs < this.#armedFor) this.#arm();
  }

  #pop(): Entry<T> {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.atMs < h[m]!.atMs) m = l;
        if (r < h.length && h[r]!.atMs < h[m]!.atMs) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const next = this.#heap[0];
    this.#armedFor = next ? next.atMs : Number.POSITIVE_INFINITY;
    if (!next) return (this.#timer = undefined);
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next.atMs - this.now()));
    this.#timer.unref();
  }

  #fire(): void {
    const now = this.now();
    while (this.#heap.length && this.#heap[0]!.atMs <= now) this.onDue(this.#pop().item);
    this.#arm();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#heap.length = 0;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}
