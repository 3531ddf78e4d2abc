/**
 * Runs a conformance script against one host on the virtual clock.
 *
 * The runner walks the script line by line. `<` lines advance the clock to
 * their time and inject a segment from the peer; `>` lines take the next
 * segment the stack sent (running the clock until one leaves, at most to the
 * line's time plus the tolerance) and compare every field; calls, settings
 * and assertions act on the host's socket API. Before each injection and each
 * call, and after the last line, nothing the script did not expect may be
 * waiting: no segment, no other frame, no error the connection reported.
 *
 * Numbers in scripts are relative (packetdrill's convention): our sequence
 * numbers to our ISN (learned from the stack's SYN or SYN,ACK, or fixed with
 * --local-isn), the peer's to --remote-isn, and our TSval to our clock in ms
 * (RFC 7323 5.4's random per-connection offset is learned from the first
 * timestamp the stack sends and removed).
 */

import { readFileSync } from 'node:fs';
import type { TcpListener } from '../../../worker/transport/tcp/tcp';
import type { TcpSocket } from '../../../worker/transport/tcp/tcb';
import type { TcpConfig, TcpState } from '../../../worker/transport/tcp/config';
import { SocketError } from '../../../worker/transport/udp';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../../worker/wire/tcp';
import { formatFlags, formatSent, formatSentOptions, formatSpec, formatTime, type Refs } from './format';
import { Harness, type Sent } from './harness';
import { parseScript, ScriptError, type CallResult, type CompareOp, type OptSpec, type ScriptLine, type SegSpec, type Step } from './syntax';

const { SYN, FIN, ACK } = TcpFlag;

export const DEFAULT_TOLERANCE_MS = 10;
export const DEFAULT_LOCAL_PORT = 8080;
export const DEFAULT_REMOTE_PORT = 40000;
/** How far a `*` line may run the clock looking for its event: one virtual day. */
const ANY_TIME_LIMIT_MS = 86_400_000;

export interface RunOptions {
  /** Receives every event as it happens, in script syntax (the CLI's --trace). */
  trace?: (line: string) => void;
}

export interface Failure {
  file: string;
  /** 0 when the failure is not tied to a line (the end of the script). */
  line: number;
  /** The script line, as written. */
  source: string;
  message: string;
  details: string[];
}

export interface RunResult {
  file: string;
  ok: boolean;
  failure?: Failure;
  /** Human-readable: "PASS file" or the failure with its diff. */
  report: string;
}

/** A failed expectation while running (not a script mistake). */
class RunFailure extends Error {
  constructor(
    readonly lineNo: number,
    readonly source: string,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export function runScriptFile(path: string, opts: RunOptions = {}): RunResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return failed({ file: path, line: 0, source: '', message: `cannot read the script: ${(e as Error).message}`, details: [] });
  }
  return runScriptText(text, path, opts);
}

export function runScriptText(text: string, file: string, opts: RunOptions = {}): RunResult {
  let lines: ScriptLine[];
  try {
    lines = parseScript(text, file).lines;
  } catch (e) {
    if (e instanceof ScriptError) return failed({ file, line: e.line, source: e.source, message: `script error: ${e.detail}`, details: [] });
    throw e;
  }
  const runner = new Runner(file, opts);
  try {
    runner.run(lines);
    return { file, ok: true, report: `PASS ${file}` };
  } catch (e) {
    if (e instanceof RunFailure) {
      return failed({ file, line: e.lineNo, source: e.source, message: e.message, details: [...e.details, ...runner.context()] });
    }
    if (e instanceof ScriptError) return failed({ file, line: e.line, source: e.source, message: `script error: ${e.detail}`, details: [] });
    // A bug in the stack or the runner: say where, briefly.
    const err = e as Error;
    const where = (err.stack ?? '').split('\n').slice(1, 4).map((s) => s.trim());
    const at = runner.currentLine;
    return failed({ file, line: at?.line ?? 0, source: at?.text ?? '', message: `the stack or the runner threw ${err.name}: ${err.message}`, details: where });
  }
}

