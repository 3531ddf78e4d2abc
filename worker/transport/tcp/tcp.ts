/**
 * The TCP layer of a host: demultiplexes segments to connections and
 * listeners, answers segments for nobody with RST (RFC 9293 3.10.7.1), and
 * owns what connections share: the ISN generator (RFC 6528), the SYN-cookie
 * key (RFC 4987 3.6), ephemeral ports, the challenge-ACK rate limit (RFC 5961 7)
 * and host-wide defaults.
 */

import { formatIpv4, type Ipv4Addr } from '../../wire/addr';
import { put16, put32 } from '../../wire/bytes';
import { checksum, pseudoHeaderSum } from '../../wire/checksum';
import { IpProtocol } from '../../wire/ipv4';
import { seqAdd } from '../../wire/seq';
import { TCP, TcpFlag, TcpView, readTcpOptions } from '../../wire/tcp';
import type { StackContext } from '../../trace/context';
import { HEADROOM, type Ipv4Layer, type IpRxInfo, type ProtocolHandler } from '../../net/ipv4';
import type { IcmpErrorInfo } from '../../net/icmp';
import { EPHEMERAL_HIGH, EPHEMERAL_LOW, SocketError } from '../udp';
import { DEFAULT_TCP_CONFIG, windowScaleFor, type TcpConfig } from './config';
import { IsnGenerator } from './isn';
import { SegmentIn } from './segment';
import { COOKIE_MAX_AGE, COOKIE_MSS_TABLE, COOKIE_TICK_MS, SynCookies, cookieTsVal, decodeCookieTs } from './syncookie';
import { TcpSocket } from './tcb';

const { SYN, RST, ACK } = TcpFlag;

export class TcpListener {
  /** Connections in SYN_RCVD (the SYN queue). */
  private readonly halfOpen = new Set<TcpSocket>();
  /** Established, not yet accepted (the accept queue). */
  private readonly ready: TcpSocket[] = [];
  /** Called when a connection is ready to accept(). */
  onConnection: (() => void) | undefined;
  closed = false;
  /** SYNs dropped because the SYN backlog was full (without SYN cookies). */
  synDrops = 0;
  /** SYN,ACKs sent with a cookie instead of state, and connections made from returning cookies. */
  cookiesSent = 0;
  cookiesAccepted = 0;
  /** ACKs at this listener whose cookie did not check out (forged, stale, or no cookie at all). */
  cookiesRejected = 0;
  /** When the SYN backlog last overflowed: cookies are checked only for a while after (Linux tcp_synq_no_recent_overflow). */
  private lastOverflow = -Infinity;

  constructor(
    private readonly tcp: Tcp,
    readonly port: number,
    readonly backlog: number,
    readonly config: TcpConfig,
  ) {}

  /** The next established connection, if any. */
  accept(): TcpSocket | undefined {
    const s = this.ready.shift();
    if (s) s.listener = undefined;
    return s;
  }

  get pending(): number {
    return this.ready.length;
  }

  get halfOpenCount(): number {
    return this.halfOpen.size;
  }

  close(): void {
    this.closed = true;
    this.tcp.unlisten(this);
    for (const s of [...this.halfOpen, ...this.ready]) s.abort();
  }

  /** @internal A SYN for this port (RFC 9293 3.10.7.2). */
  syn(seg: SegmentIn): void {
    if (this.halfOpen.size >= this.backlog) {
      this.lastOverflow = this.tcp.ctx.now;
      if (this.config.synCookies) {
        // RFC 4987 3.6: answer without keeping state; the ISN carries what the ACK needs.
        this.cookiesSent++;
        this.tcp.count('syncookies-sent');
        this.tcp.sendSynCookie(seg, this.config);
        return;
      }
      // The SYN queue is full: drop (a SYN flood's goal).
      this.synDrops++;
      this.tcp.count('syn-backlog-drops');
      this.tcp.ctx.drop('tcp', 'socket-queue-full', `SYN backlog of port ${this.port} is full (${this.backlog}); SYN from ${formatIpv4(seg.src)}:${seg.srcPort} dropped`, seg.frameId);
      return;
    }
    const s = new TcpSocket(this.tcp, this.config);
    this.halfOpen.add(s);
    this.tcp.register(s, seg.src, seg.dstPort, seg.srcPort);
    s.openPassive(seg, this);
  }

