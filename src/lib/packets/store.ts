/**
 * The packet list's log: a bounded ring of rows kept in typed-array columns
 * (a million rows are a few dozen typed arrays, not a million objects), and
 * a ring of frame bytes with its own byte budget: recent frames keep their
 * bytes for the detail view; older rows keep only their columns, from which
 * the list's text is rebuilt.
 *
 * Rows are named by their absolute number `abs` (0, 1, 2, ... in arrival
 * order; the list shows abs + 1); a row lives while abs >= first.
 */

import { extract, Proto } from './extract';
import type { FateMark } from '../../panels/conditioner/types';
import { FATES } from '../../panels/conditioner/types';
import { RETRANSMIT_CAUSES } from './vocab';
import type { DropEvent, FateEvent, FrameEvent, RetransmitCause } from '../../../worker/trace/events';

export const DEFAULT_ROWS = 100_000;
export const MIN_ROWS = 1_000;
export const MAX_ROWS = 1_000_000;
export const DEFAULT_BYTE_BUDGET = 64 * 1024 * 1024;

export const Dir = { TX: 0, RX: 1, EVENT: 2 } as const;

/** How many recent frames can still receive a late fate, drop or expert note. */
const RECENT_KEYS = 16_384;

export class PacketStore {
  readonly capacity: number;
  readonly byteBudget: number;
  /** Rows ever added; the live ones are [first, count). */
  count = 0;
  /** Bumped on every change the list must redraw for (new rows, marks on old rows). */
  version = 0;

  // ---- columns (index: abs % capacity) ----
  readonly t: Float64Array;
  readonly host: Uint8Array;
  readonly dir: Uint8Array;
  readonly frameId: Uint32Array;
  readonly len: Uint32Array;
  readonly proto: Uint8Array;
  readonly ethSrcHi: Uint16Array;
  readonly ethSrcLo: Uint32Array;
  readonly ethDstHi: Uint16Array;
  readonly ethDstLo: Uint32Array;
  /** IPv4 source/destination; ARP: sender/target protocol address. */
  readonly ipSrc: Uint32Array;
  readonly ipDst: Uint32Array;
  readonly ipTtl: Uint8Array;
  readonly ipId: Uint16Array;
  /** Bit 0 DF, bit 1 MF, bit 2 a non-first fragment, bit 3 has IPv4. */
  readonly ipFlags: Uint8Array;
  /** Transport ports; ICMP echo: identifier and sequence number. */
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** ICMP type / ARP opcode. */
  readonly type8: Uint8Array;
  /** ICMP code. */
  readonly code8: Uint8Array;
  readonly tcpFlags: Uint8Array;
  readonly tcpSeq: Uint32Array;
  readonly tcpAck: Uint32Array;
  readonly tcpWin: Uint16Array;
  /** TCP/UDP/ICMP payload length. */
  readonly payLen: Uint16Array;
  /** Window scale shift of the sender (-1: unknown). */
  readonly wshift: Int8Array;
  /** TcpExpertFlag bits (tx notes and rx findings merged). */
  readonly expert: Uint8Array;
  /** 1 + index into RETRANSMIT_CAUSES (0: none). */
  readonly cause: Uint8Array;
  readonly dupAck: Uint8Array;
  /** Bits by index in FATES. */
  readonly fates: Uint16Array;
  readonly delayMs: Float32Array;
  /** 1 + index into dropReasons (0: not dropped by a stack). */
  readonly drop: Uint8Array;
  /** Absolute position of the frame's bytes in the byte ring (-1: none). */
  readonly byteAt: Float64Array;

  // ---- frame bytes ----
  private readonly bytes: Uint8Array;
  private writePos = 0;

  // ---- names and sparse text ----
  readonly hosts: string[] = [];
  readonly dropReasons: string[] = [];
  private readonly details = new Map<number, string>();
  /** (host index, frame id) → abs, for the most recent frames: fates, drops and expert notes find their row. */
  private readonly recent = new Map<number, number>();
  private readonly recentKeys: Float64Array;
  private recentHead = 0;
  /** Window scale per direction, keyed by (ip << 16 | port) of each end. */
  readonly scales = new ScaleTable();