function failed(f: Failure): RunResult {
  const lines = [`FAIL ${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`];
  if (f.source) lines.push(`  | ${f.source}`);
  for (const d of f.details) lines.push(`    ${d}`);
  return { file: f.file, ok: false, failure: f, report: lines.join('\n') };
}

interface ReportedError {
  t: number;
  code: string;
  message: string;
}

class Runner {
  private tolerance = DEFAULT_TOLERANCE_MS;
  private remoteIsn = 0;
  private localIsnFixed: number | undefined;
  private localIsn: number | undefined;
  private tsOffset: number | undefined;
  private localPort = DEFAULT_LOCAL_PORT;
  private localPortExplicit = false;
  private remotePort = DEFAULT_REMOTE_PORT;
  private mtu = 1500;
  private seed = 1;
  private harness: Harness | undefined;

  /** The application's socket (from connect or accept). */
  private sock: TcpSocket | undefined;
  /** The connection the script is about, as last seen (stays CLOSED once forgotten). */
  private lastSock: TcpSocket | undefined;
  private listener: TcpListener | undefined;
  private readonly watched = new WeakSet<TcpSocket>();
  private readonly errors: ReportedError[] = [];

  /** Bytes the application wrote, in order (what our data segments must carry). */
  private written = new Uint8Array(4096);
  private writtenLen = 0;
  /** Literal payload bytes the peer sent, by relative sequence number. */
  private readonly literalIn = new Map<number, number>();
  /** Bytes the application has read. */
  private readCount = 0;
  /** The peer's next relative sequence number (for < lines without start:end). */
  private remoteNext = 0;

  private prevMs = 0;
  currentLine: ScriptLine | undefined;

  constructor(
    readonly file: string,
    private readonly opts: RunOptions,
  ) {}

  run(lines: ScriptLine[]): void {
    for (const line of lines) {
      this.currentLine = line;
      if (line.step.kind === 'directive') {
        this.directive(line);
        continue;
      }
      this.ensureHarness();
      const t = this.resolveTime(line);
      const actual = this.execute(line, t);
      this.prevMs = line.time!.kind === 'any' ? actual : t!;
    }
    this.currentLine = undefined;
    this.ensureHarness();
    // Anything the stack sends within the tolerance after the last line is still the script's business.
    this.advanceTo(this.prevMs + this.tolerance);
    this.checkpoint(0, '', 'after the last line');
  }

  /** What the connection looked like when a script failed. */
  context(): string[] {
    if (!this.harness) return [];
    const out = [`time ${formatTime(this.now)}`];
    const s = this.conn();
    if (s) {
      const i = s.info();
      const local = (abs: number) => (abs - (this.localIsn ?? i.iss)) >>> 0;
      const timer = i.timer ? `${i.timer.kind} in ${Math.round(i.timer.remainingMs)} ms` : 'none';
      out.push(
        `connection: ${i.state}, sndUna ${local(i.sndUna)}, sndNxt ${local(i.sndNxt)}, sndWnd ${i.sndWnd}, rcvNxt ${this.relRemote(i.rcvNxt)}, rcvWnd ${i.rcvWnd}, cwnd ${i.cwnd}, ssthresh ${i.ssthresh}, rto ${i.rto}, timer ${timer}`,
      );
    } else out.push(`connection: none${this.listener && !this.listener.closed ? ` (listening on ${this.listener.port})` : ''}`);
    return out;
  }

  // ---- setup ----

