/**
 * TCP header and options (RFC 9293 3.1; options from RFC 9293 3.2, RFC 7323
 * window scale and timestamps, RFC 2018 SACK).
 *
 * Two readers: `parseTcp` builds a repr with every option, in order, for the
 * UI, traces and tests; the hot path uses `TcpView` plus `readTcpOptions` into a
 * reused scratch object, which allocate nothing. Both apply the same rules
 * (`optionLength` below), so they accept and reject exactly the same bytes.
 *
 * The codec does not judge flag combinations (SYN+FIN, no flags at all) or
 * port 0: those are well-formed bytes whose handling RFC 9293 3.10.7 gives to
 * the TCB, and the UI wants to show them.
 */

import { ByteView, copyUnlessInPlace, hex, put16, put32, u16, u32 } from './bytes';
import { checksum, pseudoHeaderSum, verifies } from './checksum';
import { IpProtocol } from './ipv4';
import { ensureRoom, ok, type Result, type WireError } from './result';
import type { PseudoHeader } from './udp';

export type { PseudoHeader } from './udp';

export const TCP = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  /** Data offset in the high nibble; the low nibble is reserved. */
  DATA_OFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  MIN_HEADER_LEN: 20,
  MAX_HEADER_LEN: 60,
} as const;

/** Control bits of byte 13 (RFC 9293 3.1; ECE and CWR from RFC 3168 6.1). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** RFC 7323 2.3: the largest usable window-scale shift (2^14 * 65535 < 2^30). */
export const MAX_WSCALE = 14;
/** RFC 2018 3: a SACK option carries at most 4 blocks (3 alongside timestamps, by room). */
export const MAX_SACK_BLOCKS = 4;

const MAX_OPTIONS_LEN = TCP.MAX_HEADER_LEN - TCP.MIN_HEADER_LEN;

/** Zero-copy, reusable view over a segment at [start, end). Call check() before trusting getters. */
export class TcpView extends ByteView {
  /**
   * Validates the data offset against the segment and, when `ph` is given, the
   * checksum. TCP's checksum is mandatory (RFC 9293 3.1): unlike UDP, a zero field
   * is just a value that has to verify. Options are checked by `readTcpOptions`.
   */
  check(ph?: PseudoHeader): WireError | null {
    const len = this.end - this.start;
    if (len < TCP.MIN_HEADER_LEN) return err('truncated', `TCP segment of ${len} bytes is shorter than its 20-byte header`);
    const hl = this.headerLen;
    if (hl < TCP.MIN_HEADER_LEN) return err('bad-offset', `data offset ${this.dataOffset} (x4 = ${hl} bytes) is below the minimum of 5`);
    if (hl > len) return err('bad-offset', `data offset ${this.dataOffset} says the header is ${hl} bytes, but the segment has only ${len}`);
    if (ph && !verifies(this.buf, this.start, len, pseudoHeaderSum(ph.src, ph.dst, IpProtocol.TCP, len))) {
      return err('bad-checksum', `checksum 0x${this.checksum.toString(16).padStart(4, '0')} does not verify`);
    }
    return null;
  }

