/**
 * UDP (RFC 768). The checksum covers the IPv4 pseudo-header; a transmitted
 * checksum of zero means "none" and is accepted (RFC 768, RFC 1122 4.1.3.4);
 * a computed checksum of zero is sent as 0xffff.
 */

import { ByteView, copyUnlessInPlace, put16, u16 } from './bytes';
import { checksum, pseudoHeaderSum, verifies } from './checksum';
import { IpProtocol } from './ipv4';
import { ensureRoom, ok, type Result, type WireError } from './result';

export const UDP = {
  SRC_PORT: 0,
  DST_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
  HEADER_LEN: 8,
} as const;

/** Source and destination addresses for the pseudo-header. */
export interface PseudoHeader {
  src: number;
  dst: number;
}

export class UdpView extends ByteView {
  /** Validates lengths and, when `ph` is given and the field is non-zero, the checksum. */
  check(ph?: PseudoHeader): WireError | null {
    const len = this.end - this.start;
    if (len < UDP.HEADER_LEN) return err('truncated', `UDP datagram of ${len} bytes is shorter than its 8-byte header`);
    const l = this.length;
    if (l < UDP.HEADER_LEN) return err('bad-length', `length field ${l} is smaller than the 8-byte header`);
    if (l > len) return err('truncated', `length field ${l} but only ${len} bytes received`);
    if (ph && this.checksum !== 0) {
      const initial = pseudoHeaderSum(ph.src, ph.dst, IpProtocol.UDP, l);
      if (!verifies(this.buf, this.start, l, initial)) {
        return err('bad-checksum', `checksum 0x${this.checksum.toString(16).padStart(4, '0')} does not verify`);
      }
    }
    return null;
  }

  get srcPort(): number {
    return u16(this.buf, this.start + UDP.SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.buf, this.start + UDP.DST_PORT);
  }
  get length(): number {
    return u16(this.buf, this.start + UDP.LENGTH);
  }
  get checksum(): number {
    return u16(this.buf, this.start + UDP.CHECKSUM);
  }
  get payloadStart(): number {
    return this.start + UDP.HEADER_LEN;
  }
  get payloadEnd(): number {
    return this.start + this.length;
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** As received; emit computes it (or writes 0 when `noChecksum`). */
  checksum?: number;
}

export function parseUdp(buf: Uint8Array, start = 0, end = buf.length, ph?: PseudoHeader): Result<UdpRepr> {
  const v = new UdpView().wrap(buf, start, end);
  const e = v.check(ph);
  if (e) return { ok: false, error: e };
  return ok({ srcPort: v.srcPort, dstPort: v.dstPort, payload: buf.subarray(v.payloadStart, v.payloadEnd), checksum: v.checksum });
}

export function udpEncodingLength(repr: UdpRepr): number {
  return UDP.HEADER_LEN + repr.payload.length;
}

/**
 * Writes header and payload (unless already in place) and the checksum over the
 * pseudo-header. With `noChecksum` the field is left zero ("no checksum").
 */
export function emitUdp(repr: UdpRepr, out: Uint8Array, offset: number, ph: PseudoHeader, noChecksum = false): number {
  const len = udpEncodingLength(repr);
  ensureRoom(out, offset, len, 'udp');
  if (len > 0xffff) throw new RangeError(`udp: datagram of ${len} bytes exceeds 65535`);
  put16(out, offset + UDP.SRC_PORT, repr.srcPort);
  put16(out, offset + UDP.DST_PORT, repr.dstPort);
  put16(out, offset + UDP.LENGTH, len);
  put16(out, offset + UDP.CHECKSUM, 0);
  copyUnlessInPlace(repr.payload, out, offset + UDP.HEADER_LEN);
  if (!noChecksum) {
    const c = checksum(out, offset, len, pseudoHeaderSum(ph.src, ph.dst, IpProtocol.UDP, len));
    put16(out, offset + UDP.CHECKSUM, c === 0 ? 0xffff : c);
  }
  return len;
}

function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'udp', reason, detail };
}
