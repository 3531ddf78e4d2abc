/**
 * The textbook's vocabulary measured live, per direction of the link: link
 * rate, throughput and utilisation over the last second, the one-way delay of
 * a full-size frame split into transmission, propagation, queueing and
 * processing, and the bandwidth-delay product against the sender's true
 * window, min(cwnd, rwnd). Plain TypeScript fed by trace events; the panel's state
 * class asks it for a snapshot a few times a second.
 */

import type { ConditionerSettings } from '../../../worker/link/conditioner';
import type { TraceEvent } from '../../../worker/trace/events';
import { TcpSegmentReader } from '../plots/tcp-reader';

/** Throughput is measured over this much stack time. */
export const WINDOW_MS = 1000;
/** A full-size Ethernet frame: 1500 bytes of IP plus the 14-byte header. */
export const FULL_FRAME = 1514;

interface Sample {
  t: number;
  bytes: number;
}

/** Samples in the last WINDOW_MS, in time order; old ones fall off the front. */
class Window {
  private items: Sample[] = [];
  private head = 0;
  sum = 0;
  add(t: number, bytes: number): void {
    this.items.push({ t, bytes });
    this.sum += bytes;
  }
  trim(now: number): void {
    while (this.head < this.items.length && this.items[this.head]!.t <= now - WINDOW_MS) this.sum -= this.items[this.head++]!.bytes;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  get count(): number {
    return this.items.length - this.head;
  }
}

interface ConnInfo {
  srtt: number;
  cwnd: number;
  ssthresh: number;
  /** SND.WND: the window the receiver offers (0 until a 'vars' event says). */
  rwnd: number;
  sent: Window;
}

export interface DirectionMetrics {
  host: string;
  peer: string;
  /** Link rate, bit/s; 0 = no limit set. */
  rateBps: number;
  /** Wire bits/s over the last second: delivered at the peer when its frames are visible (solo), else as sent by `host`. */
  throughputBps: number;
  /** TCP payload bits/s sent by `host` over the last second. */
  payloadBps: number;
  /** throughput / rate, when the rate is limited. */
  utilisation: number | undefined;
  /** One-way delay of a full-size frame, ms, by cause. */
  transmissionMs: number | undefined;
  propagationMs: number;
  /** Mean wait in the rate limiter's queue over the last second (0 when nothing waited). */
  queueingMs: number;
  /**
   * The stacks' own CPU time for one frame, sent and received (real time this
   * tab's worker spent per frame handled, times two): undefined until measured.
   */
  processingMs: number | undefined;
  /** The busiest connection `host` sends on, with its TCP's own numbers (rwnd 0: not known yet). */
  conn: { name: string; srtt: number; cwnd: number; ssthresh: number; rwnd: number } | undefined;
  /** The RTT used for the bandwidth-delay product: the connection's SRTT, else the link's own round trip. */
  rttMs: number;
  /** rate × RTT in bytes; undefined when the rate is unlimited. */
  bdpBytes: number | undefined;
  /** The sender's usable window: min(cwnd, rwnd) (RFC 5681 2), or cwnd while rwnd is unknown. */
  windowBytes: number | undefined;
  /** Which of the two sets it. */
  windowBy: 'cwnd' | 'rwnd' | undefined;
  /** The most that window can carry per RTT, bit/s. */
  windowLimitBps: number | undefined;
}

export class MetricsMeter {
  /** Wire bytes sent, by sending host. */
  private readonly wire = new Map<string, Window>();
  /** Wire bytes received, by receiving host: what the link delivered (after its queue and its losses). */
  private readonly received = new Map<string, Window>();
  private readonly queued = new Map<string, Window>();
  private readonly conns = new Map<string, ConnInfo>();
  private readonly reader = new TcpSegmentReader();
  /** Frames handled by this tab's stacks (each sent and each received one counts), for the processing time. */
  framesHandled = 0;
  /** The newest event's stack time. */
  private latest = -Infinity;

  constructor(
    /** In solo mode every frame is also seen arriving; count each once, when sent. */
    private readonly segmentDelayMs: number,
  ) {}

