// Preloaded into a benchmark child (`node --expose-gc --import …/live-heap-probe.js`): every 250 ms it collects garbage
// and notes the heap still in use, then prints `live-heap MAX_MB MEDIAN_MB SAMPLES` on stderr at exit. What oxbow holds,
// apart from when V8 chooses to collect: the figure a peak RSS mixes with garbage awaiting collection.

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('live-heap-probe: run node with --expose-gc');
const samples: number[] = [];
const timer = setInterval(() => {
  gc();
  samples.push(process.memoryUsage().heapUsed / 1_048_576);
}, 250);
timer.unref();
process.on('exit', () => {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
  process.stderr.write(`live-heap ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ${median.toFixed(1)} ${sorted.length}\n`);
});
