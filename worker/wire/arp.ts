/**
 * ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 (Ethernet) with
 * protocol type 0x0800 (IPv4) is supported; anything else is "unsupported".
 */

import { readMac, writeMac, type Ipv4Addr, type Mac } from './addr';
import { ByteView, put16, put32, u16, u32 } from './bytes';
import { EtherType } from './ethernet';
import { ensureRoom, ok, type Result, type WireError } from './result';

export const ARP = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  SHA: 8,
  SPA: 14,
  THA: 18,
  TPA: 24,
  LEN: 28,
} as const;

export const ArpOp = { REQUEST: 1, REPLY: 2 } as const;
export type ArpOperation = 'request' | 'reply';

const HTYPE_ETHERNET = 1;

export class ArpView extends ByteView {
  check(): WireError | null {
    const len = this.end - this.start;
    if (len < ARP.LEN) return err('truncated', `ARP packet of ${len} bytes is shorter than 28`);
    const b = this.buf;
    const s = this.start;
    if (u16(b, s + ARP.HTYPE) !== HTYPE_ETHERNET || u16(b, s + ARP.PTYPE) !== EtherType.IPV4) {
      return err('unsupported', `hardware type ${u16(b, s + ARP.HTYPE)} / protocol 0x${u16(b, s + ARP.PTYPE).toString(16)} is not Ethernet/IPv4`);
    }
    if (b[s + ARP.HLEN] !== 6 || b[s + ARP.PLEN] !== 4) {
      return err('bad-length', `address lengths ${b[s + ARP.HLEN]}/${b[s + ARP.PLEN]} should be 6/4`);
    }
    const op = u16(b, s + ARP.OPER);
    if (op !== ArpOp.REQUEST && op !== ArpOp.REPLY) return err('unsupported', `operation ${op} is neither request (1) nor reply (2)`);
    return null;
  }

  get oper(): number {
    return u16(this.buf, this.start + ARP.OPER);
  }
  get senderMac(): Mac {
    return readMac(this.buf, this.start + ARP.SHA);
  }
  get senderIp(): Ipv4Addr {
    return u32(this.buf, this.start + ARP.SPA);
  }
  get targetMac(): Mac {
    return readMac(this.buf, this.start + ARP.THA);
  }
  get targetIp(): Ipv4Addr {
    return u32(this.buf, this.start + ARP.TPA);
  }
}

export interface ArpRepr {
  operation: ArpOperation;
  senderMac: Mac;
  senderIp: Ipv4Addr;
  targetMac: Mac;
  targetIp: Ipv4Addr;
}

export function parseArp(buf: Uint8Array, start = 0, end = buf.length): Result<ArpRepr> {
  const v = new ArpView().wrap(buf, start, end);
  const e = v.check();
  if (e) return { ok: false, error: e };
  return ok({
    operation: v.oper === ArpOp.REQUEST ? 'request' : 'reply',
    senderMac: v.senderMac,
    senderIp: v.senderIp,
    targetMac: v.targetMac,
    targetIp: v.targetIp,
  });
}

export function arpEncodingLength(_repr?: ArpRepr): number {
  return ARP.LEN;
}

export function emitArp(repr: ArpRepr, out: Uint8Array, offset = 0): number {
  ensureRoom(out, offset, ARP.LEN, 'arp');
  put16(out, offset + ARP.HTYPE, HTYPE_ETHERNET);
  put16(out, offset + ARP.PTYPE, EtherType.IPV4);
  out[offset + ARP.HLEN] = 6;
  out[offset + ARP.PLEN] = 4;
  put16(out, offset + ARP.OPER, repr.operation === 'request' ? ArpOp.REQUEST : ArpOp.REPLY);
  writeMac(out, offset + ARP.SHA, repr.senderMac);
  put32(out, offset + ARP.SPA, repr.senderIp);
  writeMac(out, offset + ARP.THA, repr.targetMac);
  put32(out, offset + ARP.TPA, repr.targetIp);
  return ARP.LEN;
}

function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'arp', reason, detail };
}
