// The shape every benchmark in tools/bench/ reports, so `npm run bench` can print one JSON line each and one summary table.

export interface BenchContext {
  /** Small data, every benchmark under 3 minutes in all; CI runs this to keep the suite from rotting. */
  quick: boolean;
  /** Addresses of the real services when they run (from `npm run services`); a benchmark that needs one and lacks it reports skipped with the reason. */
  kafkaBrokers?: string;
  webhdfsUrl?: string;
  /** A scratch folder the benchmark may fill and leave. */
  workDir: string;
}

export interface BenchRow {
  /** Stable id, e.g. `engine.events-per-second`. */
  id: string;
  /** What was measured, for the table. */
  title: string;
  /** The figure (median over runs), its unit, and the floor/peer it is compared with when there is one. */
  value: number;
  unit: string;
  baseline?: { title: string; value: number; unit: string };
  /** value / baseline.value (or as the goal defines it). */
  ratio?: number;
  /** The goal in words, e.g. `>= 0.8 of plain kafkajs`; `met` says whether this run met it. */
  goal?: string;
  met?: boolean;
  runs?: number;
  peakRssMb?: number;
  notes?: string;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
