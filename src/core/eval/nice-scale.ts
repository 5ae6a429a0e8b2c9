/**
 * "Nice" round numbers (1, 2, 2.5, 5 x 10^k) for histogram bin widths and chart ticks, so the edges a
 * reader sees are the edges the counts were made with.
 */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const f = rough / magnitude;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Rounds away the binary noise of `start + i * step` (0.30000000000000004), so edges print and compare cleanly. */
export function clean(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * Multiples of a nice step covering [lo, hi]: the first at or below lo, the last at or above hi. `integer`
 * keeps a count axis from ticking at 0.5 or 2.5 records.
 */
export function niceTicks(lo: number, hi: number, targetCount: number, integer = false): number[] {
  if (!(hi > lo)) return [clean(lo)];
  let step = niceStep((hi - lo) / Math.max(1, targetCount));
  if (integer) step = step < 1 ? 1 : Number.isInteger(step) ? step : 5;
  // The 1e-9 slack keeps 0.3 / 0.1 = 2.9999999999999996 from adding a tick; the loops then make sure the
  // ticks really cover [lo, hi], with at least one interval.
  let first = Math.floor(lo / step + 1e-9);
  let last = Math.ceil(hi / step - 1e-9);
  while (clean(first * step) > lo) first--;
  while (clean(last * step) < hi || last <= first) last++;
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(clean(i * step));
  return ticks;
}
