/**
 * How far behind the stack the display runs. The worker stamps each trace
 * batch with the moment its oldest event happened (on the clock the worker and
 * the page share: performance.timeOrigin + performance.now()); the page takes a
 * sample when the batch's contents reach the screen, at the next animation
 * frame. The meter keeps the samples of the last few seconds and reports the
 * median, the 95th percentile and the worst, so a slow panel shows up as a
 * number instead of a vague feeling that "the display is sticky".
 */

export interface LagStats {
  /** Samples in the window. */
  n: number;
  p50: number;
  p95: number;
  max: number;
}

/**
 * Whether the stack was held for the display lately (solo mode's backpressure:
 * DriverState.throttled and throttledMs), from the clock as the page polls it a
 * few times a second. A hold is often shorter than the time between two polls,
 * so growth of throttledMs counts too, and a hold seen within `windowMs` keeps
 * the note up (rather than flickering on and off at each poll).
 */
export class HoldWatch {
  private lastMs = 0;
  private seenAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs = 2000) {}

  /** The clock as polled at `now` (ms); true while a note should say the stack is held. */
  update(now: number, clock: { mode: string; throttled: boolean; throttledMs: number }): boolean {
    if ((clock.throttled && clock.mode === 'running') || clock.throttledMs > this.lastMs) this.seenAt = now;
    this.lastMs = clock.throttledMs; // a new lab starts from 0 again
    return clock.mode === 'running' && now - this.seenAt <= this.windowMs;
  }
}

export class LagMeter {
  private readonly at: Float64Array;
  private readonly lag: Float64Array;
  private next = 0;
  private size = 0;
  private readonly scratch: Float64Array;

  constructor(
    /** Samples older than this (ms) no longer count. */
    private readonly windowMs = 2000,
    capacity = 512,
  ) {
    this.at = new Float64Array(capacity);
    this.lag = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  /** One sample: at `at` (ms), the display was `lag` ms behind. Nonsense (negative clocks skew, NaN) is clamped or ignored. */
  add(at: number, lag: number): void {
    if (!Number.isFinite(at) || !Number.isFinite(lag)) return;
    this.at[this.next] = at;
    this.lag[this.next] = Math.max(0, lag);
    this.next = (this.next + 1) % this.at.length;
    this.size = Math.min(this.size + 1, this.at.length);
  }

  /** Statistics of the samples within the window before `now`; undefined when there are none. */
  stats(now: number): LagStats | undefined {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (now - this.at[i]! <= this.windowMs) this.scratch[n++] = this.lag[i]!;
    if (n === 0) return undefined;
    const sorted = this.scratch.subarray(0, n).sort();
    const pick = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { n, p50: pick(0.5), p95: pick(0.95), max: sorted[n - 1]! };
  }
}
