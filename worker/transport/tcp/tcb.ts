/**
 * One TCP connection: the TCB of RFC 9293 3.3.1, with the RFC's variables by
 * their RFC names, and the socket API on top of it.
 *
 * - `input(seg)` processes an arriving segment in the order of RFC 9293 3.10.7
 *   (sequence check, RST, SYN, ACK, data, FIN), each step naming its rule;
 * - `dispatch()` is the one place that decides what to send (data, FIN, ACK),
 *   bounded by the peer's window and cwnd, with Nagle and sender SWS avoidance;
 * - timers: retransmission (RTO, SYN, persist), delayed ACK, keepalive, and
 *   TIME_WAIT / FIN_WAIT_2, all on the injected scheduler and all traced.
 *
 * Loss recovery: with SACK negotiated, RFC 6675 (scoreboard.ts: IsLost,
 * SetPipe, NextSeg; SACK-guided retransmission after an RTO too); without it,
 * NewReno (RFC 6582, RFC 3042 limited transmit). How the window grows and
 * shrinks is congestion.ts's (NewReno RFC 5681 or CUBIC RFC 9438).
 * Not yet here: urgent data.
 */

import { formatIpv4, type Ipv4Addr } from '../../wire/addr';
import { put16, put32 } from '../../wire/bytes';
import { checksum, pseudoHeaderSum } from '../../wire/checksum';
import { IpProtocol } from '../../wire/ipv4';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../../wire/seq';
import { TCP, TcpFlag } from '../../wire/tcp';
import type { Timer } from '../../sim/scheduler';
import { HEADROOM } from '../../net/ipv4';
import { SocketError } from '../udp';
import { Assembler } from './assembler';
import type { FailCode, FailedCause, StateCause } from './causes';
import { createCongestionControl, type CongestionControl, type CongestionSnapshot } from './congestion';
import { DEFAULT_TCP_CONFIG, windowScaleFor, type TcpConfig, type TcpState } from './config';
import { RttEstimator } from './rtt';
import { DUP_THRESH, Scoreboard } from './scoreboard';
import type { SegmentIn } from './segment';
import { SendBuffer } from './send-buffer';
import { TcpExpertFlag } from '../../trace/events';
import type { Tcp } from './tcp';

const { FIN, SYN, RST, PSH, ACK } = TcpFlag;

/** RFC 6298 5.7: RTO when data starts after a SYN or SYN,ACK was retransmitted without an RTT sample. */
const RTO_AFTER_SYN_RETRANSMIT = 3000;

/** Why data was sent again: timeout, NewReno fast retransmit / partial ACK, or RFC 6675 SACK recovery. */
type RetransmitCause = 'rto' | 'dupack' | 'partial-ack' | 'sack';
/** Why emit() is sending a segment that is not new: a retransmission's cause, or a probe. */
type ResendNote = RetransmitCause | 'syn' | 'probe' | 'keepalive';

/** Linux's TCP_INFO, roughly: a snapshot for the UI and tests. */
export interface TcpInfo {
  state: TcpState;
  local: string;
  remote: string;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  sendMss: number;
  cwnd: number;
  ssthresh: number;
  flightSize: number;
  /** Congestion control state (NewReno or CUBIC). */
  cc: CongestionSnapshot;
  /** Loss recovery as Linux names it: open, disorder (duplicate ACKs below the threshold), recovery (fast recovery), loss (after an RTO). */
  caState: 'open' | 'disorder' | 'recovery' | 'loss';
  /** Outstanding data believed in the network: RFC 6675 pipe with SACK, else FlightSize. */
  pipe: number;
  /** The sender's SACK scoreboard: ranges of [sndUna, sndMax) the peer has SACKed, in sequence order. */
  sacked: Array<[number, number]>;
  /** End of the lost prefix: un-SACKed data below it is considered lost (RFC 6675 IsLost). */
  lostEnd: number;
  /** RFC 6675 RecoveryPoint / RFC 6582 recover (exclusive end): recovery ends when sndUna reaches it. */
  recoveryPoint: number;
  /** RFC 6675 HighRxt (exclusive end of the highest retransmission in this recovery). */
  highRxt: number;
  srtt: number;
  rttvar: number;
  rto: number;
  inRecovery: boolean;
  dupAcks: number;
  sndScale: number;
  rcvScale: number;
  sackOk: boolean;
  tsOk: boolean;
  sendQueued: number;
  recvQueued: number;
  outOfOrder: number;
  retransmits: number;
  segsOut: number;
  segsIn: number;
  timer: { kind: string; remainingMs: number } | undefined;
}

export interface TcpSocketEvents {
  /** The handshake completed (connect or accept). */
  onConnect?: () => void;
  /** Data is ready to read(). */
  onData?: () => void;
  /** The peer closed its direction (FIN received): read() drains what is left, then returns nothing. */
  onEnd?: () => void;
  /** Room in the send buffer again after write() returned less than asked. */
  onWritable?: () => void;
  /** The connection failed (refused, reset, timed out). */
  onError?: (err: SocketError) => void;
  /** The connection reached CLOSED and was forgotten. */
  onClose?: () => void;
}

export class TcpSocket implements TcpSocketEvents {
  onConnect?: () => void;
  onData?: () => void;
  onEnd?: () => void;
  onWritable?: () => void;
  onError?: (err: SocketError) => void;
  onClose?: () => void;

  state: TcpState = 'CLOSED';
  readonly config: TcpConfig;
  localAddr: Ipv4Addr = 0;
  localPort = 0;
  remoteAddr: Ipv4Addr = 0;
  remotePort = 0;
  /** "10.0.0.1:49152>10.0.0.2:80", for traces. */
  name = '';

  // RFC 9293 3.3.1 send sequence variables
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent so far (tells retransmissions apart). */
  sndMax = 0;
  /** SND.WND in bytes (already scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer ever offered (RFC 5961 5.2 MAX.SND.WND). */
  maxSndWnd = 0;
  // receive sequence variables
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window we last advertised (never moved left: RFC 9293 3.8.6.2.2). */
  private rcvAdvRight = 0;

  // negotiated options
  peerMss = 536;
  /** Payload bytes per segment, after options (RFC 9293 3.7.1, RFC 7323). */
  sendMss = 536;
  sndScale = 0;
  rcvScale = 0;
  sackOk = false;
  tsOk = false;
  private tsRecent = 0;
  private lastAckSent = 0;
  private tsOffset: number;

  // buffers
  private readonly sendBuf: SendBuffer;
  private readonly recv: Assembler;
  /** Sequence number of sendBuf's first byte. */
  private dataBase = 0;
  /** The application has no more to send (shutdown or close). */
  private finQueued = false;
  private finSeq = 0;
  /** The peer's FIN, once it has arrived (maybe ahead of data still missing). */
  private peerFin: number | undefined;
  /** FIN received in order: the peer has finished sending. */
  private eof = false;
  /** close() was called: the application will read no more. */
  private closedByApp = false;
  private passive = false;
  private wantWritable = false;
  /** An ACK freed send-buffer space: onWritable fires once the segment is fully processed. */
  private writableDue = false;

  // congestion control (congestion.ts) and loss recovery (RFC 6582 without SACK, RFC 6675 with)
  cc: CongestionControl;
  dupAcks = 0;
  /** Fast recovery (RFC 6582 / RFC 6675). */
  inRecovery = false;
  /** Recovering after an RTO with SACK (RFC 6675 5.1; Linux's TCP_CA_Loss): retransmits what is not SACKed until SND.UNA reaches `recover`. */
  inLoss = false;
  /** RFC 6582 "recover" / RFC 6675 RecoveryPoint, as an exclusive end (HighData + 1). */
  private recover = 0;
  private lossEpisode = false;
  /** The peer's SACK information (RFC 6675 scoreboard). */
  private readonly sb = new Scoreboard();

  get cwnd(): number {
    return this.cc.cwnd;
  }

  set cwnd(bytes: number) {
    this.cc.cwnd = bytes;
  }

  get ssthresh(): number {
    return this.cc.ssthresh;
  }

  // RTT (RFC 6298, Karn)
  readonly rtt: RttEstimator;
  private rttTiming = false;
  private rttSeq = 0;
  private rttTime = 0;

  // timers
  private readonly rtxTimer: Timer;
  private rtxKind: 'rto' | 'syn' | 'synack' | 'persist' = 'rto';
  private readonly delackTimer: Timer;
  private readonly keepTimer: Timer;
  private readonly closeTimer: Timer;
  private retries = 0;
  private keepProbes = 0;
  private persisting = false;
  private lastHeard = 0;

  // ACK policy
  private ackNow = false;
  private unackedSegs = 0;

  // counters
  retransmits = 0;
  segsOut = 0;
  segsIn = 0;

  /** The listener this connection came from, until accepted. */
  listener: { onEstablished(s: TcpSocket): boolean; forget(s: TcpSocket): void } | undefined;

  private readonly ph = { src: 0, dst: 0 };

