/**
 * UDP sockets (RFC 768, RFC 1122 4.1): bind, sendTo, receive callbacks.
 *
 * Datagrams to a port nobody is bound to draw ICMP port unreachable (RFC 1122
 * 4.1.3.1); ICMP errors about datagrams a socket sent are reported to it, the
 * way Linux reports ECONNREFUSED on a connected UDP socket.
 */

import { formatIpv4, type Ipv4Addr } from '../wire/addr';
import { IpProtocol } from '../wire/ipv4';
import { UDP, UdpView, emitUdp } from '../wire/udp';
import { u16 } from '../wire/bytes';
import type { StackContext } from '../trace/context';
import { IcmpType, UnreachableCode } from '../wire/icmp';
import type { IcmpErrorInfo } from '../net/icmp';
import { HEADROOM, type Ipv4Layer, type IpRxInfo, type ProtocolHandler } from '../net/ipv4';

/** IANA dynamic/private range (RFC 6335 6): 49152-65535. */
export const EPHEMERAL_LOW = 49152;
export const EPHEMERAL_HIGH = 65535;

/** Largest UDP payload in one IPv4 datagram: 65535 - 20 - 8. */
export const MAX_UDP_PAYLOAD = 65507;

export type SocketErrorCode = 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL' | 'EMSGSIZE' | 'ENETUNREACH' | 'ENETDOWN' | 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENOTCONN' | 'EBADF';

/** An error from the socket API: a code as in POSIX and a sentence for people. */
export class SocketError extends Error {
  constructor(
    readonly code: SocketErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SocketError';
  }
}

export interface UdpPeer {
  addr: Ipv4Addr;
  port: number;
}

export interface UdpMessage {
  data: Uint8Array;
  from: UdpPeer;
  /** The local address it was sent to (ours or a broadcast address). */
  to: Ipv4Addr;
}

export class UdpSocket {
  /** Called for each datagram; the data is a copy the callee may keep. */
  onMessage: ((msg: UdpMessage) => void) | undefined;
  /** Called for ICMP errors about datagrams this socket sent. */
  onError: ((err: SocketError, info: IcmpErrorInfo) => void) | undefined;
  private _closed = false;
  received = 0;
  sent = 0;

  constructor(
    private readonly udp: Udp,
    readonly localAddr: Ipv4Addr,
    readonly localPort: number,
  ) {}

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Sends one datagram; throws SocketError for our own caller's mistakes (too big, no route).
   * `from` picks one of this host's addresses as the source, as sendmsg() with
   * IP_PKTINFO does: a server bound to every address answers from the one it was asked on.
   */
  sendTo(addr: Ipv4Addr, port: number, data: Uint8Array, from?: Ipv4Addr): void {
    if (this._closed) throw new SocketError('EBADF', 'This socket is closed.');
    this.udp.send(this, addr, port, data, from);
    this.sent++;
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.udp.unbind(this);
  }
}

