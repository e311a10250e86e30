// Loaded into a server under test with `node --import`: counts the bytes the process allocates on its JS heap,
// so a bench can say "allocation per lock". V8 does not keep that count, so it is rebuilt from the heap's use
// before and after every GC (v8.GCProfiler): allocated = growth of the used heap between collections, summed.
// On SIGUSR2 it writes the count so far to FX_ALLOC_FILE as {"seq":n,"allocatedBytes":b}; the bench signals
// before and after a run and divides the difference by the requests answered. Buffers outside the JS heap
// (socket data) are not counted.
import { writeFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';

const file = process.env.FX_ALLOC_FILE;
if (file) {
  let profiler = new GCProfiler();
  profiler.start();
  let base = getHeapStatistics().used_heap_size;
  let allocated = 0;
  let seq = 0;
  process.on('SIGUSR2', () => {
    const { statistics } = profiler.stop();
    profiler = new GCProfiler();
    profiler.start();
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - base;
      base = gc.afterGC.heapStatistics.usedHeapSize;
    }
    const used = getHeapStatistics().used_heap_size;
    allocated += used - base;
    base = used;
    writeFileSync(file, JSON.stringify({ seq: ++seq, allocatedBytes: allocated }));
  });
}
