/**
 * IPv4 fragment reassembly (RFC 791 3.2 "reassembly", RFC 815 hole tracking).
 *
 * Memory is bounded per source address and in total; a datagram that does not
 * complete within the timeout is dropped (RFC 1122 3.3.2: 60-120 s recommended;
 * Linux uses 30 s, which we default to), and if its first fragment had arrived
 * the caller sends ICMP "fragment reassembly time exceeded".
 *
 * Overlaps: an exact duplicate of a fragment already held (same offset, length
 * and bytes — what a duplicating link produces) is ignored. Any other overlap is
 * treated as an attack or corruption and the whole datagram is discarded, the
 * rule Linux adopted (and RFC 5722 mandates for IPv6): never guess which bytes win.
 */

import { formatIpv4 } from '../wire/addr';
import { IPV4 } from '../wire/ipv4';
import { put16, u32 } from '../wire/bytes';
import type { StackContext } from '../trace/context';
import type { Timer } from '../sim/scheduler';

export interface ReassemblyOptions {
  timeoutMs: number;
  /** Bytes of fragment payload held for one source address. */
  perSourceBytes: number;
  /** Bytes of fragment payload held in total (Linux ipfrag_high_thresh: 4 MiB). */
  totalBytes: number;
}

export const DEFAULT_REASSEMBLY_OPTIONS: ReassemblyOptions = {
  timeoutMs: 30_000,
  perSourceBytes: 256 * 1024,
  totalBytes: 4 * 1024 * 1024,
};

interface Fragment {
  offset: number;
  data: Uint8Array;
}

interface Pending {
  key: string;
  src: number;
  dst: number;
  protocol: number;
  ident: number;
  /** Sorted by offset, non-overlapping. */
  fragments: Fragment[];
  bytes: number;
  /** Known once the fragment with MF=0 arrives. */
  totalLen: number | undefined;
  /** Header of the fragment at offset 0 (for the reassembled datagram and ICMP quotes). */
  firstHeader: Uint8Array | undefined;
  timer: Timer;
}

export interface Reassembled {
  /** A whole datagram: the first fragment's header (fixed up) followed by the payload. */
  datagram: Uint8Array;
  headerLen: number;
}

export interface ReassemblyTimeout {
  src: number;
  dst: number;
  /** First fragment's header + leading payload bytes, for the ICMP quote; undefined if offset 0 never came. */
  quote: Uint8Array | undefined;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly bytesBySource = new Map<number, number>();
  private totalBytes = 0;
  /** Called when a datagram times out. */
  onTimeout: ((t: ReassemblyTimeout) => void) | undefined;

  constructor(
    private readonly ctx: StackContext,
    readonly options: ReassemblyOptions = { ...DEFAULT_REASSEMBLY_OPTIONS },
  ) {}

  /** Datagrams being reassembled. */
  get size(): number {
    return this.pending.size;
  }

