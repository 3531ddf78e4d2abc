/**
 * The IPv4 layer of a host (RFC 791, RFC 1122 3.3, and RFC 1812 where the host
 * forwards): routing, output with fragmentation, input with reassembly,
 * forwarding between interfaces, and dispatch to protocol handlers.
 *
 * Transports build packets with no intermediate copies: `allocate(n)` returns a
 * frame with HEADROOM bytes in front for the Ethernet and IPv4 headers, the
 * transport writes its header and data at HEADROOM, and `send()` fills in the rest.
 */

import { formatIpv4, isMulticastIpv4, prefixMask, type Ipv4Addr } from '../wire/addr';
import { put16 } from '../wire/bytes';
import { ETH, ethernetFrameLen } from '../wire/ethernet';
import { IPV4, Ipv4View, writeIpv4Header, type Ipv4HeaderFields } from '../wire/ipv4';
import { IcmpType, TimeExceededCode, UnreachableCode } from '../wire/icmp';
import type { Nic } from '../link/nic';
import type { StackContext } from '../trace/context';
import { Icmp, type IcmpErrorInfo } from './icmp';
import { Interface, type Ipv4Input } from './interface';
import type { ArpOptions } from './arp-cache';
import { Reassembler, DEFAULT_REASSEMBLY_OPTIONS, type ReassemblyOptions } from './reassembly';

/** Bytes in front of a transport header: Ethernet (14) + IPv4 without options (20). */
export const HEADROOM = ETH.HEADER_LEN + IPV4.MIN_HEADER_LEN;

/** Linux's default TTL (net.ipv4.ip_default_ttl); RFC 1700 recommends 64. */
export const DEFAULT_TTL = 64;

/**
 * What a protocol handler sees of a received datagram. One object is reused for
 * every packet: it is valid only during the call.
 */
export interface IpRxInfo {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  protocol: number;
  ttl: number;
  ident: number;
  /** Sent to a broadcast address (IP limited/directed, or Ethernet broadcast). */
  broadcast: boolean;
  /** Receiving interface; undefined for a packet we sent to ourselves. */
  iface: Interface | undefined;
  /** The whole IP datagram, for ICMP quotes: packet[ipStart..ipEnd). */
  packet: Uint8Array;
  ipStart: number;
  ipEnd: number;
  /** Frame number of the (last) frame that carried it; 0 for local delivery. */
  frameId: number;
}

export interface ProtocolHandler {
  /** payload = buf[start..end). */
  receive(info: IpRxInfo, buf: Uint8Array, start: number, end: number): void;
  /** An ICMP error about a datagram we sent with this protocol (RFC 1122 3.2.2). */
  icmpError?(error: IcmpErrorInfo): void;
}

export interface Route {
  dest: Ipv4Addr;
  prefixLen: number;
  /** Next hop; absent for a directly connected network. */
  gateway?: Ipv4Addr;
  iface: Interface;
}

export type IpSendStatus = 'ok' | 'no-route' | 'too-big' | 'link-down';

export interface Ipv4Options {
  forwarding: boolean;
  defaultTtl: number;
  reassembly: ReassemblyOptions;
  arp: Partial<ArpOptions>;
}

export class Ipv4Layer implements Ipv4Input {
  readonly interfaces: Interface[] = [];
  private routes: Route[] = [];
  readonly reassembler: Reassembler;
  readonly icmp: Icmp;
  forwarding: boolean;
  defaultTtl: number;
  private ident: number;
  private readonly handlers: (ProtocolHandler | undefined)[] = new Array(256);
  private readonly view = new Ipv4View();
  /** Reused for every header we write: no allocation per packet on the send path. */
  private readonly hdr: Ipv4HeaderFields = { headerLen: IPV4.MIN_HEADER_LEN, totalLen: 0, src: 0, dst: 0, protocol: 0, ttl: 0, ident: 0, dontFrag: false, moreFrags: false, fragOffset: 0 };
  private readonly rx: IpRxInfo = {
    src: 0,
    dst: 0,
    protocol: 0,
    ttl: 0,
    ident: 0,
    broadcast: false,
    iface: undefined,
    packet: new Uint8Array(0),
    ipStart: 0,
    ipEnd: 0,
    frameId: 0,
  };

