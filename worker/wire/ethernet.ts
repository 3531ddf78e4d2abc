/**
 * Ethernet II (DIX) frames, as carried one per message on the frame channel.
 *
 * We carry no FCS (as captures on Linux show frames): the channel below has its
 * own integrity check, and corruption injected by the conditioner is caught by the
 * IPv4/UDP/TCP checksums. The UI shows the 4-byte FCS as part of the 18 bytes of
 * Ethernet overhead when it explains encapsulation.
 */

import { readMac, writeMac, type Mac } from './addr';
import { ByteView, copyUnlessInPlace, put16, u16 } from './bytes';
import { ensureRoom, ok, type Result, type WireError } from './result';

/** Field offsets (IEEE 802.3 clause 3.1.1). */
export const ETH = {
  DST: 0,
  SRC: 6,
  ETHERTYPE: 12,
  HEADER_LEN: 14,
  /** Minimum frame without FCS: 64 bytes on the wire minus the 4-byte FCS. */
  MIN_FRAME: 60,
  FCS_LEN: 4,
} as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
} as const;

/** Values below 0x0600 are 802.3 lengths, not EtherTypes (IEEE 802.3 3.2.6). */
const MIN_ETHERTYPE = 0x0600;

/** Largest frame for an MTU (header + payload, no FCS). */
export function maxFrameLen(mtu: number): number {
  return ETH.HEADER_LEN + mtu;
}

/** Length of a frame carrying `payloadLen` bytes, padded to the minimum. */
export function ethernetFrameLen(payloadLen: number): number {
  return Math.max(ETH.MIN_FRAME, ETH.HEADER_LEN + payloadLen);
}

/** Zero-copy, reusable view over a frame at [start, end). Call check() before trusting getters. */
export class EthernetView extends ByteView {
  /** Null when the getters are safe to use; otherwise why the frame is unusable. */
  check(): WireError | null {
    const len = this.end - this.start;
    if (len < ETH.HEADER_LEN) return err('truncated', `frame of ${len} bytes is shorter than the 14-byte Ethernet header`);
    const type = this.ethertype;
    if (type < MIN_ETHERTYPE) return err('unsupported', `length field ${type} (IEEE 802.3 framing) instead of an EtherType`);
    return null;
  }

  get dst(): Mac {
    return readMac(this.buf, this.start + ETH.DST);
  }
  set dst(mac: Mac) {
    writeMac(this.buf, this.start + ETH.DST, mac);
  }
  get src(): Mac {
    return readMac(this.buf, this.start + ETH.SRC);
  }
  set src(mac: Mac) {
    writeMac(this.buf, this.start + ETH.SRC, mac);
  }
  get ethertype(): number {
    return u16(this.buf, this.start + ETH.ETHERTYPE);
  }
  set ethertype(v: number) {
    put16(this.buf, this.start + ETH.ETHERTYPE, v);
  }
  get payloadStart(): number {
    return this.start + ETH.HEADER_LEN;
  }
  get payloadEnd(): number {
    return this.end;
  }
}

export interface EthernetRepr {
  dst: Mac;
  src: Mac;
  ethertype: number;
  /** Everything after the header, including any padding (the layer above knows its own length). */
  payload: Uint8Array;
}

export function parseEthernet(buf: Uint8Array, start = 0, end = buf.length): Result<EthernetRepr> {
  const view = new EthernetView().wrap(buf, start, end);
  const e = view.check();
  if (e) return { ok: false, error: e };
  return ok({ dst: view.dst, src: view.src, ethertype: view.ethertype, payload: buf.subarray(view.payloadStart, end) });
}

/** Bytes emitEthernet writes for this repr: header, payload, and padding up to 60. */
export function ethernetEncodingLength(repr: EthernetRepr): number {
  return ethernetFrameLen(repr.payload.length);
}

/**
 * Writes header, payload (unless it already sits in place) and zero padding.
 * Returns the number of bytes written.
 */
export function emitEthernet(repr: EthernetRepr, out: Uint8Array, offset = 0): number {
  const total = ethernetEncodingLength(repr);
  ensureRoom(out, offset, total, 'ethernet');
  writeMac(out, offset + ETH.DST, repr.dst);
  writeMac(out, offset + ETH.SRC, repr.src);
  put16(out, offset + ETH.ETHERTYPE, repr.ethertype);
  const payloadAt = offset + ETH.HEADER_LEN;
  copyUnlessInPlace(repr.payload, out, payloadAt);
  out.fill(0, payloadAt + repr.payload.length, offset + total);
  return total;
}


function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'ethernet', reason, detail };
}