  constructor(capacity = DEFAULT_ROWS, byteBudget = DEFAULT_BYTE_BUDGET) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.byteBudget = Math.max(2048, Math.floor(byteBudget));
    const n = this.capacity;
    this.t = new Float64Array(n);
    this.host = new Uint8Array(n);
    this.dir = new Uint8Array(n);
    this.frameId = new Uint32Array(n);
    this.len = new Uint32Array(n);
    this.proto = new Uint8Array(n);
    this.ethSrcHi = new Uint16Array(n);
    this.ethSrcLo = new Uint32Array(n);
    this.ethDstHi = new Uint16Array(n);
    this.ethDstLo = new Uint32Array(n);
    this.ipSrc = new Uint32Array(n);
    this.ipDst = new Uint32Array(n);
    this.ipTtl = new Uint8Array(n);
    this.ipId = new Uint16Array(n);
    this.ipFlags = new Uint8Array(n);
    this.srcPort = new Uint16Array(n);
    this.dstPort = new Uint16Array(n);
    this.type8 = new Uint8Array(n);
    this.code8 = new Uint8Array(n);
    this.tcpFlags = new Uint8Array(n);
    this.tcpSeq = new Uint32Array(n);
    this.tcpAck = new Uint32Array(n);
    this.tcpWin = new Uint16Array(n);
    this.payLen = new Uint16Array(n);
    this.wshift = new Int8Array(n);
    this.expert = new Uint8Array(n);
    this.cause = new Uint8Array(n);
    this.dupAck = new Uint8Array(n);
    this.fates = new Uint16Array(n);
    this.delayMs = new Float32Array(n);
    this.drop = new Uint8Array(n);
    this.byteAt = new Float64Array(n);
    this.bytes = new Uint8Array(this.byteBudget);
    this.recentKeys = new Float64Array(RECENT_KEYS).fill(-1);
  }

  /** The oldest live row. */
  get first(): number {
    return Math.max(0, this.count - this.capacity);
  }

  get size(): number {
    return this.count - this.first;
  }

  slot(abs: number): number {
    return abs % this.capacity;
  }

  live(abs: number): boolean {
    return abs >= this.first && abs < this.count;
  }

  hostIndex(name: string): number {
    let i = this.hosts.indexOf(name);
    if (i < 0) {
      i = this.hosts.length;
      this.hosts.push(name);
    }
    return i;
  }

  private reasonIndex(reason: string): number {
    let i = this.dropReasons.indexOf(reason);
    if (i < 0) {
      i = this.dropReasons.length;
      this.dropReasons.push(reason);
    }
    return i;
  }

  /** Adds a frame row; returns its abs. */
  addFrame(e: FrameEvent): number {
    const abs = this.newRow(e.t, e.host, e.dir === 'tx' ? Dir.TX : Dir.RX);
    const s = this.slot(abs);
    const frame = e.frame;
    this.frameId[s] = e.id;
    this.len[s] = frame.length;
    extract(this, s, frame);
    if (e.expert) {
      this.expert[s] = e.expert.flags;
      this.cause[s] = e.expert.cause ? RETRANSMIT_CAUSES.indexOf(e.expert.cause) + 1 : 0;
      this.dupAck[s] = Math.min(255, e.expert.dupAck ?? 0);
    }
    this.keepBytes(s, frame);
    this.remember(this.host[s]!, e.id, abs);
    return abs;
  }

  /** A drop the stack traced: marks the frame's row when it is known, else becomes a row of its own. */
  addDrop(e: DropEvent, frameAbs: number | undefined): number | undefined {
    const reason = this.reasonIndex(e.reason) + 1;
    if (frameAbs !== undefined && this.live(frameAbs)) {
      const s = this.slot(frameAbs);
      this.drop[s] = Math.min(255, reason);
      this.setDetail(frameAbs, `${e.host}: ${e.reason}: ${e.detail}`);
      this.version++;
      return undefined;
    }
    const abs = this.newRow(e.t, e.host, Dir.EVENT);
    const s = this.slot(abs);
    this.proto[s] = Proto.EVENT;
    this.len[s] = e.len ?? 0;
    this.drop[s] = Math.min(255, reason);
    this.setDetail(abs, `${e.reason}: ${e.detail}`);
    return abs;
  }

  /** The row of a host's frame, if it is recent enough to be remembered. */
  find(host: string, frameId: number): number | undefined {
    const h = this.hosts.indexOf(host);
    if (h < 0) return undefined;
    const abs = this.recent.get(h * 2 ** 32 + frameId);
    if (abs !== undefined && this.live(abs)) return abs;
    // Older frames: look back through the live rows (rare: a fate long after its frame).
    for (let a = this.count - 1; a >= this.first; a--) {
      const s = this.slot(a);
      if (this.host[s] === h && this.frameId[s] === frameId && this.dir[s] !== Dir.EVENT) return a;
      if (this.count - a > 200_000) break;
    }
    return undefined;
  }

  markFate(abs: number, e: FateEvent): void {
    if (!this.live(abs)) return;
    const s = this.slot(abs);
    const i = FATES.indexOf(e.fate);
    if (i >= 0) this.fates[s]! |= 1 << i;
    if (e.delayMs !== undefined && (e.fate === 'delayed' || e.fate === 'queued')) this.delayMs[s] = Math.max(this.delayMs[s]!, e.delayMs);
    this.version++;
  }

  markExpert(abs: number, flags: number): void {
    if (!this.live(abs)) return;
    this.expert[this.slot(abs)]! |= flags;
    this.version++;
  }

  /** The conditioner's marks on a row, in FATES order (a delay already includes the wait in the queue). */
  fatesOf(abs: number): FateMark[] {
    if (!this.live(abs)) return [];
    const s = this.slot(abs);
    const bitsSet = this.fates[s]!;
    if (bitsSet === 0) return [];
    const out: FateMark[] = [];
    const delayed = bitsSet & (1 << FATES.indexOf('delayed'));
    FATES.forEach((fate, i) => {
      if (!(bitsSet & (1 << i))) return;
      if (fate === 'queued' && delayed) return;
      out.push({ fate, delayMs: fate === 'delayed' || fate === 'queued' ? this.delayMs[s] : undefined });
    });
    return out;
  }

  causeOf(slot: number): RetransmitCause | undefined {
    const c = this.cause[slot]!;
    return c === 0 ? undefined : RETRANSMIT_CAUSES[c - 1];
  }

  detail(abs: number): string | undefined {
    return this.details.get(abs);
  }

  /** The frame's bytes while they are kept (a view when contiguous, a copy when they wrap). */
  frame(abs: number): Uint8Array | undefined {
    if (!this.live(abs)) return undefined;
    const s = this.slot(abs);
    const at = this.byteAt[s]!;
    const n = this.len[s]!;
    if (at < 0 || at < this.writePos - this.byteBudget) return undefined;
    const from = at % this.byteBudget;
    if (from + n <= this.byteBudget) return this.bytes.subarray(from, from + n);
    const out = new Uint8Array(n);
    const head = this.byteBudget - from;
    out.set(this.bytes.subarray(from), 0);
    out.set(this.bytes.subarray(0, n - head), head);
    return out;
  }

  hasBytes(abs: number): boolean {
    if (!this.live(abs)) return false;
    const at = this.byteAt[this.slot(abs)]!;
    return at >= 0 && at >= this.writePos - this.byteBudget;
  }

  /** Bytes held by the columns, per row. */
  get bytesPerRow(): number {
    let total = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v) && v !== this.bytes && v !== this.recentKeys) total += (v as Uint8Array).BYTES_PER_ELEMENT;
    return total;
  }

  /** Bytes held: columns plus the byte ring. */
  get memoryBytes(): number {
    return this.capacity * this.bytesPerRow + this.byteBudget;
  }

  private newRow(t: number, host: string, dir: number): number {
    const abs = this.count++;
    const s = this.slot(abs);
    if (abs >= this.capacity) this.details.delete(abs - this.capacity);
    this.t[s] = t;
    this.host[s] = this.hostIndex(host);
    this.dir[s] = dir;
    this.frameId[s] = 0;
    this.len[s] = 0;
    this.proto[s] = Proto.OTHER;
    this.ethSrcHi[s] = 0;
    this.ethSrcLo[s] = 0;
    this.ethDstHi[s] = 0;
    this.ethDstLo[s] = 0;
    this.ipSrc[s] = 0;
    this.ipDst[s] = 0;
    this.ipTtl[s] = 0;
    this.ipId[s] = 0;
    this.ipFlags[s] = 0;
    this.srcPort[s] = 0;
    this.dstPort[s] = 0;
    this.type8[s] = 0;
    this.code8[s] = 0;
    this.tcpFlags[s] = 0;
    this.tcpSeq[s] = 0;
    this.tcpAck[s] = 0;
    this.tcpWin[s] = 0;
    this.payLen[s] = 0;
    this.wshift[s] = -1;
    this.expert[s] = 0;
    this.cause[s] = 0;
    this.dupAck[s] = 0;
    this.fates[s] = 0;
    this.delayMs[s] = 0;
    this.drop[s] = 0;
    this.byteAt[s] = -1;
    this.version++;
    return abs;
  }

  private keepBytes(s: number, frame: Uint8Array): void {
    const n = frame.length;
    if (n > this.byteBudget) return;
    const at = this.writePos;
    const from = at % this.byteBudget;
    if (from + n <= this.byteBudget) this.bytes.set(frame, from);
    else {
      const head = this.byteBudget - from;
      this.bytes.set(frame.subarray(0, head), from);
      this.bytes.set(frame.subarray(head), 0);
    }
    this.writePos += n;
    this.byteAt[s] = at;
  }

  private remember(host: number, frameId: number, abs: number): void {
    const key = host * 2 ** 32 + frameId;
    const old = this.recentKeys[this.recentHead]!;
    if (old >= 0) this.recent.delete(old);
    this.recentKeys[this.recentHead] = key;
    this.recentHead = (this.recentHead + 1) % RECENT_KEYS;
    this.recent.set(key, abs);
  }

  private setDetail(abs: number, text: string): void {
    this.details.set(abs, text);
  }
}

