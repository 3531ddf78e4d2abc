/**
 * A link whose far end lives outside the stack: the WebRTC frame channel of a
 * two-tab pairing (and, later, a TAP relay). The stack side is sans-IO: frames
 * leave through an injected `send` function and arrive through `deliver()`;
 * worker/main.ts connects both to a MessagePort.
 *
 * Carrier: a real NIC knows whether its cable is plugged in. Here the page tells
 * us whether the data channel is open (`setCarrier`); while it is not, frames
 * are dropped at once with reason "link-down", as a NIC without carrier does,
 * instead of disappearing somewhere further along.
 *
 * Backpressure, like a NIC's transmit ring: at most `maxOutstanding` bytes may
 * be handed to the page and not yet drained into the network (the data
 * channel's bufferedAmount). The page reports the running total it has drained
 * (`drained`); until there is room, `ready()` is false and frames wait in the
 * NIC's egress queue, which tail-drops when full, counted like a real NIC's.
 * Without this, the channel's SCTP send queue (up to 16 MiB in Chromium) would
 * hide seconds of delay from our TCP, or the page would have to drop bursts.
 * Should the page still drop (its own safety cap), `reportDropped` counts and
 * traces those drops too.
 */

import type { StackContext } from '../trace/context';
import type { DropReason } from '../trace/events';
import type { FrameSink, LinkPort } from './port';

export interface ExternalLinkStats {
  framesOut: number;
  bytesOut: number;
  framesIn: number;
  bytesIn: number;
  /** Dropped because there was no carrier (channel closed). */
  downDrops: number;
  /** Dropped by the page because the channel's buffer was over its threshold. */
  busyDrops: number;
}

export class ExternalLink implements LinkPort {
  onReady: (() => void) | undefined;
  /** The NIC (or whatever receives frames from the far end). */
  sink: FrameSink | undefined;
  private carrier = false;
  /** Bytes handed to the page and not yet reported drained. */
  private outstanding = 0;
  /** Bytes handed to the page since the carrier came up, and how many of them it has drained. */
  private handed = 0;
  private drainedTotal = 0;
  readonly stats: ExternalLinkStats = { framesOut: 0, bytesOut: 0, framesIn: 0, bytesIn: 0, downDrops: 0, busyDrops: 0 };

  constructor(
    private readonly ctx: StackContext,
    /**
     * Hands a frame to the far end. The frame is a fresh copy with its own
     * ArrayBuffer of exactly its length, so the caller may transfer the buffer.
     */
    private readonly send: (frame: Uint8Array) => void,
    carrier = false,
    /** The transmit ring: bytes handed over and not yet drained. Default 64 KiB. */
    readonly maxOutstanding = 64 * 1024,
  ) {
    this.carrier = carrier;
  }

  get up(): boolean {
    return this.carrier;
  }

  setCarrier(up: boolean): void {
    if (up === this.carrier) return;
    this.carrier = up;
    // A new channel starts empty (a closed one's queue is gone): whatever was outstanding is forgotten.
    this.outstanding = 0;
    this.handed = 0;
    this.drainedTotal = 0;
    if (this.ctx.tracing) {
      const detail = up ? 'the frame channel to the peer is open' : 'the frame channel to the peer closed';
      this.ctx.emit({ type: 'host', t: this.ctx.now, host: this.ctx.hostName, what: up ? 'carrier-up' : 'carrier-down', detail });
    }
    if (up) this.onReady?.();
  }

  transmit(frame: Uint8Array): boolean {
    if (!this.carrier) {
      this.stats.downDrops++;
      this.ctx.drop('link', 'link-down', 'no carrier: the frame channel to the peer is not open', undefined, frame.length);
      return true;
    }
    // The trace and frame store keep `frame`; the far end gets its own copy (one
    // allocation per frame, the frame itself), whose buffer can be transferred.
    const copy = new Uint8Array(frame.length);
    copy.set(frame);
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
    this.outstanding += frame.length;
    this.handed += frame.length;
    this.send(copy);
    return true;
  }

  ready(): boolean {
    // No carrier: transmit() drops at once, so never hold frames back for it.
    return !this.carrier || this.outstanding < this.maxOutstanding;
  }

  /** Bytes in the page's hands (handed over, not yet drained into the channel). */
  get backlog(): number {
    return this.outstanding;
  }

  /**
   * The page has drained `total` bytes since the carrier came up (a running
   * total, so a late or repeated report is harmless).
   */
  drained(total: number): void {
    if (!Number.isFinite(total) || total <= this.drainedTotal) return;
    this.drainedTotal = Math.min(total, this.handed);
    const wasFull = this.outstanding >= this.maxOutstanding;
    this.outstanding = this.handed - this.drainedTotal;
    if (wasFull && this.outstanding < this.maxOutstanding) this.onReady?.();
  }

  /** A frame from the far end (untrusted bytes: the NIC and parsers validate them). */
  deliver(frame: Uint8Array): void {
    this.stats.framesIn++;
    this.stats.bytesIn += frame.length;
    this.sink?.receive(frame);
  }

  /** The far end dropped frames we sent (its buffer was full, or it had no channel). */
  reportDropped(count: number, reason: 'busy' | 'down'): void {
    if (!Number.isInteger(count) || count <= 0) return;
    const n = Math.min(count, 1_000_000);
    const why: DropReason = reason === 'busy' ? 'nic-queue-full' : 'link-down';
    if (reason === 'busy') this.stats.busyDrops += n;
    else this.stats.downDrops += n;
    const detail =
      reason === 'busy'
        ? `${n} frame${n === 1 ? '' : 's'} tail-dropped: the data channel's send buffer was over its threshold`
        : `${n} frame${n === 1 ? '' : 's'} lost: the data channel closed before they could be sent`;
    // One trace event for the report, every frame counted.
    if (n > 1) this.ctx.counters.drop('link', why, n - 1);
    this.ctx.drop('link', why, detail);
  }
}