  private directive(line: ScriptLine): void {
    const step = line.step as Extract<Step, { kind: 'directive' }>;
    if (step.name === 'tolerance') {
      this.tolerance = step.value;
      return;
    }
    if (this.harness) throw new RunFailure(line.line, line.text, `--${step.name} must come before the first timed line (it sets up the host or the connection)`);
    switch (step.name) {
      case 'local-isn':
        this.localIsnFixed = step.value;
        this.localIsn = step.value;
        break;
      case 'remote-isn':
        this.remoteIsn = step.value;
        break;
      case 'local-port':
        this.localPort = step.value;
        this.localPortExplicit = true;
        break;
      case 'remote-port':
        this.remotePort = step.value;
        break;
      case 'mtu':
        this.mtu = step.value;
        break;
      case 'seed':
        this.seed = step.value;
        break;
    }
  }

  private ensureHarness(): Harness {
    if (!this.harness) {
      this.harness = new Harness({ mtu: this.mtu, seed: this.seed });
      const fixed = this.localIsnFixed;
      if (fixed !== undefined) this.harness.host.tcp.isnSource = () => fixed;
    }
    return this.harness;
  }

  private get h(): Harness {
    return this.harness!;
  }

  private get now(): number {
    return this.h.scheduler.now;
  }

  private resolveTime(line: ScriptLine): number | undefined {
    const time = line.time!;
    if (time.kind === 'any') return undefined;
    const t = time.kind === 'abs' ? time.ms : this.prevMs + time.ms;
    if (t < this.prevMs) throw new RunFailure(line.line, line.text, `time ${formatTime(t)} is before the previous line's ${formatTime(this.prevMs)}; lines run in order`);
    return t;
  }

  /** Runs the line; returns the time it actually happened. */
  private execute(line: ScriptLine, t: number | undefined): number {
    const step = line.step;
    switch (step.kind) {
      case 'inject':
        this.advanceTo(t!);
        this.checkpoint(line.line, line.text, `before injecting ${formatSpec(step.seg)}`);
        this.inject(step.seg, line);
        return this.now;
      case 'expect-seg':
        return this.expectSegment(step.seg, line, t);
      case 'call':
        this.advanceTo(t ?? this.now);
        this.checkpoint(line.line, line.text, `before ${step.name}()`);
        this.call(step, line);
        return this.now;
      case 'set':
        this.advanceTo(t ?? this.now);
        this.checkpoint(line.line, line.text, `before set ${step.field}`);
        this.set(step.field, step.value);
        this.trace(`${formatTime(this.now)} set ${step.field} ${String(step.value)}`);
        return this.now;
      case 'state': {
        this.advanceTo(t ?? this.now);
        const state = this.state();
        if (state !== step.state) throw new RunFailure(line.line, line.text, `the connection is in ${state}, not ${step.state}`);
        this.trace(`${formatTime(this.now)} state ${state}`);
        return this.now;
      }
      case 'info':
        this.advanceTo(t ?? this.now);
        this.info(step.field, step.op, step.value, line);
        return this.now;
      case 'error':
        return this.expectError(step.code, line, t);
      case 'directive':
        return this.now;
    }
  }

  // ---- time ----

  /** Runs every event due up to `t`; segments the stack sends wait for the next check. */
  private advanceTo(t: number): void {
    if (t > this.now) this.h.scheduler.runUntil(t);
    this.refresh();
  }

  /** The next segment the stack sends, running the clock at most to `limit`. */
  private nextSent(limit: number): Sent | undefined {
    const sched = this.h.scheduler;
    while (this.h.sent.length === 0 && this.h.other.length === 0) {
      if (!sched.runNext(limit)) break;
    }
    if (this.h.sent.length === 0 && this.h.other.length === 0 && Number.isFinite(limit) && limit > this.now) sched.runUntil(limit);
    this.refresh();
    return this.h.sent.shift();
  }