  /** Fragment payload bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Adds one validated fragment: `packet[start..end)` is the whole IP packet.
   * Returns the datagram when this fragment completes it.
   */
  add(packet: Uint8Array, start: number, headerLen: number, end: number, frameId: number): Reassembled | undefined {
    const ctx = this.ctx;
    const src = u32(packet, start + IPV4.SRC);
    const dst = u32(packet, start + IPV4.DST);
    const protocol = packet[start + IPV4.PROTOCOL];
    const ident = (packet[start + IPV4.IDENT] << 8) | packet[start + IPV4.IDENT + 1];
    const flagsFrag = (packet[start + IPV4.FLAGS_FRAG] << 8) | packet[start + IPV4.FLAGS_FRAG + 1];
    const moreFrags = (flagsFrag & 0x2000) !== 0;
    const offset = (flagsFrag & 0x1fff) * 8;
    const len = end - start - headerLen;
    const describe = () => `fragment of ${formatIpv4(src)} id ${ident} at offset ${offset}`;

    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (moreFrags && len % 8 !== 0) {
      ctx.drop('ipv4', 'bad-length', `${describe()} carries ${len} bytes, not a multiple of 8`, frameId, end - start);
      return undefined;
    }
    if (len === 0) {
      ctx.drop('ipv4', 'bad-length', `${describe()} carries no data`, frameId, end - start);
      return undefined;
    }

    // The reassembled datagram (header + data) must fit IPv4's 16-bit total length (the "ping of death").
    if (headerLen + offset + len > IPV4.MAX_TOTAL_LEN) {
      ctx.drop('ipv4', 'bad-length', `${describe()} would make a datagram longer than 65535 bytes`, frameId, end - start);
      return undefined;
    }

    const key = `${src}>${dst}/${protocol}#${ident}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.create(key, src, dst, protocol, ident);
    }

    // Where does it go, and does it overlap anything?
    const fragEnd = offset + len;
    let at = 0;
    while (at < p.fragments.length && p.fragments[at].offset < offset) at++;
    const prev = at > 0 ? p.fragments[at - 1] : undefined;
    const next = at < p.fragments.length ? p.fragments[at] : undefined;
    const data = packet.subarray(start + headerLen, end);
    if (next && next.offset === offset && next.data.length === len && bytesEqual(next.data, data)) {
      ctx.drop('ipv4', 'duplicate-fragment', `${describe()} is a duplicate of one already held`, frameId, end - start);
      return undefined;
    }
    const overlapsPrev = prev !== undefined && prev.offset + prev.data.length > offset;
    const overlapsNext = next !== undefined && next.offset < fragEnd;
    const beyondEnd = p.totalLen !== undefined && (fragEnd > p.totalLen || (!moreFrags && fragEnd !== p.totalLen));
    const endBeforeHeld = !moreFrags && p.fragments.length > 0 && lastEnd(p) > fragEnd;
    if (overlapsPrev || overlapsNext || beyondEnd || endBeforeHeld) {
      this.discard(p);
      ctx.drop('ipv4', 'reassembly-overlap', `${describe()} overlaps or contradicts fragments already held; the whole datagram is discarded`, frameId, end - start);
      return undefined;
    }

    // Memory bounds.
    const srcBytes = this.bytesBySource.get(src) ?? 0;
    if (srcBytes + len > this.options.perSourceBytes) {
      this.discard(p);
      ctx.drop('ipv4', 'reassembly-limit', `${formatIpv4(src)} already holds ${srcBytes} bytes of fragments (limit ${this.options.perSourceBytes}); datagram discarded`, frameId, end - start);
      return undefined;
    }
    while (this.totalBytes + len > this.options.totalBytes) {
      const oldest = this.pending.values().next().value as Pending | undefined;
      if (!oldest) break;
      this.discard(oldest);
      ctx.drop('ipv4', 'reassembly-limit', `reassembly memory full (${this.options.totalBytes} bytes); oldest datagram from ${formatIpv4(oldest.src)} evicted`);
    }

    if (!this.pending.has(key)) {
      // Evicted above to make room: start this datagram afresh.
      p = this.create(key, src, dst, protocol, ident);
      at = 0;
    }
    p.fragments.splice(at, 0, { offset, data });
    p.bytes += len;
    this.totalBytes += len;
    this.bytesBySource.set(src, (this.bytesBySource.get(src) ?? 0) + len);
    if (!moreFrags) p.totalLen = fragEnd;
    if (offset === 0) p.firstHeader = packet.slice(start, start + headerLen);
    if (p.totalLen === undefined || p.firstHeader === undefined || !contiguous(p)) return undefined;
    return this.complete(p);
  }

  /** Drops everything held (host crash, interface down). */
  clear(): void {
    for (const p of [...this.pending.values()]) this.discard(p);
  }

  private create(key: string, src: number, dst: number, protocol: number, ident: number): Pending {
    const p: Pending = {
      key,
      src,
      dst,
      protocol,
      ident,
      fragments: [],
      bytes: 0,
      totalLen: undefined,
      firstHeader: undefined,
      timer: this.ctx.scheduler.timer(() => this.expire(p), `reassembly ${key}`),
    };
    this.pending.set(key, p);
    const deadline = this.ctx.now + this.options.timeoutMs;
    p.timer.set(deadline);
    this.ctx.timer('start', 'reassembly', key, deadline);
    return p;
  }

  private complete(p: Pending): Reassembled {
    const header = p.firstHeader!;
    const hl = header.length;
    const datagram = new Uint8Array(hl + p.totalLen!);
    datagram.set(header, 0);
    for (const f of p.fragments) datagram.set(f.data, hl + f.offset);
    // The reassembled header describes the whole datagram: no MF, offset 0, full length.
    put16(datagram, IPV4.TOTAL_LEN, datagram.length);
    put16(datagram, IPV4.FLAGS_FRAG, ((header[IPV4.FLAGS_FRAG] << 8) | header[IPV4.FLAGS_FRAG + 1]) & 0x4000);
    this.release(p);
    this.ctx.timer('stop', 'reassembly', p.key);
    this.ctx.counters.inc('ipv4', 'reassembled');
    if (this.ctx.tracing) {
      this.ctx.emit({ type: 'ip', t: this.ctx.now, host: this.ctx.hostName, what: 'reassembled', src: p.src, dst: p.dst, ident: p.ident, protocol: p.protocol, value: datagram.length });
    }
    return { datagram, headerLen: hl };
  }

  private expire(p: Pending): void {
    this.ctx.timer('fire', 'reassembly', p.key);
    const quote = p.firstHeader ? concat(p.firstHeader, p.fragments[0].data.subarray(0, 8)) : undefined;
    this.release(p);
    this.ctx.drop('ipv4', 'reassembly-timeout', `datagram ${p.ident} from ${formatIpv4(p.src)} incomplete after ${this.options.timeoutMs / 1000} s (${p.fragments.length} fragments, ${p.bytes} bytes held); discarded`);
    this.onTimeout?.({ src: p.src, dst: p.dst, quote });
  }

  private discard(p: Pending): void {
    this.release(p);
    this.ctx.timer('stop', 'reassembly', p.key);
  }

  private release(p: Pending): void {
    p.timer.cancel();
    this.pending.delete(p.key);
    this.totalBytes -= p.bytes;
    const left = (this.bytesBySource.get(p.src) ?? 0) - p.bytes;
    if (left > 0) this.bytesBySource.set(p.src, left);
    else this.bytesBySource.delete(p.src);
    p.bytes = 0;
  }
}

function contiguous(p: Pending): boolean {
  let expected = 0;
  for (const f of p.fragments) {
    if (f.offset !== expected) return false;
    expected += f.data.length;
  }
  return expected === p.totalLen;
}

function lastEnd(p: Pending): number {
  const last = p.fragments[p.fragments.length - 1];
  return last.offset + last.data.length;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
