/**
 * Counters per layer: frames/packets in and out, and drops by reason.
 * Keys are fixed strings, so incrementing allocates nothing after first use.
 */

import type { DropReason, Layer } from './events';

export type CounterName = 'rx' | 'tx' | 'delivered' | 'forwarded' | 'fragmentsCreated' | 'reassembled' | 'requests' | 'replies' | 'errorsSent' | 'errorsReceived' | 'retransmits';

export interface LayerCounters {
  counts: Partial<Record<CounterName, number>>;
  drops: Partial<Record<DropReason, number>>;
}

export type CountersSnapshot = Partial<Record<Layer, LayerCounters>>;

export class Counters {
  private readonly layers: CountersSnapshot = {};

  private layer(layer: Layer): LayerCounters {
    let l = this.layers[layer];
    if (!l) this.layers[layer] = l = { counts: {}, drops: {} };
    return l;
  }

  inc(layer: Layer, name: CounterName, n = 1): void {
    const c = this.layer(layer).counts;
    c[name] = (c[name] ?? 0) + n;
  }

  drop(layer: Layer, reason: DropReason, n = 1): void {
    const d = this.layer(layer).drops;
    d[reason] = (d[reason] ?? 0) + n;
  }

  get(layer: Layer, name: CounterName): number {
    return this.layers[layer]?.counts[name] ?? 0;
  }

  drops(layer: Layer, reason: DropReason): number {
    return this.layers[layer]?.drops[reason] ?? 0;
  }

  /** Sum of drops across layers, optionally of one reason. */
  totalDrops(reason?: DropReason): number {
    let n = 0;
    for (const l of Object.values(this.layers)) {
      if (!l) continue;
      for (const [r, v] of Object.entries(l.drops)) if (reason === undefined || r === reason) n += v ?? 0;
    }
    return n;
  }

  /** A deep copy, safe to hand to the UI. */
  snapshot(): CountersSnapshot {
    return structuredClone(this.layers);
  }

  reset(): void {
    for (const k of Object.keys(this.layers)) delete this.layers[k as Layer];
  }
}