  /** Nothing unexpected may be waiting: no segment, no other frame, no reported error. */
  private checkpoint(lineNo: number, source: string, when: string): void {
    const h = this.h;
    if (h.sent.length > 0) {
      const s = h.sent[0];
      const more = h.sent.length > 1 ? [`(and ${h.sent.length - 1} more after it)`] : [];
      throw new RunFailure(lineNo, source, `the stack sent a segment the script does not expect (${when})`, [`actual   ${formatTime(s.t)} ${formatSent(s.tcp, this.refs())}`, ...more]);
    }
    if (h.other.length > 0) {
      const o = h.other[0];
      throw new RunFailure(lineNo, source, `the host sent ${o.what} at ${formatTime(o.t)}, which the script does not expect (${when})`);
    }
    if (this.errors.length > 0) {
      const e = this.errors[0];
      throw new RunFailure(lineNo, source, `the connection reported ${e.code} at ${formatTime(e.t)} ("${e.message}"), but no "error = ${e.code}" line expects it (${when})`);
    }
  }

  // ---- segments ----

  private refs(): Refs {
    return { localIsn: this.localIsn, remoteIsn: this.remoteIsn, tsOffset: this.tsOffset };
  }

  private relLocal(abs: number): number {
    return (abs - (this.localIsn ?? 0)) >>> 0;
  }

  private relRemote(abs: number): number {
    return (abs - this.remoteIsn) >>> 0;
  }

