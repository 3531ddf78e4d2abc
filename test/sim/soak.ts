/**
 * npm run soak -- --seeds 10000 [--from 1] [--size 1048576]
 * Runs the seeded TCP transfer for many seeds and prints failures and the slowest runs.
 */
import { runTransfer } from '../helpers/transfer';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const seeds = arg('seeds', 1000);
const from = arg('from', 1);
const size = arg('size', 1 << 20);
const t0 = performance.now();
const slow: { seed: number; s: number }[] = [];
let failed = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const r = runTransfer(seed, size, 12 * 3600_000);
  if (!r.ok) {
    failed++;
    console.log(`FAIL seed ${seed}: ${r.reason.slice(0, 400)}\n  faults: ${JSON.stringify(r.settings)}`);
  } else slow.push({ seed, s: r.tookMs / 1000 });
  if ((seed - from + 1) % 500 === 0) console.log(`... ${seed - from + 1} seeds, ${failed} failed`);
}
slow.sort((a, b) => b.s - a.s);
console.log(`\n${seeds} seeds from ${from}, ${size} bytes each way: ${failed} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s of wall time`);
console.log(`slowest (virtual s): ${slow.slice(0, 10).map((x) => `${x.seed}:${x.s.toFixed(0)}`).join(' ')}`);
process.exitCode = failed ? 1 : 0;
