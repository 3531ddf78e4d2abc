/**
 * The conformance script language (test/conformance/README.md has the full
 * description): what a parsed script is, and the parser. Parsing never
 * throws anything but a ScriptError that names the file, the line and what
 * is wrong, so people see a sentence, not a stack trace.
 */

import { DEFAULT_TCP_CONFIG, type TcpConfig, type TcpState } from '../../../worker/transport/tcp/config';
import { parseFlagString } from '../../../worker/wire/tcp';

/** A value the script either states or leaves open with `*`. */
export type Wild<T> = T | '*';

/** `start:end(len)`: sequence numbers relative to the sender's ISN. */
export interface SeqRange {
  start: number;
  end: number;
  len: number;
}

export type OptSpec =
  | { kind: 'mss'; value: Wild<number> }
  | { kind: 'wscale'; shift: Wild<number> }
  | { kind: 'sackOK' }
  | { kind: 'ts'; val: Wild<number>; ecr: Wild<number> }
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'sack'; blocks: [number, number][] };

/** A segment as a script writes it, `<` (the peer injects) or `>` (the stack must send). */
export interface SegSpec {
  dir: 'in' | 'out';
  flags: number;
  /** Omitted: inbound, the peer's next sequence number; outbound, not checked. */
  seq?: SeqRange;
  /** Omitted on an outbound segment with ACK: a parse error (write `ack *`). */
  ack?: Wild<number>;
  /** Raw 16-bit window field. Omitted: inbound 65535, outbound not checked. */
  win?: Wild<number>;
  /** undefined: no options at all; 'any': `<...>`, not checked. */
  options: OptSpec[] | 'any' | undefined;
  /** Literal payload ("..." in the script); otherwise generated. */
  payload?: Uint8Array;
}

export type CallName = 'listen' | 'connect' | 'accept' | 'write' | 'read' | 'shutdown' | 'close' | 'abort';

/** What a call must return: `= ok`, `= 1000`, `= EADDRINUSE`. */
export type CallResult = { kind: 'ok' } | { kind: 'number'; n: number } | { kind: 'errno'; code: string };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Step =
  | { kind: 'inject'; seg: SegSpec }
  | { kind: 'expect-seg'; seg: SegSpec }
  | { kind: 'call'; name: CallName; args: number[]; result?: CallResult }
  | { kind: 'set'; field: keyof TcpConfig; value: TcpConfig[keyof TcpConfig] }
  | { kind: 'state'; state: TcpState }
  | { kind: 'info'; field: string; op: CompareOp; value: number | string | boolean }
  | { kind: 'error'; code: string }
  | { kind: 'directive'; name: DirectiveName; value: number };

export type TimeSpec = { kind: 'abs'; ms: number } | { kind: 'rel'; ms: number } | { kind: 'any' };

export interface ScriptLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line as written, comments removed, trimmed. */
  text: string;
  /** Undefined for directives (they take effect where they stand). */
  time: TimeSpec | undefined;
  step: Step;
}

export interface Script {
  file: string;
  lines: ScriptLine[];
}

export const DIRECTIVES = ['tolerance', 'local-isn', 'remote-isn', 'local-port', 'remote-port', 'mtu', 'seed'] as const;
export type DirectiveName = (typeof DIRECTIVES)[number];

export const STATES: readonly TcpState[] = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK'];

export const ERRNOS = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EADDRINUSE', 'EBADF', 'EINVAL', 'EAGAIN', 'ENETUNREACH'] as const;

const CALLS: Record<CallName, { min: number; max: number; usage: string }> = {
  listen: { min: 1, max: 2, usage: 'listen(port) or listen(port, backlog)' },
  connect: { min: 1, max: 1, usage: 'connect(port)' },
  accept: { min: 0, max: 0, usage: 'accept()' },
  write: { min: 1, max: 1, usage: 'write(bytes)' },
  read: { min: 0, max: 1, usage: 'read() or read(maxBytes)' },
  shutdown: { min: 0, max: 0, usage: 'shutdown()' },
  close: { min: 0, max: 0, usage: 'close()' },
  abort: { min: 0, max: 0, usage: 'abort()' },
};