  constructor(
    private readonly ctx: StackContext,
    private readonly options: Partial<Ipv4Options> = {},
  ) {
    this.forwarding = options.forwarding ?? false;
    this.defaultTtl = options.defaultTtl ?? DEFAULT_TTL;
    // RFC 6864: the ID only has to be unique per (src, dst, protocol) while fragments live; a random start avoids predictability.
    this.ident = ctx.rng.fork('ip-ident').int(0x10000);
    this.reassembler = new Reassembler(ctx, { ...DEFAULT_REASSEMBLY_OPTIONS, ...options.reassembly });
    this.icmp = new Icmp(ctx, this);
    this.register(1, this.icmp);
    this.reassembler.onTimeout = (t) => {
      // RFC 792 / RFC 1122 3.3.2: tell the source, but only if fragment zero arrived.
      if (t.quote) this.icmp.sendError(IcmpType.TIME_EXCEEDED, TimeExceededCode.REASSEMBLY, t.quote, 0, t.quote.length);
    };
  }

  // ---- configuration ----

  addInterface(nic: Nic, addr: Ipv4Addr, prefixLen: number): Interface {
    const iface = new Interface(this.ctx, nic, addr, prefixLen, this, this.options.arp);
    this.interfaces.push(iface);
    this.rebuildConnectedRoutes();
    return iface;
  }

  /** Sets (or with undefined, removes) the default route via `gateway`. */
  setGateway(gateway: Ipv4Addr | undefined): void {
    this.routes = this.routes.filter((r) => r.prefixLen !== 0 || r.gateway === undefined);
    if (gateway === undefined) return;
    const iface = this.interfaces.find((i) => i.onLink(gateway));
    if (!iface) throw new Error(`Gateway ${formatIpv4(gateway)} is not on any interface's subnet; add an interface on its network first.`);
    this.addRoute({ dest: 0, prefixLen: 0, gateway, iface });
  }

  addRoute(route: Route): void {
    this.routes.push({ ...route, dest: (route.dest & prefixMask(route.prefixLen)) >>> 0 });
    // Longest prefix first, so the first match wins.
    this.routes.sort((a, b) => b.prefixLen - a.prefixLen);
  }

  get routingTable(): readonly Route[] {
    return this.routes;
  }

  /** Re-derives the connected routes after an interface's address changes. */
  rebuildConnectedRoutes(): void {
    this.routes = this.routes.filter((r) => r.gateway !== undefined);
    for (const iface of this.interfaces) {
      if (iface.addr !== 0) this.addRoute({ dest: iface.addr, prefixLen: iface.prefixLen, iface });
    }
  }

  register(protocol: number, handler: ProtocolHandler): void {
    this.handlers[protocol] = handler;
  }

  handlerFor(protocol: number): ProtocolHandler | undefined {
    return this.handlers[protocol];
  }

  // ---- routing ----

  /** Longest-prefix match (RFC 1812 5.2.4.3). */
  route(dst: Ipv4Addr): { iface: Interface; nextHop: Ipv4Addr } | undefined {
    if (dst === 0xffff_ffff) {
      const iface = this.interfaces.find((i) => i.up) ?? this.interfaces[0];
      return iface ? { iface, nextHop: dst } : undefined;
    }
    for (const r of this.routes) {
      if (((dst & prefixMask(r.prefixLen)) >>> 0) === r.dest) return { iface: r.iface, nextHop: r.gateway ?? dst };
    }
    return undefined;
  }

  /** One of this host's own addresses (primary or secondary)? */
  isLocal(addr: Ipv4Addr): boolean {
    for (const i of this.interfaces) if (i.hasAddress(addr)) return true;
    return false;
  }

  /**
   * The source address a packet to `dst` leaves with, or undefined when there is
   * no route: the primary address of the outgoing interface, never a secondary
   * one (replies choose their source themselves: the address they were sent to).
   */
  sourceFor(dst: Ipv4Addr): Ipv4Addr | undefined {
    if (this.isLocal(dst)) return dst;
    return this.route(dst)?.iface.addr;
  }

