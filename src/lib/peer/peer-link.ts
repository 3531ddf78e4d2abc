/**
 * The wire between two tabs: one WebRTC peer connection (simple-peer) with
 *
 *   - the frame channel, negotiated out of band (id 1001),
 *     `{ ordered: false, maxRetransmits: 0 }`: one Ethernet frame per message,
 *     lost or reordered as the network pleases, so every recovery is our TCP's
 *     doing;
 *   - the control channel, negotiated out of band (id 1000), reliable and
 *     ordered, for the messages in control.ts;
 *   - simple-peer's own in-band channel, which only tells us "connected".
 *
 * RTCPeerConnection does not exist in workers, but a data channel can be
 * transferred to one (Chromium, Safari): the frame channel is created and
 * handed to the stack worker in the same task, so frames go between the worker
 * and the network without touching this page's main thread, which is busy
 * drawing the panels. Where the browser cannot transfer it, this page relays:
 * frames move over the MessagePort as transferred ArrayBuffers. Both ends use
 * the same negotiated channel either way, so the two kinds of tab pair fine.
 *
 * The unreliable channel still queues inside SCTP (up to 16 MiB in Chromium),
 * which would hide seconds of delay from our TCP. So the worker treats the
 * channel like a NIC's transmit ring of `maxBuffered` bytes: we report how many
 * bytes have drained out of bufferedAmount (a running total), and the worker
 * hands us no more than the ring holds; the rest waits in its NIC queue, which
 * tail-drops like a real one. Should the channel's buffer still be over the
 * cap (it never should), we drop and report that too.
 */

import SimplePeer from '@thaunknown/simple-peer/lite.js';
import { parseControl, type ControlMessage } from './control';
import { rtcConfiguration } from './ice-servers';

/** Default cap on the frame channel's bufferedAmount before we tail-drop (bytes). */
export const DEFAULT_MAX_BUFFERED = 64 * 1024;
const CONTROL_CHANNEL_ID = 1000;
const FRAME_CHANNEL_ID = 1001;
/** Drop reports to the worker are batched this often (ms). */
const DROP_REPORT_MS = 100;

export type ChannelState = 'new' | 'connecting' | 'open' | 'closed';

export interface PeerLinkStatus {
  ice: RTCIceConnectionState | 'new';
  frames: ChannelState;
  control: ChannelState;
}

export interface PeerLinkStats {
  framesOut: number;
  framesIn: number;
  bytesOut: number;
  bytesIn: number;
  busyDrops: number;
  downDrops: number;
  /** The frame channel's bufferedAmount when last sampled. */
  buffered: number;
  /** Control messages from the peer we refused (malformed, unknown). */
  badControl: number;
}

export interface PeerLinkOptions {
  initiator: boolean;
  /** Page end of the MessageChannel whose other end the worker holds. */
  framePort: MessagePort;
  /** STUN/TURN servers; none by default (LAN use). */
  iceServers?: RTCIceServer[];
  /** 'relay' allows only TURN-relayed candidates; default 'all'. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  maxBuffered?: number;
  /**
   * Keep the frame channel in this page and relay every frame over the port, as a
   * browser that cannot transfer data channels must (`?frames=page` forces it, to test that path).
   */
  relayInPage?: boolean;
  /** SDP and ICE to relay to the peer through signaling. */
  onSignal: (data: unknown) => void;
  onStatus?: (s: PeerLinkStatus) => void;
  onControl?: (m: ControlMessage) => void;
  /** The connection failed or closed for good (the session may build a new one). */
  onClosed?: (reason: string) => void;
}

export class PeerLink {
  readonly stats: PeerLinkStats = { framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0, busyDrops: 0, downDrops: 0, buffered: 0, badControl: 0 };
  readonly status: PeerLinkStatus = { ice: 'new', frames: 'connecting', control: 'connecting' };
  private readonly peer: SimplePeer;
  private readonly control: RTCDataChannel;
  private readonly maxBuffered: number;
  private pendingBusy = 0;
  private pendingDown = 0;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Bytes the worker handed us since the channel opened, and how many have drained (sent on, or dropped). */
  private handed = 0;
  private drainedReported = 0;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** The frame channel when this page relays it; undefined once handed to the worker. */
  private readonly frames: RTCDataChannel | undefined;
  /** Whether the worker owns the frame channel (frames never pass through this page). */
  readonly transferred: boolean;

