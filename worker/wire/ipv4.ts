/**
 * IPv4 header (RFC 791). Options are kept as raw bytes in the view and the repr
 * (the UI shows them); the stack itself never emits options.
 */

import { ByteView, copyUnlessInPlace, put16, put32, u16, u32 } from './bytes';
import { checksum, verifies } from './checksum';
import { ensureRoom, ok, type Result, type WireError } from './result';

export const IPV4 = {
  VER_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  MIN_HEADER_LEN: 20,
  MAX_HEADER_LEN: 60,
  MAX_TOTAL_LEN: 65535,
} as const;

export const IpProtocol = { ICMP: 1, TCP: 6, UDP: 17 } as const;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FLAG_RESERVED = 0x8000;
const FRAG_MASK = 0x1fff;

export interface Ipv4CheckOptions {
  /** Verify the header checksum (default true). */
  checksum?: boolean;
}

export class Ipv4View extends ByteView {
  /**
   * Validates version, header length, total length against the buffer (trailing
   * Ethernet padding is allowed and ignored) and, unless disabled, the checksum.
   */
  check(opts?: Ipv4CheckOptions): WireError | null {
    const len = this.end - this.start;
    if (len < IPV4.MIN_HEADER_LEN) return err('truncated', `packet of ${len} bytes is shorter than the 20-byte IPv4 header`);
    if (this.version !== 4) return err('bad-version', `version field is ${this.version}, not 4`);
    const hl = this.headerLen;
    if (hl < IPV4.MIN_HEADER_LEN) return err('bad-offset', `header length field ${hl / 4} (x4 = ${hl} bytes) is below the minimum of 5`);
    if (hl > len) return err('truncated', `header length ${hl} runs past the ${len} bytes received`);
    const total = this.totalLen;
    if (total < hl) return err('bad-length', `total length ${total} is smaller than the header length ${hl}`);
    if (total > len) return err('truncated', `total length ${total} but only ${len} bytes received`);
    if ((opts?.checksum ?? true) && !verifies(this.buf, this.start, hl)) {
      return err('bad-checksum', `header checksum 0x${this.checksum.toString(16).padStart(4, '0')} does not verify`);
    }
    if (this.fragOffset * 8 + (total - hl) > IPV4.MAX_TOTAL_LEN) {
      return err('bad-offset', `fragment offset ${this.fragOffset * 8} + ${total - hl} bytes runs past 65535`);
    }
    return null;
  }

  get version(): number {
    return this.buf[this.start + IPV4.VER_IHL] >>> 4;
  }
  get headerLen(): number {
    return (this.buf[this.start + IPV4.VER_IHL] & 0x0f) * 4;
  }
  get dscp(): number {
    return this.buf[this.start + IPV4.DSCP_ECN] >>> 2;
  }
  get ecn(): number {
    return this.buf[this.start + IPV4.DSCP_ECN] & 3;
  }
  get totalLen(): number {
    return u16(this.buf, this.start + IPV4.TOTAL_LEN);
  }
  get ident(): number {
    return u16(this.buf, this.start + IPV4.IDENT);
  }
  get reservedFlag(): boolean {
    return (u16(this.buf, this.start + IPV4.FLAGS_FRAG) & FLAG_RESERVED) !== 0;
  }
  get dontFrag(): boolean {
    return (u16(this.buf, this.start + IPV4.FLAGS_FRAG) & FLAG_DF) !== 0;
  }
  get moreFrags(): boolean {
    return (u16(this.buf, this.start + IPV4.FLAGS_FRAG) & FLAG_MF) !== 0;
  }
  /** In 8-byte units, as on the wire. */
  get fragOffset(): number {
    return u16(this.buf, this.start + IPV4.FLAGS_FRAG) & FRAG_MASK;
  }
  get isFragment(): boolean {
    return this.moreFrags || this.fragOffset !== 0;
  }
  get ttl(): number {
    return this.buf[this.start + IPV4.TTL];
  }
  set ttl(v: number) {
    this.buf[this.start + IPV4.TTL] = v;
  }
  get protocol(): number {
    return this.buf[this.start + IPV4.PROTOCOL];
  }
  get checksum(): number {
    return u16(this.buf, this.start + IPV4.CHECKSUM);
  }
  get src(): number {
    return u32(this.buf, this.start + IPV4.SRC);
  }
  get dst(): number {
    return u32(this.buf, this.start + IPV4.DST);
  }
  get optionsStart(): number {
    return this.start + IPV4.MIN_HEADER_LEN;
  }
  get payloadStart(): number {
    return this.start + this.headerLen;
  }
  /** End of the datagram: start + total length (excludes Ethernet padding). */
  get payloadEnd(): number {
    return this.start + this.totalLen;
  }
  get payloadLen(): number {
    return this.totalLen - this.headerLen;
  }

  /** Recomputes the header checksum in place (after changing TTL, say). */
  fillChecksum(): void {
    put16(this.buf, this.start + IPV4.CHECKSUM, 0);
    put16(this.buf, this.start + IPV4.CHECKSUM, checksum(this.buf, this.start, this.headerLen));
  }
}