  constructor(
    private readonly tcp: Tcp,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP_CONFIG, ...config };
    const c = this.config;
    this.sendBuf = new SendBuffer(c.sendBuffer);
    this.recv = new Assembler(c.receiveBuffer, { maxBlocks: c.maxOutOfOrderBlocks });
    this.rtt = new RttEstimator({ initialRto: c.initialRtoMs, minRto: c.minRtoMs, maxRto: c.maxRtoMs });
    this.cc = createCongestionControl(c.congestionControl, this.sendMss, c.initialWindow);
    const s = tcp.ctx.scheduler;
    this.rtxTimer = s.timer(() => {
      this.onRetransmitTimer();
      if (tcp.ctx.tracing) this.traceVars();
    }, 'tcp rto');
    this.delackTimer = s.timer(() => this.onDelayedAck(), 'tcp delayed ack');
    this.keepTimer = s.timer(() => this.onKeepalive(), 'tcp keepalive');
    this.closeTimer = s.timer(() => this.onCloseTimer(), 'tcp time-wait');
    // RFC 7323 5.4: a random offset per connection keeps TSval from revealing the clock.
    this.tsOffset = tcp.ctx.rng.u32();
  }

  // ================= the socket API =================

  /** Bytes ready to read. */
  get readable(): number {
    return this.recv.readable;
  }

  /** The peer has closed its direction and everything it sent has been read. */
  get ended(): boolean {
    return this.eof && this.recv.readable === 0;
  }

  /**
   * Queues data; returns how many bytes fit in the send buffer (backpressure:
   * onWritable fires when there is room again).
   */
  write(data: Uint8Array): number {
    if (this.finQueued || this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'TIME_WAIT') {
      throw new SocketError('EBADF', this.finQueued ? 'This connection was shut down for writing.' : `Cannot write in state ${this.state}.`);
    }
    const n = this.sendBuf.write(data);
    if (n < data.length) this.wantWritable = true;
    if (n > 0) this.dispatch();
    if (this.tcp.ctx.tracing) this.traceVars();
    return n;
  }

  /** Reads up to `max` bytes (all that is ready by default). */
  read(max = Infinity): Uint8Array {
    const before = this.wireWindow();
    const out = this.recv.read(Math.min(max, this.recv.readable)) as Uint8Array;
    this.afterRead(out.length, before);
    return out;
  }

  /** Consumes up to `max` bytes without copying them (discard): the window opens as after a read. Returns how many. */
  skip(max = Infinity): number {
    const before = this.wireWindow();
    const n = this.recv.skip(max);
    this.afterRead(n, before);
    return n;
  }

  /** The window as the header can carry it: beyond 65535 << scale, more buffer changes nothing on the wire. */
  private wireWindow(): number {
    return Math.min(this.advertisableWindow(), 0xffff << this.rcvScale);
  }

  private afterRead(n: number, before: number): void {
    if (n === 0) return;
    // RFC 9293 3.8.6.2.2: tell the peer when the window opens enough to matter
    // (an update that advertises the same window is just a duplicate ACK, RFC 5681 2).
    if (this.synchronized()) {
      const after = this.wireWindow();
      if (after - before >= 2 * this.sendMss || (before < this.sendMss && after >= this.sendMss)) {
        this.ackNow = true;
        this.dispatch();
      }
    }
    if (this.tcp.ctx.tracing) this.traceVars();
  }

  /** Half-close: sends FIN after the queued data; reading continues (RFC 9293 3.10.4). */
  shutdown(): void {
    switch (this.state) {
      case 'SYN_SENT':
      case 'SYN_RCVD':
      case 'ESTABLISHED':
      case 'CLOSE_WAIT':
        this.queueFin();
        break;
      default:
        return;
    }
  }

  /**
   * Closes both directions. With unread data this aborts with RST (RFC 9293
   * 3.10.4 / RFC 1122 4.2.2.13), as Linux does: the peer learns its data was lost.
   */
  close(): void {
    if (this.closedByApp) return;
    this.closedByApp = true;
    if (this.state === 'LISTEN' || this.state === 'CLOSED') return this.becomeClosed('close');
    if (this.state === 'SYN_SENT') return this.becomeClosed('close (before the handshake completed)');
    if (this.recv.readable > 0 && this.synchronized()) {
      this.sendRst(this.sndMax);
      return this.becomeClosed('close with unread data: RST');
    }
    this.queueFin();
  }

  /** @internal The layer fails a connection still opening (an ICMP hard error, RFC 1122 4.2.3.9). */
  abortWithError(code: 'ECONNREFUSED', message: string): void {
    this.fail(code, message, 'rcv ICMP unreachable');
  }

  /** Aborts: RST to the peer, CLOSED at once (RFC 9293 3.10.5). */
  abort(): void {
    if (this.synchronized() || this.state === 'SYN_RCVD') this.sendRst(this.sndMax);
    this.becomeClosed('abort: RST');
  }

  info(): TcpInfo {
    const now = this.tcp.ctx.now;
    const timers: [Timer, string][] = [
      [this.rtxTimer, this.rtxKind],
      [this.closeTimer, this.state === 'TIME_WAIT' ? 'time-wait' : 'fin-wait-2'],
      [this.delackTimer, 'delayed-ack'],
      [this.keepTimer, 'keepalive'],
    ];
    const running = timers.find(([t]) => t.armed);
    return {
      state: this.state,
      local: `${formatIpv4(this.localAddr)}:${this.localPort}`,
      remote: `${formatIpv4(this.remoteAddr)}:${this.remotePort}`,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.advertisableWindow(),
      sendMss: this.sendMss,
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      flightSize: this.flightSize,
      cc: this.cc.snapshot(),
      caState: this.inLoss ? 'loss' : this.inRecovery ? 'recovery' : this.dupAcks > 0 || this.sb.count > 0 ? 'disorder' : 'open',
      pipe: this.sackOk ? this.sb.pipe(this.sndUna, this.sndMax, this.sendMss) : this.flightSize,
      sacked: this.sb.ranges(),
      lostEnd: this.sb.lostEnd(this.sndUna, this.sendMss, this.sndMax),
      recoveryPoint: this.recover,
      highRxt: this.sb.highRxt,
      srtt: this.rtt.srtt,
      rttvar: this.rtt.rttvar,
      rto: this.rtt.rto,
      inRecovery: this.inRecovery,
      dupAcks: this.dupAcks,
      sndScale: this.sndScale,
      rcvScale: this.rcvScale,
      sackOk: this.sackOk,
      tsOk: this.tsOk,
      sendQueued: this.sendBuf.length,
      recvQueued: this.recv.readable,
      outOfOrder: this.recv.outOfOrder,
      retransmits: this.retransmits,
      segsOut: this.segsOut,
      segsIn: this.segsIn,
      timer: running ? { kind: running[1], remainingMs: running[0].deadline! - now } : undefined,
    };
  }

  get flightSize(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  // ================= opening =================

  /** @internal Active open (RFC 9293 3.10.1): send SYN, enter SYN_SENT. */
  openActive(localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number): void {
    this.setEndpoints(localAddr, localPort, remoteAddr, remotePort);
    this.iss = this.tcp.isn(this);
    this.startSequence();
    this.setState('SYN_SENT', 'connect: snd SYN');
    this.sendSyn(false);
    this.rtxKind = 'syn';
    this.armRtx();
  }

  /** @internal Passive open: a SYN arrived on a listener (RFC 9293 3.10.7.2). */
  openPassive(seg: SegmentIn, listener: NonNullable<TcpSocket['listener']>): void {
    this.passive = true;
    this.listener = listener;
    this.setEndpoints(seg.dst, seg.dstPort, seg.src, seg.srcPort);
    this.state = 'LISTEN';
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg);
    this.iss = this.tcp.isn(this);
    this.startSequence();
    this.sndWnd = seg.wnd; // never scaled in a SYN (RFC 7323 2.2)
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.lastHeard = this.tcp.ctx.now;
    this.setState('SYN_RCVD', 'rcv SYN / snd SYN,ACK');
    this.sendSyn(true);
    this.rtxKind = 'synack';
    this.armRtx();
  }

  /**
   * @internal The ACK of a SYN-cookie SYN,ACK arrived at a listener whose cookie
   * checked out (syncookie.ts): the connection starts ESTABLISHED with what the
   * cookie and the echoed timestamp remember (MSS from the table, window scale
   * and SACK only with timestamps). The caller then passes the ACK to input(),
   * like any other segment, for whatever data it carries.
   */
  openFromCookie(seg: SegmentIn, listener: NonNullable<TcpSocket['listener']>, c: { mss: number; wscale: number; sackOk: boolean; tsOffset: number }): void {
    const cfg = this.config;
    this.passive = true;
    this.listener = listener;
    this.setEndpoints(seg.dst, seg.dstPort, seg.src, seg.srcPort);
    this.state = 'LISTEN';
    this.irs = seqAdd(seg.seq, -1);
    this.rcvNxt = seg.seq;
    this.iss = seqAdd(seg.ack, -1);
    this.startSequence();
    this.sndUna = this.sndNxt;
    this.sb.reset(this.sndUna);
    this.recover = this.sndUna;
    this.peerMss = c.mss;
    this.tsOk = cfg.timestamps && seg.opts.hasTimestamp;
    if (this.tsOk) {
      this.tsOffset = c.tsOffset;
      this.tsRecent = seg.opts.tsVal;
    }
    this.sackOk = cfg.sack && this.tsOk && c.sackOk;
    if (cfg.windowScaling && this.tsOk && c.wscale >= 0) this.sndScale = c.wscale;
    else {
      this.sndScale = 0;
      this.rcvScale = 0;
    }
    this.sendMss = Math.max(64, Math.min(this.peerMss, this.ourMss) - (this.tsOk ? 12 : 0));
    this.cc = createCongestionControl(cfg.congestionControl, this.sendMss, cfg.initialWindow);
    this.sndWnd = seg.wnd << this.sndScale;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    // What our SYN,ACK advertised (unscaled, RFC 7323 2.2), and the ACK it drew.
    this.rcvAdvRight = seqAdd(this.rcvNxt, Math.min(cfg.receiveBuffer, 0xffff));
    this.lastAckSent = this.rcvNxt;
    this.lastHeard = this.tcp.ctx.now;
    this.setState('ESTABLISHED', 'rcv ACK with a valid SYN cookie');
  }

  /** SND.UNA = ISS; the recovery variables start there too (a stale 0 would compare as "ahead" of half the ISNs). */
  private startSequence(): void {
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.dataBase = this.sndNxt;
    this.recover = this.iss;
    this.sb.reset(this.iss);
  }

  private setEndpoints(localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number): void {
    this.localAddr = localAddr;
    this.localPort = localPort;
    this.remoteAddr = remoteAddr;
    this.remotePort = remotePort;
    this.ph.src = localAddr;
    this.ph.dst = remoteAddr;
    this.name = `${formatIpv4(localAddr)}:${localPort}>${formatIpv4(remoteAddr)}:${remotePort}`;
    const mtu = this.tcp.ip.mtuFor(remoteAddr) + 20;
    this.ourMss = this.config.mss ?? mtu - 40;
    this.rcvScale = this.config.windowScaling ? windowScaleFor(this.config.receiveBuffer) : 0;
  }

  private ourMss = 536;

  /** Options from the peer's SYN (RFC 9293 3.7.1 MSS, RFC 7323 WS/TS, RFC 2018 SACK-permitted). */
  private negotiate(seg: SegmentIn): void {
    const o = seg.opts;
    this.peerMss = o.mss > 0 ? o.mss : 536;
    // Window scaling only when both SYNs carry the option (RFC 7323 2.2).
    if (this.config.windowScaling && o.wscale >= 0) this.sndScale = o.wscale;
    else {
      this.sndScale = 0;
      this.rcvScale = 0;
    }
    this.sackOk = this.config.sack && o.sackPermitted;
    this.tsOk = this.config.timestamps && o.hasTimestamp;
    if (this.tsOk) this.tsRecent = o.tsVal;
    // RFC 9293 3.7.1 / RFC 6691: the MSS counts neither IP nor TCP options; subtract the TS option we will always carry.
    this.sendMss = Math.max(64, Math.min(this.peerMss, this.ourMss) - (this.tsOk ? 12 : 0));
    // RFC 5681 3.1 / RFC 6928: initial window.
    this.cc = createCongestionControl(this.config.congestionControl, this.sendMss, this.config.initialWindow);
  }

  // ================= arrival (RFC 9293 3.10.7) =================

  /** @internal */
  input(seg: SegmentIn): void {
    this.segsIn++;
    this.lastHeard = this.tcp.ctx.now;
    this.rxExpert = 0;
    if (this.state === 'SYN_SENT') this.inputSynSent(seg);
    else this.inputSynchronizedOrSynRcvd(seg);
    if (this.rxExpert !== 0) this.traceRxExpert(seg.frameId);
    if (this.state !== 'CLOSED') {
      this.dispatch();
      this.armKeepalive();
    }
    if (this.tcp.ctx.tracing) this.traceVars();
    if (this.writableDue) {
      this.writableDue = false;
      this.wantWritable = false;
      if (this.state !== 'CLOSED') this.onWritable?.();
    }
  }

  /** RFC 9293 3.10.7.3 */
  private inputSynSent(seg: SegmentIn): void {
    // First: the ACK bit.
    if (seg.has(ACK)) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt)) {
        // An ACK for something we never sent: RST, unless it is one (3.10.7.3 "first").
        if (!seg.has(RST)) this.tcp.sendRstFor(seg);
        return;
      }
    }
    // Second: RST. Acceptable only with an acceptable ACK (RFC 5961 3.2 keeps this for SYN-SENT).
    if (seg.has(RST)) {
      if (seg.has(ACK)) this.fail('ECONNREFUSED', `Connection refused by ${formatIpv4(this.remoteAddr)}:${this.remotePort} (RST).`, 'rcv RST,ACK');
      return;
    }
    // Fourth: SYN.
    if (!seg.has(SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.negotiate(seg);
    if (seg.has(ACK)) {
      const synRetransmitted = this.retries > 0;
      this.ackAdvance(seg.ack);
      this.updateWindow(seg, true);
      // SYN,ACK: ESTABLISHED; ACK it (data in the SYN,ACK is processed as in ESTABLISHED).
      this.stopTimer(this.rtxTimer, this.rtxKind);
      // RFC 6298 5.7: no RTT sample from a retransmitted SYN, so data starts with RTO = 3 s.
      this.rtt.reset(synRetransmitted ? Math.max(RTO_AFTER_SYN_RETRANSMIT, this.config.initialRtoMs) : this.config.initialRtoMs);
      this.retries = 0;
      this.setState('ESTABLISHED', 'rcv SYN,ACK / snd ACK');
      this.ackNow = true;
      this.onConnect?.();
      this.processData(seg);
    } else {
      // Simultaneous open (RFC 9293 3.5 figure 8): SYN_SENT -> SYN_RCVD, send SYN,ACK.
      this.sndWnd = seg.wnd;
      this.maxSndWnd = seg.wnd;
      this.sndWl1 = seg.seq;
      this.setState('SYN_RCVD', 'rcv SYN / snd SYN,ACK (simultaneous open)');
      this.sendSyn(true);
      this.rtxKind = 'synack';
      this.armRtx();
    }
  }

  /** RFC 9293 3.10.7.4: SYN_RCVD and the synchronized states. */
  private inputSynchronizedOrSynRcvd(seg: SegmentIn): void {
    const o = seg.opts;
    // RFC 7323 5.3 PAWS: a segment older than TS.Recent is a wrapped-around old duplicate.
    if (this.tsOk && o.hasTimestamp && !seg.has(RST) && seqLt(o.tsVal, this.tsRecent)) {
      this.tcp.count('paws');
      this.ackOutOfWindow(seg);
      return;
    }

    if (this.state === 'SYN_RCVD' && this.passive && (seg.flags & (SYN | ACK | RST | FIN)) === SYN && seg.seq === this.irs) {
      // The peer retransmitted its SYN: our SYN,ACK was lost. 3.10.7.4 answers this
      // (unacceptable) duplicate with an acknowledgment; the one a SYN_SENT peer can
      // use is the SYN,ACK itself (it drops a bare ACK, 3.10.7.3 "fifth"), so send it
      // again, as Linux and FreeBSD do, rather than wait for our retransmission timer.
      this.sendSyn(true);
      return;
    }

    if (this.state === 'SYN_RCVD' && !this.passive && (seg.flags & (SYN | ACK | RST)) === (SYN | ACK) && seg.seq === this.irs && seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndNxt)) {
      // Simultaneous open, RFC 9293 3.5 figure 8 line 6: the peer's SYN,ACK repeats
      // its SYN (SEG.SEQ = IRS, "old" to the acceptability test below) and
      // acknowledges ours, so it completes the handshake, as in Linux.
      this.establishFromSynRcvd(seg, 'rcv SYN,ACK (simultaneous open)');
      return;
    }

    // First: sequence number acceptability (four cases of 3.10.7.4).
    if (!this.acceptable(seg)) {
      if (this.state === 'TIME_WAIT' && seg.has(FIN) && !seg.has(RST) && !seg.has(SYN) && seqAdd(seg.seq, seg.len) === this.rcvNxt) {
        // 3.10.7.4 "eighth", TIME-WAIT: a retransmitted FIN (our last ACK was lost) is
        // acknowledged and restarts the 2 MSL timeout; being a duplicate, it lands here.
        this.ackNow = true;
        this.armCloseTimer(2 * this.config.mslMs, 'time-wait');
        return;
      }
      if (!seg.has(RST)) {
        this.tcp.count('out-of-window');
        // A resent copy of the last segment we acknowledged (our ACK was lost) refreshes TS.Recent, so the
        // ACK echoes the resend, not the original: Linux (tcp_sequence accepts end >= rcv_wup, then
        // tcp_replace_ts_recent); without it the peer's RTT sample would include its whole RTO.
        if (this.tsOk && o.hasTimestamp && seg.dataLen > 0 && seqLe(seg.seq, this.lastAckSent) && seqGe(seqAdd(seg.seq, seg.len), this.lastAckSent) && seqGe(o.tsVal, this.tsRecent)) {
          this.tsRecent = o.tsVal;
        }
        this.ackOutOfWindow(seg);
      }
      return;
    }

    // Second: RST (RFC 5961 3.2: exact match resets; anywhere else in the window draws a challenge ACK).
    if (seg.has(RST)) {
      if (seg.seq !== this.rcvNxt) {
        this.challengeAck('in-window RST');
        return;
      }
      switch (this.state) {
        case 'SYN_RCVD':
          if (this.passive) return this.becomeClosed('rcv RST (back to LISTEN)');
          return this.fail('ECONNREFUSED', 'Connection refused (RST in SYN_RCVD).', 'rcv RST');
        case 'ESTABLISHED':
        case 'FIN_WAIT_1':
        case 'FIN_WAIT_2':
        case 'CLOSE_WAIT':
          return this.fail('ECONNRESET', `Connection reset by ${formatIpv4(this.remoteAddr)}:${this.remotePort}.`, 'rcv RST');
        default:
          return this.becomeClosed('rcv RST');
      }
    }

    // Fourth: SYN in a synchronized state -> challenge ACK (RFC 5961 4.2, RFC 9293 3.10.7.4).
    if (seg.has(SYN)) {
      this.challengeAck('SYN in a synchronized state');
      return;
    }

    // Fifth: the ACK field.
    if (!seg.has(ACK)) return;
    if (this.state === 'SYN_RCVD') {
      if (seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndNxt)) {
        if (this.listener && !this.listener.onEstablished(this)) {
          // Accept queue full: behave as Linux, ignore the ACK and let the SYN,ACK be retransmitted.
          return;
        }
        this.establishFromSynRcvd(seg, 'rcv ACK of SYN');
      } else {
        this.tcp.sendRstFor(seg);
        return;
      }
    } else if (!this.processAck(seg)) {
      return;
    }

    // RFC 7323 4.3: remember the peer's TSval when the segment covers Last.ACK.sent.
    if (this.tsOk && o.hasTimestamp && seqGe(o.tsVal, this.tsRecent) && seqLe(seg.seq, this.lastAckSent)) this.tsRecent = o.tsVal;

    // Seventh: segment text; eighth: FIN.
    this.processData(seg);
  }

  /** SYN_RCVD -> ESTABLISHED: our SYN is acknowledged (RFC 9293 3.10.7.4 "fifth"). */
  private establishFromSynRcvd(seg: SegmentIn, cause: StateCause): void {
    this.stopTimer(this.rtxTimer, this.rtxKind);
    const synAckRetransmitted = this.retries > 0;
    this.retries = 0;
    this.setState('ESTABLISHED', cause);
    this.updateWindow(seg, true);
    this.ackAdvance(seg.ack);
    // RFC 6298 5.7: the SYN,ACK was retransmitted and no valid sample came (no timestamp echo): RTO = 3 s.
    if (synAckRetransmitted && !this.rtt.hasSample) this.rtt.reset(Math.max(RTO_AFTER_SYN_RETRANSMIT, this.config.initialRtoMs));
    this.onConnect?.();
  }

  /** RFC 9293 3.10.7.4 "first": the four cases of segment acceptability. */
  private acceptable(seg: SegmentIn): boolean {
    const wnd = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const len = seg.len;
    const seq = seg.seq;
    // RCV.NXT =< x < RCV.NXT + RCV.WND, as an offset from RCV.NXT (no closure: this runs for every segment).
    const first = seqDiff(seq, this.rcvNxt);
    if (len === 0) return wnd === 0 ? first === 0 : first >= 0 && first < wnd;
    if (wnd === 0) return false;
    const last = first + len - 1;
    return (first >= 0 && first < wnd) || (last >= 0 && last < wnd);
  }

  /** Fifth step in the synchronized states. Returns false when the segment must be dropped. */
  private processAck(seg: SegmentIn): boolean {
    const ack = seg.ack;
    // RFC 5961 5.2: an ACK too far below SND.UNA, or of data never sent, draws an ACK and is dropped.
    if (seqGt(ack, this.sndMax) || seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
      this.ackNow = true;
      return false;
    }
    if (seqGt(ack, this.sndNxt)) {
      // Acknowledges data sent before an RTO rewound SND.NXT: take it.
      this.sndNxt = ack;
    }
    const dup = this.isDuplicateAck(seg);
    if (dup) this.rxExpert |= TcpExpertFlag.DUPLICATE_ACK;
    const acked = seqGt(ack, this.sndUna) ? seqDiff(ack, this.sndUna) : 0;
    if (acked > 0) this.ackAdvance(ack);
    // While probing a zero window the peer's answers to our probes look like
    // duplicate ACKs (RFC 5681 2), but they say nothing about loss: no fast
    // retransmit from them (BSD counts dupacks only with the retransmit timer running).
    const probeAnswer = acked === 0 && this.persisting;
    if (this.sackOk) {
      if (!probeAnswer) this.onAckSack(seg, acked);
    } else if (acked > 0) this.onNewAck(acked, seg);
    else if (dup && !probeAnswer) this.onDupAck();
    this.updateWindow(seg, false);

    switch (this.state) {
      case 'FIN_WAIT_1':
        if (this.finAcked()) {
          this.setState('FIN_WAIT_2', 'rcv ACK of FIN');
          if (this.closedByApp) this.armCloseTimer(this.config.finWait2TimeoutMs, 'fin-wait-2');
        }
        break;
      case 'CLOSING':
        if (this.finAcked()) this.enterTimeWait('rcv ACK of FIN');
        break;
      case 'LAST_ACK':
        if (this.finAcked()) {
          this.becomeClosed('rcv ACK of FIN');
          return false;
        }
        break;
      case 'TIME_WAIT':
        break;
    }
    return true;
  }

  /** RFC 5681 2: "duplicate acknowledgment". */
  private isDuplicateAck(seg: SegmentIn): boolean {
    return (
      seg.ack === this.sndUna &&
      seqGt(this.sndMax, this.sndUna) &&
      seg.dataLen === 0 &&
      !seg.has(SYN) &&
      !seg.has(FIN) &&
      (seg.wnd << this.sndScale) === this.sndWnd
    );
  }

  /** SND.UNA moves forward: free acknowledged data, time RTT, manage the RTO (RFC 6298 5.2/5.3). */
  private ackAdvance(ack: number): void {
    // Data bytes acknowledged (SYN and FIN occupy sequence space but not the buffer).
    const dataAcked = Math.max(0, Math.min(this.sendBuf.length, seqDiff(ack, this.dataBase)));
    if (dataAcked > 0) {
      this.sendBuf.ackTo(dataAcked);
      this.dataBase = seqAdd(this.dataBase, dataAcked);
    }
    // RTT: the timed segment when this ACK covers it (Karn-safe: timing stops at any retransmission), else
    // the timestamp echo (RFC 7323 4). Linux prefers the first too (tcp_ack_update_rtt): an echo can be
    // older than the transmission the ACK answers (the receiver echoes TS.Recent, RFC 7323 4.3), which
    // inflates the sample when ACKs were lost.
    // An echo from before the last timeout is ambiguous the way Karn's rule means (it may answer the
    // original of data the timeout resent), so it is not used until the data outstanding then is acknowledged.
    if (this.rttTiming && seqGe(ack, this.rttSeq)) {
      const sample = this.tcp.ctx.now - this.rttTime;
      this.rtt.sample(sample);
      this.rttTiming = false;
      this.traceRtt(sample, 'timed');
    } else if (this.tsOk && this.lastSegEcr !== 0 && (this.tsRtoMark === undefined || seqGe(this.lastSegEcr, this.tsRtoMark))) {
      const sample = this.tsNow() - this.lastSegEcr;
      this.rtt.sampleFromTimestamp(sample);
      this.traceRtt(sample, 'timestamp');
    }
    if (this.tsRtoMark !== undefined && seqGe(ack, this.recover)) this.tsRtoMark = undefined;
    this.sndUna = ack;
    if (seqLt(this.dataBase, this.sndUna) && this.sendBuf.length === 0) this.dataBase = this.sndUna;
    this.retries = 0;
    // Not onWritable() here: what the application writes must meet the window, cwnd
    // and recovery state this same segment sets later (input() tells it at the end).
    if (this.wantWritable && this.sendBuf.free > 0) this.writableDue = true;
    if (this.sndUna === this.sndMax || seqGe(this.sndUna, this.sndMax)) {
      // Named by the kind it was started as (the SYN timer when this ACK completes the handshake).
      this.stopTimer(this.rtxTimer, this.rtxKind);
    } else if (!this.persisting) {
      this.armRtx();
    }
  }

  /** Our TSval when the retransmission timer last fired, while data sent before it is outstanding. */
  private tsRtoMark: number | undefined;

  /** The TSecr of the segment being processed (0 if none), captured by the layer. */
  private lastSegEcr = 0;

  /** @internal The layer passes each segment's TSecr before input(). */
  noteEcr(seg: SegmentIn): void {
    this.lastSegEcr = this.tsOk && seg.opts.hasTimestamp && seg.has(ACK) ? seg.opts.tsEcr : 0;
  }

  /** New data acknowledged: NewReno (RFC 5681 3.1, RFC 6582 3.2). */
  private onNewAck(acked: number, _seg: SegmentIn): void {
    const mss = this.sendMss;
    if (this.inRecovery) {
      if (seqGe(this.sndUna, this.recover)) {
        // Full acknowledgment: deflate the window and leave recovery (RFC 6582 3.2 step 3).
        this.cwnd = Math.min(this.ssthresh, Math.max(this.flightSize, mss) + mss);
        this.inRecovery = false;
        this.dupAcks = 0;
        this.cwndEvent('recovery done');
      } else {
        // Partial acknowledgment: retransmit the next hole at once (step 5).
        this.retransmitFirst('partial-ack');
        this.cwnd = Math.max(mss, this.cwnd - acked + (acked >= mss ? mss : 0));
        this.armRtx();
      }
      return;
    }
    this.dupAcks = 0;
    this.lossEpisode = false;
    // Slow start or congestion avoidance (congestion.ts).
    this.cc.onAck(acked, this.tcp.ctx.now, this.rtt.srtt);
  }

  /** A duplicate ACK: fast retransmit on the third (RFC 5681 3.2), limited transmit before (RFC 3042). */
  private onDupAck(): void {
    const mss = this.sendMss;
    this.dupAcks++;
    if (this.inRecovery) {
      this.cwnd += mss; // inflate: another segment has left the network
      return;
    }
    if (this.dupAcks === DUP_THRESH && seqGe(this.sndUna, this.recover)) {
      // RFC 6582 4.1: only when this loss is past the last recovery point.
      this.cc.onCongestionEvent(this.flightSize, this.tcp.ctx.now);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.retransmitFirst('dupack');
      this.cwnd = this.ssthresh + 3 * mss;
      this.cwndEvent('fast retransmit');
      this.armRtx();
    }
  }

  // ---------- SACK-based loss recovery (RFC 6675) ----------

  /**
   * RFC 6675 5: every ACK on a connection that negotiated SACK. `acked` is how
   * far SND.UNA just moved (0 for none). Retransmissions happen in sendDataSack,
   * which dispatch() calls after this.
   */
  private onAckSack(seg: SegmentIn, acked: number): void {
    const now = this.tcp.ctx.now;
    if (acked > 0) this.lossEpisode = false;
    // The cumulative ACK first: a SND.UNA inside a SACKed range means the receiver reneged.
    if (this.sb.advance(this.sndUna)) this.onSackReneging();
    const newlySacked = seg.opts.sackCount > 0 ? this.sackUpdate(seg) : 0;
    if (this.inLoss) {
      // After an RTO: slow start, resending what is neither acknowledged nor SACKed (RFC 6675 5.1).
      if (acked > 0) this.cc.onAck(acked, now, this.rtt.srtt);
      if (seqLt(this.sndUna, this.recover)) return;
      this.inLoss = false;
      this.dupAcks = 0;
      this.cwndEvent('RTO recovery done');
      acked = 0;
    } else if (this.inRecovery) {
      // (B) an ACK below RecoveryPoint: Update() is done; SetPipe() and (C) run in sendDataSack.
      if (seqLt(this.sndUna, this.recover)) return;
      // (A) RecoveryPoint is acknowledged: recovery ends with cwnd = ssthresh; the scoreboard above SND.UNA is kept.
      this.inRecovery = false;
      this.dupAcks = 0;
      this.cwndEvent('SACK recovery done');
      acked = 0;
    }
    // RFC 6675 5: a cumulative ACK resets DupAcks; an ACK that SACKs new data is a duplicate ACK (RFC 6675 2).
    if (acked > 0) {
      this.dupAcks = 0;
      this.cc.onAck(acked, now, this.rtt.srtt);
    }
    if (newlySacked > 0) this.dupAcks++;
    if (!seqGt(this.sndMax, this.sndUna) || seqLt(this.sndUna, this.recover)) return;
    // (1) DupThresh duplicate ACKs, or (2) IsLost(HighACK + 1): enter loss recovery. Like Linux, IsLost is
    // checked on every ACK, so losses left when a recovery ends start the next one without waiting for more SACKs.
    if (this.dupAcks >= DUP_THRESH || (this.sb.count > 0 && this.sb.isLost(this.sndUna, this.sndUna, this.sendMss, this.sndMax))) {
      this.enterSackRecovery();
    }
  }

  /** RFC 6675 5 step (4). */
  private enterSackRecovery(): void {
    const sb = this.sb;
    this.recover = this.sndMax; // (4.1) RecoveryPoint = HighData
    this.cc.onCongestionEvent(this.flightSize, this.tcp.ctx.now); // (4.2) ssthresh = cwnd = FlightSize / 2 (or CUBIC's beta)
    this.cwnd = this.ssthresh;
    this.inRecovery = true;
    this.cwndEvent('fast retransmit (SACK)');
    // (4.3) retransmit the segment at HighACK + 1; HighRxt = RescueRxt = its end.
    let end = seqAdd(this.sndUna, this.segmentLimit());
    if (sb.count > 0 && seqLt(sb.start(0), end)) end = sb.start(0);
    if (seqGt(end, this.sndMax)) end = this.sndMax;
    this.resend(this.sndUna, end, 'sack');
    sb.highRxt = end;
    sb.rescueRxt = end;
    sb.rescueSent = true;
    this.armRtx();
    // (4.4) SetPipe and (4.5) step (C) happen in sendDataSack.
  }

  /**
   * RFC 6675 Update() with the blocks of this ACK, validated first: a block must
   * lie within SND.UNA..SND.MAX (RFC 2018 / RFC 6675 5); a block wholly below
   * the cumulative ACK is a D-SACK (RFC 2883) and is only counted. Returns the
   * bytes SACKed for the first time.
   */
  private sackUpdate(seg: SegmentIn): number {
    const o = seg.opts;
    const b = o.sackBlocks;
    let added = 0;
    for (let k = 0; k < o.sackCount; k++) {
      let left = b[2 * k];
      const right = b[2 * k + 1];
      if (!seqLt(left, right) || seqGt(right, this.sndMax) || seqDiff(right, left) > this.maxSndWnd + this.sendMss) {
        this.tcp.count('sack-invalid');
        continue;
      }
      if (seqLe(right, this.sndUna)) {
        // A D-SACK (RFC 2883), or a stale block of an ACK overtaken by a later one.
        this.tcp.count('dsack');
        continue;
      }
      // RFC 2883 4: a first block inside the second reports a duplicate above the ACK; adding it changes nothing.
      if (k === 0 && o.sackCount > 1 && seqGe(left, b[2]) && seqLe(right, b[3])) this.tcp.count('dsack');
      if (seqLt(left, this.sndUna)) left = this.sndUna;
      added += this.sb.add(left, right, this.sndUna);
    }
    return added;
  }

  /**
   * The receiver discarded data it had SACKed (RFC 2018 8 allows it; our own
   * assembler does when its block table is full). Forget the scoreboard and,
   * as Linux does (tcp_check_sack_reneging), let the retransmission timer fire
   * soon (half an RTT, at least 10 ms): the RTO recovery resends from SND.UNA.
   */
  private onSackReneging(): void {
    this.sb.clear();
    this.tcp.count('sack-reneging');
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'error', code: 'sack-reneging', detail: `the peer acknowledged ${this.sndUna} but had SACKed data from there: it discarded SACKed data` });
    if (this.persisting) return;
    const deadline = ctx.now + Math.max(this.rtt.srtt / 2, 10);
    if (!this.rtxTimer.armed || this.rtxTimer.deadline! > deadline) {
      this.rtxTimer.set(deadline);
      ctx.timer('start', this.rtxKind, this.name, deadline);
    }
  }

  /**
   * Resends [seq, end) (data, plus the FIN if the range covers it) as a
   * retransmission. With SACK the range comes from NextSeg (RFC 6675 4).
   */
  private resend(seq: number, end: number, cause: RetransmitCause): void {
    let dataEnd = end;
    let fin = false;
    if (this.finQueued && seqGt(this.sndMax, this.finSeq) && seqLe(seq, this.finSeq) && seqGt(end, this.finSeq)) {
      fin = true;
      dataEnd = this.finSeq;
    }
    const offset = seqDiff(seq, this.dataBase);
    const len = Math.min(seqDiff(dataEnd, seq), this.sendBuf.length - offset);
    if (offset < 0 || (len <= 0 && !fin)) return;
    this.emit(seq, ACK | (fin ? FIN : 0), offset, Math.max(0, len), cause);
    this.retransmits++;
    this.rttTiming = false; // Karn
    this.traceRetransmit(cause, seq, Math.max(0, len));
    if (!this.rtxTimer.armed) this.armRtx(); // RFC 6298 5.1
  }

  /** SND.WND update (RFC 9293 3.10.7.4 fifth, "If SND.UNA =< SEG.ACK =< SND.NXT"). */
  private updateWindow(seg: SegmentIn, force: boolean): void {
    if (force || seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      const wnd = seg.has(SYN) ? seg.wnd : seg.wnd << this.sndScale;
      this.sndWnd = wnd;
      if (wnd > this.maxSndWnd) this.maxSndWnd = wnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      if (wnd > 0 && this.persisting) {
        // The window opened: stop probing (RFC 9293 3.8.6.1).
        this.persisting = false;
        this.rtxTimer.cancel();
        this.tcp.ctx.timer('stop', 'persist', this.name);
        this.rtt.reset(this.rtt.hasSample ? this.rtt.rto : this.config.initialRtoMs);
        // A probe byte the peer has not acknowledged was dropped (its window was
        // zero): resume from SND.UNA so it goes out again with the data after it,
        // instead of stalling behind Nagle until the retransmission timer.
        if (seqLt(this.sndUna, this.sndNxt)) this.sndNxt = this.sndUna;
        if (seqGt(this.sndMax, this.sndUna)) this.armRtx();
      }
    }
  }

  /** Seventh and eighth steps: text and FIN. */
  private processData(seg: SegmentIn): void {
    const canReceive = this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2';
    const dataLen = seg.dataLen;
    let seq = seg.seq;
    if (seg.has(SYN)) seq = seqAdd(seq, 1);
    if (dataLen > 0) {
      if (!canReceive) {
        // RFC 9293 3.10.7.4 seventh: ignore text in CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT.
      } else if (this.closedByApp) {
        // Data for an application that closed: nobody will read it, so reset (RFC 9293 3.10.4, RFC 1122 4.2.2.13).
        this.sendRst(this.sndMax);
        this.becomeClosed('data after close: RST');
        return;
      } else {
        const before = this.rcvNxt;
        const hadHoles = this.recv.outOfOrder > 0;
        // Expert notes: data beyond a gap waits out of order; data up to our advertised edge fills the window.
        if (seqGt(seq, before)) this.rxExpert |= TcpExpertFlag.OUT_OF_ORDER;
        if (seqAdd(seq, dataLen) === this.rcvAdvRight) this.rxExpert |= TcpExpertFlag.WINDOW_FULL;
        const advanced = this.recv.add(seqDiff(seq, this.rcvNxt), seg.data);
        this.rcvNxt = seqAdd(this.rcvNxt, advanced);
        if (advanced > 0) this.onData?.();
        // RFC 5681 4.2: ACK at once for out-of-order data, duplicates and gap fills; else every second full segment.
        if (seq !== before || hadHoles || this.recv.lastAdd.duplicate > 0 || !this.config.delayedAck) {
          this.ackNow = true;
        } else {
          this.unackedSegs++;
          if (this.unackedSegs >= 2) this.ackNow = true;
          else if (!this.delackTimer.armed) {
            this.delackTimer.setIn(this.config.delayedAckMs);
            this.tcp.ctx.timer('start', 'delayed-ack', this.name, this.delackTimer.deadline);
          }
        }
      }
    }
    if (seg.has(FIN)) {
      this.peerFin = seqAdd(seq, dataLen);
      // A FIN ahead of missing data is an out-of-order segment: a duplicate ACK at once (RFC 5681 4.2).
      if (this.peerFin !== this.rcvNxt && !this.eof) this.ackNow = true;
      if (this.state === 'TIME_WAIT') {
        // RFC 9293 3.10.7.4 eighth: a retransmitted FIN: ACK it and restart the 2 MSL timer.
        this.ackNow = true;
        this.armCloseTimer(2 * this.config.mslMs, 'time-wait');
        return;
      }
    }
    // The FIN counts once every byte before it has arrived.
    if (this.peerFin !== undefined && !this.eof && this.rcvNxt === this.peerFin && canReceiveFin(this.state)) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.eof = true;
      this.ackNow = true;
      switch (this.state) {
        case 'SYN_RCVD':
        case 'ESTABLISHED':
          this.setState('CLOSE_WAIT', 'rcv FIN / snd ACK');
          break;
        case 'FIN_WAIT_1':
          if (this.finAcked()) this.enterTimeWait('rcv FIN / snd ACK');
          else this.setState('CLOSING', 'rcv FIN / snd ACK (simultaneous close)');
          break;
        case 'FIN_WAIT_2':
          this.enterTimeWait('rcv FIN / snd ACK');
          break;
      }
      this.onEnd?.();
    } else if (seg.has(FIN) && this.eof) {
      this.ackNow = true; // a retransmitted FIN
    }
  }

  // ================= sending =================

  /** The one place that sends data, FIN and ACKs. */
  dispatch(): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN_SENT' || this.state === 'SYN_RCVD') {
      if (this.ackNow && this.state === 'SYN_RCVD') this.ackNow = false;
      return;
    }
    if (this.state !== 'TIME_WAIT') this.sendData();
    if (this.ackNow) this.sendAck();
  }

  /**
   * Payload bytes that fit one segment now: the MSS less the SACK option we will
   * carry (Linux's tcp_current_mss), so a segment never outgrows the path MTU.
   */
  private segmentLimit(): number {
    if (!this.sackOk || this.recv.blockCount === 0) return this.sendMss;
    const blocks = Math.min(this.recv.blockCount, this.tsOk ? 3 : 4);
    return Math.max(1, this.sendMss - (4 + 8 * blocks));
  }

  private sendData(): void {
    if (this.sackOk) return this.sendDataSack();
    const mss = this.segmentLimit();
    for (;;) {
      // Limited transmit (RFC 3042): two extra segments on the first two duplicate ACKs.
      const bonus = !this.inRecovery && this.dupAcks > 0 && this.dupAcks < 3 ? this.dupAcks * mss : 0;
      const usable = Math.min(this.sndWnd, this.cwnd + bonus) - this.flightSize;
      if (this.sendNext(usable, mss) <= 0) return;
    }
  }

  /**
   * With SACK: outside recovery, as without, except that SACKed and lost data
   * do not count against cwnd (RFC 6675 5 step 3: limited transmit by pipe);
   * in fast recovery and after an RTO, RFC 6675 step (C): while cwnd - pipe >=
   * 1 SMSS, send what NextSeg() picks: lost holes (1), new data (2), other
   * holes (3), one rescue (4).
   */
  private sendDataSack(): void {
    const mss = this.segmentLimit();
    const sb = this.sb;
    const una = this.sndUna;
    let pipe = sb.pipe(una, this.sndMax, this.sendMss);
    if (!this.inRecovery && !this.inLoss) {
      for (;;) {
        const n = this.sendNext(Math.min(this.sndWnd - this.flightSize, this.cwnd - pipe), mss);
        if (n <= 0) return;
        pipe += n;
      }
    }
    while (this.cwnd - pipe >= this.sendMss) {
      let rule = sb.nextSeg(una, this.sndMax, mss, false, false);
      if (rule === 0) {
        const n = this.sendNext(Math.min(this.sndWnd - this.flightSize, this.cwnd - pipe), mss);
        if (n > 0) {
          pipe += n; // (C.3, C.4)
          continue;
        }
        rule = sb.nextSeg(una, this.sndMax, mss, true, this.inRecovery);
        if (rule === 0) return;
      }
      const start = sb.segStart;
      const end = sb.segEnd;
      this.resend(start, end, this.inLoss ? 'rto' : 'sack');
      if (rule === 4) {
        sb.rescueRxt = this.recover; // RescueRxt = RecoveryPoint; HighRxt unchanged
        sb.rescueSent = true;
      } else sb.highRxt = end; // (C.2)
      pipe += seqDiff(end, start); // (C.4)
    }
  }

  /**
   * Sends the segment at SND.NXT if `usable` bytes of window allow it and Nagle
   * and sender SWS avoidance agree (RFC 9293 3.7.4, 3.8.6.2.1); returns the
   * sequence space it took (0: nothing sent).
   */
  private sendNext(usable: number, mss: number): number {
    const offset = seqDiff(this.sndNxt, this.dataBase); // where SND.NXT is in the send buffer
    const avail = this.sendBuf.length - Math.max(0, offset);
    const finPending = this.finQueued && seqLe(this.sndNxt, this.finSeq) && !this.finAcked();
    if (avail <= 0 && !finPending) return 0;
    if (avail > 0 && this.sndWnd === 0 && this.flightSize === 0) {
      this.startPersist();
      return 0;
    }
    const len = Math.max(0, Math.min(avail, mss, usable));
    if (avail > 0 && len === 0) return 0; // window full
    if (len > 0 && len < mss && len < avail) {
      if (len < this.maxSndWnd / 2) return 0; // wait for a bigger window
    }
    if (len > 0 && len < mss && len === avail && this.config.nagle && this.flightSize > 0 && !this.finQueued) return 0;
    const fin = finPending && len === avail;
    if (len === 0 && !fin) return 0;
    if (fin && seqGt(this.sndNxt, this.finSeq)) return 0;
    const seq = this.sndNxt;
    const retransmission = seqLt(seq, this.sndMax);
    this.emit(seq, ACK | (len > 0 && len === avail ? PSH : 0) | (fin ? FIN : 0), Math.max(0, offset), len, retransmission ? this.retransmitCause : undefined);
    if (retransmission) {
      this.retransmits++;
      this.traceRetransmit(this.retransmitCause, seq, len);
    } else if (!this.rttTiming && len > 0) {
      this.rttTiming = true;
      this.rttSeq = seqAdd(seq, len);
      this.rttTime = this.tcp.ctx.now;
    }
    this.sndNxt = seqAdd(seq, len + (fin ? 1 : 0));
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    if (!this.rtxTimer.armed) this.armRtx();
    return len + (fin ? 1 : 0);
  }

  private retransmitCause: RetransmitCause = 'rto';

  /** Resends the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitFirst(cause: 'dupack' | 'partial-ack'): void {
    const offset = seqDiff(this.sndUna, this.dataBase);
    // Only what was sent before: never new data past SND.MAX (which would go unrecorded).
    const len = Math.min(this.segmentLimit(), this.sendBuf.length - Math.max(0, offset), seqDiff(this.sndMax, this.sndUna));
    const fin = this.finQueued && len <= 0 && this.sndUna === this.finSeq && seqGt(this.sndMax, this.finSeq);
    if (len <= 0 && !fin) return;
    this.emit(this.sndUna, ACK | (fin ? FIN : 0), Math.max(0, offset), Math.max(0, len), cause);
    this.retransmits++;
    this.rttTiming = false; // Karn
    this.traceRetransmit(cause, this.sndUna, Math.max(0, len));
  }

  /**
   * A pure ACK carries the highest sequence number sent, not a SND.NXT that an
   * RTO rewound: the peer has already seen up to there, and anything lower
   * would be "unacceptable" to it and draw an ACK back (an ACK war).
   */
  private sendAck(): void {
    this.emit(this.sndMax, ACK, 0, 0);
  }

  private sendSyn(withAck: boolean, resend?: 'syn'): void {
    this.emit(this.iss, SYN | (withAck ? ACK : 0), 0, 0, resend);
  }

  private sendRst(seq: number): void {
    this.emit(seq, RST | ACK, 0, 0);
  }

  /**
   * Builds one segment straight into a frame: header, options, data from the
   * send buffer, checksum. `resend` says why a segment that is not new data is
   * sent (for the expert note on its frame).
   */
  private emit(seq: number, flags: number, dataOffset: number, len: number, resend?: ResendNote): void {
    const isSyn = (flags & SYN) !== 0;
    const isRst = (flags & RST) !== 0;
    // Options: on SYN in Linux's order (MSS, SACK_PERM, TS, NOP, WS); later NOP,NOP,TS and SACK blocks.
    let optLen = 0;
    let sackCount = 0;
    if (isSyn) {
      optLen = 4 + (this.config.timestamps ? (this.config.sack ? 12 : 12) : this.config.sack ? 4 : 0) + (this.config.windowScaling ? 4 : 0);
      if (!this.config.timestamps && this.config.sack) optLen = 4 + 4 + (this.config.windowScaling ? 4 : 0);
      if (this.passive || this.state === 'SYN_RCVD') {
        // SYN,ACK: only echo what the peer offered.
        optLen = 4 + (this.tsOk ? (this.sackOk ? 12 : 12) : this.sackOk ? 4 : 0) + (this.sndScale > 0 || this.rcvScaleAgreed() ? 4 : 0);
        if (!this.tsOk && this.sackOk) optLen = 8 + (this.rcvScaleAgreed() ? 4 : 0);
      }
    } else if (!isRst) {
      if (this.tsOk) optLen += 12;
      if (this.sackOk && (flags & ACK) !== 0) {
        sackCount = this.recv.writeSackBlocks(this.rcvNxt, this.sackScratch, this.tsOk ? 3 : 4);
        if (sackCount > 0) optLen += 4 + 8 * sackCount;
      }
    }
    const hl = TCP.MIN_HEADER_LEN + optLen;
    const frame = this.tcp.ip.allocate(hl + len);
    const o = HEADROOM;
    put16(frame, o + TCP.SRC_PORT, this.localPort);
    put16(frame, o + TCP.DST_PORT, this.remotePort);
    put32(frame, o + TCP.SEQ, seq);
    const ackField = (flags & ACK) !== 0 ? this.rcvNxt : 0;
    put32(frame, o + TCP.ACK, ackField);
    frame[o + TCP.DATA_OFF] = (hl >>> 2) << 4;
    frame[o + TCP.FLAGS] = flags;
    const wnd = this.advertisableWindow();
    // RFC 7323 2.2: the window in a SYN is never scaled.
    const wndField = isSyn ? Math.min(wnd, 0xffff) : Math.min(wnd >>> this.rcvScale, 0xffff);
    put16(frame, o + TCP.WINDOW, wndField);
    const expert = (flags & ACK) !== 0 || resend !== undefined ? this.txExpert(seq, flags, len, ackField, wndField, resend) : 0;
    if (!isSyn) this.rcvAdvRight = seqAdd(this.rcvNxt, Math.min(wnd, 0xffff << this.rcvScale));
    else this.rcvAdvRight = seqAdd(this.rcvNxt, Math.min(wnd, 0xffff));
    let p = o + TCP.MIN_HEADER_LEN;
    if (isSyn) p = this.writeSynOptions(frame, p, (flags & ACK) !== 0);
    else if (!isRst) {
      if (this.tsOk) {
        frame[p++] = 1;
        frame[p++] = 1;
        frame[p++] = 8;
        frame[p++] = 10;
        put32(frame, p, this.tsNow());
        put32(frame, p + 4, this.tsRecent);
        p += 8;
      }
      if (sackCount > 0) {
        frame[p++] = 1;
        frame[p++] = 1;
        frame[p++] = 5;
        frame[p++] = 2 + 8 * sackCount;
        for (let i = 0; i < 2 * sackCount; i++, p += 4) put32(frame, p, this.sackScratch[i]);
      }
    }
    if (len > 0) this.sendBuf.copyOut(dataOffset, len, frame, o + hl);
    const total = hl + len;
    put16(frame, o + TCP.CHECKSUM, checksum(frame, o, total, pseudoHeaderSum(this.localAddr, this.remoteAddr, IpProtocol.TCP, total)));
    if ((flags & ACK) !== 0) {
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
      this.unackedSegs = 0;
      if (this.delackTimer.armed) {
        this.delackTimer.cancel();
        this.tcp.ctx.timer('stop', 'delayed-ack', this.name);
      }
    }
    this.segsOut++;
    const ctx = this.tcp.ctx;
    if (expert !== 0 && ctx.tracing) {
      const retransmitted = (expert & TcpExpertFlag.RETRANSMISSION) !== 0;
      ctx.noteFrame(frame, retransmitted ? { flags: expert, cause: resend } : (expert & TcpExpertFlag.DUPLICATE_ACK) !== 0 ? { flags: expert, dupAck: this.dupAcksSent } : { flags: expert });
    }
    this.tcp.output(frame, total, this.localAddr, this.remoteAddr);
  }

  /** The ACK number and window field of the last ACK we sent, and how many times in a row it was repeated. */
  private lastAckField = -1;
  private lastWndField = -1;
  private dupAcksSent = 0;

  /**
   * Expert findings about an ACK-bearing segment we are about to send, as
   * TcpExpertFlag bits, from our own state (no guessing from the capture):
   * a resend and its cause, a duplicate ACK (same ACK and window as the last,
   * RFC 5681 2), a window update, a zero window, a segment that fills the
   * peer's window.
   */
  private txExpert(seq: number, flags: number, len: number, ackField: number, wndField: number, resend: ResendNote | undefined): number {
    let bits = 0;
    if (resend === 'probe') bits |= TcpExpertFlag.ZERO_WINDOW_PROBE;
    else if (resend === 'keepalive') bits |= TcpExpertFlag.KEEP_ALIVE;
    else if (resend !== undefined) bits |= TcpExpertFlag.RETRANSMISSION;
    if ((flags & ACK) === 0) return bits;
    const pureAck = flags === ACK && len === 0 && resend === undefined;
    if (pureAck && ackField === this.lastAckField && wndField === this.lastWndField) {
      this.dupAcksSent++;
      bits |= TcpExpertFlag.DUPLICATE_ACK;
    } else {
      this.dupAcksSent = 0;
      if (pureAck && ackField === this.lastAckField && wndField > this.lastWndField) bits |= TcpExpertFlag.WINDOW_UPDATE;
    }
    if (resend !== 'keepalive') {
      this.lastAckField = ackField;
      this.lastWndField = wndField;
    }
    if (wndField === 0 && (flags & (SYN | FIN | RST)) === 0) bits |= TcpExpertFlag.ZERO_WINDOW;
    if (len > 0 && resend !== 'probe' && seqAdd(seq, len) === seqAdd(this.sndUna, this.sndWnd)) bits |= TcpExpertFlag.WINDOW_FULL;
    return bits;
  }

  /** TcpExpertFlag bits found while taking in the current segment (input()). */
  private rxExpert = 0;

  private traceRxExpert(frameId: number): void {
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'expert', frameId, flags: this.rxExpert });
  }

  private readonly sackScratch = new Uint32Array(8);

  private rcvScaleAgreed(): boolean {
    return this.config.windowScaling && this.sndScale >= 0 && this.rcvScale > 0;
  }

  private writeSynOptions(frame: Uint8Array, p: number, synAck: boolean): number {
    const ts = synAck ? this.tsOk : this.config.timestamps;
    const sack = synAck ? this.sackOk : this.config.sack;
    const ws = synAck ? this.rcvScaleAgreed() || (this.config.windowScaling && this.sndScale > 0) : this.config.windowScaling;
    frame[p++] = 2;
    frame[p++] = 4;
    put16(frame, p, this.ourMss);
    p += 2;
    if (ts) {
      if (sack) {
        frame[p++] = 4;
        frame[p++] = 2;
      } else {
        frame[p++] = 1;
        frame[p++] = 1;
      }
      frame[p++] = 8;
      frame[p++] = 10;
      put32(frame, p, this.tsNow());
      put32(frame, p + 4, synAck ? this.tsRecent : 0);
      p += 8;
    } else if (sack) {
      frame[p++] = 1;
      frame[p++] = 1;
      frame[p++] = 4;
      frame[p++] = 2;
    }
    if (ws) {
      frame[p++] = 1;
      frame[p++] = 3;
      frame[p++] = 3;
      frame[p++] = this.rcvScale;
    }
    return p;
  }

  /** RCV.WND: free buffer space (RFC 9293 3.8.6.2.2 receiver SWS avoidance: the right edge moves in steps of at least min(buffer/2, MSS)). */
  private advertisableWindow(): number {
    const free = this.recv.window;
    const right = seqAdd(this.rcvNxt, free);
    const step = Math.min(this.config.receiveBuffer / 2, this.sendMss);
    const advertised = seqDiff(this.rcvAdvRight, this.rcvNxt);
    if (advertised >= 0 && seqGt(right, this.rcvAdvRight) && seqDiff(right, this.rcvAdvRight) < step) return advertised;
    return free;
  }

  private tsNow(): number {
    return (Math.floor(this.tcp.ctx.now) + this.tsOffset) >>> 0;
  }

  private queueFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    // Nothing more can be written: onWritable would only invite a write that fails (EBADF).
    this.wantWritable = false;
    this.writableDue = false;
    this.finSeq = seqAdd(this.dataBase, this.sendBuf.length);
    if (this.state === 'ESTABLISHED') this.setState('FIN_WAIT_1', this.closedByApp ? 'close / snd FIN' : 'shutdown / snd FIN');
    else if (this.state === 'CLOSE_WAIT') this.setState('LAST_ACK', 'close / snd FIN');
    else if (this.state === 'SYN_RCVD') {
      // RFC 9293 3.10.4: FIN goes once established; send it now as Linux does after the handshake completes.
      this.setState('FIN_WAIT_1', 'close / snd FIN');
    }
    this.dispatch();
  }

  private finAcked(): boolean {
    return this.finQueued && seqGt(this.sndUna, this.finSeq);
  }

  // ================= timers =================

  private armRtx(): void {
    this.rtxKind = this.persisting ? 'persist' : this.state === 'SYN_SENT' ? 'syn' : this.state === 'SYN_RCVD' ? 'synack' : 'rto';
    const deadline = this.tcp.ctx.now + this.rtt.rto;
    this.rtxTimer.set(deadline);
    this.tcp.ctx.timer('start', this.rtxKind, this.name, deadline);
  }

  /** RFC 6298 5.4-5.7 (and SYN / SYN,ACK / persist retransmission). */
  private onRetransmitTimer(): void {
    const ctx = this.tcp.ctx;
    ctx.timer('fire', this.rtxKind, this.name);
    if (this.persisting) return this.onPersist();
    this.retries++;
    if (this.state === 'SYN_SENT') {
      if (this.retries > this.config.synRetries) return this.fail('ETIMEDOUT', `Connection to ${formatIpv4(this.remoteAddr)}:${this.remotePort} timed out: no answer to ${this.retries} SYNs.`, 'SYN retries exhausted');
      this.rtt.backoff();
      this.sendSyn(false, 'syn');
      this.retransmits++;
      this.traceRetransmit('syn', this.iss, 0);
      return this.armRtx();
    }
    if (this.state === 'SYN_RCVD') {
      if (this.retries > this.config.synAckRetries) return this.becomeClosed('SYN,ACK retries exhausted: half-open connection freed');
      this.rtt.backoff();
      this.sendSyn(true, 'syn');
      this.retransmits++;
      this.traceRetransmit('syn', this.iss, 0);
      return this.armRtx();
    }
    if (this.retries > this.config.maxRetries) return this.fail('ETIMEDOUT', `Connection timed out: ${this.config.maxRetries} retransmissions went unanswered.`, 'retransmissions exhausted');
    // RFC 5681 3.1 eq. 4: ssthresh once per loss episode; cwnd to one segment (the loss window).
    this.cc.onRto(this.flightSize, ctx.now, !this.lossEpisode);
    this.lossEpisode = true;
    this.inRecovery = false;
    this.dupAcks = 0;
    // RFC 6582 4.1 / RFC 6675 5.1: RecoveryPoint = HighData; no fast recovery for this window's losses.
    this.recover = this.sndMax;
    this.rtt.backoff();
    this.rttTiming = false; // Karn
    if (this.tsOk) this.tsRtoMark = this.tsNow();
    this.cwndEvent('RTO');
    this.retransmitCause = 'rto';
    this.armRtx();
    if (this.sackOk) {
      // RFC 6675 5.1: every un-SACKed octet outstanding is lost; resend those from SND.UNA on, in
      // slow start, skipping what the peer SACKs. RFC 2018 8 says to forget the SACKs held so far
      // (the receiver may have reneged); Linux keeps them unless it saw reneging (config rtoKeepsSack).
      if (!this.config.rtoKeepsSack) this.sb.clear();
      this.sb.highRxt = this.sndUna;
      this.sb.lostMark = this.sndMax;
      this.sb.rescueSent = false;
      this.inLoss = true;
      this.sendData();
      return;
    }
    // Go back: resend from the first unacknowledged byte.
    this.sndNxt = this.sndUna;
    this.sendData();
    if (this.flightSize === 0 && this.finQueued && !this.finAcked()) this.sendData();
  }

  private startPersist(): void {
    if (this.persisting) return;
    this.persisting = true;
    this.rtxKind = 'persist';
    this.armRtx();
  }

  /** RFC 9293 3.8.6.1: probe a zero window with one byte, backing off, forever (RFC 1122 4.2.2.17). */
  private onPersist(): void {
    const offset = seqDiff(this.sndUna, this.dataBase);
    if (this.sendBuf.length - offset <= 0) {
      this.persisting = false;
      return;
    }
    this.emit(this.sndUna, ACK, Math.max(0, offset), 1, 'probe');
    if (seqGe(this.sndUna, this.sndNxt)) {
      this.sndNxt = seqAdd(this.sndUna, 1);
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    }
    this.traceRetransmit('probe', this.sndUna, 1);
    this.rtt.backoff();
    this.armRtx();
  }

  private onDelayedAck(): void {
    this.tcp.ctx.timer('fire', 'delayed-ack', this.name);
    if (this.state === 'CLOSED') return;
    this.ackNow = true;
    this.dispatch();
  }

  private armKeepalive(): void {
    if (!this.config.keepalive || !this.synchronized()) return;
    this.keepProbes = 0;
    const deadline = this.lastHeard + this.config.keepIdleMs;
    this.keepTimer.set(deadline);
  }

  /** RFC 1122 4.2.3.6: after idle time, probe with SEG.SEQ = SND.NXT - 1 and no data. */
  private onKeepalive(): void {
    const ctx = this.tcp.ctx;
    ctx.timer('fire', 'keepalive', this.name);
    if (!this.synchronized()) return;
    // Heard from the peer since the timer was set: wait out the idle time from then. The
    // deadline is compared as armKeepalive computed it: `now - lastHeard < keepIdleMs` can be
    // true at that very deadline on a fractional clock, and re-armed the timer there forever.
    const idleDeadline = this.lastHeard + this.config.keepIdleMs;
    if (this.keepProbes === 0 && ctx.now < idleDeadline) {
      this.keepTimer.set(idleDeadline);
      return;
    }
    if (this.keepProbes >= this.config.keepCount) {
      this.sendRst(this.sndMax);
      return this.fail('ETIMEDOUT', `The peer stopped answering keepalive probes (${this.keepProbes} unanswered).`, 'keepalive probes unanswered / snd RST');
    }
    this.keepProbes++;
    this.emit(seqAdd(this.sndMax, -1), ACK, 0, 0, 'keepalive');
    this.traceRetransmit('keepalive', seqAdd(this.sndMax, -1), 0);
    this.keepTimer.setIn(this.config.keepIntervalMs);
    ctx.timer('start', 'keepalive', this.name, this.keepTimer.deadline);
  }

  private enterTimeWait(cause: StateCause): void {
    this.stopTimer(this.rtxTimer, this.rtxKind);
    this.stopTimer(this.keepTimer, 'keepalive');
    if (!this.config.timeWait) {
      this.setState('TIME_WAIT', cause);
      return this.becomeClosed('TIME_WAIT disabled');
    }
    this.setState('TIME_WAIT', cause);
    this.armCloseTimer(2 * this.config.mslMs, 'time-wait');
  }

  private armCloseTimer(ms: number, kind: 'time-wait' | 'fin-wait-2'): void {
    // FIN_WAIT_2's limit gives way to 2 MSL when the peer's FIN arrives.
    if (kind === 'time-wait') this.stopTimer(this.closeTimer, 'fin-wait-2');
    this.closeTimer.setIn(ms);
    this.tcp.ctx.timer('start', kind, this.name, this.closeTimer.deadline);
  }

  private onCloseTimer(): void {
    this.tcp.ctx.timer('fire', this.state === 'TIME_WAIT' ? 'time-wait' : 'fin-wait-2', this.name);
    this.becomeClosed(this.state === 'TIME_WAIT' ? '2 MSL timeout' : 'FIN_WAIT_2 timeout');
  }

  // ================= helpers =================

  private lastOowAck = -Infinity;

  /**
   * RFC 9293 3.10.7.4 says to ACK an unacceptable segment; like Linux
   * (tcp_invalid_ratelimit, 500 ms) we do it at most twice a second per
   * connection for segments that occupy no sequence space (pure ACKs), so two
   * confused peers cannot ping-pong ACKs forever. A segment with data or FIN
   * is not part of such a loop and is always answered (Linux's
   * tcp_oow_rate_limited exempts them too): a duplicate means our ACK was
   * lost, and the sender needs another one.
   */
  private ackOutOfWindow(seg: SegmentIn): void {
    if (seg.len > 0 && !seg.has(SYN)) {
      this.ackNow = true;
      return;
    }
    const now = this.tcp.ctx.now;
    if (now - this.lastOowAck < 500) return;
    this.lastOowAck = now;
    this.ackNow = true;
  }

  /** RFC 5961 4.2 / 3.2: a rate-limited challenge ACK instead of acting on a suspicious SYN or RST. */
  private challengeAck(why: string): void {
    this.tcp.count('challenge-ack');
    if (this.tcp.takeChallengeToken()) {
      this.ackNow = true;
      this.tcp.ctx.emit({ type: 'tcp', t: this.tcp.ctx.now, host: this.tcp.ctx.hostName, conn: this.name, what: 'error', code: 'challenge-ack', detail: why });
    }
  }

  synchronized(): boolean {
    switch (this.state) {
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
      case 'CLOSING':
      case 'LAST_ACK':
      case 'TIME_WAIT':
        return true;
      default:
        return false;
    }
  }

  private setState(to: TcpState, cause: StateCause | FailedCause): void {
    const from = this.state;
    this.state = to;
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'state', from, to, cause });
  }

  /** The variables the windows panel draws (TcpVarsEvent); callers check ctx.tracing first. */
  private traceVars(): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN') return;
    const ctx = this.tcp.ctx;
    const held: number[] = [];
    for (const [l, r] of this.recv.blocks(this.rcvNxt)) held.push(l, r);
    const sacked: number[] = [];
    for (const [l, r] of this.sb.ranges()) sacked.push(l, r);
    ctx.emit({
      type: 'tcp',
      t: ctx.now,
      host: ctx.hostName,
      conn: this.name,
      what: 'vars',
      state: this.state,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      sndWnd: this.sndWnd,
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      flight: this.flightSize,
      sendQueued: this.sendBuf.length,
      mss: this.sendMss,
      srtt: this.rtt.srtt,
      rttvar: this.rtt.rttvar,
      rto: this.rtt.rto,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.advertisableWindow(),
      unread: this.recv.readable,
      held,
      sacked,
    });
  }

  private cwndEvent(cause: string): void {
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'cwnd', cwnd: this.cwnd, ssthresh: this.ssthresh, cause });
  }

  /** An RTT sample and the estimator after it (RFC 6298 2.2-2.3), for the RTT plot. */
  private traceRtt(sample: number, source: 'timed' | 'timestamp'): void {
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'rtt', sample, source, srtt: this.rtt.srtt, rttvar: this.rtt.rttvar, rto: this.rtt.rto });
  }

  private traceRetransmit(cause: RetransmitCause | 'syn' | 'probe' | 'keepalive', seq: number, len: number): void {
    const ctx = this.tcp.ctx;
    ctx.counters.inc('tcp', 'retransmits');
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'retransmit', cause, seq, len });
  }

  /** `event` says what happened, as the state diagram labels a transition ("rcv RST"); the code is added to it. */
  private fail(code: FailCode, message: string, event: StateCause): void {
    const ctx = this.tcp.ctx;
    if (ctx.tracing) ctx.emit({ type: 'tcp', t: ctx.now, host: ctx.hostName, conn: this.name, what: 'error', code, detail: message });
    this.becomeClosed(`${event} (${code})`);
    this.onError?.(new SocketError(code as never, message));
  }

  /** Cancels a timer; if it was running, the trace hears that it stopped (a timer's every start ends in a stop or a fire). */
  private stopTimer(timer: Timer, kind: string): void {
    if (!timer.armed) return;
    timer.cancel();
    this.tcp.ctx.timer('stop', kind, this.name);
  }

  /** Everything stops; the layer forgets the connection. */
  private becomeClosed(cause: StateCause | FailedCause): void {
    this.stopTimer(this.rtxTimer, this.rtxKind);
    this.stopTimer(this.delackTimer, 'delayed-ack');
    this.stopTimer(this.keepTimer, 'keepalive');
    this.stopTimer(this.closeTimer, this.state === 'TIME_WAIT' ? 'time-wait' : 'fin-wait-2');
    const wasListed = this.state !== 'CLOSED';
    if (this.state !== 'CLOSED') this.setState('CLOSED', cause);
    this.listener?.forget(this);
    this.listener = undefined;
    if (wasListed) this.tcp.forget(this);
    this.onClose?.();
  }
}

function canReceiveFin(state: TcpState): boolean {
  return state === 'SYN_RCVD' || state === 'ESTABLISHED' || state === 'FIN_WAIT_1' || state === 'FIN_WAIT_2';
}
