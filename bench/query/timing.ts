/** Latency statistics of repeated runs (milliseconds). */
export interface Latency {
  median: number;
  p95: number;
  runs: number;
}

export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p95: at(0.95), runs: sorted.length };
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed. */
export async function timeRuns(runs: number, warmup: number, fn: (i: number) => unknown): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return latency(samples);
}

export const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
