/**
 * State of the metrics panel: a MetricsMeter fed by the lab's trace batches,
 * and its snapshot for every direction of the link, refreshed four times a
 * second while the panel is on screen.
 */

import type { LabState } from '../lab/lab.svelte';
import { MetricsMeter, type DirectionMetrics } from './meter';

const REFRESH_MS = 250;

export class MetricsState {
  rows = $state.raw<DirectionMetrics[]>([]);
  visible = $state(true);

  private readonly meter: MetricsMeter;
  private readonly unsubscribe: () => void;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly lab: LabState) {
    // Solo mode's in-memory segment adds 0.5 ms each way (worker/lab.ts); a pairing's wire is the data channel.
    this.meter = new MetricsMeter(lab.mode === 'solo' ? 0.5 : 0);
    this.unsubscribe = lab.subscribe((batch) => {
      for (const e of batch) this.meter.apply(e);
    });
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  dispose(): void {
    this.unsubscribe();
    clearInterval(this.timer);
  }

  refresh(): void {
    const now = this.lab.clock?.now;
    if (!this.visible || now === undefined || (typeof document !== 'undefined' && document.hidden)) return;
    this.rows = this.meter.snapshot(
      now,
      this.lab.link.directions.map((d) => ({ host: d.host, peer: d.peer, settings: d.settings })),
      this.lab.mode === 'solo',
    );
  }
}
