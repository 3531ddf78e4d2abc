/**
 * A tiny benchmark harness: runs a body repeatedly for a fixed wall time after a
 * warm-up and reports rates. Benchmarks measure; tests never assert on time.
 */

export interface BenchResult {
  name: string;
  /** Body calls per second. */
  opsPerSec: number;
  /** Extra columns, e.g. { 'Gbit/s': 1.2 }. */
  extra: Record<string, number>;
}

export function bench(name: string, body: () => number | void, opts: { ms?: number; warmupMs?: number; unitBytes?: number; extra?: (opsPerSec: number, units: number) => Record<string, number> } = {}): BenchResult {
  const ms = opts.ms ?? 1500;
  const warm = opts.warmupMs ?? 300;
  let end = performance.now() + warm;
  while (performance.now() < end) body();
  let ops = 0;
  let units = 0;
  const start = performance.now();
  end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) {
      const u = body();
      units += typeof u === 'number' ? u : 0;
      ops++;
    }
  }
  const secs = (performance.now() - start) / 1000;
  const opsPerSec = ops / secs;
  return { name, opsPerSec, extra: opts.extra ? opts.extra(opsPerSec, units / secs) : {} };
}

export function printTable(title: string, results: BenchResult[]): void {
  console.log(`\n${title}`);
  const extraKeys = [...new Set(results.flatMap((r) => Object.keys(r.extra)))];
  const header = ['benchmark', 'ops/s', ...extraKeys];
  const rows = results.map((r) => [r.name, fmt(r.opsPerSec), ...extraKeys.map((k) => (k in r.extra ? fmt(r.extra[k]) : ''))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(2);
}