  /** Largest IP payload that leaves for `dst` without fragmentation. */
  mtuFor(dst: Ipv4Addr): number {
    return (this.route(dst)?.iface.mtu ?? 1500) - IPV4.MIN_HEADER_LEN;
  }

  // ---- output ----

  /** A zeroed frame with room for `payloadLen` transport bytes at HEADROOM (padded to Ethernet's minimum). */
  allocate(payloadLen: number): Uint8Array {
    return new Uint8Array(ethernetFrameLen(IPV4.MIN_HEADER_LEN + payloadLen));
  }

  nextIdent(): number {
    const id = this.ident;
    this.ident = (this.ident + 1) & 0xffff;
    return id;
  }

  /**
   * Sends the transport bytes at frame[HEADROOM .. HEADROOM+payloadLen) to `dst`.
   * Larger than the route's MTU: fragmented, or 'too-big' when `dontFrag`.
   */
  send(frame: Uint8Array, payloadLen: number, src: Ipv4Addr, dst: Ipv4Addr, protocol: number, ttl = this.defaultTtl, dontFrag = false): IpSendStatus {
    const total = IPV4.MIN_HEADER_LEN + payloadLen;
    if (total > IPV4.MAX_TOTAL_LEN) return 'too-big';
    const local = this.isLocal(dst);
    const r = local ? undefined : this.route(dst);
    if (!local && !r) {
      this.ctx.drop('ipv4', 'no-route', `no route to ${formatIpv4(dst)}`, undefined, total);
      return 'no-route';
    }
    const h = this.hdr;
    h.totalLen = total;
    h.src = src;
    h.dst = dst;
    h.protocol = protocol;
    h.ttl = ttl;
    h.ident = this.nextIdent();
    h.dontFrag = dontFrag;
    writeIpv4Header(frame, ETH.HEADER_LEN, h);
    this.ctx.counters.inc('ipv4', 'tx');
    if (local) {
      // To ourselves: no wire, no ARP; delivered as the next event, like Linux's loopback.
      this.ctx.scheduler.at(this.ctx.now, () => this.receiveLocal(frame, ETH.HEADER_LEN, ETH.HEADER_LEN + total), 'loopback');
      return 'ok';
    }
    const { iface, nextHop } = r!;
    if (!iface.up) {
      this.ctx.drop('ipv4', 'link-down', `${iface.name} is down; packet to ${formatIpv4(dst)} not sent`, undefined, total);
      return 'link-down';
    }
    if (total > iface.mtu) {
      if (dontFrag) {
        this.ctx.drop('ipv4', 'frag-needed', `${total}-byte datagram to ${formatIpv4(dst)} exceeds MTU ${iface.mtu} and DF is set`, undefined, total);
        return 'too-big';
      }
      this.fragment(frame, ETH.HEADER_LEN, IPV4.MIN_HEADER_LEN, total, iface, nextHop);
      return 'ok';
    }
    iface.output(frame, nextHop);
    return 'ok';
  }

  /**
   * Splits the datagram packet[start..start+total) into fragments that fit the
   * interface MTU (RFC 791 3.2 "fragmentation"): each carries a multiple of 8
   * bytes except the last; MF is set on all but the last (and on the last too if
   * the original was itself a non-final fragment). Options are kept only in the
   * first fragment.
   */
  private fragment(packet: Uint8Array, start: number, headerLen: number, total: number, iface: Interface, nextHop: Ipv4Addr): void {
    const v = new Ipv4View().wrap(packet, start, start + total);
    const origOffset = v.fragOffset * 8;
    const origMore = v.moreFrags;
    const payloadLen = total - headerLen;
    let off = 0;
    let count = 0;
    while (off < payloadLen) {
      const hl = off === 0 ? headerLen : IPV4.MIN_HEADER_LEN;
      const maxData = Math.floor((iface.mtu - hl) / 8) * 8;
      const len = Math.min(maxData, payloadLen - off);
      const last = off + len >= payloadLen;
      const frame = new Uint8Array(ethernetFrameLen(hl + len));
      const o = ETH.HEADER_LEN;
      frame.set(packet.subarray(start, start + hl), o);
      if (hl !== headerLen) frame[o + IPV4.VER_IHL] = 0x45;
      put16(frame, o + IPV4.TOTAL_LEN, hl + len);
      put16(frame, o + IPV4.FLAGS_FRAG, (!last || origMore ? 0x2000 : 0) | (((origOffset + off) >>> 3) & 0x1fff));
      frame.set(packet.subarray(start + headerLen + off, start + headerLen + off + len), o + hl);
      new Ipv4View().wrap(frame, o, o + hl + len).fillChecksum();
      iface.output(frame, nextHop);
      off += len;
      count++;
    }
    this.ctx.counters.inc('ipv4', 'fragmentsCreated', count);
    if (this.ctx.tracing) {
      this.ctx.emit({ type: 'ip', t: this.ctx.now, host: this.ctx.hostName, what: 'fragmented', src: v.src, dst: v.dst, ident: v.ident, protocol: v.protocol, value: count });
    }
  }

