/**
 * The numbers behind the TCP plots, gathered from trace events per connection
 * as one host sees it (its "capture point", as tcptrace plots a capture):
 *
 * - the segments each way (time, first and last sequence number, relative to
 *   the direction's first sequence number, and whether the sender's TCP says
 *   it was a retransmission and why);
 * - the ACK line, the receive-window edge (ACK + scaled window) and SACK blocks
 *   of the other way;
 * - wire bytes and new bytes per time bin (throughput and goodput);
 * - the stack's true cwnd and ssthresh (TcpEvent 'cwnd'), and every RTT sample
 *   with SRTT and RTO after it (TcpEvent 'rtt') — what Wireshark can only guess.
 *
 * Plain TypeScript, no runes: the panel's state class owns one and republishes.
 * Every series is bounded: past `maxPoints` the oldest quarter is dropped.
 */

import { seqDiff } from '../../../worker/wire/seq';
import { TcpFlag } from '../../../worker/wire/tcp';
import type { TraceEvent } from '../../../worker/trace/events';
import { TcpSegmentReader } from './tcp-reader';

/** Width of a throughput bin, ms of stack time. */
export const BIN_MS = 100;

/** Columns of numbers that grow together (one per field), trimmed together. */
export class Columns<K extends string> {
  readonly cols: Record<K, number[]>;
  constructor(
    keys: readonly K[],
    private readonly max: number,
  ) {
    this.cols = Object.fromEntries(keys.map((k) => [k, []])) as unknown as Record<K, number[]>;
  }
  get length(): number {
    for (const k in this.cols) return this.cols[k].length;
    return 0;
  }
  push(row: Record<K, number>): void {
    for (const k in this.cols) this.cols[k].push(row[k]);
    if (this.length > this.max) {
      const cut = Math.ceil(this.max / 4);
      for (const k in this.cols) this.cols[k].splice(0, cut);
      this.trimmed = true;
    }
  }
  /** Whether old points were dropped to stay within the bound. */
  trimmed = false;
}

export type RetxCause = 'rto' | 'dupack' | 'partial-ack' | 'sack' | 'syn' | 'probe' | 'keepalive' | 'inferred';

/** One direction of a connection: data from `from` to `to`. */
export class Direction {
  /** First sequence number seen this way (the ISN when the SYN was seen). */
  isn: number | undefined;
  /** Whether the SYN was seen, so sequence numbers are relative to the true ISN. */
  sawSyn = false;
  /**
   * Window-scale shift of the windows in this direction's ACKs: the one the
   * receiver of this direction announced in its SYN, or 0 when either SYN lacked
   * the option (RFC 7323 2.2).
   */
  ackShift = 0;
  /** Highest relative sequence end sent this way. */
  highest = 0;
  wireBytes = 0;
  /** Payload bytes the receiver has acknowledged in order: what the application got (goodput). */
  delivered = 0;
  /** Relative sequence number of the FIN, once seen: the ACK of the FIN is not data. */
  finAt: number | undefined;
  retransmissions = 0;
  readonly segments: Columns<'t' | 'start' | 'end' | 'retx'>;
  readonly acks: Columns<'t' | 'ack' | 'edge'>;
  readonly sacks: Columns<'t' | 'left' | 'right'>;
  /** Per BIN_MS: bin start (s), wire bytes sent this way, payload bytes newly acknowledged (delivered). */
  readonly bins: Columns<'t' | 'wire' | 'fresh'>;

  constructor(max: number) {
    this.segments = new Columns(['t', 'start', 'end', 'retx'], max);
    this.acks = new Columns(['t', 'ack', 'edge'], max);
    this.sacks = new Columns(['t', 'left', 'right'], max);
    this.bins = new Columns(['t', 'wire', 'fresh'], max);
  }

  rel(seq: number): number {
    return this.isn === undefined ? 0 : seqDiff(seq, this.isn);
  }

  addBytes(tMs: number, wire: number, fresh: number): void {
    const start = Math.floor(tMs / BIN_MS) * BIN_MS;
    const c = this.bins.cols;
    const n = c.t.length;
    if (n > 0 && c.t[n - 1] === start / 1000) {
      c.wire[n - 1] += wire;
      c.fresh[n - 1] += fresh;
      return;
    }
    this.bins.push({ t: start / 1000, wire, fresh });
  }
}

