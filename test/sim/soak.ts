/**
 * npm run soak -- --seeds 10000 [--from 1] [--size 1048576] [--limit-h 12]
 * Runs the seeded TCP transfer for many seeds and prints failures, the slowest
 * runs and the median / 99th percentile of the virtual time to finish.
 */
import { runTransfer } from '../helpers/transfer';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const seeds = arg('seeds', 1000);
const from = arg('from', 1);
const size = arg('size', 1 << 20);
const limitMs = arg('limit-h', 12) * 3600_000;
const t0 = performance.now();
const times: { seed: number; s: number }[] = [];
let failed = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const r = runTransfer(seed, size, limitMs);
  if (!r.ok) {
    failed++;
    console.log(`FAIL seed ${seed}: ${r.reason.slice(0, 400)}\n  faults: ${JSON.stringify(r.settings)}`);
  } else times.push({ seed, s: r.tookMs / 1000 });
  if ((seed - from + 1) % 500 === 0) console.log(`... ${seed - from + 1} seeds, ${failed} failed`);
}
times.sort((a, b) => b.s - a.s);
const quantile = (q: number) => (times.length ? times[Math.min(times.length - 1, Math.floor((1 - q) * times.length))].s : NaN);
console.log(`\n${seeds} seeds from ${from}, ${size} bytes each way: ${seeds - failed} passed, ${failed} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s of wall time`);
console.log(`virtual time to finish (passed seeds): median ${quantile(0.5).toFixed(1)} s, p99 ${quantile(0.99).toFixed(0)} s, max ${(times[0]?.s ?? NaN).toFixed(0)} s`);
console.log(`slowest (seed:virtual s): ${times.slice(0, 10).map((x) => `${x.seed}:${x.s.toFixed(0)}`).join(' ')}`);
process.exitCode = failed ? 1 : 0;