/** A mistake in a script: file, line and a sentence. */
export class ScriptError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    readonly source = '',
  ) {
    super(`${file}:${line}: ${detail}${source ? `\n    ${source}` : ''}`);
    this.name = 'ScriptError';
  }
}

const U32_MAX = 0xffffffff;

export function parseScript(text: string, file: string): Script {
  const lines: ScriptLine[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const body = stripComment(raw[i]).trim();
    if (body === '') continue;
    const lineNo = i + 1;
    try {
      lines.push(parseLine(body, lineNo));
    } catch (e) {
      if (e instanceof LineError) throw new ScriptError(file, lineNo, e.message, raw[i].trim());
      throw e;
    }
  }
  return { file, lines };
}

/** Internal: a parse error before the file and line are attached. */
class LineError extends Error {}

function fail(message: string): never {
  throw new LineError(message);
}

/** Drops `//` and `#` comments, but not inside a "quoted payload". */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '#' || (c === '/' && line[i + 1] === '/')) return line.slice(0, i);
  }
  return line;
}

function parseLine(body: string, line: number): ScriptLine {
  if (body.startsWith('--')) return { line, text: body, time: undefined, step: parseDirective(body) };
  const m = /^(\*|\+?\d+(?:\.\d+)?)\s+(.*)$/.exec(body);
  if (!m) {
    if (/^[<>]/.test(body) || /^[a-z_]+\(/.test(body)) fail('every line starts with a time: 0.100 (absolute), +0.1 (after the previous line) or * (any time)');
    fail(`"${body.split(/\s+/)[0]}" is not a time; write 0.100 (seconds), +0.1 (relative) or * (any time)`);
  }
  const time = parseTime(m[1]);
  const rest = m[2].trim();
  return { line, text: body, time, step: parseStep(rest, time) };
}

function parseTime(t: string): TimeSpec {
  if (t === '*') return { kind: 'any' };
  const rel = t.startsWith('+');
  const ms = secondsToMs(Number(rel ? t.slice(1) : t));
  return rel ? { kind: 'rel', ms } : { kind: 'abs', ms };
}

/** Seconds as written to milliseconds, without binary-fraction noise (0.1 s is exactly 100 ms). */
function secondsToMs(s: number): number {
  return Math.round(s * 1_000_000) / 1000;
}

function parseDirective(body: string): Step {
  const m = /^--([a-z_-]+)(?:\s*=\s*|\s+)(\S+)$/.exec(body);
  if (!m) fail(`a directive looks like --tolerance=10ms or --remote-isn=4294967000; got "${body}"`);
  const name = m[1].replace(/_/g, '-');
  if (name === 'tolerance-usecs') return { kind: 'directive', name: 'tolerance', value: parseUint(m[2], 'microseconds') / 1000 };
  if (!(DIRECTIVES as readonly string[]).includes(name)) fail(`unknown directive --${m[1]}; known: ${DIRECTIVES.map((d) => `--${d}`).join(', ')}`);
  const v = m[2];
  switch (name as DirectiveName) {
    case 'tolerance': {
      const t = /^(\d+(?:\.\d+)?)(ms|s|us)?$/.exec(v);
      if (!t) fail(`--tolerance takes a duration such as 10ms, 0.01s or 500us; got "${v}"`);
      const n = Number(t[1]);
      const ms = t[2] === 'ms' ? n : t[2] === 'us' ? n / 1000 : secondsToMs(n);
      return { kind: 'directive', name: 'tolerance', value: ms };
    }
    case 'local-port':
    case 'remote-port':
      return { kind: 'directive', name: name as DirectiveName, value: parsePort(v) };
    case 'mtu': {
      const n = parseUint(v, 'an MTU');
      if (n < 576 || n > 16000) fail(`--mtu must be between 576 and 16000; got ${n}`);
      return { kind: 'directive', name: 'mtu', value: n };
    }
    default:
      return { kind: 'directive', name: name as DirectiveName, value: parseUint(v, `--${name}`) };
  }
}

function parseStep(rest: string, time: TimeSpec): Step {
  if (rest.startsWith('<') || rest.startsWith('>')) {
    const dir = rest[0] === '<' ? 'in' : 'out';
    if (dir === 'in' && time.kind === 'any') fail('an injected segment (<) needs a time; * is only for lines whose time does not matter');
    const seg = parseSegment(rest.slice(1).trim(), dir);
    return dir === 'in' ? { kind: 'inject', seg } : { kind: 'expect-seg', seg };
  }
  const word = /^[A-Za-z_]+/.exec(rest)?.[0] ?? '';
  const after = rest.slice(word.length).trim();
  switch (word) {
    case 'set':
      return parseSet(after);
    case 'state': {
      const s = after.toUpperCase().replace(/-/g, '_') as TcpState;
      if (!STATES.includes(s)) fail(`"${after}" is not a TCP state; one of ${STATES.join(', ')}`);
      return { kind: 'state', state: s };
    }
    case 'expect':
    case 'info':
      return parseInfo(after);
    case 'error': {
      const m = /^=\s*([A-Za-z]+)$/.exec(after);
      if (!m) fail('write the expected asynchronous error as: error = ECONNRESET (or error = none)');
      const code = m[1] === 'none' ? 'none' : m[1].toUpperCase();
      if (code !== 'none' && !(ERRNOS as readonly string[]).includes(code)) fail(`unknown error code ${m[1]}; known: ${ERRNOS.join(', ')}`);
      return { kind: 'error', code };
    }
  }
  if (word in CALLS && after.startsWith('(')) return parseCall(word as CallName, after);
  fail(`cannot read "${rest}": expected < or > (a segment), a call (${Object.keys(CALLS).join(', ')}), set, state, expect or error`);
}

function parseCall(name: CallName, after: string): Step {
  const m = /^\(([^)]*)\)\s*(?:=\s*(\S+))?$/.exec(after);
  if (!m) fail(`cannot read the call; write it as ${CALLS[name].usage}, optionally followed by = ok, = <number> or = <ERRNO>`);
  const args = m[1].trim() === '' ? [] : m[1].split(',').map((a) => parseUint(a.trim(), `an argument of ${name}()`));
  const spec = CALLS[name];
  if (args.length < spec.min || args.length > spec.max) fail(`${name}() takes ${spec.min === spec.max ? spec.min : `${spec.min} or ${spec.max}`} argument(s): ${spec.usage}`);
  let result: CallResult | undefined;
  if (m[2] !== undefined) {
    const r = m[2];
    if (r === 'ok') result = { kind: 'ok' };
    else if (r === '0' && name !== 'read' && name !== 'write') result = { kind: 'ok' }; // POSIX style: 0 is success
    else if (/^\d+$/.test(r)) result = { kind: 'number', n: Number(r) };
    else if ((ERRNOS as readonly string[]).includes(r.toUpperCase())) result = { kind: 'errno', code: r.toUpperCase() };
    else fail(`"= ${r}" is not a result; write = ok, = <number> or one of = ${ERRNOS.join(', = ')}`);
  }
  return { kind: 'call', name, args, result };
}

