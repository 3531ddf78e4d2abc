/**
 * ICMP for a host (RFC 792, RFC 1122 3.2.2): the echo responder, error messages
 * with the rules of when they must not be sent, a rate limit, and dispatch of
 * received errors to the protocol that sent the offending datagram.
 */

import { formatIpv4, isMulticastIpv4, type Ipv4Addr } from '../wire/addr';
import { IcmpType, IcmpView, ICMP, TimeExceededCode, UnreachableCode, emitIcmp } from '../wire/icmp';
import { IPV4, Ipv4View } from '../wire/ipv4';
import { put16 } from '../wire/bytes';
import { checksum } from '../wire/checksum';
import type { StackContext } from '../trace/context';
import type { Interface } from './interface';
import { HEADROOM, type Ipv4Layer, type IpRxInfo, type ProtocolHandler } from './ipv4';

/** A received (or locally generated) ICMP error, as handed to the protocol it concerns. */
export interface IcmpErrorInfo {
  type: number;
  code: number;
  /** Who reported it: a router, the destination, or ourselves (e.g. ARP failure). */
  reporter: Ipv4Addr;
  /** RFC 1191 next-hop MTU for "fragmentation needed", else 0. */
  nextHopMtu: number;
  /** The quoted datagram's header fields. */
  src: Ipv4Addr;
  dst: Ipv4Addr;
  protocol: number;
  /** The quoted transport bytes (at least 8: enough for ports or an echo's id/seq). */
  transport: Uint8Array;
  /** ping(8)'s wording, e.g. "Destination Port Unreachable". */
  message: string;
}

export interface IcmpOptions {
  /** Ignore echo requests sent to a broadcast address (Linux icmp_echo_ignore_broadcasts = 1). */
  echoIgnoreBroadcasts: boolean;
  /** Answer echo requests at all (Linux icmp_echo_ignore_all = 0). */
  echoReply: boolean;
  /** Token bucket for errors we send: refill rate per second and burst (Linux icmp_msgs_per_sec / icmp_msgs_burst). */
  errorsPerSecond: number;
  errorBurst: number;
}

export const DEFAULT_ICMP_OPTIONS: IcmpOptions = {
  echoIgnoreBroadcasts: true,
  echoReply: true,
  errorsPerSecond: 1000,
  errorBurst: 50,
};

/** RFC 1812 4.3.2.3: quote as much of the datagram as fits a 576-byte error. */
const MAX_ERROR_DATAGRAM = 576;

/** Something that wants echo replies and errors about its echo requests (a ping session). */
export interface EchoListener {
  echoReply(info: IpRxInfo, seq: number, data: Uint8Array): void;
  echoError(error: IcmpErrorInfo, seq: number): void;
}

