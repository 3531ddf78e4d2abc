/**
 * ICMP for IPv4 (RFC 792, RFC 1191 for "fragmentation needed" with next-hop MTU,
 * RFC 1122 3.2.2 for the rules of when errors may be sent, which live in net/).
 */

import { ByteView, copyUnlessInPlace, put16, u16 } from './bytes';
import { checksum, verifies } from './checksum';
import { ensureRoom, ok, type Result, type WireError } from './result';

export const ICMP = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  /** Echo: identifier; errors: unused (or next-hop MTU at 6). */
  REST: 4,
  IDENT: 4,
  SEQ: 6,
  NEXT_HOP_MTU: 6,
  HEADER_LEN: 8,
} as const;

export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
} as const;

export const UnreachableCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
} as const;

export const TimeExceededCode = {
  TTL: 0,
  REASSEMBLY: 1,
} as const;

export class IcmpView extends ByteView {
  check(opts?: { checksum?: boolean }): WireError | null {
    const len = this.end - this.start;
    if (len < ICMP.HEADER_LEN) return err('truncated', `ICMP message of ${len} bytes is shorter than its 8-byte header`);
    if ((opts?.checksum ?? true) && !verifies(this.buf, this.start, len)) {
      return err('bad-checksum', `checksum 0x${this.checksum.toString(16).padStart(4, '0')} does not verify`);
    }
    return null;
  }

  get type(): number {
    return this.buf[this.start + ICMP.TYPE];
  }
  get code(): number {
    return this.buf[this.start + ICMP.CODE];
  }
  get checksum(): number {
    return u16(this.buf, this.start + ICMP.CHECKSUM);
  }
  get ident(): number {
    return u16(this.buf, this.start + ICMP.IDENT);
  }
  get seq(): number {
    return u16(this.buf, this.start + ICMP.SEQ);
  }
  get nextHopMtu(): number {
    return u16(this.buf, this.start + ICMP.NEXT_HOP_MTU);
  }
  get dataStart(): number {
    return this.start + ICMP.HEADER_LEN;
  }
}

export type IcmpRepr =
  | { type: 'echo-request' | 'echo-reply'; ident: number; seq: number; data: Uint8Array }
  | {
      type: 'dest-unreachable';
      code: number;
      /** RFC 1191: set with code 4 (fragmentation needed), else 0. */
      nextHopMtu: number;
      /** The offending datagram's IP header and at least its first 8 payload bytes. */
      original: Uint8Array;
    }
  | { type: 'time-exceeded'; code: number; original: Uint8Array }
  | { type: 'other'; icmpType: number; code: number; rest: number; data: Uint8Array };

export function parseIcmp(buf: Uint8Array, start = 0, end = buf.length, opts?: { checksum?: boolean }): Result<IcmpRepr> {
  const v = new IcmpView().wrap(buf, start, end);
  const e = v.check(opts);
  if (e) return { ok: false, error: e };
  const data = buf.subarray(v.dataStart, end);
  switch (v.type) {
    case IcmpType.ECHO_REQUEST:
    case IcmpType.ECHO_REPLY:
      return ok({ type: v.type === IcmpType.ECHO_REQUEST ? 'echo-request' : 'echo-reply', ident: v.ident, seq: v.seq, data });
    case IcmpType.DEST_UNREACHABLE:
      if (data.length < 28) return { ok: false, error: err('truncated', `destination unreachable quotes ${data.length} bytes; needs an IP header and 8 bytes`) };
      return ok({ type: 'dest-unreachable', code: v.code, nextHopMtu: v.code === UnreachableCode.FRAG_NEEDED ? v.nextHopMtu : 0, original: data });
    case IcmpType.TIME_EXCEEDED:
      if (data.length < 28) return { ok: false, error: err('truncated', `time exceeded quotes ${data.length} bytes; needs an IP header and 8 bytes`) };
      return ok({ type: 'time-exceeded', code: v.code, original: data });
    default: {
      const rest = ((buf[start + 4] << 24) | (buf[start + 5] << 16) | (buf[start + 6] << 8) | buf[start + 7]) >>> 0;
      return ok({ type: 'other', icmpType: v.type, code: v.code, rest, data });
    }
  }
}

function bodyOf(repr: IcmpRepr): Uint8Array {
  switch (repr.type) {
    case 'echo-request':
    case 'echo-reply':
    case 'other':
      return repr.data;
    case 'dest-unreachable':
    case 'time-exceeded':
      return repr.original;
  }
}

export function icmpEncodingLength(repr: IcmpRepr): number {
  return ICMP.HEADER_LEN + bodyOf(repr).length;
}

/** Writes the message with its checksum. Returns bytes written. */
export function emitIcmp(repr: IcmpRepr, out: Uint8Array, offset = 0): number {
  const len = icmpEncodingLength(repr);
  ensureRoom(out, offset, len, 'icmp');
  let type: number;
  let code = 0;
  let restHi = 0;
  let restLo = 0;
  switch (repr.type) {
    case 'echo-request':
    case 'echo-reply':
      type = repr.type === 'echo-request' ? IcmpType.ECHO_REQUEST : IcmpType.ECHO_REPLY;
      restHi = repr.ident;
      restLo = repr.seq;
      break;
    case 'dest-unreachable':
      type = IcmpType.DEST_UNREACHABLE;
      code = repr.code;
      restLo = repr.nextHopMtu;
      break;
    case 'time-exceeded':
      type = IcmpType.TIME_EXCEEDED;
      code = repr.code;
      break;
    case 'other':
      type = repr.icmpType;
      code = repr.code;
      restHi = repr.rest >>> 16;
      restLo = repr.rest & 0xffff;
      break;
  }
  out[offset + ICMP.TYPE] = type;
  out[offset + ICMP.CODE] = code;
  put16(out, offset + ICMP.CHECKSUM, 0);
  put16(out, offset + 4, restHi);
  put16(out, offset + 6, restLo);
  copyUnlessInPlace(bodyOf(repr), out, offset + ICMP.HEADER_LEN);
  put16(out, offset + ICMP.CHECKSUM, checksum(out, offset, len));
  return len;
}

function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'icmp', reason, detail };
}