function parseSet(after: string): Step {
  const m = /^([A-Za-z]+)\s+(\S+)$/.exec(after);
  if (!m) fail('write a setting as: set <TcpConfig field> <value>, e.g. set nagle off or set mslMs 1000');
  const field = m[1] as keyof TcpConfig;
  if (!(field in DEFAULT_TCP_CONFIG)) fail(`"${m[1]}" is not a TcpConfig field; known: ${Object.keys(DEFAULT_TCP_CONFIG).join(', ')}`);
  const v = m[2];
  const current = DEFAULT_TCP_CONFIG[field];
  if (typeof current === 'boolean') {
    if (['on', 'true', 'yes'].includes(v)) return { kind: 'set', field, value: true };
    if (['off', 'false', 'no'].includes(v)) return { kind: 'set', field, value: false };
    fail(`${field} is on or off; got "${v}"`);
  }
  if (field === 'congestionControl') {
    if (v !== 'newreno' && v !== 'cubic') fail(`congestionControl is newreno or cubic; got "${v}"`);
    return { kind: 'set', field, value: v };
  }
  if (field === 'mss' && v === 'default') return { kind: 'set', field, value: undefined };
  return { kind: 'set', field, value: parseUint(v, field) };
}

function parseInfo(after: string): Step {
  const m = /^([A-Za-z][\w.-]*)\s*(==|!=|<=|>=|<|>|=)?\s*(\S+)$/.exec(after);
  if (!m) fail('write an assertion as: expect <field> [==|!=|<|<=|>|>=] <value>, e.g. expect cwnd 14600');
  const op = (m[2] === '=' || m[2] === undefined ? '==' : m[2]) as CompareOp;
  const v = m[3];
  let value: number | string | boolean;
  if (/^-?\d+(\.\d+)?$/.test(v)) value = Number(v);
  else if (v === 'true' || v === 'false') value = v === 'true';
  else value = v;
  if (typeof value !== 'number' && op !== '==' && op !== '!=') fail(`${op} compares numbers; "${v}" is not one`);
  return { kind: 'info', field: m[1], op, value };
}