  apply(e: TraceEvent): void {
    if (e.t > this.latest) this.latest = e.t;
    if (e.type === 'frame') {
      this.framesHandled++;
      if (e.dir !== 'tx') {
        this.window(this.received, e.host).add(e.t, e.frame.length);
        return;
      }
      this.window(this.wire, e.host).add(e.t, e.frame.length);
      if (this.reader.read(e.frame) && this.reader.len > 0) this.conn(e.host, this.reader.conn).sent.add(e.t, this.reader.len);
    } else if (e.type === 'fate') {
      if (e.fate === 'queued' && e.delayMs !== undefined) this.window(this.queued, e.host).add(e.t, e.delayMs);
    } else if (e.type === 'tcp') {
      if (e.what === 'rtt') this.conn(e.host, e.conn).srtt = e.srtt;
      else if (e.what === 'cwnd') {
        const c = this.conn(e.host, e.conn);
        c.cwnd = e.cwnd;
        c.ssthresh = e.ssthresh;
      } else if (e.what === 'vars') {
        const c = this.conn(e.host, e.conn);
        c.cwnd = e.cwnd;
        c.ssthresh = e.ssthresh;
        c.rwnd = e.sndWnd;
        if (e.srtt > 0) c.srtt = e.srtt;
      } else if (e.what === 'state' && e.to === 'CLOSED') this.conns.delete(`${e.host}|${e.conn}`);
    }
  }

  /**
   * `peerVisible`: the peer's received frames are traced here too (solo mode), so
   * throughput is what the link delivered; in a pairing only what left this tab.
   */
  snapshot(
    now: number,
    directions: readonly { host: string; peer: string; settings: ConditionerSettings }[],
    peerVisible: boolean,
    /** Real ms this tab's stack spends per frame handled (see MetricsState), if measured. */
    perFrameMs?: number,
  ): DirectionMetrics[] {
    // The page polls the clock a few times a second, so its `now` can be older than the newest
    // events: a window ending there would hold more than a second of them (and read over 100 %).
    now = Math.max(now, this.latest);
    return directions.map(({ host, peer, settings }) => {
      // What came out of the link at the far end, when it can be seen: frames sent in a burst wait in the
      // rate limiter's queue, so counting them as they leave the host would show more than the link carries.
      const wire = peerVisible ? this.window(this.received, peer) : this.window(this.wire, host);
      wire.trim(now);
      const q = this.window(this.queued, host);
      q.trim(now);
      let busiest: [string, ConnInfo] | undefined;
      for (const [key, c] of this.conns) {
        if (!key.startsWith(`${host}|`)) continue;
        c.sent.trim(now);
        if (!busiest || c.sent.sum > busiest[1].sent.sum) busiest = [key.slice(host.length + 1), c];
      }
      const rate = settings.unplugged ? 0 : settings.rateBps;
      const throughputBps = (wire.sum * 8 * 1000) / WINDOW_MS;
      const transmissionMs = rate > 0 ? ((FULL_FRAME + settings.overheadBytes) * 8 * 1000) / rate : undefined;
      const propagationMs = settings.delayMs + this.segmentDelayMs;
      const linkRtt = 2 * (propagationMs + (transmissionMs ?? 0));
      const conn = busiest && busiest[1].srtt > 0 ? { name: busiest[0], srtt: busiest[1].srtt, cwnd: busiest[1].cwnd, ssthresh: busiest[1].ssthresh, rwnd: busiest[1].rwnd } : undefined;
      const rttMs = conn?.srtt ?? linkRtt;
      // RFC 5681 2: the sender may have at most min(cwnd, rwnd) unacknowledged.
      const windowBy = !conn || conn.cwnd <= 0 ? undefined : conn.rwnd > 0 && conn.rwnd < conn.cwnd ? 'rwnd' : 'cwnd';
      const windowBytes = windowBy === undefined ? undefined : windowBy === 'rwnd' ? conn!.rwnd : conn!.cwnd;
      return {
        host,
        peer,
        rateBps: rate,
        throughputBps,
        payloadBps: busiest ? (busiest[1].sent.sum * 8 * 1000) / WINDOW_MS : 0,
        utilisation: rate > 0 ? throughputBps / rate : undefined,
        transmissionMs,
        propagationMs,
        queueingMs: q.count > 0 ? q.sum / q.count : 0,
        // Sent by one stack and received by another: both do their share.
        processingMs: perFrameMs === undefined ? undefined : 2 * perFrameMs,
        conn,
        rttMs,
        bdpBytes: rate > 0 ? (rate / 8) * (rttMs / 1000) : undefined,
        windowBytes,
        windowBy,
        windowLimitBps: windowBytes !== undefined && rttMs > 0 ? (windowBytes * 8 * 1000) / rttMs : undefined,
      };
    });
  }

  private window(map: Map<string, Window>, host: string): Window {
    let w = map.get(host);
    if (!w) map.set(host, (w = new Window()));
    return w;
  }

  private conn(host: string, name: string): ConnInfo {
    const key = `${host}|${name}`;
    let c = this.conns.get(key);
    if (!c) this.conns.set(key, (c = { srtt: 0, cwnd: 0, ssthresh: 0, rwnd: 0, sent: new Window() }));
    return c;
  }
}
