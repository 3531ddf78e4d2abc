/**
 * Drives a Scheduler against wall-clock time: the browser's "real time",
 * slow motion, pause and single-step.
 *
 * Sans-IO: the wall clock and the host timer are injected (worker/main.ts passes
 * the browser's monotonic clock and its one-shot timer; tests pass a fake). While running, stack time
 * advances at `speed` x wall time, so at 0.1x a 20 ms RTT takes 200 ms to watch.
 * While paused, stack time stands still; frames arriving from the real link are
 * queued as events (via inject) and released one at a time by step().
 *
 * Throttled (throttle(true), solo mode's backpressure from the display, see
 * worker/api.ts) is a hold apart from pause: the person's run/pause/step keep
 * their meaning, and while throttled *and* running stack time stands still as
 * if paused. On release the clock re-anchors where it stopped: the held wall
 * time is simply not stack time (the simulated clock ran slower), so nothing
 * bursts to "catch up" and TCP, whose timers run on this clock, cannot tell.
 */

import type { Scheduler, Time } from './scheduler';

export interface WallClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `fn` once after about `ms` milliseconds; returns a handle for cancel. */
  setTimer(fn: () => void, ms: number): unknown;
  cancelTimer(handle: unknown): void;
  /**
   * Where now() = 0 falls on the Unix epoch, ms (the time origin worker/main.ts passes in a
   * browser). Only used to report the anchor in DriverState on a clock another
   * context (the page, the peer tab) can compare with; 0 when not given.
   */
  origin?: number;
}

export type DriverMode = 'running' | 'paused';

export const MIN_SPEED = 0.01;
export const MAX_SPEED = 1;
/**
 * Longest pass of events, wall ms, before the driver yields to its host (a 0 ms
 * timer) and goes on. When the stack is slower than real time (a bulk transfer
 * on an unlimited link) each pass would otherwise have more to catch up than
 * the last and run for seconds: no trace batch would leave (the ~16 ms flush is
 * a host timer too), no acknowledgement from the page, no input would get in.
 */
export const SLICE_MS = 10;

export interface DriverState {
  mode: DriverMode;
  speed: number;
  /** Stack time now. */
  now: Time;
  /** Events waiting in the scheduler. */
  pending: number;
  /** Due time and label of the next event, if any. */
  nextAt: Time | undefined;
  nextLabel: string | undefined;
  eventsRun: number;
  /**
   * Wall-clock ms spent running events so far: the stack's real processing time
   * (the simulated clock charges none). The metrics panel divides it by frames.
   */
  busyMs: number;
  /**
   * Held by throttle(true) (the display cannot keep up, solo mode): while this
   * is true and mode is 'running', stack time stands still. Independent of mode.
   */
  throttled: boolean;
  /**
   * Wall-clock ms spent held by a throttle while running, in total, including a
   * hold still going on: wall time the simulated clock did not advance for.
   */
  throttledMs: number;
  /**
   * The stack-time/wall-time pair set at the last run(), setSpeed() or release
   * of a throttle: while running (and not held), stack time t happened at wall
   * time `wall + (t - stack) / speed` (ms since the Unix epoch when the wall
   * clock says where its zero is).
   * The page uses it to put the peer tab's events on this tab's timeline.
   */
  anchor: { wall: number; stack: Time };
}

export class RealtimeDriver {
  private _mode: DriverMode = 'paused';
  private _speed = 1;
  private wallAnchor = 0;
  private stackAnchor = 0;
  private handle: unknown = undefined;
  /** The stack time the armed wall timer is for. */
  private armedFor: Time | undefined;
  private pumping = false;
  private busyMs = 0;
  private _throttled = false;
  /** Wall time the current hold began (throttled while running), else undefined. */
  private heldSince: number | undefined;
  /** Wall ms of holds that have ended. */
  private heldMs = 0;
  /** Called after every batch of events, e.g. to flush trace batches. */
  onAfterRun: (() => void) | undefined;

  constructor(
    readonly scheduler: Scheduler,
    private readonly wall: WallClock,
  ) {}

  get mode(): DriverMode {
    return this._mode;
  }

  get speed(): number {
    return this._speed;
  }

  get throttled(): boolean {
    return this._throttled;
  }

  /** Running and not held: stack time follows the wall clock. */
  private get advancing(): boolean {
    return this._mode === 'running' && !this._throttled;
  }

  state(): DriverState {
    // While running, stack time moves with the wall clock even between events:
    // bring the scheduler up to this instant so `now` is not the last event's time.
    if (this.advancing) this.pump();
    const s = this.scheduler;
    return {
      mode: this._mode,
      speed: this._speed,
      now: s.now,
      pending: s.pending,
      nextAt: s.nextAt(),
      nextLabel: s.nextLabel(),
      eventsRun: s.eventsRun,
      busyMs: this.busyMs,
      throttled: this._throttled,
      throttledMs: this.heldMs + (this.heldSince === undefined ? 0 : this.wall.now() - this.heldSince),
      anchor: { wall: this.wallAnchor + (this.wall.origin ?? 0), stack: this.stackAnchor },
    };
  }

  /** Starts or resumes real-time progress from the current stack time (held until release while throttled). */
  run(): void {
    if (this._mode === 'running') return;
    this._mode = 'running';
    if (this._throttled) {
      this.heldSince = this.wall.now();
      return;
    }
    this.anchor();
    this.pump();
  }

  /** Freezes stack time. Pending events wait for run() or step(). */
  pause(): void {
    if (this._mode === 'paused') return;
    if (this.advancing) this.pump(); // bring stack time up to this instant first
    this.endHold();
    this._mode = 'paused';
    this.cancelWallTimer();
  }