  private inject(spec: SegSpec, line: ScriptLine): void {
    const syn = (spec.flags & SYN) !== 0;
    const fin = (spec.flags & FIN) !== 0;
    const start = spec.seq?.start ?? this.remoteNext;
    const len = spec.seq?.len ?? 0;
    const dataStart = (start + (syn ? 1 : 0)) >>> 0;
    let payload: Uint8Array;
    if (spec.payload) {
      payload = spec.payload;
      payload.forEach((b, i) => this.literalIn.set((dataStart + i) >>> 0, b));
    } else {
      payload = new Uint8Array(len);
      for (let i = 0; i < len; i++) payload[i] = this.inboundByte((dataStart + i) >>> 0);
    }
    const localBase = this.localIsn ?? 0;
    const options: TcpOption[] = [];
    for (const o of spec.options === 'any' || spec.options === undefined ? [] : spec.options) options.push(this.inboundOption(o, syn && !(spec.flags & ACK), line));
    const repr: TcpRepr = {
      srcPort: this.remotePort,
      dstPort: this.localPort,
      seq: (this.remoteIsn + start) >>> 0,
      ack: spec.flags & ACK ? (localBase + (spec.ack as number)) >>> 0 : 0,
      flags: spec.flags,
      window: (spec.win as number | undefined) ?? 0xffff,
      urgent: 0,
      options,
      payload,
    };
    const end = (start + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (((end - this.remoteNext) | 0) > 0) this.remoteNext = end;
    this.trace(`${formatTime(this.now)} ${formatSpec({ ...spec, seq: spec.seq ?? { start, end: (start + len) >>> 0, len } })}`);
    this.h.injectTcp(repr);
    this.refresh();
  }

  private inboundOption(o: OptSpec, bareSyn: boolean, line: ScriptLine): TcpOption {
    switch (o.kind) {
      case 'mss':
        return { kind: 'mss', value: o.value as number };
      case 'wscale':
        return { kind: 'wscale', shift: o.shift as number };
      case 'sackOK':
        return { kind: 'sack-permitted' };
      case 'nop':
      case 'eol':
        return { kind: o.kind };
      case 'ts': {
        // RFC 7323 3.2: TSecr is only meaningful with ACK; a bare SYN's is literal (normally 0).
        let ecr = o.ecr as number;
        if (!bareSyn) {
          if (this.tsOffset === undefined) {
            throw new RunFailure(line.line, line.text, 'this TS ecr echoes the stack\'s TSval, but the stack has sent no timestamp yet, so the runner cannot translate it');
          }
          ecr = (ecr + this.tsOffset) >>> 0;
        }
        return { kind: 'timestamp', tsVal: o.val as number, tsEcr: ecr };
      }
      case 'sack': {
        const base = this.localIsn ?? 0;
        return { kind: 'sack', blocks: o.blocks.map(([l, r]) => [(l + base) >>> 0, (r + base) >>> 0]) };
      }
    }
  }

  /** The generated payload: a byte that depends on its relative sequence number, so misplaced data shows. */
  private inboundByte(rel: number): number {
    return (Math.imul(rel, 131) + 17) & 0xff;
  }

  private outboundByte(offset: number): number {
    return (Math.imul(offset, 29) + 101) & 0xff;
  }

  private expectSegment(spec: SegSpec, line: ScriptLine, t: number | undefined): number {
    const tol = this.tolerance;
    const limit = t === undefined ? this.now + ANY_TIME_LIMIT_MS : t + tol;
    const sent = this.nextSent(limit);
    const expected = `expected ${t === undefined ? '*' : formatTime(t)} ${formatSpec(spec)}`;
    if (!sent) {
      const o = this.h.other[0];
      if (o) throw new RunFailure(line.line, line.text, `the host sent ${o.what} at ${formatTime(o.t)} instead of the expected segment`, [expected]);
      throw new RunFailure(line.line, line.text, `the stack sent nothing by ${formatTime(limit)}`, [expected]);
    }
    this.learn(spec, sent);
    const diffs = this.compare(spec, sent);
    if (t !== undefined && sent.t < t - tol) diffs.unshift(`time: sent at ${formatTime(sent.t)}, more than ${tol} ms before ${formatTime(t)}`);
    const actual = `actual   ${formatTime(sent.t)} ${formatSent(sent.tcp, this.refs())}`;
    if (diffs.length > 0) throw new RunFailure(line.line, line.text, 'the stack sent a different segment', [expected, actual, ...diffs]);
    this.trace(`${formatTime(sent.t)} ${formatSent(sent.tcp, this.refs())}`);
    return sent.t;
  }

  /** ISN, ports and TS offset come from what the stack sends (unless the script fixed them). */
  private learn(spec: SegSpec, sent: Sent): void {
    const tcp = sent.tcp;
    if (tcp.flags & SYN && this.localIsnFixed === undefined) {
      this.localIsn = (tcp.seq - (spec.flags & SYN ? (spec.seq?.start ?? 0) : 0)) >>> 0;
    }
    const ts = tcp.options.find((o) => o.kind === 'timestamp');
    if (ts && ts.kind === 'timestamp' && (this.tsOffset === undefined || tcp.flags & SYN)) {
      this.tsOffset = (ts.tsVal - Math.floor(sent.t)) >>> 0;
    }
  }

  private compare(spec: SegSpec, sent: Sent): string[] {
    const tcp = sent.tcp;
    const d: string[] = [];
    if (tcp.srcPort !== this.localPort) d.push(`source port ${tcp.srcPort}, expected ${this.localPort}`);
    if (tcp.dstPort !== this.remotePort) d.push(`destination port ${tcp.dstPort}, expected ${this.remotePort}`);
    if (tcp.flags !== spec.flags) d.push(`flags: sent ${formatFlags(tcp.flags)}, expected ${formatFlags(spec.flags)}`);
    const rel = this.relLocal(tcp.seq);
    if (spec.seq) {
      if (rel !== spec.seq.start) d.push(`seq: sent ${rel}, expected ${spec.seq.start}`);
      if (tcp.payload.length !== spec.seq.len) d.push(`length: sent ${tcp.payload.length} bytes, expected ${spec.seq.len}`);
    }
    if (spec.ack !== undefined && spec.ack !== '*' && tcp.flags & ACK) {
      const ack = this.relRemote(tcp.ack);
      if (ack !== spec.ack) d.push(`ack: sent ${ack}, expected ${spec.ack}`);
    }
    if (spec.win !== undefined && spec.win !== '*' && tcp.window !== spec.win) d.push(`win: sent ${tcp.window}, expected ${spec.win}`);
    if (spec.options !== 'any') {
      const why = this.compareOptions(spec.options ?? [], tcp.options);
      if (why) d.push(`options: ${why}`);
    }
    if (tcp.payload.length > 0) {
      // Data starts at relative sequence 1 (the SYN takes 0).
      const first = (rel + (tcp.flags & SYN ? 1 : 0) - 1) >>> 0;
      for (let i = 0; i < tcp.payload.length; i++) {
        const k = first + i;
        if (k >= this.writtenLen) {
          d.push(`payload: byte ${i} (stream offset ${k}) is past the ${this.writtenLen} bytes the application wrote`);
          break;
        }
        if (tcp.payload[i] !== this.written[k]) {
          d.push(`payload: byte ${i} (stream offset ${k}) is 0x${tcp.payload[i].toString(16)}, the application wrote 0x${this.written[k].toString(16)} there`);
          break;
        }
      }
    }
    return d;
  }

  private compareOptions(exp: OptSpec[], act: TcpOption[]): string | undefined {
    const fmt = () => `sent <${formatSentOptions(act, this.refs())}>`;
    if (exp.length !== act.length) return `${fmt()}, expected ${exp.length} option(s)`;
    for (let i = 0; i < exp.length; i++) {
      const e = exp[i];
      const a = act[i];
      const bad = (what: string) => `${fmt()}; option ${i + 1}: ${what}`;
      switch (e.kind) {
        case 'nop':
        case 'eol':
          if (a.kind !== e.kind) return bad(`expected ${e.kind}`);
          break;
        case 'sackOK':
          if (a.kind !== 'sack-permitted') return bad('expected sackOK');
          break;
        case 'mss':
          if (a.kind !== 'mss') return bad('expected mss');
          if (e.value !== '*' && a.value !== e.value) return bad(`mss ${a.value}, expected ${e.value}`);
          break;
        case 'wscale':
          if (a.kind !== 'wscale') return bad('expected wscale');
          if (e.shift !== '*' && a.shift !== e.shift) return bad(`wscale ${a.shift}, expected ${e.shift}`);
          break;
        case 'ts': {
          if (a.kind !== 'timestamp') return bad('expected TS');
          if (e.val !== '*') {
            const val = (a.tsVal - (this.tsOffset ?? 0)) >>> 0;
            if (Math.abs((val - e.val) | 0) > this.tolerance) return bad(`TS val ${val}, expected ${e.val} (±${this.tolerance})`);
          }
          if (e.ecr !== '*' && a.tsEcr !== e.ecr) return bad(`TS ecr ${a.tsEcr}, expected ${e.ecr}`);
          break;
        }
        case 'sack': {
          if (a.kind !== 'sack') return bad('expected sack');
          const got = a.blocks.map(([l, r]) => `${this.relRemote(l)}:${this.relRemote(r)}`).join(' ');
          const want = e.blocks.map(([l, r]) => `${l}:${r}`).join(' ');
          if (got !== want) return bad(`sack ${got}, expected sack ${want}`);
          break;
        }
      }
    }
    return undefined;
  }

  // ---- the socket API ----

  private call(step: Extract<Step, { kind: 'call' }>, line: ScriptLine): void {
    let result: { kind: 'ok'; n?: number } | { kind: 'errno'; code: string; message: string };
    try {
      const n = this.doCall(step.name, step.args, line);
      result = { kind: 'ok', n };
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      result = { kind: 'errno', code: e.code, message: e.message };
    }
    const shown = result.kind === 'ok' ? (result.n !== undefined ? String(result.n) : 'ok') : result.code;
    this.trace(`${formatTime(this.now)} ${step.name}(${step.args.join(', ')}) = ${shown}`);
    this.refresh();
    const want: CallResult | undefined = step.result;
    if (result.kind === 'errno') {
      if (want?.kind === 'errno' && want.code === result.code) return;
      throw new RunFailure(line.line, line.text, `${step.name}() failed with ${result.code} ("${result.message}")${want ? `, expected = ${describeResult(want)}` : ''}`);
    }
    if (!want || want.kind === 'ok') return;
    if (want.kind === 'errno') throw new RunFailure(line.line, line.text, `${step.name}() returned ${shown}, expected = ${want.code}`);
    if (result.n !== want.n) throw new RunFailure(line.line, line.text, `${step.name}() returned ${shown}, expected = ${want.n}`);
  }

  /** Performs a call; returns a byte count for read and write. Throws SocketError for errno results. */
  private doCall(name: string, args: number[], line: ScriptLine): number | undefined {
    const tcp = this.h.host.tcp;
    switch (name) {
      case 'listen':
        this.listener = tcp.listen(args[0], args[1] ?? 128);
        this.localPort = args[0];
        return undefined;
      case 'connect': {
        this.remotePort = args[0];
        const s = tcp.connect(this.h.peerAddr, args[0], this.localPortExplicit ? { localPort: this.localPort } : {});
        this.localPort = s.localPort;
        this.adopt(s);
        return undefined;
      }
      case 'accept': {
        if (!this.listener) throw new SocketError('EINVAL', 'accept() without listen().');
        const s = this.listener.accept();
        if (!s) throw new SocketError('EAGAIN' as never, 'No connection is ready to accept.');
        this.adopt(s);
        return undefined;
      }
    }
    const s = this.sock;
    if (!s) throw new RunFailure(line.line, line.text, `${name}() needs a connection: call connect() or accept() first`);
    switch (name) {
      case 'write': {
        const n = args[0];
        const data = new Uint8Array(n);
        for (let i = 0; i < n; i++) data[i] = this.outboundByte(this.writtenLen + i);
        const k = s.write(data);
        this.appendWritten(data.subarray(0, k));
        return k;
      }
      case 'read': {
        const data = s.read(args[0] ?? Infinity);
        for (let i = 0; i < data.length; i++) {
          const rel = (this.readCount + 1 + i) >>> 0;
          const want = this.literalIn.get(rel) ?? this.inboundByte(rel);
          if (data[i] !== want) {
            throw new RunFailure(line.line, line.text, `read() returned byte 0x${data[i].toString(16)} at stream offset ${this.readCount + i}, but the peer sent 0x${want.toString(16)} there`);
          }
        }
        this.readCount += data.length;
        return data.length;
      }
      case 'shutdown':
        s.shutdown();
        return undefined;
      case 'close':
        s.close();
        return undefined;
      case 'abort':
        s.abort();
        return undefined;
    }
    return undefined;
  }

  private appendWritten(data: Uint8Array): void {
    if (this.writtenLen + data.length > this.written.length) {
      const bigger = new Uint8Array(Math.max(this.written.length * 2, this.writtenLen + data.length));
      bigger.set(this.written.subarray(0, this.writtenLen));
      this.written = bigger;
    }
    this.written.set(data, this.writtenLen);
    this.writtenLen += data.length;
  }

  /** The script's socket: its errors are recorded for `error = ...` lines. */
  private adopt(s: TcpSocket): void {
    this.sock = s;
    this.watch(s);
    this.lastSock = s;
  }

  private watch(s: TcpSocket): void {
    if (this.watched.has(s)) return;
    this.watched.add(s);
    s.onError = (e) => this.errors.push({ t: this.now, code: e.code, message: e.message });
  }

  /** Keeps track of the connection to the peer as the host creates and forgets it. */
  private refresh(): void {
    if (!this.harness) return;
    const peer = this.h.peerAddr;
    const live = this.h.host.tcp.connections().find((c) => c.remoteAddr === peer && c.localPort === this.localPort && c.remotePort === this.remotePort);
    if (live) {
      this.watch(live);
      this.lastSock = live;
    }
  }

  private conn(): TcpSocket | undefined {
    this.refresh();
    return this.lastSock;
  }

  private state(): TcpState {
    const s = this.conn();
    if (s) return s.state;
    return this.listener && !this.listener.closed ? 'LISTEN' : 'CLOSED';
  }

  private set<K extends keyof TcpConfig>(field: K, value: TcpConfig[K]): void {
    this.h.host.tcp.config[field] = value;
    if (this.listener) (this.listener.config as TcpConfig)[field] = value;
    const s = this.conn();
    if (s && s.state !== 'CLOSED') s.config[field] = value;
  }

  private info(field: string, op: CompareOp, want: number | string | boolean, line: ScriptLine): void {
    const actual = this.infoValue(field, line);
    const ok = compareValues(actual, op, want);
    this.trace(`${formatTime(this.now)} expect ${field} ${op} ${String(want)} (is ${String(actual)})`);
    if (!ok) throw new RunFailure(line.line, line.text, `${field} is ${String(actual)}, expected ${op === '==' ? '' : `${op} `}${String(want)}`);
  }

  private infoValue(field: string, line: ScriptLine): number | string | boolean {
    if (field.startsWith('stat.')) return this.h.host.tcp.stats[field.slice(5)] ?? 0;
    if (field.startsWith('listener.')) {
      const l = this.listener;
      if (!l) throw new RunFailure(line.line, line.text, `${field}: there is no listener`);
      const k = field.slice(9);
      if (k === 'pending') return l.pending;
      if (k === 'halfOpen') return l.halfOpenCount;
      if (k === 'synDrops') return l.synDrops;
      throw new RunFailure(line.line, line.text, `${field}: known listener fields are pending, halfOpen, synDrops`);
    }
    const s = this.conn();
    if (!s) throw new RunFailure(line.line, line.text, `${field}: there is no connection yet`);
    const i = s.info();
    switch (field) {
      case 'timer':
        return i.timer?.kind ?? 'none';
      case 'timerMs':
        return i.timer ? i.timer.remainingMs : -1;
      case 'iss':
      case 'sndUna':
      case 'sndNxt':
        return this.relLocal(i[field]);
      case 'irs':
      case 'rcvNxt':
        return this.relRemote(i[field]);
    }
    if (!(field in i)) throw new RunFailure(line.line, line.text, `"${field}" is not a TcpInfo field; known: ${Object.keys(i).join(', ')}, timerMs, stat.<name>, listener.<field>`);
    const v = (i as unknown as Record<string, unknown>)[field];
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    throw new RunFailure(line.line, line.text, `${field} is not a plain value`);
  }

  private expectError(code: string, line: ScriptLine, t: number | undefined): number {
    const tol = this.tolerance;
    if (code === 'none') {
      this.advanceTo(t ?? this.now);
      const e = this.errors[0];
      if (e) throw new RunFailure(line.line, line.text, `the connection reported ${e.code} at ${formatTime(e.t)} ("${e.message}")`);
      return this.now;
    }
    const limit = t === undefined ? this.now + ANY_TIME_LIMIT_MS : t + tol;
    const sched = this.h.scheduler;
    while (this.errors.length === 0 && sched.runNext(limit)) {
      /* run until the error or the limit */
    }
    this.refresh();
    const e = this.errors.shift();
    if (!e) {
      if (limit > this.now && Number.isFinite(limit)) sched.runUntil(limit);
      throw new RunFailure(line.line, line.text, `expected the connection to report ${code} at ${t === undefined ? 'any time' : formatTime(t)}; nothing reported by ${formatTime(this.now)}`);
    }
    if (e.code !== code) throw new RunFailure(line.line, line.text, `the connection reported ${e.code} at ${formatTime(e.t)} ("${e.message}"), expected ${code}`);
    if (t !== undefined && e.t < t - tol) throw new RunFailure(line.line, line.text, `${code} came at ${formatTime(e.t)}, more than ${tol} ms before ${formatTime(t)}`);
    this.trace(`${formatTime(e.t)} error = ${code}`);
    return e.t;
  }

  private trace(s: string): void {
    this.opts.trace?.(s);
  }
}

function describeResult(r: CallResult): string {
  return r.kind === 'ok' ? 'ok' : r.kind === 'number' ? String(r.n) : r.code;
}

function compareValues(a: number | string | boolean, op: CompareOp, b: number | string | boolean): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}
