/**
 * Classic libpcap files: the writer behind "export to Wireshark" and the reader
 * behind "paste or open a capture".
 *
 * Format (https://wiki.wireshark.org/Development/LibpcapFileFormat):
 *
 *   global header, 24 bytes:  magic u32, version_major u16, version_minor u16,
 *                             thiszone i32, sigfigs u32, snaplen u32, network u32
 *   per record, 16 bytes:     ts_sec u32, ts_usec u32, incl_len u32, orig_len u32,
 *                             then incl_len bytes of the frame
 *
 * The writer emits little-endian microsecond files (like tcpdump on x86) with
 * LINKTYPE_ETHERNET. Timestamps are stack time: a record's `t` is milliseconds of
 * stack time, and `epochMs` (default 0) anchors it to wall time. Tests keep
 * epochMs 0 and get byte-identical files; the worker entry passes the wall time
 * at which stack time was 0.
 *
 * The reader treats the bytes as untrusted: it never throws, accepts both byte
 * orders and the nanosecond variant, and returns frames as zero-copy subarrays.
 */

import { EmitError, fail, ok, type Result } from '../wire/result';

/** Magic of microsecond-resolution files, as the writer's u32 reads it. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic of nanosecond-resolution files. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
/** First four bytes of a pcapng file (the Section Header Block type; a palindrome, so byte order does not matter). */
export const PCAPNG_BLOCK_TYPE_SHB = 0x0a0d0d0a;

export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const LINKTYPE_ETHERNET = 1;

export const GLOBAL_HEADER_LEN = 24;
export const RECORD_HEADER_LEN = 16;

/** tcpdump's default snap length. */
export const DEFAULT_SNAPLEN = 262_144;
/** The reader refuses records larger than this (libpcap's own maximum), whatever the file's snaplen says. */
export const MAX_RECORD_LEN = 256 * 1024;

// Global header field offsets.
const G_MAGIC = 0;
const G_VERSION_MAJOR = 4;
const G_VERSION_MINOR = 6;
const G_THISZONE = 8;
const G_SIGFIGS = 12;
const G_SNAPLEN = 16;
const G_NETWORK = 20;

// Record header field offsets, relative to the record.
const R_TS_SEC = 0;
const R_TS_FRAC = 4;
const R_INCL_LEN = 8;
const R_ORIG_LEN = 12;

/** Largest ts_sec a u32 can hold (early 2106). */
const MAX_TS_SEC = 0xffff_ffff;