  // ---- input ----

  /** Ipv4Input: a frame's IPv4 payload, from an interface. */
  receiveIpv4(iface: Interface, frame: Uint8Array, start: number, end: number, frameId: number, linkBroadcast: boolean): void {
    const ctx = this.ctx;
    const v = this.view.wrap(frame, start, end);
    const e = v.check();
    if (e) {
      ctx.drop('ipv4', e.reason, e.detail, frameId, frame.length);
      return;
    }
    ctx.counters.inc('ipv4', 'rx');
    const src = v.src;
    const dst = v.dst;
    // RFC 1122 3.2.1.3: a source address that cannot be a single host is discarded.
    if (src === 0xffff_ffff || isMulticastIpv4(src) || src === iface.broadcast || (src === 0 && !linkBroadcast) || this.isLocal(src)) {
      ctx.drop('ipv4', 'martian', `impossible source address ${formatIpv4(src)}`, frameId, frame.length);
      return;
    }
    const broadcast = iface.isBroadcast(dst);
    if (this.isLocal(dst) || broadcast) {
      this.deliver(iface, frame, start, v.headerLen, v.payloadEnd, frameId, broadcast || linkBroadcast, v.isFragment);
      return;
    }
    if (isMulticastIpv4(dst)) {
      ctx.drop('ipv4', 'unsupported', `multicast destination ${formatIpv4(dst)} (no group memberships)`, frameId, frame.length);
      return;
    }
    if (!this.forwarding || linkBroadcast) {
      // RFC 1812 5.3.4: a link-layer broadcast is never forwarded.
      ctx.drop('ipv4', 'not-forwarding', `packet for ${formatIpv4(dst)}, which is not this host, and forwarding is off`, frameId, frame.length);
      return;
    }
    this.forward(iface, v, frameId);
  }

  private receiveLocal(packet: Uint8Array, start: number, end: number): void {
    const v = this.view.wrap(packet, start, end);
    this.ctx.counters.inc('ipv4', 'rx');
    this.deliver(undefined, packet, start, v.headerLen, v.payloadEnd, 0, false, false);
  }