  get srcPort(): number {
    return u16(this.buf, this.start + TCP.SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.buf, this.start + TCP.DST_PORT);
  }
  get seq(): number {
    return u32(this.buf, this.start + TCP.SEQ);
  }
  set seq(v: number) {
    put32(this.buf, this.start + TCP.SEQ, v);
  }
  get ack(): number {
    return u32(this.buf, this.start + TCP.ACK);
  }
  set ack(v: number) {
    put32(this.buf, this.start + TCP.ACK, v);
  }
  /** Header length in 32-bit words, as on the wire. */
  get dataOffset(): number {
    return this.buf[this.start + TCP.DATA_OFF] >>> 4;
  }
  /** The 4 reserved bits; shown, but ignored on receipt (RFC 9293 3.1). */
  get reserved(): number {
    return this.buf[this.start + TCP.DATA_OFF] & 0x0f;
  }
  /** Bitmask of TcpFlag. */
  get flags(): number {
    return this.buf[this.start + TCP.FLAGS];
  }
  set flags(v: number) {
    this.buf[this.start + TCP.FLAGS] = v;
  }
  get window(): number {
    return u16(this.buf, this.start + TCP.WINDOW);
  }
  set window(v: number) {
    put16(this.buf, this.start + TCP.WINDOW, v);
  }
  get checksum(): number {
    return u16(this.buf, this.start + TCP.CHECKSUM);
  }
  set checksum(v: number) {
    put16(this.buf, this.start + TCP.CHECKSUM, v);
  }
  get urgent(): number {
    return u16(this.buf, this.start + TCP.URGENT);
  }
  get headerLen(): number {
    return this.dataOffset * 4;
  }
  get optionsStart(): number {
    return this.start + TCP.MIN_HEADER_LEN;
  }
  get payloadStart(): number {
    return this.start + this.headerLen;
  }
  get payloadEnd(): number {
    return this.end;
  }
  get payloadLen(): number {
    return this.end - this.start - this.headerLen;
  }

  /** Recomputes the checksum in place over pseudo-header, header and payload (after changing ack or window, say). */
  fillChecksum(ph: PseudoHeader): void {
    const len = this.end - this.start;
    put16(this.buf, this.start + TCP.CHECKSUM, 0);
    put16(this.buf, this.start + TCP.CHECKSUM, checksum(this.buf, this.start, len, pseudoHeaderSum(ph.src, ph.dst, IpProtocol.TCP, len)));
  }
}

/**
 * What the stack needs from the options of one segment, filled by `readTcpOptions`
 * without allocating. One instance is reused for every segment. When an option
 * appears twice the last one wins.
 */
export class TcpOptionsScratch {
  /** Maximum segment size (RFC 9293 3.7.1); -1 when absent. */
  mss = -1;
  /** Window-scale shift to use, at most 14 (RFC 7323 2.3); -1 when absent. */
  wscale = -1;
  /** The shift as received, so the stack can log one over 14 (RFC 7323 2.3 "SHOULD log"); -1 when absent. */
  wscaleRaw = -1;
  sackPermitted = false;
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** Number of SACK blocks, 0..4. */
  sackCount = 0;
  /** Block k is [sackBlocks[2k], sackBlocks[2k+1]): left edge, right edge (RFC 2018 3). */
  readonly sackBlocks = new Uint32Array(2 * MAX_SACK_BLOCKS);

  reset(): void {
    this.mss = -1;
    this.wscale = -1;
    this.wscaleRaw = -1;
    this.sackPermitted = false;
    this.hasTimestamp = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
  }
}

/**
 * Reads the options area [start, end) (start = segment start + 20, end = payload
 * start) into `into`, which is reset first. Allocates nothing unless the options
 * are malformed. Offsets in error details count from the start of the TCP header.
 */
export function readTcpOptions(buf: Uint8Array, start: number, end: number, into: TcpOptionsScratch): WireError | null {
  into.reset();
  let i = start;
  while (i < end) {
    const kind = buf[i];
    if (kind === TcpOptionKind.EOL) break; // RFC 9293 3.2: the rest of the area is padding
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    const len = optionLength(buf, i, end, start);
    if (typeof len !== 'number') return len;
    switch (kind) {
      case TcpOptionKind.MSS:
        into.mss = u16(buf, i + 2);
        break;
      case TcpOptionKind.WSCALE:
        // RFC 7323 2.3: a shift over 14 is not an error; use 14. The repr keeps the raw value.
        into.wscaleRaw = buf[i + 2];
        into.wscale = Math.min(into.wscaleRaw, MAX_WSCALE);
        break;
      case TcpOptionKind.SACK_PERMITTED:
        into.sackPermitted = true;
        break;
      case TcpOptionKind.SACK:
        into.sackCount = (len - 2) >>> 3;
        for (let k = 0; k < 2 * into.sackCount; k++) into.sackBlocks[k] = u32(buf, i + 2 + 4 * k);
        break;
      case TcpOptionKind.TIMESTAMP:
        into.hasTimestamp = true;
        into.tsVal = u32(buf, i + 2);
        into.tsEcr = u32(buf, i + 6);
        break;
      // Kinds we do not implement are skipped by their length, without error (RFC 9293 3.1, MUST-6).
    }
    i += len;
  }
  return null;
}