/** A connection as one host sees it. `name` is that host's TcpEvent.conn ("local>remote"). */
export class ConnectionPlot {
  /** [0] = out (this host sends the data), [1] = in. */
  readonly dirs: [Direction, Direction];
  readonly cwnd: Columns<'t' | 'cwnd' | 'ssthresh'>;
  readonly rtt: Columns<'t' | 'sample' | 'srtt' | 'rto'>;
  lastT = 0;
  /** Retransmissions the TCP announced, waiting for their frame: seq → cause. */
  readonly pendingRetx = new Map<number, RetxCause>();

  constructor(
    readonly host: string,
    readonly name: string,
    readonly localAddr: number,
    max: number,
  ) {
    this.dirs = [new Direction(max), new Direction(max)];
    this.cwnd = new Columns(['t', 'cwnd', 'ssthresh'], max);
    this.rtt = new Columns(['t', 'sample', 'srtt', 'rto'], max);
  }

  /** The direction that carried more data: what the sequence plot shows first. */
  get mainDirection(): 0 | 1 {
    const [out, inn] = this.dirs;
    return inn.delivered + inn.wireBytes / 1e6 > out.delivered + out.wireBytes / 1e6 ? 1 : 0;
  }
}

export interface PlotBookOptions {
  /** Points kept per series. Default 50,000. */
  maxPoints?: number;
  /** Connections kept (the least recently active go first). Default 16. */
  maxConnections?: number;
}

interface ConnMemo {
  c: ConnectionPlot | undefined;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
}

const emptyMemo = (): ConnMemo => ({ c: undefined, src: 0, dst: 0, srcPort: 0, dstPort: 0 });

export class PlotBook {
  private readonly conns = new Map<string, ConnectionPlot>();
  private readonly reader = new TcpSegmentReader();
  private readonly maxPoints: number;
  private readonly maxConnections: number;
  /** Bumped whenever something changed: cheap "is a redraw due". */
  version = 0;

  constructor(opts: PlotBookOptions = {}) {
    this.maxPoints = opts.maxPoints ?? 50_000;
    this.maxConnections = opts.maxConnections ?? 16;
  }

  clear(): void {
    this.conns.clear();
    this.memo.clear();
    this.version++;
  }

  /** Connections, most recently active first. */
  list(): ConnectionPlot[] {
    return [...this.conns.values()].sort((a, b) => b.lastT - a.lastT);
  }

  get(host: string, name: string): ConnectionPlot | undefined {
    return this.conns.get(`${host}|${name}`);
  }

  applyAll(batch: readonly TraceEvent[]): boolean {
    const before = this.version;
    for (const e of batch) this.apply(e);
    return this.version !== before;
  }