  /**
   * @internal An ACK for this listener (no connection matched): with SYN cookies
   * on and a recent overflow, the ACK of a cookie SYN,ACK makes the connection.
   * Returns false when the ACK is not a valid cookie (the caller answers RST).
   */
  cookieAck(seg: SegmentIn): boolean {
    const now = this.tcp.ctx.now;
    if (!this.config.synCookies || now - this.lastOverflow > COOKIE_MAX_AGE * COOKIE_TICK_MS) return false;
    const index = this.tcp.cookies.check(now, seg.dst, seg.dstPort, seg.src, seg.srcPort, seqAdd(seg.seq, -1), seqAdd(seg.ack, -1));
    const ts = seg.opts.hasTimestamp && this.config.timestamps ? decodeCookieTs(seg.opts.tsEcr) : undefined;
    if (index < 0 || (ts && ts.wscale > 14)) {
      this.cookiesRejected++;
      this.tcp.count('syncookies-failed');
      return false;
    }
    if (this.ready.length >= this.backlog) {
      // Accept queue full: drop the ACK, as Linux does; the peer will resend it.
      this.tcp.ctx.drop('tcp', 'socket-queue-full', `accept queue of port ${this.port} is full (${this.backlog}); cookie ACK from ${formatIpv4(seg.src)}:${seg.srcPort} dropped`, seg.frameId);
      return true;
    }
    this.cookiesAccepted++;
    this.tcp.count('syncookies-recv');
    const s = new TcpSocket(this.tcp, this.config);
    this.tcp.register(s, seg.src, seg.dstPort, seg.srcPort);
    this.ready.push(s);
    s.openFromCookie(seg, this, {
      mss: COOKIE_MSS_TABLE[index],
      wscale: ts ? ts.wscale : -1,
      sackOk: ts ? ts.sackOk : false,
      tsOffset: this.tcp.cookies.tsOffset(seg.dst, seg.dstPort, seg.src, seg.srcPort),
    });
    // As after a SYN_RCVD handshake: the application hears of the connection before its first data.
    this.onConnection?.();
    if (s.state !== 'CLOSED') {
      s.noteEcr(seg);
      s.input(seg);
    }
    return true;
  }

  /** @internal the handshake completed; false when the accept queue is full. */
  onEstablished(s: TcpSocket): boolean {
    if (this.ready.length >= this.backlog) return false;
    this.halfOpen.delete(s);
    this.ready.push(s);
    this.onConnection?.();
    return true;
  }

  /** @internal */
  forget(s: TcpSocket): void {
    this.halfOpen.delete(s);
    const i = this.ready.indexOf(s);
    if (i >= 0) this.ready.splice(i, 1);
  }
}

export class Tcp implements ProtocolHandler {
  readonly config: TcpConfig;
  /** remote address -> (localPort << 16 | remotePort) -> connection. */
  private readonly conns = new Map<number, Map<number, TcpSocket>>();
  private readonly listeners = new Map<number, TcpListener>();
  private readonly isnGen: IsnGenerator;
  /** @internal The SYN-cookie key and hashes (RFC 4987 3.6). */
  readonly cookies: SynCookies;
  private readonly ephemeralRng;
  private readonly view = new TcpView();
  private readonly seg = new SegmentIn();
  private readonly ph = { src: 0, dst: 0 };
  private challengeTokens: number;
  private challengeAt = 0;
  readonly stats: Record<string, number> = {};

