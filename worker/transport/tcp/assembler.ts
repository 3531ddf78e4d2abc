/**
 * The receive side of a TCP connection: in-order bytes waiting for the
 * application plus out-of-order bytes waiting for the holes before them to fill.
 *
 * Memory is one ring of `capacity` bytes (the receive buffer) and a small fixed
 * table of out-of-order ranges; `add` allocates nothing.
 *
 * Positions are kept as stream offsets (bytes since the assembler was made or
 * reset; exact in a JS number for 2^53 bytes), which never wrap, so only the
 * interface to sequence numbers (`add`'s offset from RCV.NXT, `sackBlocks`)
 * deals with modulo-2^32 arithmetic. A stream offset p lives at ring index
 * p mod capacity; everything held lies in [readPos, readPos + capacity), so
 * nothing ever overwrites a byte still needed.
 *
 *   readPos            nxt (RCV.NXT)                       readPos + capacity
 *     | readable bytes  |  hole  [block]  hole  [block]        |
 *                       |<------------- window --------------->|
 *
 * The window is the space after RCV.NXT (RFC 9293 3.3.1: RCV.WND); out-of-order
 * blocks lie inside it, so they do not shrink what is advertised. SYN and FIN
 * occupy sequence space but carry no bytes: the TCB accounts for them.
 */

import { seqAdd } from '../../wire/seq';
import { ringRead, ringWrite } from './ring';

export interface AssemblerOptions {
  /**
   * Most out-of-order blocks held at once (default 32). Bounds memory and the
   * cost of each `add` against a peer that sends many tiny scattered segments.
   */
  maxBlocks?: number;
}

/** What the last `add` did with its bytes; the same object is overwritten by each call. */
export interface AssemblerAddReport {
  /** Bytes by which RCV.NXT advanced (also `add`'s return value). */
  advanced: number;
  /** New bytes stored (in order or not). */
  stored: number;
  /** Bytes already held, already read, or before RCV.NXT. */
  duplicate: number;
  /** Bytes past the right edge of the window, trimmed. */
  beyondWindow: number;
  /** New out-of-order bytes refused because the block table was full and they lay beyond every block. */
  dropped: number;
  /**
   * Out-of-order bytes held earlier and discarded to make room for a block
   * nearer RCV.NXT. They may have been SACKed: RFC 2018 8 allows this
   * (reneging); the sender keeps data until it is cumulatively acknowledged.
   */
  evicted: number;
}

export class Assembler {
  readonly capacity: number;
  readonly maxBlocks: number;
  /** Details of the most recent `add`. */
  readonly lastAdd: AssemblerAddReport = { advanced: 0, stored: 0, duplicate: 0, beyondWindow: 0, dropped: 0, evicted: 0 };
  /** Running totals of the same, for counters and traces. */
  readonly totals: AssemblerAddReport = { advanced: 0, stored: 0, duplicate: 0, beyondWindow: 0, dropped: 0, evicted: 0 };

  private readonly buf: Uint8Array;
  /** Stream offset of the next byte the application reads. */
  private readPos = 0;
  /** Stream offset of RCV.NXT: the end of the contiguous data. */
  private nxt = 0;
  // Out-of-order blocks [starts[k], ends[k]): sorted, disjoint, never adjacent, all starting after nxt.
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  /** When each block last received a segment (a counter), for the SACK order of RFC 2018 4. */
  private readonly stamps: Float64Array;
  private count = 0;
  private clock = 0;