  apply(e: TraceEvent): void {
    if (e.type === 'tcp') {
      if (e.what === 'cwnd') {
        const c = this.conn(e.host, e.conn, undefined, e.t);
        c?.cwnd.push({ t: e.t / 1000, cwnd: e.cwnd, ssthresh: e.ssthresh >= 0x40000000 ? NaN : e.ssthresh });
        this.version++;
      } else if (e.what === 'vars') {
        // The true cwnd after every segment (the 'cwnd' events mark only its cuts): a point whenever it moved.
        const c = this.conn(e.host, e.conn, undefined, e.t);
        if (!c) return;
        const ss = e.ssthresh >= 0x40000000 ? NaN : e.ssthresh;
        const k = c.cwnd.cols;
        const n = k.t.length;
        if (n > 0 && k.cwnd[n - 1] === e.cwnd && Object.is(k.ssthresh[n - 1], ss)) return;
        c.cwnd.push({ t: e.t / 1000, cwnd: e.cwnd, ssthresh: ss });
        this.version++;
      } else if (e.what === 'rtt') {
        const c = this.conn(e.host, e.conn, undefined, e.t);
        c?.rtt.push({ t: e.t / 1000, sample: e.sample, srtt: e.srtt, rto: e.rto });
        this.version++;
      } else if (e.what === 'retransmit') {
        // Announced just before the segment goes down: the next tx frame with this seq is it.
        this.conn(e.host, e.conn, undefined, e.t)?.pendingRetx.set(e.seq, e.cause);
      }
      return;
    }
    if (e.type !== 'frame') return;
    const r = this.reader;
    if (!r.read(e.frame)) return;
    // A connection starts being plotted at its SYN; segments of connections never seen open are plotted too (mid-stream).
    const c = this.frameConn(e.host, e.dir, e.t);
    if (!c) return;
    const data = c.dirs[e.dir === 'tx' ? 0 : 1];
    const back = c.dirs[e.dir === 'tx' ? 1 : 0];
    const syn = (r.flags & TcpFlag.SYN) !== 0;
    if (syn && !data.sawSyn) {
      data.isn = r.seq;
      data.sawSyn = true;
      data.highest = 0;
      // This side's windows (in its ACKs of the other direction) use the shift it announces here;
      // without the option neither side scales (RFC 7323 2.2).
      if (r.options.wscale >= 0) back.ackShift = r.options.wscale;
      else data.ackShift = back.ackShift = 0;
    } else if (data.isn === undefined) {
      data.isn = r.seq;
    }
    const t = e.t / 1000;
    if (r.seqLen > 0) {
      const start = data.rel(r.seq);
      const end = start + r.seqLen;
      let cause: RetxCause | undefined;
      if (e.dir === 'tx') cause = c.pendingRetx.get(r.seq);
      if (cause) c.pendingRetx.delete(r.seq);
      else if (end <= data.highest && !syn) cause = 'inferred';
      if (cause) data.retransmissions++;
      if (end > data.highest) data.highest = end;
      if (r.flags & TcpFlag.FIN) data.finAt = end - 1;
      data.segments.push({ t, start, end, retx: cause ? 1 : 0 });
    }
    data.wireBytes += e.frame.length;
    data.addBytes(e.t, e.frame.length, 0);
    if (r.flags & TcpFlag.ACK && back.isn !== undefined) {
      // The window in a SYN is never scaled (RFC 7323 2.2).
      const shift = syn ? 0 : back.ackShift;
      const ack = back.rel(r.ack);
      back.acks.push({ t, ack, edge: ack + r.window * 2 ** shift });
      // Goodput: payload newly acknowledged in order (the SYN and the FIN take a number each but carry no data).
      const delivered = Math.max(0, Math.min(ack, back.finAt ?? Infinity) - 1);
      if (delivered > back.delivered) {
        back.addBytes(e.t, 0, delivered - back.delivered);
        back.delivered = delivered;
      }
      for (let k = 0; k < r.options.sackCount; k++) {
        back.sacks.push({ t, left: back.rel(r.options.sackBlocks[2 * k]!), right: back.rel(r.options.sackBlocks[2 * k + 1]!) });
      }
    }
    this.version++;
  }

  /**
   * The connection of the segment the reader holds. A bulk transfer is thousands of segments of one
   * connection: the last answer for each host and direction is kept by its numbers, so most frames
   * build no name string.
   */
  private frameConn(host: string, dir: 'tx' | 'rx', t: number): ConnectionPlot | undefined {
    const r = this.reader;
    let pair = this.memo.get(host);
    if (!pair) this.memo.set(host, (pair = [emptyMemo(), emptyMemo()]));
    const m = pair[dir === 'tx' ? 0 : 1];
    if (m.c && m.src === r.src && m.dst === r.dst && m.srcPort === r.srcPort && m.dstPort === r.dstPort) {
      m.c.lastT = t;
      return m.c;
    }
    const c = this.conn(host, dir === 'tx' ? r.conn : r.reverseConn, dir === 'tx' ? r.src : r.dst, t);
    Object.assign(m, { c, src: r.src, dst: r.dst, srcPort: r.srcPort, dstPort: r.dstPort });
    return c;
  }

  /** Per host: the last segment's connection sent [0] and received [1] (see frameConn). */
  private readonly memo = new Map<string, [ConnMemo, ConnMemo]>();

  private conn(host: string, name: string, local: number | undefined, t: number): ConnectionPlot | undefined {
    const key = `${host}|${name}`;
    let c = this.conns.get(key);
    if (!c) {
      if (local === undefined) return undefined; // TCP events before any frame: nothing to anchor them yet
      c = new ConnectionPlot(host, name, local, this.maxPoints);
      this.conns.set(key, c);
      if (this.conns.size > this.maxConnections) {
        const oldest = this.list().pop()!;
        this.conns.delete(`${oldest.host}|${oldest.name}`);
        for (const pair of this.memo.values()) for (const m of pair) if (m.c === oldest) m.c = undefined;
      }
    }
    c.lastT = t;
    return c;
  }
}