export class Icmp implements ProtocolHandler {
  readonly options: IcmpOptions = { ...DEFAULT_ICMP_OPTIONS };
  private readonly view = new IcmpView();
  private readonly echoListeners = new Map<number, EchoListener>();
  private tokens: number;
  private tokensAt: number;

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: Ipv4Layer,
  ) {
    this.tokens = this.options.errorBurst;
    this.tokensAt = ctx.now;
  }

  // ---- echo sessions ----

  /** Reserves an echo identifier for a listener (like ping's socket id). */
  addEchoListener(listener: EchoListener): number {
    let id = this.ctx.rng.int(0x10000);
    while (this.echoListeners.has(id)) id = (id + 1) & 0xffff;
    this.echoListeners.set(id, listener);
    return id;
  }

  removeEchoListener(ident: number): void {
    this.echoListeners.delete(ident);
  }

  /** Sends an echo request; returns the IP send status. */
  sendEcho(dst: Ipv4Addr, ident: number, seq: number, data: Uint8Array, ttl?: number): ReturnType<Ipv4Layer['send']> {
    const src = this.ip.sourceFor(dst);
    if (src === undefined) return 'no-route';
    const len = ICMP.HEADER_LEN + data.length;
    const frame = this.ip.allocate(len);
    emitIcmp({ type: 'echo-request', ident, seq, data }, frame, HEADROOM);
    this.ctx.counters.inc('icmp', 'tx');
    this.trace('echo-request-sent', dst, IcmpType.ECHO_REQUEST, 0, seq);
    return this.ip.send(frame, len, src, dst, 1, ttl);
  }

  // ---- input ----

  receive(info: IpRxInfo, buf: Uint8Array, start: number, end: number): void {
    const ctx = this.ctx;
    const v = this.view.wrap(buf, start, end);
    const e = v.check();
    if (e) {
      ctx.drop('icmp', e.reason, e.detail, info.frameId, end - start);
      return;
    }
    ctx.counters.inc('icmp', 'rx');
    switch (v.type) {
      case IcmpType.ECHO_REQUEST:
        this.answerEcho(info, buf, start, end);
        return;
      case IcmpType.ECHO_REPLY: {
        const l = this.echoListeners.get(v.ident);
        if (!l) {
          ctx.drop('icmp', 'port-unreachable', `echo reply with id ${v.ident} matches no ping session`, info.frameId, end - start);
          return;
        }
        ctx.counters.inc('icmp', 'delivered');
        this.trace('echo-reply-received', info.src, IcmpType.ECHO_REPLY, 0, v.seq);
        l.echoReply(info, v.seq, buf.subarray(v.dataStart, end));
        return;
      }
      case IcmpType.DEST_UNREACHABLE:
      case IcmpType.TIME_EXCEEDED:
        this.receiveError(info, v, buf, end);
        return;
      default:
        ctx.drop('icmp', 'unsupported', `ICMP type ${v.type} code ${v.code} is not handled`, info.frameId, end - start);
    }
  }

  /** RFC 1122 3.2.2.6: reply with the same identifier, sequence and data. */
  private answerEcho(info: IpRxInfo, buf: Uint8Array, start: number, end: number): void {
    const ctx = this.ctx;
    if (!this.options.echoReply) {
      ctx.drop('icmp', 'unsupported', 'echo replies are switched off on this host', info.frameId, end - start);
      return;
    }
    if (info.broadcast && this.options.echoIgnoreBroadcasts) {
      ctx.drop('icmp', 'broadcast-echo', `echo request from ${formatIpv4(info.src)} to a broadcast address ignored`, info.frameId, end - start);
      return;
    }
    const len = end - start;
    const frame = this.ip.allocate(len);
    frame.set(buf.subarray(start, end), HEADROOM);
    frame[HEADROOM + ICMP.TYPE] = IcmpType.ECHO_REPLY;
    frame[HEADROOM + ICMP.CODE] = 0;
    fixChecksum(frame, HEADROOM, len);
    ctx.counters.inc('icmp', 'delivered');
    ctx.counters.inc('icmp', 'tx');
    const seq = (buf[start + ICMP.SEQ] << 8) | buf[start + ICMP.SEQ + 1];
    this.trace('echo-reply-sent', info.src, IcmpType.ECHO_REPLY, 0, seq);
    // RFC 1122 3.2.2.6: the reply's source is the request's specific destination.
    this.ip.send(frame, len, info.dst, info.src, 1);
  }

  private receiveError(info: IpRxInfo, v: IcmpView, buf: Uint8Array, end: number): void {
    const err = this.parseQuote(v.type, v.code, info.src, v.type === IcmpType.DEST_UNREACHABLE && v.code === UnreachableCode.FRAG_NEEDED ? v.nextHopMtu : 0, buf, v.dataStart, end);
    if (!err) {
      this.ctx.drop('icmp', 'truncated', 'ICMP error quotes too little of the original datagram to match it', info.frameId, end - v.start);
      return;
    }
    this.ctx.counters.inc('icmp', 'errorsReceived');
    this.trace('error-received', info.src, v.type, v.code);
    this.dispatchError(err, info.frameId);
  }

  /** An error generated by this host about its own packet (ARP failure): dispatched without touching the wire. */
  deliverLocalError(type: number, code: number, reporter: Ipv4Addr, packet: Uint8Array, start: number, end: number): void {
    const err = this.parseQuote(type, code, reporter, 0, packet, start, Math.min(end, start + 60 + 8 + 512));
    if (err) this.dispatchError(err, 0);
  }

  private dispatchError(err: IcmpErrorInfo, frameId: number): void {
    if (err.protocol === 1) {
      // An error about one of our echo requests: find the ping session by the quoted id.
      const t = err.transport;
      if (t[0] === IcmpType.ECHO_REQUEST) {
        const l = this.echoListeners.get((t[4] << 8) | t[5]);
        if (l) {
          l.echoError(err, (t[6] << 8) | t[7]);
          return;
        }
      }
      this.ctx.drop('icmp', 'port-unreachable', `ICMP error about an ICMP message that no session sent`, frameId);
      return;
    }
    const h = this.ip.handlerFor(err.protocol);
    if (h?.icmpError) h.icmpError(err);
    else this.ctx.drop('icmp', 'unknown-protocol', `ICMP error about protocol ${err.protocol}, which has no handler`, frameId);
  }

  private parseQuote(type: number, code: number, reporter: Ipv4Addr, nextHopMtu: number, buf: Uint8Array, start: number, end: number): IcmpErrorInfo | undefined {
    const q = new Ipv4View().wrap(buf, start, end);
    if (end - start < IPV4.MIN_HEADER_LEN || q.version !== 4 || q.headerLen < IPV4.MIN_HEADER_LEN) return undefined;
    const tStart = start + q.headerLen;
    if (end - tStart < 8) return undefined;
    // The quote may be cut short, so its total length need not match; take what is there.
    const tEnd = Math.min(end, start + Math.max(q.totalLen, q.headerLen));
    return {
      type,
      code,
      reporter,
      nextHopMtu,
      src: q.src,
      dst: q.dst,
      protocol: q.protocol,
      transport: buf.subarray(tStart, Math.max(tEnd, tStart + 8)),
      message: icmpErrorMessage(type, code, nextHopMtu),
    };
  }

  // ---- errors we send ----

  /**
   * Sends an ICMP error about packet[start..end) back to its source, unless RFC
   * 1122 3.2.2 forbids it: never about an ICMP error, a broadcast or multicast
   * datagram, a non-initial fragment, or a source that is not a single host.
   * Returns whether it was sent.
   */
  sendError(type: number, code: number, packet: Uint8Array, start: number, end: number, rx?: IpRxInfo, nextHopMtu = 0, via?: Interface): boolean {
    const ctx = this.ctx;
    const q = new Ipv4View().wrap(packet, start, end);
    if (end - start < IPV4.MIN_HEADER_LEN) return false;
    const src = q.src;
    const hl = q.headerLen;
    if (rx?.broadcast || isMulticastIpv4(q.dst) || q.dst === 0xffff_ffff) return false;
    if (src === 0 || src === 0xffff_ffff || isMulticastIpv4(src) || src >>> 24 === 127) return false;
    if (q.fragOffset !== 0) return false;
    if (q.protocol === 1 && end - start >= hl + 1) {
      const t = packet[start + hl];
      if (t !== IcmpType.ECHO_REQUEST && t !== IcmpType.ECHO_REPLY) return false; // never an error about an error
    }
    if (!this.takeToken()) {
      ctx.drop('icmp', 'icmp-rate-limited', `ICMP error (type ${type} code ${code}) to ${formatIpv4(src)} suppressed by the rate limit`);
      return false;
    }
    const quoteLen = Math.min(end - start, MAX_ERROR_DATAGRAM - IPV4.MIN_HEADER_LEN - ICMP.HEADER_LEN);
    const from = via?.addr ?? this.ip.sourceFor(src);
    if (from === undefined) return false;
    const len = ICMP.HEADER_LEN + quoteLen;
    const frame = this.ip.allocate(len);
    const quote = packet.subarray(start, start + quoteLen);
    if (type === IcmpType.DEST_UNREACHABLE) emitIcmp({ type: 'dest-unreachable', code, nextHopMtu, original: quote }, frame, HEADROOM);
    else emitIcmp({ type: 'time-exceeded', code, original: quote }, frame, HEADROOM);
    ctx.counters.inc('icmp', 'errorsSent');
    ctx.counters.inc('icmp', 'tx');
    this.trace('error-sent', src, type, code);
    this.ip.send(frame, len, from, src, 1);
    return true;
  }

  private takeToken(): boolean {
    const now = this.ctx.now;
    const o = this.options;
    this.tokens = Math.min(o.errorBurst, this.tokens + ((now - this.tokensAt) / 1000) * o.errorsPerSecond);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private trace(what: 'echo-request-sent' | 'echo-reply-sent' | 'echo-reply-received' | 'error-sent' | 'error-received', peer: Ipv4Addr, icmpType: number, code: number, seq?: number): void {
    if (this.ctx.tracing) this.ctx.emit({ type: 'icmp', t: this.ctx.now, host: this.ctx.hostName, what, peer, icmpType, code, seq });
  }
}

/** Recomputes an ICMP checksum in place. */
function fixChecksum(b: Uint8Array, start: number, len: number): void {
  put16(b, start + ICMP.CHECKSUM, 0);
  put16(b, start + ICMP.CHECKSUM, checksum(b, start, len));
}

/** The wording ping(8) uses for each error. */
export function icmpErrorMessage(type: number, code: number, nextHopMtu = 0): string {
  if (type === IcmpType.TIME_EXCEEDED) return code === TimeExceededCode.REASSEMBLY ? 'Frag reassembly time exceeded' : 'Time to live exceeded';
  if (type === IcmpType.DEST_UNREACHABLE) {
    switch (code) {
      case UnreachableCode.NET:
        return 'Destination Net Unreachable';
      case UnreachableCode.HOST:
        return 'Destination Host Unreachable';
      case UnreachableCode.PROTOCOL:
        return 'Destination Protocol Unreachable';
      case UnreachableCode.PORT:
        return 'Destination Port Unreachable';
      case UnreachableCode.FRAG_NEEDED:
        return `Frag needed and DF set (mtu = ${nextHopMtu})`;
      default:
        return `Destination unreachable, code ${code}`;
    }
  }
  return `ICMP type ${type} code ${code}`;
}
