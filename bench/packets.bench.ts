/**
 * The packet list's costs: ingesting trace batches into the columnar store,
 * filtering a million rows, building the text of the rows on screen,
 * dissecting the selected frame; and the memory a row costs.
 */
import { compileFilter } from '../src/lib/filter/compile';
import { dissect } from '../src/lib/dissect';
import { rowText } from '../src/lib/packets/info';
import { PacketLog } from '../src/lib/packets/log';
import { PacketStore } from '../src/lib/packets/store';
import { RowView } from '../src/lib/packets/view';
import type { FrameEvent } from '../worker/trace/events';
import { golden } from '../test/helpers/golden-frames';
import { bench, type BenchResult } from './harness';

const ROWS = 1_000_000;

function fill(rows: number): { log: PacketLog; ms: number } {
  const g = golden();
  const frames = g.tx;
  const log = new PacketLog(new PacketStore(rows), 'pair');
  const batch: FrameEvent[] = [];
  const start = performance.now();
  for (let i = 0; i < rows; i++) {
    const e = frames[i % frames.length]!;
    batch.push({ ...e, id: i + 1, t: i * 0.2 });
    if (batch.length === 256) {
      log.ingest(batch);
      batch.length = 0;
    }
  }
  log.ingest(batch);
  return { log, ms: performance.now() - start };
}

export function packetBenchmarks(): BenchResult[] {
  const results: BenchResult[] = [];
  const heapBefore = process.memoryUsage();
  const { log, ms } = fill(ROWS);
  const heapAfter = process.memoryUsage();
  const st = log.store;
  const used = heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers;
  results.push({
    name: `ingest ${ROWS.toLocaleString('en')} frame events (store of 1M rows)`,
    opsPerSec: (ROWS / ms) * 1000,
    extra: { 'column B/row': st.bytesPerRow, 'measured B/row': (used - st.byteBudget) / ROWS, 'byte budget MB': st.byteBudget / 2 ** 20 },
  });

  for (const expr of ['tcp.port == 80', 'ip.addr == 10.0.0.2 && tcp.flags.syn && !tcp.flags.ack', 'arp || icmp.type == 8', 'dropped || tcp.analysis.flags', 'frame contains "GET"']) {
    const c = compileFilter(expr);
    if (!c.ok) throw new Error(expr);
    let matched = 0;
    results.push(
      bench(
        `filter 1M rows: ${expr}`,
        () => {
          const v = new RowView(st);
          v.setFilter(c.test);
          v.step();
          matched = v.length;
        },
        { ms: 3000, warmupMs: 500, extra: (ops) => ({ 'ms/pass': 1000 / ops, 'Mrows/s': (ops * ROWS) / 1e6, matched }) },
      ),
    );
  }

  let a = st.first;
  results.push(bench('row text for a row on screen', () => {
    rowText(st, a);
    a = a + 1 < st.count ? a + 1 : st.first;
  }));

  const g = golden();
  results.push(bench('dissect a TCP data frame (detail tree)', () => void dissect(g.data, { windowShift: 7 })));
  return results;
}
