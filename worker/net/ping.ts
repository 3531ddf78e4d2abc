/**
 * ping(8) over our ICMP: echo requests at an interval, replies matched by
 * identifier and sequence, RTT from the stack clock, duplicates and ICMP errors
 * reported, and the same summary lines iputils prints.
 */

import { formatIpv4, type Ipv4Addr } from '../wire/addr';
import type { Timer } from '../sim/scheduler';
import type { StackContext } from '../trace/context';
import type { EchoListener, Icmp, IcmpErrorInfo } from './icmp';
import type { IpRxInfo } from './ipv4';

export interface PingOptions {
  /** Requests to send; 0 means until stop(). Default 4. */
  count?: number;
  /** Between requests, ms. Default 1000. */
  intervalMs?: number;
  /** Data bytes after the 8-byte ICMP header. Default 56 (ping's default: 64-byte ICMP, 84-byte IP). */
  size?: number;
  /** IP TTL of the requests. Default: the host's. */
  ttl?: number;
  /** How long to wait for replies after the last request, ms. Default 10 000 (ping -W). */
  timeoutMs?: number;
}

export type PingEvent =
  | { kind: 'start'; line: string }
  | { kind: 'sent'; seq: number }
  | { kind: 'reply'; seq: number; from: Ipv4Addr; bytes: number; ttl: number; rttMs: number; duplicate: boolean; line: string }
  | { kind: 'error'; seq: number; from: Ipv4Addr; message: string; line: string }
  | { kind: 'send-failed'; seq: number; reason: string; line: string }
  | { kind: 'done'; summary: PingSummary };

export interface PingSummary {
  dst: Ipv4Addr;
  transmitted: number;
  received: number;
  duplicates: number;
  errors: number;
  lossPercent: number;
  /** From the first request to the end, ms. */
  timeMs: number;
  rttMinMs: number | undefined;
  rttAvgMs: number | undefined;
  rttMaxMs: number | undefined;
  rttMdevMs: number | undefined;
  /** The statistics block, as ping prints it. */
  text: string;
}

export class PingSession implements EchoListener {
  readonly ident: number;
  readonly count: number;
  readonly intervalMs: number;
  readonly size: number;
  readonly timeoutMs: number;
  /** Every line ping would print, header first. */
  readonly lines: string[] = [];
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private readonly answered = new Set<number>();
  private rtts: number[] = [];
  private duplicates = 0;
  private errors = 0;
  private startedAt = 0;
  private readonly timer: Timer;
  private finished = false;
  private result: PingSummary | undefined;

  constructor(
    private readonly ctx: StackContext,
    private readonly icmp: Icmp,
    readonly dst: Ipv4Addr,
    options: PingOptions,
    private readonly onEvent: (e: PingEvent) => void = () => {},
  ) {
    this.count = Math.max(0, Math.floor(options.count ?? 4));
    this.intervalMs = Math.max(1, options.intervalMs ?? 1000);
    this.size = Math.min(65507 - 8, Math.max(0, Math.floor(options.size ?? 56)));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.ttl = options.ttl;
    this.ident = icmp.addEchoListener(this);
    this.timer = ctx.scheduler.timer(() => this.tick(), `ping ${formatIpv4(dst)}`);
    this.lines.push(`PING ${formatIpv4(dst)} (${formatIpv4(dst)}) ${this.size}(${this.size + 28}) bytes of data.`);
  }

  private readonly ttl: number | undefined;

  get done(): boolean {
    return this.finished;
  }

  start(): this {
    this.startedAt = this.ctx.now;
    this.onEvent({ kind: 'start', line: this.lines[0] });
    this.tick();
    return this;
  }

  /** Stops sending and finishes (like Ctrl-C). */
  stop(): PingSummary {
    if (!this.finished) this.finish();
    return this.result!;
  }

  summary(): PingSummary {
    return this.result ?? this.buildSummary();
  }

  private tick(): void {
    if (this.finished) return;
    if (this.count === 0 || this.seq < this.count) {
      this.sendNext();
      if (this.count === 0 || this.seq < this.count) {
        this.timer.set(this.ctx.now + this.intervalMs);
        return;
      }
      this.timer.set(this.ctx.now + this.timeoutMs);
      this.maybeFinish();
      return;
    }
    this.finish(); // waited long enough for the last replies
  }