// ---- segments ----

/** A small cursor over the text after < or >. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  get done(): boolean {
    this.skipSpace();
    return this.i >= this.s.length;
  }
  peek(re: RegExp): RegExpExecArray | null {
    this.skipSpace();
    const m = new RegExp(`^(?:${re.source})`).exec(this.s.slice(this.i));
    return m;
  }
  take(re: RegExp): RegExpExecArray | null {
    const m = this.peek(re);
    if (m) this.i += m[0].length;
    return m;
  }
  rest(): string {
    this.skipSpace();
    return this.s.slice(this.i);
  }
}

function parseSegment(text: string, dir: 'in' | 'out'): SegSpec {
  const c = new Cursor(text);
  const fl = c.take(/[A-Za-z.]+/);
  if (!fl) fail('a segment starts with its flags: S, S., ., P., F., R, R. (tcpdump letters, . is ACK)');
  const flags = parseFlagString(fl[0]);
  if (flags === undefined) fail(`"${fl[0]}" is not a flag combination; use the letters S F R P U E W and . for ACK`);
  const seg: SegSpec = { dir, flags, options: undefined };
  const seq = c.take(/(\d+):(\d+)\((\d+)\)/);
  if (seq) {
    const start = parseUint(seq[1], 'a sequence number');
    const end = parseUint(seq[2], 'a sequence number');
    const len = parseUint(seq[3], 'a length');
    if (((end - start) >>> 0) !== len) fail(`sequence range ${start}:${end}(${len}) is inconsistent: end - start must equal the length`);
    seg.seq = { start, end, len };
  } else if (c.peek(/\d/)) fail('write the sequence numbers as start:end(length), e.g. 1:1001(1000)');
  for (;;) {
    if (c.done) break;
    if (c.take(/ack\b/)) {
      if (seg.ack !== undefined) fail('ack given twice');
      seg.ack = takeWildNumber(c, 'ack', dir);
    } else if (c.take(/win\b/)) {
      if (seg.win !== undefined) fail('win given twice');
      seg.win = takeWildNumber(c, 'win', dir);
      if (seg.win !== '*' && seg.win > 0xffff) fail(`win ${seg.win} does not fit the 16-bit window field (the value is the raw field, before scaling)`);
    } else if (c.peek(/</)) {
      if (seg.options !== undefined) fail('options given twice');
      seg.options = parseOptions(c, dir);
    } else if (c.peek(/"/)) {
      seg.payload = parsePayloadString(c);
    } else {
      fail(`cannot read "${c.rest()}" in a segment; expected ack N, win N, <options> or a "payload"`);
    }
  }
  const hasAck = (flags & 0x10) !== 0;
  if (hasAck && seg.ack === undefined) fail(`a segment with the ACK flag needs ack N${dir === 'out' ? ' (or ack * to leave it open)' : ''}`);
  if (!hasAck && seg.ack !== undefined) fail('ack N is only meaningful with the ACK flag (.)');
  if (dir === 'in' && seg.options === 'any') fail('<...> is only for segments the stack sends (>)');
  if (seg.payload) {
    if (!seg.seq) fail('a segment with a literal payload needs start:end(length)');
    if (seg.payload.length !== seg.seq.len) fail(`the payload has ${seg.payload.length} bytes but the sequence range says ${seg.seq.len}`);
    if (dir === 'out') fail('a literal payload is only for injected segments (<); what the stack sends is checked against what write() queued');
  }
  return seg;
}

function takeWildNumber(c: Cursor, what: string, dir: 'in' | 'out'): Wild<number> {
  if (c.take(/\*/)) {
    if (dir === 'in') fail(`${what} * is only for segments the stack sends (>); an injected segment needs a value`);
    return '*';
  }
  const m = c.take(/\d+/);
  if (!m) fail(`${what} needs a number${dir === 'out' ? ' or *' : ''}`);
  return parseUint(m[0], what);
}

