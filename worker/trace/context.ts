/**
 * What every layer of one host is given: the injected clock/timers, randomness,
 * and the trace outputs. Layers never reach for globals.
 */

import type { Rng } from '../sim/rng';
import type { Scheduler } from '../sim/scheduler';
import { Counters } from './counters';
import { Tracer, type DropReason, type FrameExpert, type Layer, type TraceEvent } from './events';

export class StackContext {
  readonly counters = new Counters();
  private frameSeq = 0;

  constructor(
    /** The host's name, stamped on every trace event. */
    public hostName: string,
    readonly scheduler: Scheduler,
    readonly rng: Rng,
    readonly tracer: Tracer,
  ) {}

  get now(): number {
    return this.scheduler.now;
  }

  /** Per-host frame number for the frame store and for tying drops to frames. */
  nextFrameId(): number {
    return ++this.frameSeq;
  }

  /** Expert notes waiting for their frame to reach the NIC (only filled while tracing). */
  private notes = new WeakMap<Uint8Array, FrameExpert>();

  /** A layer above (TCP) says what it knows about a frame it is sending; the NIC puts it on the tx FrameEvent. */
  noteFrame(frame: Uint8Array, note: FrameExpert): void {
    this.notes.set(frame, note);
  }

  /** The note for a frame being transmitted, once. */
  takeFrameNote(frame: Uint8Array): FrameExpert | undefined {
    const note = this.notes.get(frame);
    if (note) this.notes.delete(frame);
    return note;
  }

  get tracing(): boolean {
    return this.tracer.enabled;
  }

  emit(event: TraceEvent): void {
    this.tracer.emit(event);
  }

  /** Counts a drop and traces it with its reason. */
  drop(layer: Layer, reason: DropReason, detail: string, frameId?: number, len?: number): void {
    this.counters.drop(layer, reason);
    if (this.tracer.enabled) {
      this.tracer.emit({ type: 'drop', t: this.scheduler.now, host: this.hostName, layer, reason, detail, frameId, len });
    }
  }

  timer(what: 'start' | 'stop' | 'fire', kind: string, owner: string, deadline?: number): void {
    if (this.tracer.enabled) {
      this.tracer.emit({ type: 'timer', t: this.scheduler.now, host: this.hostName, what, kind, owner, deadline });
    }
  }
}