function put16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function put32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function get16(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

function get32(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export interface PcapWriterOptions {
  /** Frames longer than this are truncated (orig_len keeps the real length). Default 262144. */
  snaplen?: number;
  /** Wall-clock milliseconds since the Unix epoch at stack time 0. Default 0. */
  epochMs?: number;
}

export interface PcapInputRecord {
  /** Stack time in milliseconds. */
  readonly t: number;
  readonly frame: Uint8Array;
}

/**
 * Splits a timestamp in milliseconds into (seconds, microseconds).
 * Rounds once, to whole microseconds, before splitting, so usec is never 1_000_000.
 * Times before the epoch clamp to 0 and times past 2106 to the last second a u32 holds.
 */
export function splitMicros(totalMs: number): { sec: number; usec: number } {
  let micros = Math.round(totalMs * 1000);
  if (!(micros >= 0)) micros = 0; // also NaN
  let sec = Math.floor(micros / 1_000_000);
  let usec = micros - sec * 1_000_000;
  if (sec > MAX_TS_SEC) {
    sec = MAX_TS_SEC;
    usec = 999_999;
  }
  return { sec, usec };
}

/**
 * Writes pcap headers and records. Stateless apart from its options, so one
 * writer can serve a streaming export (header() once, then record() per frame)
 * or fill one buffer (writeHeader/writeRecord at offsets the caller computes).
 */
export class PcapWriter {
  readonly snaplen: number;
  readonly epochMs: number;

  constructor(opts: PcapWriterOptions = {}) {
    const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffff_ffff) {
      throw new RangeError(`pcap snaplen must be a whole number from 1 to 4294967295, got ${snaplen}`);
    }
    const epochMs = opts.epochMs ?? 0;
    if (!Number.isFinite(epochMs)) throw new RangeError(`pcap epochMs must be a finite number, got ${epochMs}`);
    this.snaplen = snaplen;
    this.epochMs = epochMs;
  }

  /** Bytes a record for a frame of `frameLen` bytes takes (header plus the possibly truncated frame). */
  recordLength(frameLen: number): number {
    return RECORD_HEADER_LEN + Math.min(frameLen, this.snaplen);
  }

  /** Writes the 24-byte global header at out[offset..]; returns the offset after it. */
  writeHeader(out: Uint8Array, offset = 0): number {
    if (offset < 0 || offset + GLOBAL_HEADER_LEN > out.length) {
      throw new EmitError(`pcap header: need ${GLOBAL_HEADER_LEN} bytes at offset ${offset}, buffer has ${out.length}`);
    }
    put32le(out, offset + G_MAGIC, PCAP_MAGIC_MICROS);
    put16le(out, offset + G_VERSION_MAJOR, PCAP_VERSION_MAJOR);
    put16le(out, offset + G_VERSION_MINOR, PCAP_VERSION_MINOR);
    put32le(out, offset + G_THISZONE, 0); // timestamps are UTC
    put32le(out, offset + G_SIGFIGS, 0); // accuracy: everyone writes 0
    put32le(out, offset + G_SNAPLEN, this.snaplen);
    put32le(out, offset + G_NETWORK, LINKTYPE_ETHERNET);
    return offset + GLOBAL_HEADER_LEN;
  }

  /** Writes one record (header and frame bytes) at out[offset..]; returns the offset after it. */
  writeRecord(out: Uint8Array, offset: number, t: number, frame: Uint8Array): number {
    const incl = Math.min(frame.length, this.snaplen);
    const len = RECORD_HEADER_LEN + incl;
    if (offset < 0 || offset + len > out.length) {
      throw new EmitError(`pcap record: need ${len} bytes at offset ${offset}, buffer has ${out.length}`);
    }
    const { sec, usec } = splitMicros(this.epochMs + t);
    put32le(out, offset + R_TS_SEC, sec);
    put32le(out, offset + R_TS_FRAC, usec);
    put32le(out, offset + R_INCL_LEN, incl);
    put32le(out, offset + R_ORIG_LEN, frame.length);
    out.set(incl === frame.length ? frame : frame.subarray(0, incl), offset + RECORD_HEADER_LEN);
    return offset + len;
  }

  /** The global header as a new 24-byte array (the first chunk of a streamed file). */
  header(): Uint8Array {
    const out = new Uint8Array(GLOBAL_HEADER_LEN);
    this.writeHeader(out, 0);
    return out;
  }

  /** One record as a new array (the next chunk of a streamed file). */
  record(t: number, frame: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.recordLength(frame.length));
    this.writeRecord(out, 0, t, frame);
    return out;
  }
}

/**
 * A whole pcap file in one buffer: sizes every record first, allocates once, then
 * writes. An array is read twice in place; any other iterable (a generator, a
 * store) is first collected into an array of references (the frames are not copied).
 */
export function writePcap(records: Iterable<PcapInputRecord>, opts?: PcapWriterOptions): Uint8Array {
  const writer = new PcapWriter(opts);
  const list: readonly PcapInputRecord[] = Array.isArray(records) ? records : Array.from(records);
  let total = GLOBAL_HEADER_LEN;
  for (let i = 0; i < list.length; i++) total += writer.recordLength(list[i].frame.length);
  const out = new Uint8Array(total);
  let offset = writer.writeHeader(out, 0);
  for (let i = 0; i < list.length; i++) offset = writer.writeRecord(out, offset, list[i].t, list[i].frame);
  return out;
}

export interface PcapRecord {
  /** Milliseconds since the file's epoch (the Unix epoch for real captures). */
  t: number;
  /** The captured bytes: a subarray of the input, not a copy. */
  frame: Uint8Array;
  /** Length of the frame on the wire; larger than frame.length when the capture truncated it. */
  origLen: number;
}

