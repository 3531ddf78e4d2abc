/**
 * An in-memory Ethernet segment joining N NICs, like hosts on one hub: every
 * frame a NIC transmits reaches every other NIC on the segment (each NIC's
 * interface then keeps only frames for its MAC or broadcast). Used by tests
 * and by solo mode.
 *
 * Delivery is never synchronous: frames arrive as scheduler events after the
 * segment's propagation delay, so a send never re-enters the stack. With one
 * constant delay, frames stay in order in one FIFO served by a single timer, so
 * a frame in flight costs no closure or timer allocation.
 */

import type { Scheduler, Timer } from '../sim/scheduler';
import type { Nic } from './nic';
import type { LinkPort } from './port';

interface InFlight {
  at: number;
  frame: Uint8Array;
  from: SegmentPort;
}

export class SegmentPort implements LinkPort {
  onReady: (() => void) | undefined;
  constructor(
    private readonly segment: MemorySegment,
    readonly nic: Nic,
  ) {}

  transmit(frame: Uint8Array): boolean {
    this.segment.carry(frame, this);
    return true;
  }

  ready(): boolean {
    return true;
  }
}

export class MemorySegment {
  private readonly ports: SegmentPort[] = [];
  private readonly inFlight: InFlight[] = [];
  private inFlightHead = 0;
  private readonly timer: Timer;
  /** Frames carried so far (each counted once, however many receivers). */
  framesCarried = 0;

  constructor(
    private readonly scheduler: Scheduler,
    /** Propagation delay in ms (default 0: delivered as the next event at the same time). */
    public delayMs = 0,
    readonly name = 'lan',
  ) {
    this.timer = scheduler.timer(() => this.deliverDue(), `segment ${name}`);
  }

  /** Plugs a NIC into the segment. */
  attach(nic: Nic): SegmentPort {
    const port = new SegmentPort(this, nic);
    this.ports.push(port);
    nic.attach(port);
    return port;
  }

  detach(nic: Nic): void {
    const i = this.ports.findIndex((p) => p.nic === nic);
    if (i >= 0) this.ports.splice(i, 1);
    nic.detach();
  }

  /** @internal called by SegmentPort.transmit */
  carry(frame: Uint8Array, from: SegmentPort): void {
    this.framesCarried++;
    this.inFlight.push({ at: this.scheduler.now + this.delayMs, frame, from });
    if (!this.timer.armed) this.timer.set(this.inFlight[this.inFlightHead].at);
  }

  private deliverDue(): void {
    const now = this.scheduler.now;
    while (this.inFlightHead < this.inFlight.length && this.inFlight[this.inFlightHead].at <= now) {
      const f = this.inFlight[this.inFlightHead++];
      for (const p of this.ports) if (p !== f.from) p.nic.receive(f.frame);
    }
    if (this.inFlightHead === this.inFlight.length) {
      this.inFlight.length = 0;
      this.inFlightHead = 0;
    } else {
      if (this.inFlightHead > 1024) {
        this.inFlight.splice(0, this.inFlightHead);
        this.inFlightHead = 0;
      }
      this.timer.set(this.inFlight[this.inFlightHead].at);
    }
  }
}