  private deliver(iface: Interface | undefined, packet: Uint8Array, start: number, headerLen: number, end: number, frameId: number, broadcast: boolean, isFragment: boolean): void {
    if (isFragment) {
      const whole = this.reassembler.add(packet, start, headerLen, end, frameId);
      if (!whole) return;
      packet = whole.datagram;
      start = 0;
      headerLen = whole.headerLen;
      end = whole.datagram.length;
    }
    const rx = this.rx;
    const v = this.view.wrap(packet, start, end);
    rx.src = v.src;
    rx.dst = v.dst;
    rx.protocol = v.protocol;
    rx.ttl = v.ttl;
    rx.ident = v.ident;
    rx.broadcast = broadcast;
    rx.iface = iface;
    rx.packet = packet;
    rx.ipStart = start;
    rx.ipEnd = end;
    rx.frameId = frameId;
    const handler = this.handlers[rx.protocol];
    if (!handler) {
      this.ctx.drop('ipv4', 'unknown-protocol', `no handler for IP protocol ${rx.protocol}`, frameId, end - start);
      // RFC 1122 3.2.2.1: SHOULD send protocol unreachable.
      this.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.PROTOCOL, packet, start, end, rx);
      return;
    }
    this.ctx.counters.inc('ipv4', 'delivered');
    handler.receive(rx, packet, start + headerLen, end);
  }

  /** RFC 1812 5.2 / 5.3: decrement TTL, route, re-encapsulate; ICMP errors back to the source. */
  private forward(inIface: Interface, v: Ipv4View, frameId: number): void {
    const ctx = this.ctx;
    const packet = v.buf;
    const start = v.start;
    const total = v.totalLen;
    const dst = v.dst;
    if (v.ttl <= 1) {
      ctx.drop('ipv4', 'ttl-exceeded', `TTL expired in transit to ${formatIpv4(dst)}`, frameId, total);
      this.icmp.sendError(IcmpType.TIME_EXCEEDED, TimeExceededCode.TTL, packet, start, start + total, undefined, 0, inIface);
      return;
    }
    const r = this.route(dst);
    if (!r) {
      ctx.drop('ipv4', 'no-route', `no route to ${formatIpv4(dst)}`, frameId, total);
      this.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.NET, packet, start, start + total, undefined, 0, inIface);
      return;
    }
    if (!r.iface.up) {
      ctx.drop('ipv4', 'link-down', `${r.iface.name} is down; packet to ${formatIpv4(dst)} not forwarded`, frameId, total);
      this.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.NET, packet, start, start + total, undefined, 0, inIface);
      return;
    }
    const headerLen = v.headerLen;
    const dontFrag = v.dontFrag;
    if (total > r.iface.mtu && dontFrag) {
      ctx.drop('ipv4', 'frag-needed', `${total}-byte datagram exceeds ${r.iface.name}'s MTU ${r.iface.mtu} and DF is set`, frameId, total);
      // RFC 1191: report the next hop's MTU so the source can lower its segment size.
      this.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.FRAG_NEEDED, packet, start, start + total, undefined, r.iface.mtu, inIface);
      return;
    }
    // A received frame may be shared with other receivers: forward a copy.
    const frame = new Uint8Array(ethernetFrameLen(total));
    frame.set(packet.subarray(start, start + total), ETH.HEADER_LEN);
    const out = new Ipv4View().wrap(frame, ETH.HEADER_LEN, ETH.HEADER_LEN + total);
    out.ttl = v.ttl - 1;
    out.fillChecksum();
    ctx.counters.inc('ipv4', 'forwarded');
    if (ctx.tracing) {
      ctx.emit({ type: 'ip', t: ctx.now, host: ctx.hostName, what: 'forwarded', src: out.src, dst, ident: out.ident, protocol: out.protocol, value: out.ttl });
    }
    if (total > r.iface.mtu) this.fragment(frame, ETH.HEADER_LEN, headerLen, total, r.iface, r.nextHop);
    else r.iface.output(frame, r.nextHop);
  }

  /** Ipv4Input: ARP gave up on `nextHop`; tell whoever sent the packets (RFC 1812 4.3.3.1). */
  resolutionFailed(iface: Interface, _nextHop: Ipv4Addr, packets: Uint8Array[]): void {
    for (const frame of packets) {
      const v = new Ipv4View().wrap(frame, ETH.HEADER_LEN);
      if (frame.length < ETH.HEADER_LEN + IPV4.MIN_HEADER_LEN) continue;
      const end = ETH.HEADER_LEN + v.totalLen;
      if (this.isLocal(v.src)) {
        this.icmp.deliverLocalError(IcmpType.DEST_UNREACHABLE, UnreachableCode.HOST, iface.addr, frame, ETH.HEADER_LEN, end);
      } else {
        this.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.HOST, frame, ETH.HEADER_LEN, end, undefined, 0, iface);
      }
    }
  }

  /** Forgets reassembly and ARP state (a host crash). */
  reset(): void {
    this.reassembler.clear();
    for (const i of this.interfaces) i.arp.flush();
  }
}