  /**
   * Holds progress (on) or releases it (off), apart from pause: while held and
   * running, no event runs and no wall timer is armed; input injected meanwhile
   * queues as events and runs on release. On release stack time continues from
   * where it stopped (re-anchored: no burst of catching up). While paused it only
   * sets what run() will find; step() still works (the person asked for one event).
   */
  throttle(on: boolean): void {
    if (on === this._throttled) return;
    if (on) {
      if (this._mode === 'running') {
        this.pump(); // stack time up to this instant, as pause does
        this.heldSince = this.wall.now();
        this.cancelWallTimer();
      }
      this._throttled = true;
      return;
    }
    this._throttled = false;
    if (this._mode !== 'running') return;
    this.endHold();
    this.anchor();
    this.pump();
  }

  private endHold(): void {
    if (this.heldSince === undefined) return;
    this.heldMs += this.wall.now() - this.heldSince;
    this.heldSince = undefined;
  }

  /**
   * While paused: releases the next event (jumping stack time to it).
   * Returns false when nothing is pending or when running.
   */
  step(): boolean {
    if (this._mode !== 'paused') return false;
    const t0 = this.wall.now();
    const ran = this.scheduler.runNext();
    this.busyMs += this.wall.now() - t0;
    if (ran) this.onAfterRun?.();
    return ran;
  }

  /** Speed factor, clamped to [0.01, 1]. Stack time stays continuous across the change. */
  setSpeed(speed: number): void {
    const clamped = Math.min(MAX_SPEED, Math.max(MIN_SPEED, Number.isFinite(speed) ? speed : 1));
    if (this.advancing) this.pump();
    this._speed = clamped;
    this.anchor();
    this.cancelWallTimer(); // armed at the old speed
    if (this.advancing) this.pump();
  }

  /**
   * Runs `fn` as an event at the current stack time: the way input from outside
   * (a frame from the peer, a command from the UI) enters the stack, so it is
   * ordered with timers and held while paused or throttled.
   */
  inject(fn: () => void, label = 'input'): void {
    if (this.advancing) this.catchUp();
    this.scheduler.at(this.scheduler.now, fn, label);
    if (this.advancing) this.pump();
  }

  /** Stack time that corresponds to the wall clock now (while running). */
  private stackTimeNow(): Time {
    return this.stackAnchor + (this.wall.now() - this.wallAnchor) * this._speed;
  }

  private anchor(): void {
    this.wallAnchor = this.wall.now();
    this.stackAnchor = this.scheduler.now;
  }

  /**
   * Runs everything due up to now without re-arming the wall timer. `dueAt` is the
   * stack time the firing wall timer was armed for: (wall - anchor) * speed can come
   * out an ulp short of it (or the host may fire a little early), and the event must
   * run anyway rather than re-arm a zero-delay timer. Never moves backwards: events
   * due at the scheduler's current time always run. Returns true when the pass was
   * cut short after SLICE_MS (stack time then stays at the last event run, behind).
   */
  private catchUp(dueAt = -Infinity): boolean {
    if (this.pumping) return false;
    this.pumping = true;
    try {
      const s = this.scheduler;
      const t0 = this.wall.now();
      const limit = Math.max(this.stackTimeNow(), s.now, dueAt);
      let ran = 0;
      let cut = false;
      while (s.runNext(limit)) {
        // The wall clock every 16 events: cheap next to the events themselves.
        if ((++ran & 15) === 0 && this.wall.now() - t0 >= SLICE_MS) {
          cut = true;
          break;
        }
      }
      if (!cut) s.runUntil(limit); // nothing left due: the clock moves up to `limit`
      if (ran > 0) this.busyMs += this.wall.now() - t0;
      if (ran > 0) this.onAfterRun?.();
      return cut;
    } finally {
      this.pumping = false;
    }
  }

  private pump(dueAt?: Time): void {
    if (this.pumping) return; // an event that injects input is handled by the outer pump
    if (this._mode === 'running' && this._throttled) return; // held: nothing runs, no timer (throttle() cancelled it)
    const cut = this.catchUp(dueAt);
    if (this._mode === 'running' && this._throttled) return; // an event asked for a hold: arm nothing
    const next = this._mode === 'running' ? this.scheduler.nextAt() : undefined;
    if (next === undefined) {
      this.cancelWallTimer();
      return;
    }
    if (cut) {
      // Behind the wall clock: let the host run its other tasks (trace flushes, the page's answers, input), then go on.
      this.arm(next, 0);
      return;
    }
    // A wall timer already armed for this instant or an earlier one stays. Input arrives with every
    // frame from the link and each one pumps; re-arming each time cost more than the early wake-up it
    // saves (that wake-up only pumps and arms again, for the real next event).
    if (this.handle !== undefined && this.armedFor !== undefined && this.armedFor <= next) return;
    this.arm(next, Math.max(0, (next - this.scheduler.now) / this._speed));
  }

  /** Arms the one host timer for the event due at stack time `next`, `delay` wall ms from now. */
  private arm(next: Time, delay: number): void {
    this.cancelWallTimer();
    this.armedFor = next;
    this.handle = this.wall.setTimer(() => {
      this.handle = undefined;
      this.armedFor = undefined;
      this.pump(next);
    }, delay);
  }

  private cancelWallTimer(): void {
    if (this.handle !== undefined) {
      this.wall.cancelTimer(this.handle);
      this.handle = undefined;
    }
    this.armedFor = undefined;
  }
}
