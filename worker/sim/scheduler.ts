/**
 * The one scheduler that drives everything: protocol timers (RTO, delayed ACK,
 * ARP retries, reassembly timeouts, ...) and link delays are events here.
 *
 * Time is stack time in milliseconds (a float; sub-millisecond link delays are fine).
 * Nothing reads a real clock: tests advance the scheduler directly (a virtual
 * clock), and in the browser a RealtimeDriver advances it against wall time,
 * which gives run / pause / single-step / slow motion for free.
 *
 * Events are ordered by (time, arming order): two events due at the same time run
 * in the order they were armed (FIFO on ties), which keeps runs deterministic.
 *
 * Timers are reusable objects kept in an indexed binary heap, so re-arming a
 * timer (the RTO on every ACK) is O(log n) and allocates nothing.
 */

export type Time = number;

export class Timer {
  /** Position in the scheduler's heap; -1 when not armed. */
  index = -1;
  /** Absolute due time when armed. */
  at = 0;
  /** Arming order, for FIFO on equal times. */
  seq = 0;

  constructor(
    private readonly scheduler: Scheduler,
    readonly callback: () => void,
    /** Shown in traces and debugging ("rto", "arp-retry 10.0.0.2"). */
    readonly label = '',
  ) {}

  get armed(): boolean {
    return this.index >= 0;
  }

  /** Due time, or undefined when not armed. */
  get deadline(): Time | undefined {
    return this.index >= 0 ? this.at : undefined;
  }

  /** Arms (or re-arms) the timer at an absolute time; a time in the past means "now". */
  set(at: Time): void {
    this.scheduler.arm(this, at);
  }

  /** Arms (or re-arms) the timer `delay` ms from now. */
  setIn(delay: Time): void {
    this.scheduler.arm(this, this.scheduler.now + delay);
  }

  cancel(): void {
    this.scheduler.disarm(this);
  }
}

export class Scheduler {
  private _now: Time;
  private readonly heap: Timer[] = [];
  private seqCounter = 0;
  /** Total events run; handy for bounding loops in tests and for the UI's step counter. */
  eventsRun = 0;

  constructor(start: Time = 0) {
    this._now = start;
  }

  get now(): Time {
    return this._now;
  }

  /** Number of armed timers. */
  get pending(): number {
    return this.heap.length;
  }

  /** A reusable timer, not armed. */
  timer(callback: () => void, label = ''): Timer {
    return new Timer(this, callback, label);
  }

  /** A one-shot event at an absolute time. The returned timer can cancel it. */
  at(time: Time, callback: () => void, label = ''): Timer {
    const t = new Timer(this, callback, label);
    this.arm(t, time);
    return t;
  }

  /** A one-shot event `delay` ms from now. */
  after(delay: Time, callback: () => void, label = ''): Timer {
    return this.at(this._now + delay, callback, label);
  }

  /** Due time of the earliest event, or undefined when idle. */
  nextAt(): Time | undefined {
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Label of the earliest event (for the UI's "next: rto" hint). */
  nextLabel(): string | undefined {
    return this.heap.length > 0 ? this.heap[0].label : undefined;
  }

  /**
   * Runs the earliest event if it is due at or before `limit`, moving the clock to
   * its time. Returns false when there is no such event.
   */
  runNext(limit: Time = Infinity): boolean {
    if (this.heap.length === 0) return false;
    const t = this.heap[0];
    if (t.at > limit) return false;
    this.removeAt(0);
    if (t.at > this._now) this._now = t.at;
    this.eventsRun++;
    t.callback();
    return true;
  }

  /** Runs every event due at or before `time`, then sets the clock to `time`. Returns how many ran. */
  runUntil(time: Time): number {
    let n = 0;
    while (this.runNext(time)) n++;
    if (time > this._now) this._now = time;
    return n;
  }

  /** Advances the clock by `ms`, running everything that falls due. */
  advance(ms: Time): number {
    return this.runUntil(this._now + ms);
  }

  /**
   * Runs events until none are left or `maxEvents` have run (a guard against
   * timers that re-arm forever, such as keepalives). Returns how many ran.
   */
  runUntilIdle(maxEvents = 1_000_000): number {
    let n = 0;
    while (n < maxEvents && this.runNext()) n++;
    return n;
  }

  /** @internal use Timer.set */
  arm(t: Timer, at: Time): void {
    if (!(at >= this._now)) at = this._now; // also maps NaN to now
    t.at = at;
    t.seq = this.seqCounter++;
    if (t.index >= 0) {
      // Re-arm in place: restore heap order in whichever direction it moved.
      this.siftUp(t.index);
      this.siftDown(t.index);
    } else {
      t.index = this.heap.length;
      this.heap.push(t);
      this.siftUp(t.index);
    }
  }

  /** @internal use Timer.cancel */
  disarm(t: Timer): void {
    if (t.index >= 0) this.removeAt(t.index);
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const removed = heap[i];
    const last = heap.pop()!;
    removed.index = -1;
    if (i < heap.length) {
      heap[i] = last;
      last.index = i;
      this.siftUp(i);
      this.siftDown(last.index);
    }
  }

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const t = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!this.before(t, p)) break;
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = t;
    t.index = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const t = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(heap[r], heap[l]) ? r : l;
      if (!this.before(heap[c], t)) break;
      heap[i] = heap[c];
      heap[i].index = i;
      i = c;
    }
    heap[i] = t;
    t.index = i;
  }
}
