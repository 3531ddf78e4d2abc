/**
 * The network interface card: a MAC address, an MTU, an up/down state and a
 * bounded egress queue in front of the link, like a Linux device's qdisc.
 *
 * When the link pushes back (a WebRTC channel whose bufferedAmount is over its
 * threshold) frames wait here; when the queue is full the NIC tail-drops and
 * counts it, as a real NIC does. The link never blocks the stack.
 */

import type { Mac } from '../wire/addr';
import { maxFrameLen } from '../wire/ethernet';
import type { StackContext } from '../trace/context';
import type { FrameSink, LinkPort } from './port';

export interface NicOptions {
  mac: Mac;
  /** IP MTU (the largest Ethernet payload). 576..16000, default 1500. */
  mtu?: number;
  /** Interface name, e.g. "eth0". */
  name?: string;
  /** Egress queue length in frames (Linux txqueuelen defaults to 1000). */
  queueFrames?: number;
}

export const MIN_MTU = 576;
export const MAX_MTU = 16000;

export class Nic {
  readonly name: string;
  mac: Mac;
  private _mtu: number;
  private _up = false;
  private port: LinkPort | undefined;
  /** Upper layer that receives frames (the interface). */
  sink: FrameSink | undefined;

  private readonly queue: (Uint8Array | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    private readonly ctx: StackContext,
    opts: NicOptions,
  ) {
    this.name = opts.name ?? 'eth0';
    this.mac = opts.mac;
    this._mtu = clampMtu(opts.mtu ?? 1500);
    this.queue = new Array(Math.max(1, opts.queueFrames ?? 1000));
  }

  get mtu(): number {
    return this._mtu;
  }

  set mtu(v: number) {
    this._mtu = clampMtu(v);
  }

  get up(): boolean {
    return this._up;
  }

  /** Frames waiting in the egress queue. */
  get queued(): number {
    return this.count;
  }

  get queueCapacity(): number {
    return this.queue.length;
  }

  /** The medium (or the conditioner in front of it) the NIC sends into. */
  get link(): LinkPort | undefined {
    return this.port;
  }

  /** Plugs the NIC into a medium. */
  attach(port: LinkPort): void {
    this.port = port;
    port.onReady = () => this.drain();
  }

  detach(): void {
    if (this.port) this.port.onReady = undefined;
    this.port = undefined;
  }

  setUp(up: boolean): void {
    this._up = up;
    if (!up) this.flushQueue('link-down');
  }

  /** Egress: queue the frame for the link (or send it at once when the link is ready). */
  send(frame: Uint8Array): void {
    if (!this._up || !this.port) {
      this.ctx.drop('link', 'link-down', `${this.name} is down; frame of ${frame.length} bytes not sent`, undefined, frame.length);
      return;
    }
    if (frame.length > maxFrameLen(this._mtu)) {
      this.ctx.drop('link', 'too-big', `frame of ${frame.length} bytes exceeds ${this.name}'s MTU ${this._mtu} (+14 header)`, undefined, frame.length);
      return;
    }
    if (this.count === 0 && this.port.ready()) {
      this.transmit(frame);
      return;
    }
    if (this.count === this.queue.length) {
      this.ctx.drop('link', 'nic-queue-full', `${this.name}'s egress queue is full (${this.queue.length} frames); tail drop`, undefined, frame.length);
      return;
    }
    this.queue[(this.head + this.count) % this.queue.length] = frame;
    this.count++;
  }

  /** Ingress from the medium. */
  receive(frame: Uint8Array): void {
    if (!this._up) {
      this.ctx.drop('link', 'link-down', `${this.name} is down; received frame ignored`, undefined, frame.length);
      return;
    }
    this.ctx.counters.inc('link', 'rx');
    this.sink?.receive(frame);
  }

  /** Sends queued frames while the link accepts them. */
  drain(): void {
    const port = this.port;
    if (!port || !this._up) return;
    while (this.count > 0 && port.ready()) {
      const frame = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) % this.queue.length;
      this.count--;
      this.transmit(frame);
    }
  }

  private transmit(frame: Uint8Array): void {
    const ctx = this.ctx;
    ctx.counters.inc('link', 'tx');
    const id = ctx.nextFrameId();
    if (ctx.tracing) {
      const expert = ctx.takeFrameNote(frame);
      ctx.emit(expert ? { type: 'frame', t: ctx.now, host: ctx.hostName, iface: this.name, dir: 'tx', id, frame, expert } : { type: 'frame', t: ctx.now, host: ctx.hostName, iface: this.name, dir: 'tx', id, frame });
    }
    if (!this.port!.transmit(frame, id)) {
      // The port said ready() but refused: count it rather than loop.
      ctx.drop('link', 'nic-queue-full', `${this.name}'s link refused a frame it said it could take`, id, frame.length);
    }
  }

  private flushQueue(reason: 'link-down'): void {
    while (this.count > 0) {
      const frame = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) % this.queue.length;
      this.count--;
      this.ctx.drop('link', reason, `${this.name} went down with this frame queued`, undefined, frame.length);
    }
  }
}

function clampMtu(mtu: number): number {
  if (!Number.isFinite(mtu)) return 1500;
  return Math.min(MAX_MTU, Math.max(MIN_MTU, Math.floor(mtu)));
}
