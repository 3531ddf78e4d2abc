/**
 * State of the metrics panel: a MetricsMeter fed by the lab's trace batches,
 * and its snapshot for every direction of the link, refreshed four times a
 * second while the panel is on screen.
 */

import type { LabState } from '../lab/lab.svelte';
import { MetricsMeter, type DirectionMetrics } from './meter';

const REFRESH_MS = 250;
/** Processing time is averaged over about this many refreshes (2 s). */
const PROCESSING_SAMPLES = 8;
/** Fewer frames than this in the span say too little about the time per frame. */
const MIN_FRAMES = 20;

export class MetricsState {
  rows = $state.raw<DirectionMetrics[]>([]);
  visible = $state(true);

  private readonly meter: MetricsMeter;
  private readonly unsubscribe: () => void;
  private readonly timer: ReturnType<typeof setInterval>;
  /** (worker busy ms, frames handled) at recent refreshes, oldest first. */
  private readonly busy: { ms: number; frames: number }[] = [];
  private perFrameMs: number | undefined;

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
    const clock = this.lab.clock;
    if (!this.visible || clock === undefined || (typeof document !== 'undefined' && document.hidden)) return;
    this.measureProcessing(clock.busyMs);
    this.rows = this.meter.snapshot(
      clock.now,
      this.lab.link.directions.map((d) => ({ host: d.host, peer: d.peer, settings: d.settings })),
      this.lab.mode === 'solo',
      this.perFrameMs,
    );
  }

  /**
   * The worker's real time spent running the stack, per frame it handled, over
   * the last two seconds or so. Kept from the last busy span when traffic stops,
   * so the number stays readable after a transfer.
   */
  private measureProcessing(busyMs: number): void {
    this.busy.push({ ms: busyMs, frames: this.meter.framesHandled });
    if (this.busy.length > PROCESSING_SAMPLES) this.busy.shift();
    const first = this.busy[0]!;
    const last = this.busy[this.busy.length - 1]!;
    const frames = last.frames - first.frames;
    if (frames >= MIN_FRAMES) this.perFrameMs = (last.ms - first.ms) / frames;
  }
}
