// Preloaded into the CLI by bench/import/main.ts (node -r): on exit, the process's peak resident memory and CPU time,
// as one JSON line on stderr, so the benchmark measures the `vector-tune import` a user runs, unchanged.
const fs = require('node:fs');
process.on('exit', () => {
  const usage = process.resourceUsage();
  const line = { peakRssKb: usage.maxRSS, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 };
  fs.writeSync(2, `bench-import ${JSON.stringify(line)}\n`);
});