export type SackBlock = [left: number, right: number];

/** One option as on the wire, in order. `unknown` keeps kinds this stack does not speak, for the UI. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  /** The shift as received, even over 14 (readTcpOptions clamps it). */
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: SackBlock[] }
  | { kind: 'timestamp'; tsVal: number; tsEcr: number }
  /** Emit writes any code but 0 and 1 with its data: the way to craft odd options in tests. */
  | { kind: 'unknown'; code: number; data: Uint8Array };

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bitmask of TcpFlag. */
  flags: number;
  window: number;
  urgent: number;
  /** In wire order, with 'nop' and 'eol' entries, so that headers round-trip byte-exact. */
  options: TcpOption[];
  /** Zero-copy subarray of the segment. */
  payload: Uint8Array;
  /** As received; emit computes it. */
  checksum?: number;
}

export function parseTcp(buf: Uint8Array, start = 0, end = buf.length, ph?: PseudoHeader): Result<TcpRepr> {
  const v = new TcpView().wrap(buf, start, end);
  const e = v.check(ph);
  if (e) return { ok: false, error: e };
  const options: TcpOption[] = [];
  const oe = parseOptions(buf, v.optionsStart, v.payloadStart, options);
  if (oe) return { ok: false, error: oe };
  return ok({
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    flags: v.flags,
    window: v.window,
    urgent: v.urgent,
    options,
    payload: buf.subarray(v.payloadStart, v.payloadEnd),
    checksum: v.checksum,
  });
}