export interface PcapFile {
  /** LINKTYPE_ value (the low 16 bits of the header's network field; 1 is Ethernet). */
  linkType: number;
  snaplen: number;
  /** True when the file's timestamps have nanosecond resolution (magic 0xa1b23c4d). */
  nanosecond: boolean;
  records: PcapRecord[];
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function readBefore(records: number): string {
  return `${plural(records, 'complete record was', 'complete records were')} read before it`;
}

/**
 * Parses a classic pcap file. Untrusted input: returns a typed error (layer 'pcap')
 * instead of throwing. A file cut short mid-record is an error whose detail says
 * how many complete records came before the cut.
 */
export function parsePcap(bytes: Uint8Array): Result<PcapFile> {
  if (bytes.length < 4) {
    return fail('pcap', 'truncated', `This is too short to be a pcap file: ${plural(bytes.length, 'byte', 'bytes')}, and the header alone takes ${GLOBAL_HEADER_LEN}.`);
  }
  const magicBE = get32(bytes, G_MAGIC, false);
  const magicLE = get32(bytes, G_MAGIC, true);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicLE === PCAP_MAGIC_MICROS || magicLE === PCAP_MAGIC_NANOS) {
    littleEndian = true;
    nanosecond = magicLE === PCAP_MAGIC_NANOS;
  } else if (magicBE === PCAP_MAGIC_MICROS || magicBE === PCAP_MAGIC_NANOS) {
    littleEndian = false;
    nanosecond = magicBE === PCAP_MAGIC_NANOS;
  } else if (magicBE === PCAPNG_BLOCK_TYPE_SHB) {
    return fail(
      'pcap',
      'unsupported',
      'This is not a pcap file: it looks like a pcapng file, and pcapng is not supported yet. In Wireshark, use File > Save As with the type "Wireshark/tcpdump - pcap" and open that instead.',
    );
  } else {
    return fail(
      'pcap',
      'unsupported',
      `This is not a pcap file: it starts with 0x${magicBE.toString(16).padStart(8, '0')}, not a pcap magic number (a1b2c3d4 or a1b23c4d, in either byte order).`,
    );
  }
  if (bytes.length < GLOBAL_HEADER_LEN) {
    return fail('pcap', 'truncated', `The pcap file ends inside its header: ${plural(bytes.length, 'byte', 'bytes')} of the ${GLOBAL_HEADER_LEN} it needs.`);
  }
  const versionMajor = get16(bytes, G_VERSION_MAJOR, littleEndian);
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    const versionMinor = get16(bytes, G_VERSION_MINOR, littleEndian);
    return fail('pcap', 'unsupported', `This pcap file has format version ${versionMajor}.${versionMinor}; only version 2.x can be read.`);
  }
  const snaplen = get32(bytes, G_SNAPLEN, littleEndian);
  const linkType = get32(bytes, G_NETWORK, littleEndian) & 0xffff; // upper bits may carry an FCS length
  // Some writers put 0 in snaplen; then only the absolute maximum applies.
  const maxIncl = snaplen === 0 ? MAX_RECORD_LEN : Math.min(snaplen, MAX_RECORD_LEN);
  const fracPerMs = nanosecond ? 1_000_000 : 1000;

  const records: PcapRecord[] = [];
  let offset = GLOBAL_HEADER_LEN;
  while (offset < bytes.length) {
    const n = records.length;
    if (bytes.length - offset < RECORD_HEADER_LEN) {
      return fail('pcap', 'truncated', `The pcap file ends inside the header of record ${n + 1} (at byte ${offset}); ${readBefore(n)}.`);
    }
    const sec = get32(bytes, offset + R_TS_SEC, littleEndian);
    const frac = get32(bytes, offset + R_TS_FRAC, littleEndian);
    const incl = get32(bytes, offset + R_INCL_LEN, littleEndian);
    const orig = get32(bytes, offset + R_ORIG_LEN, littleEndian);
    if (incl > maxIncl) {
      const limit = incl > MAX_RECORD_LEN ? `the maximum of ${MAX_RECORD_LEN}` : `the file's snap length of ${snaplen}`;
      return fail('pcap', 'bad-length', `Record ${n + 1} (at byte ${offset}) claims ${incl} captured bytes, more than ${limit}, so the file is damaged there; ${readBefore(n)}.`);
    }
    const start = offset + RECORD_HEADER_LEN;
    const end = start + incl;
    if (end > bytes.length) {
      return fail(
        'pcap',
        'truncated',
        `The pcap file ends inside record ${n + 1}: it needs ${incl} bytes of frame but only ${bytes.length - start} remain; ${readBefore(n)}.`,
      );
    }
    records.push({ t: sec * 1000 + frac / fracPerMs, frame: bytes.subarray(start, end), origLen: orig });
    offset = end;
  }
  return ok({ linkType, snaplen, nanosecond, records });
}