export interface Ipv4Repr {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  ident: number;
  dscp: number;
  ecn: number;
  dontFrag: boolean;
  moreFrags: boolean;
  /** In bytes (a multiple of 8), not the wire's 8-byte units. */
  fragOffset: number;
  /** Raw option bytes (length a multiple of 4, up to 40); empty when none. */
  options: Uint8Array;
  /** The datagram's payload (zero-copy; excludes Ethernet padding). */
  payload: Uint8Array;
  /** Header checksum as received (parse) or ignored (emit computes it). */
  checksum?: number;
}

export function parseIpv4(buf: Uint8Array, start = 0, end = buf.length, opts?: Ipv4CheckOptions): Result<Ipv4Repr> {
  const v = new Ipv4View().wrap(buf, start, end);
  const e = v.check(opts);
  if (e) return { ok: false, error: e };
  if (v.reservedFlag) return { ok: false, error: err('malformed', 'the reserved flag bit is set (RFC 791: must be zero)') };
  return ok({
    src: v.src,
    dst: v.dst,
    protocol: v.protocol,
    ttl: v.ttl,
    ident: v.ident,
    dscp: v.dscp,
    ecn: v.ecn,
    dontFrag: v.dontFrag,
    moreFrags: v.moreFrags,
    fragOffset: v.fragOffset * 8,
    options: buf.subarray(v.optionsStart, v.payloadStart),
    payload: buf.subarray(v.payloadStart, v.payloadEnd),
    checksum: v.checksum,
  });
}

export function ipv4HeaderLen(repr: Pick<Ipv4Repr, 'options'>): number {
  return IPV4.MIN_HEADER_LEN + repr.options.length;
}

export function ipv4EncodingLength(repr: Ipv4Repr): number {
  return ipv4HeaderLen(repr) + repr.payload.length;
}

/**
 * Writes the header with a correct checksum, then the payload (unless it is already
 * in place right after the header). Returns bytes written.
 */
export function emitIpv4(repr: Ipv4Repr, out: Uint8Array, offset = 0): number {
  const hl = ipv4HeaderLen(repr);
  const total = hl + repr.payload.length;
  ensureRoom(out, offset, total, 'ipv4');
  if (repr.options.length % 4 !== 0 || hl > IPV4.MAX_HEADER_LEN) throw new RangeError('ipv4: options must be a multiple of 4 bytes, at most 40');
  if (total > IPV4.MAX_TOTAL_LEN) throw new RangeError(`ipv4: datagram of ${total} bytes exceeds 65535`);
  // Payload first (it may overlap the header area when re-emitting in place), then options, then the header with its checksum.
  copyUnlessInPlace(repr.payload, out, offset + hl);
  out.set(repr.options, offset + IPV4.MIN_HEADER_LEN);
  writeIpv4Header(out, offset, {
    headerLen: hl,
    totalLen: total,
    src: repr.src,
    dst: repr.dst,
    protocol: repr.protocol,
    ttl: repr.ttl,
    ident: repr.ident,
    dscp: repr.dscp,
    ecn: repr.ecn,
    dontFrag: repr.dontFrag,
    moreFrags: repr.moreFrags,
    fragOffset: repr.fragOffset,
  });
  return total;
}

export interface Ipv4HeaderFields {
  headerLen: number;
  totalLen: number;
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  ident: number;
  dscp?: number;
  ecn?: number;
  dontFrag: boolean;
  moreFrags: boolean;
  /** In bytes, a multiple of 8. */
  fragOffset: number;
}

/**
 * Writes the fixed 20 bytes of a header and its checksum over `headerLen` bytes
 * (so options, if any, must already be in place). The hot path of the host
 * uses this directly to avoid building a repr per packet.
 */
export function writeIpv4Header(out: Uint8Array, o: number, h: Ipv4HeaderFields): void {
  out[o + IPV4.VER_IHL] = 0x40 | (h.headerLen >>> 2);
  out[o + IPV4.DSCP_ECN] = (((h.dscp ?? 0) & 0x3f) << 2) | ((h.ecn ?? 0) & 3);
  put16(out, o + IPV4.TOTAL_LEN, h.totalLen);
  put16(out, o + IPV4.IDENT, h.ident);
  put16(out, o + IPV4.FLAGS_FRAG, (h.dontFrag ? FLAG_DF : 0) | (h.moreFrags ? FLAG_MF : 0) | ((h.fragOffset >>> 3) & FRAG_MASK));
  out[o + IPV4.TTL] = h.ttl;
  out[o + IPV4.PROTOCOL] = h.protocol;
  put32(out, o + IPV4.SRC, h.src);
  put32(out, o + IPV4.DST, h.dst);
  put16(out, o + IPV4.CHECKSUM, 0);
  put16(out, o + IPV4.CHECKSUM, checksum(out, o, h.headerLen));
}

function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'ipv4', reason, detail };
}
