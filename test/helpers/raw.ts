/**
 * Hand-made TCP segments in Ethernet frames, for tests that play a peer the
 * stack does not control: spoofed SYNs, forged ACKs, ACKs with chosen SACK
 * blocks. Checksums are correct unless a test breaks them on purpose.
 */

import { ETH, EtherType, ethernetFrameLen } from '../../worker/wire/ethernet';
import { writeMac, type Ipv4Addr, type Mac } from '../../worker/wire/addr';
import { put16 } from '../../worker/wire/bytes';
import { IpProtocol, writeIpv4Header } from '../../worker/wire/ipv4';
import { emitTcp, tcpEncodingLength, type TcpOption } from '../../worker/wire/tcp';

export interface RawSegment {
  srcMac: Mac;
  dstMac: Mac;
  src: Ipv4Addr;
  dst: Ipv4Addr;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  /** Bitmask of TcpFlag. */
  flags: number;
  window?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
  ident?: number;
}

export function tcpFrame(s: RawSegment): Uint8Array {
  const repr = {
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.window ?? 65535,
    urgent: 0,
    options: s.options ?? [],
    payload: s.payload ?? new Uint8Array(0),
  };
  const tcpLen = tcpEncodingLength(repr);
  const frame = new Uint8Array(ethernetFrameLen(20 + tcpLen));
  writeMac(frame, ETH.DST, s.dstMac);
  writeMac(frame, ETH.SRC, s.srcMac);
  put16(frame, ETH.ETHERTYPE, EtherType.IPV4);
  emitTcp(repr, frame, ETH.HEADER_LEN + 20, { src: s.src, dst: s.dst });
  writeIpv4Header(frame, ETH.HEADER_LEN, { headerLen: 20, totalLen: 20 + tcpLen, src: s.src, dst: s.dst, protocol: IpProtocol.TCP, ttl: 64, ident: s.ident ?? 1, dontFrag: true, moreFrags: false, fragOffset: 0 });
  return frame;
}