  private sendNext(): void {
    const seq = ++this.seq;
    const data = new Uint8Array(this.size);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    // Like iputils, the data starts with the send time (struct timeval, little-endian as on x86 Linux).
    if (data.length >= 16) {
      const us = Math.round(this.ctx.now * 1000);
      writeLe32(data, 0, Math.floor(us / 1e6));
      writeLe32(data, 4, 0);
      writeLe32(data, 8, us % 1e6);
      writeLe32(data, 12, 0);
    }
    this.sentAt.set(seq, this.ctx.now);
    const status = this.icmp.sendEcho(this.dst, this.ident, seq & 0xffff, data, this.ttl);
    if (status === 'ok') {
      this.onEvent({ kind: 'sent', seq });
    } else {
      const reason = status === 'no-route' ? 'Network is unreachable' : status === 'too-big' ? 'Message too long' : 'Network is down';
      const line = `ping: sendmsg: ${reason}`;
      this.lines.push(line);
      this.errors++;
      this.onEvent({ kind: 'send-failed', seq, reason, line });
    }
  }

  echoReply(info: IpRxInfo, wireSeq: number, data: Uint8Array): void {
    const seq = this.matchSeq(wireSeq);
    const sent = seq === undefined ? undefined : this.sentAt.get(seq);
    if (seq === undefined || sent === undefined || this.finished) return;
    const rtt = this.ctx.now - sent;
    const duplicate = this.answered.has(seq);
    if (duplicate) this.duplicates++;
    else {
      this.answered.add(seq);
      this.rtts.push(rtt);
    }
    const bytes = data.length + 8;
    const line = `${bytes} bytes from ${formatIpv4(info.src)}: icmp_seq=${seq} ttl=${info.ttl} time=${formatRtt(rtt)} ms${duplicate ? ' (DUP!)' : ''}`;
    this.lines.push(line);
    this.onEvent({ kind: 'reply', seq, from: info.src, bytes, ttl: info.ttl, rttMs: rtt, duplicate, line });
    this.maybeFinish();
  }

  echoError(error: IcmpErrorInfo, wireSeq: number): void {
    const seq = this.matchSeq(wireSeq);
    if (seq === undefined || this.finished) return;
    this.errors++;
    const line = `From ${formatIpv4(error.reporter)} icmp_seq=${seq} ${error.message}`;
    this.lines.push(line);
    this.onEvent({ kind: 'error', seq, from: error.reporter, message: error.message, line });
    this.answered.add(seq);
    this.maybeFinish();
  }

  /** Maps a 16-bit wire sequence back to our counter (which may have wrapped). */
  private matchSeq(wireSeq: number): number | undefined {
    for (let s = this.seq; s > 0 && s > this.seq - 0x10000; s--) if ((s & 0xffff) === wireSeq) return s;
    return undefined;
  }

  private maybeFinish(): void {
    if (this.count > 0 && this.seq >= this.count && this.answered.size >= this.count) this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.timer.cancel();
    this.icmp.removeEchoListener(this.ident);
    this.result = this.buildSummary();
    this.lines.push(...this.result.text.split('\n'));
    this.onEvent({ kind: 'done', summary: this.result });
  }

  private buildSummary(): PingSummary {
    const transmitted = this.seq;
    const received = this.rtts.length;
    const lossPercent = transmitted === 0 ? 0 : Math.round(((transmitted - received) / transmitted) * 100 * 1000) / 1000;
    const timeMs = Math.round(this.ctx.now - this.startedAt);
    let min: number | undefined, max: number | undefined, avg: number | undefined, mdev: number | undefined;
    if (received > 0) {
      min = Math.min(...this.rtts);
      max = Math.max(...this.rtts);
      avg = this.rtts.reduce((a, b) => a + b, 0) / received;
      const avg2 = this.rtts.reduce((a, b) => a + b * b, 0) / received;
      mdev = Math.sqrt(Math.max(0, avg2 - avg * avg));
    }
    const parts = [`${transmitted} packets transmitted`, `${received} received`];
    if (this.duplicates) parts.push(`+${this.duplicates} duplicates`);
    if (this.errors) parts.push(`+${this.errors} errors`);
    parts.push(`${formatLoss(lossPercent)}% packet loss`, `time ${timeMs}ms`);
    let text = `--- ${formatIpv4(this.dst)} ping statistics ---\n${parts.join(', ')}`;
    if (received > 0) text += `\nrtt min/avg/max/mdev = ${[min!, avg!, max!, mdev!].map((x) => x.toFixed(3)).join('/')} ms`;
    return {
      dst: this.dst,
      transmitted,
      received,
      duplicates: this.duplicates,
      errors: this.errors,
      lossPercent,
      timeMs,
      rttMinMs: min,
      rttAvgMs: avg,
      rttMaxMs: max,
      rttMdevMs: mdev,
      text,
    };
  }
}

/** ping prints 3 significant decimals below 100 ms and fewer above. */
function formatRtt(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2); // iputils: 3 significant digits ("3.10"), 3 decimals below 1 ms
  return ms.toFixed(3);
}

function formatLoss(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(3).replace(/0+$/, '');
}

function writeLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