function parseOptions(buf: Uint8Array, start: number, end: number, into: TcpOption[]): WireError | null {
  let i = start;
  while (i < end) {
    const kind = buf[i];
    if (kind === TcpOptionKind.EOL) {
      into.push({ kind: 'eol' }); // RFC 9293 3.2: the rest of the area is padding
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      into.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = optionLength(buf, i, end, start);
    if (typeof len !== 'number') return len;
    switch (kind) {
      case TcpOptionKind.MSS:
        into.push({ kind: 'mss', value: u16(buf, i + 2) });
        break;
      case TcpOptionKind.WSCALE:
        into.push({ kind: 'wscale', shift: buf[i + 2] });
        break;
      case TcpOptionKind.SACK_PERMITTED:
        into.push({ kind: 'sack-permitted' });
        break;
      case TcpOptionKind.SACK: {
        const blocks: SackBlock[] = [];
        for (let o = i + 2; o < i + len; o += 8) blocks.push([u32(buf, o), u32(buf, o + 4)]);
        into.push({ kind: 'sack', blocks });
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        into.push({ kind: 'timestamp', tsVal: u32(buf, i + 2), tsEcr: u32(buf, i + 6) });
        break;
      default:
        into.push({ kind: 'unknown', code: kind, data: buf.subarray(i + 2, i + len) });
    }
    i += len;
  }
  return null;
}

/**
 * The length of the option at `i` (any kind but EOL and NOP), or why it is malformed.
 * The one place the option rules live, shared by both readers. `areaStart` is where
 * the options begin (header byte 20), for the offsets in messages.
 */
function optionLength(buf: Uint8Array, i: number, end: number, areaStart: number): number | WireError {
  const kind = buf[i];
  const at = TCP.MIN_HEADER_LEN + i - areaStart;
  if (i + 1 >= end) return badOption(kind, at, 'has no length byte before the end of the header');
  const len = buf[i + 1];
  // The length counts the kind and length bytes, so 0 and 1 are illegal (RFC 9293 3.1, MUST-7).
  if (len < 2) return badOption(kind, at, `has length ${len}; every option but EOL and NOP is at least 2 bytes long`);
  const want = FIXED_LEN[kind];
  if (want !== undefined && len !== want) return badOption(kind, at, `has length ${len}; it must be ${want}`);
  if (kind === TcpOptionKind.SACK && (len < 10 || len > 2 + 8 * MAX_SACK_BLOCKS || (len - 2) % 8 !== 0)) {
    return badOption(kind, at, `has length ${len}; it must be 2 + 8n for 1 to 4 blocks (RFC 2018 3)`);
  }
  if (i + len > end) return badOption(kind, at, `has length ${len} but runs past the end of the header (${end - i} bytes left)`);
  return len;
}

/** RFC 9293 3.2 (MSS), RFC 7323 2.2 and 3.2, RFC 2018 2. */
const FIXED_LEN: Partial<Record<number, number>> = {
  [TcpOptionKind.MSS]: 4,
  [TcpOptionKind.WSCALE]: 3,
  [TcpOptionKind.SACK_PERMITTED]: 2,
  [TcpOptionKind.TIMESTAMP]: 10,
};

const OPTION_NAMES: Partial<Record<number, string>> = {
  [TcpOptionKind.MSS]: 'MSS',
  [TcpOptionKind.WSCALE]: 'window scale',
  [TcpOptionKind.SACK_PERMITTED]: 'SACK-permitted',
  [TcpOptionKind.SACK]: 'SACK',
  [TcpOptionKind.TIMESTAMP]: 'timestamps',
};

function badOption(kind: number, at: number, what: string): WireError {
  const name = OPTION_NAMES[kind] ?? 'unknown';
  return err('bad-option', `${name} option (kind ${kind}) at byte ${at} of the TCP header ${what}`);
}

/** Bytes of one option on the wire. Throws RangeError for options that cannot be encoded (caller bugs). */
function optionLen(opt: TcpOption): number {
  switch (opt.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      if (opt.blocks.length < 1 || opt.blocks.length > MAX_SACK_BLOCKS) {
        throw new RangeError(`tcp: a SACK option carries 1 to 4 blocks (RFC 2018 3), not ${opt.blocks.length}`);
      }
      return 2 + 8 * opt.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      if (opt.code <= TcpOptionKind.NOP || opt.code > 0xff) throw new RangeError(`tcp: option code ${opt.code} cannot carry data; use 'eol' or 'nop'`);
      return 2 + opt.data.length;
  }
}

/** Bytes the options take, before padding. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const opt of options) n += optionLen(opt);
  return n;
}

/** 20 + options padded to a multiple of 4. Throws RangeError over 60 (the data offset is 4 bits). */
export function tcpHeaderLen(repr: Pick<TcpRepr, 'options'>): number {
  const n = tcpOptionsLength(repr.options);
  if (n > MAX_OPTIONS_LEN) throw new RangeError(`tcp: options take ${n} bytes; at most 40 fit in the header`);
  return TCP.MIN_HEADER_LEN + ((n + 3) & ~3);
}

export function tcpEncodingLength(repr: TcpRepr): number {
  return tcpHeaderLen(repr) + repr.payload.length;
}

/**
 * Writes header, options, zero padding (EOL, RFC 9293 3.2) and payload (unless it
 * is already in place), then the checksum over the pseudo-header. Returns bytes written.
 * Options are written exactly as given, even after an 'eol' (a receiver ignores them).
 */
export function emitTcp(repr: TcpRepr, out: Uint8Array, offset: number, ph: PseudoHeader): number {
  const hl = tcpHeaderLen(repr);
  const len = hl + repr.payload.length;
  ensureRoom(out, offset, len, 'tcp');
  if (len > 0xffff) throw new RangeError(`tcp: segment of ${len} bytes exceeds 65535`);
  // Payload first: if it sits in `out` over the header area, the header must not clobber it.
  copyUnlessInPlace(repr.payload, out, offset + hl);
  put16(out, offset + TCP.SRC_PORT, repr.srcPort);
  put16(out, offset + TCP.DST_PORT, repr.dstPort);
  put32(out, offset + TCP.SEQ, repr.seq);
  put32(out, offset + TCP.ACK, repr.ack);
  out[offset + TCP.DATA_OFF] = (hl >>> 2) << 4; // reserved bits zero (RFC 9293 3.1)
  out[offset + TCP.FLAGS] = repr.flags & 0xff;
  put16(out, offset + TCP.WINDOW, repr.window);
  put16(out, offset + TCP.CHECKSUM, 0);
  put16(out, offset + TCP.URGENT, repr.urgent);
  let o = offset + TCP.MIN_HEADER_LEN;
  for (const opt of repr.options) o = writeOption(opt, out, o);
  out.fill(TcpOptionKind.EOL, o, offset + hl);
  put16(out, offset + TCP.CHECKSUM, checksum(out, offset, len, pseudoHeaderSum(ph.src, ph.dst, IpProtocol.TCP, len)));
  return len;
}

function writeOption(opt: TcpOption, out: Uint8Array, o: number): number {
  switch (opt.kind) {
    case 'eol':
      out[o] = TcpOptionKind.EOL;
      return o + 1;
    case 'nop':
      out[o] = TcpOptionKind.NOP;
      return o + 1;
    case 'mss':
      out[o] = TcpOptionKind.MSS;
      out[o + 1] = 4;
      put16(out, o + 2, opt.value);
      return o + 4;
    case 'wscale':
      out[o] = TcpOptionKind.WSCALE;
      out[o + 1] = 3;
      out[o + 2] = opt.shift;
      return o + 3;
    case 'sack-permitted':
      out[o] = TcpOptionKind.SACK_PERMITTED;
      out[o + 1] = 2;
      return o + 2;
    case 'sack': {
      const len = 2 + 8 * opt.blocks.length;
      out[o] = TcpOptionKind.SACK;
      out[o + 1] = len;
      for (let k = 0; k < opt.blocks.length; k++) {
        put32(out, o + 2 + 8 * k, opt.blocks[k][0]);
        put32(out, o + 6 + 8 * k, opt.blocks[k][1]);
      }
      return o + len;
    }
    case 'timestamp':
      out[o] = TcpOptionKind.TIMESTAMP;
      out[o + 1] = 10;
      put32(out, o + 2, opt.tsVal);
      put32(out, o + 6, opt.tsEcr);
      return o + 10;
    case 'unknown':
      out[o] = opt.code;
      out[o + 1] = 2 + opt.data.length;
      out.set(opt.data, o + 2);
      return o + 2 + opt.data.length;
  }
}

/** tcpdump's order and letters (print-tcp.c); '.' is ACK. */
const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
];

const FLAG_BY_LETTER = new Map(FLAG_LETTERS.map(([bit, letter]) => [letter, bit]));

/** Flags as tcpdump prints them: `[S]`, `[S.]`, `[P.]`, `[F.]`, `[R]`, `[none]`. */
export function flagsToString(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return `[${s || 'none'}]`;
}

/**
 * The inverse of flagsToString, for scripts: letters F S R P U E W and '.' for ACK,
 * in any order, brackets optional; 'none' is no flags. Undefined for anything else.
 */
export function parseFlagString(text: string): number | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t === 'none') return 0;
  if (t === '') return undefined;
  let flags = 0;
  for (const ch of t) {
    const bit = FLAG_BY_LETTER.get(ch);
    if (bit === undefined) return undefined;
    flags |= bit;
  }
  return flags;
}

/** Options as tcpdump prints them: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`. */
export function formatOptions(options: readonly TcpOption[]): string {
  return options.map(formatOption).join(',');
}

function formatOption(opt: TcpOption): string {
  switch (opt.kind) {
    case 'eol':
    case 'nop':
      return opt.kind;
    case 'mss':
      return `mss ${opt.value}`;
    case 'wscale':
      return `wscale ${opt.shift}`;
    case 'sack-permitted':
      return 'sackOK';
    case 'sack':
      return `sack ${opt.blocks.length} ${opt.blocks.map(([l, r]) => `{${l}:${r}}`).join('')}`;
    case 'timestamp':
      return `TS val ${opt.tsVal} ecr ${opt.tsEcr}`;
    case 'unknown':
      return `opt-${opt.code}:${hex(opt.data)}`;
  }
}


function err(reason: WireError['reason'], detail: string): WireError {
  return { layer: 'tcp', reason, detail };
}