  constructor(capacity: number, options: AssemblerOptions = {}) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`The receive buffer capacity must be a positive whole number of bytes; got ${capacity}.`);
    }
    const maxBlocks = options.maxBlocks ?? 32;
    if (!(Number.isInteger(maxBlocks) && maxBlocks > 0)) {
      throw new RangeError(`maxBlocks must be a positive whole number; got ${maxBlocks}.`);
    }
    this.capacity = capacity;
    this.maxBlocks = maxBlocks;
    this.buf = new Uint8Array(capacity);
    this.starts = new Float64Array(maxBlocks);
    this.ends = new Float64Array(maxBlocks);
    this.stamps = new Float64Array(maxBlocks);
  }

  /** In-order bytes waiting for the application. */
  get readable(): number {
    return this.nxt - this.readPos;
  }

  /** Free space to advertise from RCV.NXT on (RCV.WND). Receiver SWS avoidance (RFC 9293 3.8.6.2.2) is the caller's. */
  get window(): number {
    return this.capacity - (this.nxt - this.readPos);
  }

  /** Number of out-of-order blocks held. */
  get blockCount(): number {
    return this.count;
  }

  /** Out-of-order bytes held. */
  get outOfOrder(): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) n += this.ends[k] - this.starts[k];
    return n;
  }

  /** All bytes held (readable + out of order); never more than `capacity`. */
  get held(): number {
    return this.readable + this.outOfOrder;
  }

  /**
   * Takes a segment's payload whose first byte is `seqOffset` bytes after
   * RCV.NXT (`seqDiff(seg.seq, rcvNxt)`: 0 in order, negative when it starts
   * with bytes already received, as a retransmission can). Trims what is
   * already held or beyond the window, stores the rest, and returns how many
   * bytes became contiguous: the caller advances RCV.NXT by that much.
   * Details are in `lastAdd`.
   */
  add(seqOffset: number, data: Uint8Array): number {
    const r = this.lastAdd;
    r.advanced = r.stored = r.duplicate = r.beyondWindow = r.dropped = r.evicted = 0;
    const base = this.nxt + seqOffset; // stream offset of data[0]
    let s = base;
    let e = base + data.length;

    // Bytes before RCV.NXT were received already (RFC 9293 3.10.7.4: trim to the window).
    if (s < this.nxt) {
      r.duplicate = Math.min(e, this.nxt) - s;
      s = this.nxt;
    }
    // Bytes past RCV.NXT + RCV.WND do not fit the buffer.
    const limit = this.readPos + this.capacity;
    if (e > limit) {
      r.beyondWindow = e - Math.max(s, limit);
      e = limit;
    }
    if (e <= s) return this.finish();

    // Blocks i..j-1 overlap or touch [s, e).
    const starts = this.starts;
    const ends = this.ends;
    let i = 0;
    while (i < this.count && ends[i] < s) i++;
    let j = i;
    while (j < this.count && starts[j] <= e) j++;

    if (i === j && s > this.nxt && this.count === this.maxBlocks) {
      // A new block is needed and the table is full. Data nearer RCV.NXT is
      // worth more (it fills the next hole first), so evict the farthest block,
      // unless the newcomer would be the farthest itself.
      if (i === this.count) {
        r.dropped = e - s;
        return this.finish();
      }
      this.count--;
      r.evicted = ends[this.count] - starts[this.count];
    }

    // Copy only the gaps between blocks already held.
    let cursor = s;
    let copied = 0;
    for (let k = i; k < j; k++) {
      if (starts[k] > cursor) {
        this.store(data, base, cursor, starts[k]);
        copied += starts[k] - cursor;
      }
      if (ends[k] > cursor) cursor = ends[k];
    }
    if (cursor < e) {
      this.store(data, base, cursor, e);
      copied += e - cursor;
    }
    r.stored = copied;
    r.duplicate += e - s - copied;

    const mergedStart = i < j ? Math.min(s, starts[i]) : s;
    const mergedEnd = i < j ? Math.max(e, ends[j - 1]) : e;
    if (mergedStart === this.nxt) {
      // In order: the merged run (blocks 0..j-1, since all start after nxt) joins the contiguous data.
      this.removeBlocks(0, j);
      r.advanced = mergedEnd - this.nxt;
      this.nxt = mergedEnd;
    } else {
      this.putBlock(i, j, mergedStart, mergedEnd);
    }
    return this.finish();
  }

  /** Copies readable bytes into `out`, frees their space, and returns how many were copied. */
  read(out: Uint8Array): number;
  /** Returns up to `max` readable bytes (all by default) in a new array and frees their space. */
  read(max?: number): Uint8Array;
  read(arg?: Uint8Array | number): number | Uint8Array {
    if (arg instanceof Uint8Array) return this.readInto(arg, 0, arg.length);
    const out = new Uint8Array(Math.max(0, Math.min(arg ?? Infinity, this.readable)));
    this.readInto(out, 0, out.length);
    return out;
  }

  /** Frees up to `len` readable bytes without copying them anywhere (a discard service); returns how many. */
  skip(len: number): number {
    const n = Math.max(0, Math.min(len, this.readable));
    this.readPos += n;
    return n;
  }

  /** Copies up to len readable bytes to out[outOffset..], frees their space, and returns how many. */
  readInto(out: Uint8Array, outOffset: number, len: number): number {
    const n = Math.max(0, Math.min(len, this.readable, out.length - outOffset));
    if (n === 0) return 0;
    ringRead(this.buf, this.readPos % this.capacity, out, outOffset, n);
    this.readPos += n;
    return n;
  }

  /**
   * Writes up to `max` SACK blocks (RFC 2018 3) as [left, right) sequence
   * numbers into out[0..2k) and returns k. Order per RFC 2018 4: the block
   * holding the segment that triggered this ACK first (unless that segment
   * advanced RCV.NXT), then the others from most to least recently received,
   * each once. Recency of arrival equals recency of being reported first when
   * each out-of-order segment is ACKed at once (RFC 5681 4.2 SHOULD).
   * At most 4 fit in the option, 3 alongside timestamps (RFC 2018 3).
   */
  writeSackBlocks(rcvNxt: number, out: Uint32Array | number[], max = 4): number {
    const limit = Math.min(max, this.count, out.length >> 1);
    let newerThan = Infinity;
    let k = 0;
    while (k < limit) {
      let best = -1;
      for (let q = 0; q < this.count; q++) {
        if (this.stamps[q] < newerThan && (best < 0 || this.stamps[q] > this.stamps[best])) best = q;
      }
      if (best < 0) break;
      out[2 * k] = seqAdd(rcvNxt, this.starts[best] - this.nxt);
      out[2 * k + 1] = seqAdd(rcvNxt, this.ends[best] - this.nxt);
      newerThan = this.stamps[best];
      k++;
    }
    return k;
  }

  /** The SACK blocks as pairs (allocates; `writeSackBlocks` is the hot-path form). */
  sackBlocks(rcvNxt: number, max = 4): Array<[number, number]> {
    const flat = new Array<number>(2 * Math.min(max, this.count));
    const k = this.writeSackBlocks(rcvNxt, flat, max);
    const pairs: Array<[number, number]> = [];
    for (let q = 0; q < k; q++) pairs.push([flat[2 * q], flat[2 * q + 1]]);
    return pairs;
  }

  /** The out-of-order blocks held, in sequence order, as [left, right) sequence numbers (for the UI). */
  blocks(rcvNxt: number): Array<[number, number]> {
    const pairs: Array<[number, number]> = [];
    for (let k = 0; k < this.count; k++) {
      pairs.push([seqAdd(rcvNxt, this.starts[k] - this.nxt), seqAdd(rcvNxt, this.ends[k] - this.nxt)]);
    }
    return pairs;
  }

  /** The missing ranges before the last block, in sequence order, as [left, right) sequence numbers (for the UI). */
  holes(rcvNxt: number): Array<[number, number]> {
    const pairs: Array<[number, number]> = [];
    let from = this.nxt;
    for (let k = 0; k < this.count; k++) {
      pairs.push([seqAdd(rcvNxt, from - this.nxt), seqAdd(rcvNxt, this.starts[k] - this.nxt)]);
      from = this.ends[k];
    }
    return pairs;
  }

  /** Empties the buffer and forgets all blocks; totals are kept. */
  reset(): void {
    this.readPos = 0;
    this.nxt = 0;
    this.count = 0;
  }

  /** Copies the stream range [from, to) of a segment whose first byte is at stream offset `base` into the ring. */
  private store(data: Uint8Array, base: number, from: number, to: number): void {
    ringWrite(this.buf, from % this.capacity, data, from - base, to - from);
  }

  /** Replaces blocks i..j-1 (none when i === j: an insertion at i) with [start, end), stamped now. */
  private putBlock(i: number, j: number, start: number, end: number): void {
    if (i === j) {
      for (let k = this.count; k > i; k--) this.moveBlock(k - 1, k);
      this.count++;
    } else if (j - i > 1) {
      this.removeBlocks(i + 1, j);
    }
    this.starts[i] = start;
    this.ends[i] = end;
    this.stamps[i] = ++this.clock;
  }

  /** Removes blocks i..j-1. */
  private removeBlocks(i: number, j: number): void {
    const gone = j - i;
    if (gone <= 0) return;
    for (let k = j; k < this.count; k++) this.moveBlock(k, k - gone);
    this.count -= gone;
  }

  private moveBlock(from: number, to: number): void {
    this.starts[to] = this.starts[from];
    this.ends[to] = this.ends[from];
    this.stamps[to] = this.stamps[from];
  }

  private finish(): number {
    const r = this.lastAdd;
    const t = this.totals;
    t.advanced += r.advanced;
    t.stored += r.stored;
    t.duplicate += r.duplicate;
    t.beyondWindow += r.beyondWindow;
    t.dropped += r.dropped;
    t.evicted += r.evicted;
    return r.advanced;
  }
}
