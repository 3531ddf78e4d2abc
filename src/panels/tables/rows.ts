/**
 * The counters snapshot as table rows: one row per layer (in stack order) with
 * its counts, then one row per drop reason. Plain TypeScript, no runes.
 */

import type { CounterName, CountersSnapshot } from '../../../worker/trace/counters';
import type { Layer } from '../../../worker/trace/events';

/** Bottom-up, as a frame climbs the stack. */
export const LAYERS: readonly Layer[] = ['link', 'ethernet', 'arp', 'ipv4', 'icmp', 'udp', 'tcp', 'app'];

/** Columns of the counters table, in reading order. */
export const COUNTER_COLUMNS: readonly CounterName[] = ['rx', 'tx', 'delivered', 'forwarded', 'retransmits', 'fragmentsCreated', 'reassembled', 'errorsSent', 'errorsReceived'];

export interface CounterRow {
  layer: Layer;
  counts: Partial<Record<CounterName, number>>;
  dropped: number;
}

export interface DropRow {
  layer: Layer;
  reason: string;
  count: number;
}

export function counterRows(snapshot: CountersSnapshot): { rows: CounterRow[]; drops: DropRow[]; columns: CounterName[] } {
  const rows: CounterRow[] = [];
  const drops: DropRow[] = [];
  const used = new Set<CounterName>();
  for (const layer of LAYERS) {
    const l = snapshot[layer];
    if (!l) continue;
    let dropped = 0;
    for (const [reason, count] of Object.entries(l.drops)) {
      if (!count) continue;
      dropped += count;
      drops.push({ layer, reason, count });
    }
    for (const [name, v] of Object.entries(l.counts)) if (v) used.add(name as CounterName);
    rows.push({ layer, counts: l.counts, dropped });
  }
  drops.sort((a, b) => b.count - a.count);
  // Only the columns some layer has counted: an empty column teaches nothing.
  return { rows, drops, columns: COUNTER_COLUMNS.filter((c) => used.has(c)) };
}