  constructor(private readonly opts: PeerLinkOptions) {
    this.maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.peer = new SimplePeer({
      initiator: opts.initiator,
      trickle: true,
      config: rtcConfiguration({ iceServers: opts.iceServers, iceTransportPolicy: opts.iceTransportPolicy }),
      // simple-peer's own channel carries nothing: its opening is our "connected".
      channelName: 'wiretab-ready',
    });
    // simple-peer swallows a constructor error from RTCPeerConnection (bad ICE settings) and
    // destroys itself later; fail here instead, loudly, before anything else is wired up.
    if (!this.peer._pc) {
      this.peer.on('error', () => {});
      throw new Error('RTCPeerConnection could not be created with these settings');
    }
    // Both sides create the control channel with the same id: no in-band negotiation needed.
    this.control = this.peer._pc.createDataChannel('wiretab-control', { negotiated: true, id: CONTROL_CHANNEL_ID, ordered: true });
    this.control.onopen = () => this.setStatus({ control: 'open' });
    this.control.onclose = () => this.setStatus({ control: 'closed' });
    this.control.onmessage = (e: MessageEvent) => {
      const parsed = parseControl(e.data);
      if (parsed.ok) opts.onControl?.(parsed.value);
      else this.stats.badControl++;
    };

    // The frame channel: to the worker if the browser can transfer it, else relayed here.
    const frames = this.peer._pc.createDataChannel('wiretab-frames', { negotiated: true, id: FRAME_CHANNEL_ID, ordered: false, maxRetransmits: 0 });
    this.transferred = !opts.relayInPage && transferToWorker(frames, opts.framePort);
    this.frames = this.transferred ? undefined : frames;
    if (this.frames) {
      const ch = this.frames;
      ch.binaryType = 'arraybuffer';
      ch.bufferedAmountLowThreshold = this.maxBuffered / 2;
      ch.onbufferedamountlow = () => this.reportDrained();
      ch.onmessage = (e: MessageEvent) => {
        if (e.data instanceof ArrayBuffer) this.fromPeer(e.data);
      };
      ch.onopen = () => {
        this.handed = this.drainedReported = 0;
        opts.framePort.postMessage({ type: 'carrier', up: true });
      };
    }

    this.peer.on('signal', (data) => opts.onSignal(data));
    this.peer.on('iceStateChange', (ice) => this.setStatus({ ice }));
    this.peer.on('connect', () => this.setStatus({ frames: 'open' }));
    this.peer.on('close', () => this.shutDown('the peer connection closed'));
    this.peer.on('error', (err) => this.shutDown(`WebRTC error: ${err.code ?? ''} ${err.message}`.trim()));

    opts.framePort.onmessage = (e: MessageEvent) => this.fromWorker(e.data);
    opts.framePort.start();
  }

  /** SDP or ICE from the peer, via signaling. */
  signal(data: unknown): void {
    if (this.closed) return;
    try {
      this.peer.signal(data);
    } catch {
      // simple-peer rejects malformed signals by destroying itself; 'error' reports it.
    }
  }

  sendControl(m: ControlMessage): boolean {
    if (this.control.readyState !== 'open') return false;
    this.control.send(JSON.stringify(m));
    return true;
  }

  /** Ends the connection (the worker's carrier goes down). */
  destroy(): void {
    this.shutDown('closed by us');
  }

  private fromWorker(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return;
    const ch = this.frames;
    if (this.closed || !ch || ch.readyState !== 'open') {
      this.pendingDown++;
      this.scheduleReport();
      return;
    }
    this.handed += data.byteLength;
    const buffered = ch.bufferedAmount;
    this.stats.buffered = buffered;
    if (buffered > this.maxBuffered + 2048) {
      // Only if the worker's ring accounting and the channel disagree (a frame in flight on the port).
      this.stats.busyDrops++;
      this.pendingBusy++;
      this.scheduleReport();
    } else {
      try {
        ch.send(data);
        this.stats.framesOut++;
        this.stats.bytesOut += data.byteLength;
      } catch {
        this.pendingDown++;
        this.scheduleReport();
      }
    }
    this.scheduleDrainReport();
  }

  /** Tells the worker how much of what it handed us has left the channel's buffer. */
  private reportDrained(): void {
    if (this.closed) return;
    // Dropped frames count as drained too: they left the ring.
    const total = Math.min(this.handed, this.handed - (this.frames?.bufferedAmount ?? 0));
    if (total > this.drainedReported) {
      this.drainedReported = total;
      this.opts.framePort.postMessage({ type: 'drained', bytes: total });
    }
  }

  /** While bytes are outstanding, report again soon: bufferedAmount shrinks without an event below its threshold. */
  private scheduleDrainReport(): void {
    if (this.drainTimer !== undefined) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.reportDrained();
      if (!this.closed && this.handed > this.drainedReported) this.scheduleDrainReport();
    }, 1);
  }

  private fromPeer(buf: ArrayBuffer): void {
    this.stats.framesIn++;
    this.stats.bytesIn += buf.byteLength;
    this.opts.framePort.postMessage(buf, [buf]);
  }

  private scheduleReport(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      if (this.pendingBusy > 0) this.opts.framePort.postMessage({ type: 'dropped', count: this.pendingBusy, reason: 'busy' });
      if (this.pendingDown > 0) this.opts.framePort.postMessage({ type: 'dropped', count: this.pendingDown, reason: 'down' });
      this.stats.downDrops += this.pendingDown;
      this.pendingBusy = 0;
      this.pendingDown = 0;
    }, DROP_REPORT_MS);
  }

  private setStatus(patch: Partial<PeerLinkStatus>): void {
    Object.assign(this.status, patch);
    this.opts.onStatus?.({ ...this.status });
  }

  private shutDown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.framePort.postMessage({ type: 'carrier', up: false });
    if (this.frames) this.frames.onopen = this.frames.onmessage = this.frames.onbufferedamountlow = null;
    // The port stays ours until the next link takes it: frames the worker sends meanwhile are counted as lost.
    this.setStatus({ frames: 'closed', control: 'closed' });
    this.peer.removeAllListeners();
    this.peer.destroy();
    this.opts.onClosed?.(reason);
  }
}

/**
 * Hands the data channel to the worker behind `port`, in the task that created
 * it (a channel can only be transferred before it is used). False where the
 * browser cannot transfer data channels; the channel is then still ours.
 */
function transferToWorker(ch: RTCDataChannel, port: MessagePort): boolean {
  try {
    port.postMessage({ type: 'channel', channel: ch }, [ch as unknown as Transferable]);
    return true;
  } catch {
    return false;
  }
}