/**
 * Window scale shifts per direction, from the SYN and SYN,ACK (RFC 7323 2.2:
 * scaling applies only when both sent the option). Keyed by both ends as
 * numbers (ip * 65536 + port), so looking one up allocates nothing.
 */
export class ScaleTable {
  /** src end → dst end → shift (-2: SYN seen without the option). */
  private readonly offered = new Map<number, Map<number, number>>();
  private readonly agreed = new Map<number, Map<number, number>>();
  private entries = 0;

  private static set(m: Map<number, Map<number, number>>, a: number, b: number, v: number): void {
    let inner = m.get(a);
    if (!inner) m.set(a, (inner = new Map()));
    inner.set(b, v);
  }

  /** A SYN (synAck false) or SYN,ACK from src to dst, with its shift or -2 for none. */
  onSyn(src: number, dst: number, shift: number, synAck: boolean): void {
    if (++this.entries > 20_000) {
      this.offered.clear();
      this.agreed.clear();
      this.entries = 0;
    }
    if (!synAck) {
      ScaleTable.set(this.offered, src, dst, shift);
      return;
    }
    const theirs = this.offered.get(dst)?.get(src);
    if (theirs === undefined) return;
    const both = theirs >= 0 && shift >= 0;
    ScaleTable.set(this.agreed, dst, src, both ? Math.min(theirs, 14) : 0);
    ScaleTable.set(this.agreed, src, dst, both ? Math.min(shift, 14) : 0);
  }

  /** The shift for windows sent from src to dst, or -1 when the handshake was not seen. */
  shift(src: number, dst: number): number {
    return this.agreed.get(src)?.get(dst) ?? -1;
  }
}