  constructor(
    readonly ctx: StackContext,
    readonly ip: Ipv4Layer,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP_CONFIG, ...config };
    this.isnGen = new IsnGenerator(ctx.rng.fork('tcp-isn'));
    this.cookies = new SynCookies(ctx.rng.fork('tcp-syncookie'));
    this.ephemeralRng = ctx.rng.fork('tcp-ephemeral');
    this.challengeTokens = this.config.challengeAckLimit;
    ip.register(IpProtocol.TCP, this);
  }

  // ---- the socket API ----

  /** Active open. Throws for our caller's mistakes; failures of the network arrive on onError. */
  connect(remote: Ipv4Addr, port: number, options: Partial<TcpConfig> & { localPort?: number } = {}): TcpSocket {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SocketError('EINVAL', `Port ${port} is not between 1 and 65535.`);
    const local = this.ip.sourceFor(remote);
    if (local === undefined) throw new SocketError('ENETUNREACH', `No route to ${formatIpv4(remote)}.`);
    const localPort = options.localPort ?? this.pickEphemeral(remote, port);
    const existing = this.lookup(remote, localPort, port);
    if (existing) {
      throw new SocketError('EADDRINUSE', `${formatIpv4(local)}:${localPort} -> ${formatIpv4(remote)}:${port} is still in use${existing.state === 'TIME_WAIT' ? ' (TIME_WAIT)' : ''}.`);
    }
    const s = new TcpSocket(this, { ...this.config, ...options });
    this.register(s, remote, localPort, port);
    s.openActive(local, localPort, remote, port);
    return s;
  }

  listen(port: number, backlog = 128, options: Partial<TcpConfig> = {}): TcpListener {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SocketError('EINVAL', `Port ${port} is not between 1 and 65535.`);
    if (this.listeners.has(port)) throw new SocketError('EADDRINUSE', `TCP port ${port} is already being listened on.`);
    const l = new TcpListener(this, port, Math.max(1, backlog), { ...this.config, ...options });
    this.listeners.set(port, l);
    return l;
  }

  /** Every connection, for the sockets table. */
  connections(): TcpSocket[] {
    const out: TcpSocket[] = [];
    for (const m of this.conns.values()) for (const s of m.values()) out.push(s);
    return out;
  }

  /** Every listening socket, for the sockets table (ss -l). */
  listening(): TcpListener[] {
    return [...this.listeners.values()];
  }

  listenerOn(port: number): TcpListener | undefined {
    return this.listeners.get(port);
  }

  /** Forgets every connection without a word to peers (a host crash). */
  reset(): void {
    for (const s of this.connections()) s.onClose = undefined;
    this.conns.clear();
    this.listeners.clear();
  }

  // ---- input ----

  receive(info: IpRxInfo, buf: Uint8Array, start: number, end: number): void {
    const ctx = this.ctx;
    if (info.broadcast) {
      ctx.drop('tcp', 'unsupported', 'TCP segment sent to a broadcast address', info.frameId, end - start);
      return;
    }
    const v = this.view.wrap(buf, start, end);
    this.ph.src = info.src;
    this.ph.dst = info.dst;
    const e = v.check(this.ph);
    if (e) {
      ctx.drop('tcp', e.reason, e.detail, info.frameId, end - start);
      return;
    }
    const seg = this.seg;
    const oe = readTcpOptions(buf, v.optionsStart, v.payloadStart, seg.opts);
    if (oe) {
      ctx.drop('tcp', oe.reason, oe.detail, info.frameId, end - start);
      return;
    }
    ctx.counters.inc('tcp', 'rx');
    seg.src = info.src;
    seg.dst = info.dst;
    seg.srcPort = v.srcPort;
    seg.dstPort = v.dstPort;
    seg.seq = v.seq;
    seg.ack = v.ack;
    seg.flags = v.flags;
    seg.wnd = v.window;
    seg.up = v.urgent;
    seg.buf = buf;
    seg.dataStart = v.payloadStart;
    seg.dataEnd = v.payloadEnd;
    seg.frameId = info.frameId;

    const s = this.lookup(seg.src, seg.dstPort, seg.srcPort);
    if (s) {
      ctx.counters.inc('tcp', 'delivered');
      s.noteEcr(seg);
      s.input(seg);
      return;
    }
    const l = this.listeners.get(seg.dstPort);
    if (l && !l.closed) {
      // RFC 9293 3.10.7.2 LISTEN: RST ignored; ACK answered with RST; SYN opens.
      if (seg.has(RST)) return;
      if (seg.has(ACK)) {
        if (!seg.has(SYN) && l.cookieAck(seg)) return;
        return this.sendRstFor(seg);
      }
      if (seg.has(SYN)) {
        ctx.counters.inc('tcp', 'delivered');
        return l.syn(seg);
      }
      return;
    }
    // RFC 9293 3.10.7.1 CLOSED: everything but a RST draws a RST.
    ctx.drop('tcp', 'port-unreachable', `no connection or listener for TCP port ${seg.dstPort}`, info.frameId, end - start);
    if (!seg.has(RST)) this.sendRstFor(seg);
  }

  icmpError(err: IcmpErrorInfo): void {
    // RFC 1122 4.2.3.9: soft errors; a hard error (port/protocol unreachable) may abort a connection still opening.
    const srcPort = (err.transport[0] << 8) | err.transport[1];
    const dstPort = (err.transport[2] << 8) | err.transport[3];
    const s = this.lookup(err.dst, srcPort, dstPort);
    if (s && s.state === 'SYN_SENT' && err.type === 3 && (err.code === 2 || err.code === 3)) {
      s.abortWithError('ECONNREFUSED', `${err.message} (reported by ${formatIpv4(err.reporter)})`);
    }
  }

  // ---- output ----

  /** @internal sends a built segment (DF set: TCP sizes segments by MSS, RFC 1191 path MTU). */
  output(frame: Uint8Array, len: number, src: Ipv4Addr, dst: Ipv4Addr): void {
    this.ctx.counters.inc('tcp', 'tx');
    this.ip.send(frame, len, src, dst, IpProtocol.TCP, undefined, true);
  }

  /** RFC 9293 3.10.7.1: the RST for a segment that belongs to no connection. */
  sendRstFor(seg: SegmentIn): void {
    if (seg.has(RST)) return;
    const frame = this.ip.allocate(TCP.MIN_HEADER_LEN);
    const o = HEADROOM;
    put16(frame, o + TCP.SRC_PORT, seg.dstPort);
    put16(frame, o + TCP.DST_PORT, seg.srcPort);
    let flags: number;
    if (seg.has(ACK)) {
      put32(frame, o + TCP.SEQ, seg.ack);
      put32(frame, o + TCP.ACK, 0);
      flags = RST;
    } else {
      put32(frame, o + TCP.SEQ, 0);
      put32(frame, o + TCP.ACK, seqAdd(seg.seq, seg.len));
      flags = RST | ACK;
    }
    frame[o + TCP.DATA_OFF] = 5 << 4;
    frame[o + TCP.FLAGS] = flags;
    put16(frame, o + TCP.CHECKSUM, checksum(frame, o, TCP.MIN_HEADER_LEN, pseudoHeaderSum(seg.dst, seg.src, IpProtocol.TCP, TCP.MIN_HEADER_LEN)));
    this.count('rst-sent');
    this.output(frame, TCP.MIN_HEADER_LEN, seg.dst, seg.src);
  }

  /**
   * A SYN,ACK for a SYN that found the backlog full, its ISN a SYN cookie
   * (syncookie.ts); no state is kept. Options in Linux's order: MSS, then with
   * timestamps SACK_PERM (or NOP,NOP) and TS, then NOP,WS; without timestamps
   * only MSS, since nothing else could be remembered.
   */
  sendSynCookie(seg: SegmentIn, config: TcpConfig): void {
    const o = seg.opts;
    const now = this.ctx.now;
    const ts = config.timestamps && o.hasTimestamp;
    const sack = ts && config.sack && o.sackPermitted;
    const ws = ts && config.windowScaling && o.wscale >= 0;
    const ourMss = config.mss ?? this.ip.mtuFor(seg.src) + 20 - 40;
    const peerMss = o.mss > 0 ? o.mss : 536;
    const iss = this.cookies.make(now, seg.dst, seg.dstPort, seg.src, seg.srcPort, seg.seq, SynCookies.mssIndex(peerMss));
    const optLen = 4 + (ts ? 12 : 0) + (ws ? 4 : 0);
    const hl = TCP.MIN_HEADER_LEN + optLen;
    const frame = this.ip.allocate(hl);
    const b = HEADROOM;
    put16(frame, b + TCP.SRC_PORT, seg.dstPort);
    put16(frame, b + TCP.DST_PORT, seg.srcPort);
    put32(frame, b + TCP.SEQ, iss);
    put32(frame, b + TCP.ACK, seqAdd(seg.seq, 1));
    frame[b + TCP.DATA_OFF] = (hl >>> 2) << 4;
    frame[b + TCP.FLAGS] = SYN | ACK;
    put16(frame, b + TCP.WINDOW, Math.min(config.receiveBuffer, 0xffff)); // RFC 7323 2.2: never scaled in a SYN
    let p = b + TCP.MIN_HEADER_LEN;
    frame[p++] = 2;
    frame[p++] = 4;
    put16(frame, p, ourMss);
    p += 2;
    if (ts) {
      frame[p++] = sack ? 4 : 1;
      frame[p++] = sack ? 2 : 1;
      frame[p++] = 8;
      frame[p++] = 10;
      const tsNow = (Math.floor(now) + this.cookies.tsOffset(seg.dst, seg.dstPort, seg.src, seg.srcPort)) >>> 0;
      put32(frame, p, cookieTsVal(tsNow, ws ? o.wscale : -1, sack));
      put32(frame, p + 4, o.tsVal);
      p += 8;
    }
    if (ws) {
      frame[p++] = 1;
      frame[p++] = 3;
      frame[p++] = 3;
      frame[p++] = windowScaleFor(config.receiveBuffer);
    }
    put16(frame, b + TCP.CHECKSUM, checksum(frame, b, hl, pseudoHeaderSum(seg.dst, seg.src, IpProtocol.TCP, hl)));
    this.output(frame, hl, seg.dst, seg.src);
  }

  // ---- shared state ----

  /**
   * Replaces the RFC 6528 generator when set: the conformance runner fixes our
   * ISN this way to script sequence-number wrap-around (RFC 9293 3.4). Never
   * set in the app.
   */
  isnSource: ((s: TcpSocket) => number) | undefined;

  /** @internal RFC 6528 ISN for a connection. */
  isn(s: TcpSocket): number {
    if (this.isnSource) return this.isnSource(s) >>> 0;
    return this.isnGen.isn(this.ctx.now, s.localAddr, s.localPort, s.remoteAddr, s.remotePort);
  }

  /** @internal RFC 5961 7: a token bucket of challenge ACKs per second. */
  takeChallengeToken(): boolean {
    const now = this.ctx.now;
    const limit = this.config.challengeAckLimit;
    this.challengeTokens = Math.min(limit, this.challengeTokens + ((now - this.challengeAt) / 1000) * limit);
    this.challengeAt = now;
    if (this.challengeTokens < 1) return false;
    this.challengeTokens--;
    return true;
  }

  count(what: string): void {
    this.stats[what] = (this.stats[what] ?? 0) + 1;
  }

  /** @internal */
  register(s: TcpSocket, remote: Ipv4Addr, localPort: number, remotePort: number): void {
    let m = this.conns.get(remote);
    if (!m) this.conns.set(remote, (m = new Map()));
    m.set(((localPort << 16) | remotePort) >>> 0, s);
  }

  /** @internal */
  forget(s: TcpSocket): void {
    const m = this.conns.get(s.remoteAddr);
    const key = ((s.localPort << 16) | s.remotePort) >>> 0;
    if (m?.get(key) === s) {
      m.delete(key);
      if (m.size === 0) this.conns.delete(s.remoteAddr);
    }
  }

  /** @internal */
  unlisten(l: TcpListener): void {
    if (this.listeners.get(l.port) === l) this.listeners.delete(l.port);
  }

  private lookup(remote: Ipv4Addr, localPort: number, remotePort: number): TcpSocket | undefined {
    return this.conns.get(remote)?.get(((localPort << 16) | remotePort) >>> 0);
  }

  private pickEphemeral(remote: Ipv4Addr, remotePort: number): number {
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    const start = this.ephemeralRng.int(span);
    for (let i = 0; i < span; i++) {
      const p = EPHEMERAL_LOW + ((start + i) % span);
      if (!this.lookup(remote, p, remotePort) && !this.listeners.has(p)) return p;
    }
    throw new SocketError('EADDRINUSE', 'Every ephemeral TCP port (49152-65535) is in use for this destination.');
  }
}
