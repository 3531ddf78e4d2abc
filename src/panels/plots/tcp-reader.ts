/**
 * Reads what the plots need from a frame's TCP header, into one reused
 * object: no allocation per frame (the page sees thousands a second). Frames
 * from a peer tab are untrusted: anything that does not check out is simply
 * not a TCP segment here.
 */

import { formatIpv4 } from '../../../worker/wire/addr';
import { EtherType, EthernetView } from '../../../worker/wire/ethernet';
import { IpProtocol, Ipv4View } from '../../../worker/wire/ipv4';
import { readTcpOptions, TcpOptionsScratch, TcpView, TcpFlag } from '../../../worker/wire/tcp';

export class TcpSegmentReader {
  src = 0;
  dst = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  /** Payload bytes. */
  len = 0;
  /** Sequence space used: payload, plus one for SYN and for FIN. */
  seqLen = 0;
  readonly options = new TcpOptionsScratch();
  private readonly eth = new EthernetView();
  private readonly ip = new Ipv4View();
  private readonly tcp = new TcpView();

  /** True when `frame` holds a whole (unfragmented) TCP segment; the fields then describe it. */
  read(frame: Uint8Array): boolean {
    const eth = this.eth.wrap(frame);
    if (eth.check() || eth.ethertype !== EtherType.IPV4) return false;
    const ip = this.ip.wrap(frame, 14, frame.length);
    if (ip.check({ checksum: false }) || ip.protocol !== IpProtocol.TCP || ip.fragOffset !== 0 || ip.moreFrags) return false;
    const tcp = this.tcp.wrap(frame, 14 + ip.headerLen, 14 + ip.totalLen);
    if (tcp.check()) return false;
    if (readTcpOptions(frame, tcp.optionsStart, tcp.payloadStart, this.options)) this.options.reset();
    this.src = ip.src;
    this.dst = ip.dst;
    this.srcPort = tcp.srcPort;
    this.dstPort = tcp.dstPort;
    this.seq = tcp.seq;
    this.ack = tcp.ack;
    this.flags = tcp.flags;
    this.window = tcp.window;
    this.len = tcp.payloadLen;
    this.seqLen = this.len + (this.flags & TcpFlag.SYN ? 1 : 0) + (this.flags & TcpFlag.FIN ? 1 : 0);
    return true;
  }

  /** The connection as its sender names it (TcpEvent.conn): "10.0.0.1:49152>10.0.0.2:80". */
  get conn(): string {
    return `${formatIpv4(this.src)}:${this.srcPort}>${formatIpv4(this.dst)}:${this.dstPort}`;
  }

  /** The same connection named from the other end. */
  get reverseConn(): string {
    return `${formatIpv4(this.dst)}:${this.dstPort}>${formatIpv4(this.src)}:${this.srcPort}`;
  }
}