export class Udp implements ProtocolHandler {
  private readonly sockets = new Map<number, UdpSocket>();
  private readonly view = new UdpView();
  private readonly ephemeralRng;

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: Ipv4Layer,
  ) {
    ip.register(IpProtocol.UDP, this);
    this.ephemeralRng = ctx.rng.fork('udp-ephemeral');
  }

  /** Binds a socket. Port 0 picks a free ephemeral port. */
  bind(port = 0, localAddr: Ipv4Addr = 0): UdpSocket {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SocketError('EINVAL', `Port ${port} is not between 0 and 65535.`);
    if (localAddr !== 0 && !this.ip.isLocal(localAddr)) throw new SocketError('EADDRNOTAVAIL', `${formatIpv4(localAddr)} is not one of this host's addresses.`);
    if (port === 0) port = this.pickEphemeral();
    if (this.sockets.has(port)) throw new SocketError('EADDRINUSE', `UDP port ${port} is already in use on this host; close that socket or choose another port.`);
    const s = new UdpSocket(this, localAddr, port);
    this.sockets.set(port, s);
    this.trace('bind', port);
    return s;
  }

  /** Bound sockets, for the sockets table. */
  list(): UdpSocket[] {
    return [...this.sockets.values()];
  }

  /** @internal */
  unbind(s: UdpSocket): void {
    if (this.sockets.get(s.localPort) === s) this.sockets.delete(s.localPort);
    this.trace('close', s.localPort);
  }

  /** @internal */
  send(s: UdpSocket, dst: Ipv4Addr, dstPort: number, data: Uint8Array, from?: Ipv4Addr): void {
    if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new SocketError('EINVAL', `Destination port ${dstPort} is not between 1 and 65535.`);
    if (data.length > MAX_UDP_PAYLOAD) throw new SocketError('EMSGSIZE', `A UDP datagram carries at most ${MAX_UDP_PAYLOAD} bytes; this one has ${data.length}.`);
    if (from !== undefined && (!this.ip.isLocal(from) || (s.localAddr !== 0 && s.localAddr !== from))) {
      throw new SocketError('EADDRNOTAVAIL', `${formatIpv4(from)} is not an address this socket can send from.`);
    }
    const src = from ?? (s.localAddr !== 0 ? s.localAddr : this.ip.sourceFor(dst));
    if (src === undefined) throw new SocketError('ENETUNREACH', `No route to ${formatIpv4(dst)}: it is not on this host's subnet and there is no gateway.`);
    const len = UDP.HEADER_LEN + data.length;
    const frame = this.ip.allocate(len);
    emitUdp({ srcPort: s.localPort, dstPort, payload: data }, frame, HEADROOM, { src, dst });
    this.ctx.counters.inc('udp', 'tx');
    const status = this.ip.send(frame, len, src, dst, IpProtocol.UDP);
    if (status === 'no-route') throw new SocketError('ENETUNREACH', `No route to ${formatIpv4(dst)}.`);
    if (status === 'link-down') throw new SocketError('ENETDOWN', 'The network interface is down.');
    if (status === 'too-big') throw new SocketError('EMSGSIZE', `The datagram is too large to send.`);
  }

  receive(info: IpRxInfo, buf: Uint8Array, start: number, end: number): void {
    const ctx = this.ctx;
    const v = this.view.wrap(buf, start, end);
    const e = v.check({ src: info.src, dst: info.dst });
    if (e) {
      ctx.drop('udp', e.reason, e.detail, info.frameId, end - start);
      return;
    }
    ctx.counters.inc('udp', 'rx');
    const port = v.dstPort;
    const s = this.sockets.get(port);
    if (!s || (s.localAddr !== 0 && s.localAddr !== info.dst && !info.broadcast)) {
      ctx.drop('udp', 'port-unreachable', `no socket bound to UDP port ${port}`, info.frameId, end - start);
      // RFC 1122 4.1.3.1: SHOULD send port unreachable (ICMP's own rules stop it for broadcasts).
      this.ip.icmp.sendError(IcmpType.DEST_UNREACHABLE, UnreachableCode.PORT, info.packet, info.ipStart, info.ipEnd, info);
      return;
    }
    ctx.counters.inc('udp', 'delivered');
    s.received++;
    // A copy: the frame may be shared and the callee may keep the data.
    const data = buf.slice(v.payloadStart, v.payloadEnd);
    s.onMessage?.({ data, from: { addr: info.src, port: v.srcPort }, to: info.dst });
  }

  icmpError(err: IcmpErrorInfo): void {
    const srcPort = u16(err.transport, 0);
    const s = this.sockets.get(srcPort);
    if (!s) return;
    const code: SocketErrorCode =
      err.type === IcmpType.DEST_UNREACHABLE && err.code === UnreachableCode.PORT ? 'ECONNREFUSED' : err.type === IcmpType.DEST_UNREACHABLE && err.code === UnreachableCode.FRAG_NEEDED ? 'EMSGSIZE' : 'EHOSTUNREACH';
    s.onError?.(new SocketError(code, `${err.message} (reported by ${formatIpv4(err.reporter)} for ${formatIpv4(err.dst)}:${u16(err.transport, 2)})`), err);
  }

  /** Linux-style: start at a random port in the range and take the next free one. */
  private pickEphemeral(): number {
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    const start = this.ephemeralRng.int(span);
    for (let i = 0; i < span; i++) {
      const p = EPHEMERAL_LOW + ((start + i) % span);
      if (!this.sockets.has(p)) return p;
    }
    throw new SocketError('EADDRINUSE', 'Every ephemeral UDP port (49152-65535) is in use.');
  }

  /** Closes every socket (host crash). */
  reset(): void {
    for (const s of [...this.sockets.values()]) s.close();
  }

  private trace(what: 'bind' | 'close', localPort: number): void {
    if (this.ctx.tracing) this.ctx.emit({ type: 'socket', t: this.ctx.now, host: this.ctx.hostName, protocol: 'udp', what, localPort });
  }
}