function parsePayloadString(c: Cursor): Uint8Array {
  const m = c.take(/"(?:[^"\\]|\\.)*"/);
  if (!m) fail('an unterminated "payload" string');
  let s: string;
  try {
    s = JSON.parse(m[0]) as string;
  } catch {
    fail(`cannot read the payload string ${m[0]} (JSON escapes: \\n, \\t, \\", \\u00ff)`);
  }
  return new TextEncoder().encode(s);
}

function parseOptions(c: Cursor, dir: 'in' | 'out'): OptSpec[] | 'any' {
  const m = c.take(/<([^>]*)>/);
  if (!m) fail('options are written <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7> and must end with >');
  const body = m[1].trim();
  if (body === '...') return 'any';
  if (body === '') return [];
  const out: OptSpec[] = [];
  for (const part of body.split(',')) {
    const p = part.trim();
    let x: RegExpExecArray | null;
    if (p === 'nop') out.push({ kind: 'nop' });
    else if (p === 'eol') out.push({ kind: 'eol' });
    else if (p === 'sackOK') out.push({ kind: 'sackOK' });
    else if ((x = /^mss\s+(\d+|\*)$/.exec(p))) out.push({ kind: 'mss', value: wildOpt(x[1], dir, 'mss', 0xffff) });
    else if ((x = /^wscale\s+(\d+|\*)$/.exec(p))) out.push({ kind: 'wscale', shift: wildOpt(x[1], dir, 'wscale', 255) });
    else if ((x = /^TS\s+val\s+(\d+|\*)\s+ecr\s+(\d+|\*)$/.exec(p))) out.push({ kind: 'ts', val: wildOpt(x[1], dir, 'TS val', U32_MAX), ecr: wildOpt(x[2], dir, 'TS ecr', U32_MAX) });
    else if ((x = /^sack((?:\s+\d+:\d+)+)$/.exec(p))) {
      const blocks = x[1]
        .trim()
        .split(/\s+/)
        .map((b) => b.split(':').map((n) => parseUint(n, 'a SACK edge')) as [number, number]);
      if (blocks.length > 4) fail('a SACK option carries at most 4 blocks (RFC 2018 3)');
      out.push({ kind: 'sack', blocks });
    } else fail(`unknown option "${p}"; known: mss N, sackOK, TS val V ecr E, nop, eol, wscale N, sack A:B C:D (or <...> for any)`);
  }
  return out;
}

function wildOpt(v: string, dir: 'in' | 'out', what: string, max: number): Wild<number> {
  if (v === '*') {
    if (dir === 'in') fail(`${what} * is only for segments the stack sends (>)`);
    return '*';
  }
  const n = parseUint(v, what);
  if (n > max) fail(`${what} ${n} is larger than its field allows (${max})`);
  return n;
}

function parseUint(s: string, what: string): number {
  if (!/^\d+$/.test(s)) fail(`${what} must be a whole number; got "${s}"`);
  const n = Number(s);
  if (n > U32_MAX) fail(`${what} ${s} does not fit 32 bits`);
  return n;
}

function parsePort(s: string): number {
  const n = parseUint(s, 'a port');
  if (n < 1 || n > 65535) fail(`port ${n} is not between 1 and 65535`);
  return n;
}
