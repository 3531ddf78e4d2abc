/**
 * DNS messages (RFC 1035 4.1), as carried in UDP.
 *
 *   parseDns(buf, start, end, fields?)  -> Result<DnsMessage>  (never throws)
 *   dnsEncodingLength(msg)              -> bytes encodeDns will write
 *   encodeDns(msg, out, offset)         -> writes into a caller-owned buffer
 *   dnsFields(buf, start, end)          -> every field's byte range, for the packet detail
 *
 * Names are text without the trailing dot ('' is the root), case preserved as
 * received. A byte that cannot stand for itself in a label is written as in
 * master files (RFC 1035 5.1): `\.` and `\\` for a dot or backslash inside a
 * label, `\DDD` (decimal) for bytes outside 0x21..0x7e. So every wire name has
 * exactly one text form and round-trips.
 *
 * The parser guards against the classic bugs RFC 9267 lists: compression
 * pointers that point forward, into the name being read or into the header
 * (each pointer must point strictly before everything read so far, so loops are
 * impossible, 9267 2); labels over 63 bytes and names over 255 (RFC 1035 2.3.4,
 * 9267 3/4); counts promising more records than there are bytes (9267 5);
 * rdata lengths that disagree with their contents (9267 6). Unknown record
 * types keep their rdata as raw bytes (RFC 3597), and are never compressed.
 *
 * Offsets in `fields` and in compression pointers are relative to the start of
 * the DNS message (the UDP payload), as on the wire.
 */

import { put16, put32, u16, u32 } from './bytes';
import { EmitError, fail, ok, type Result, type WireErrorReason } from './result';

export const DNS = {
  ID: 0,
  FLAGS: 2,
  QDCOUNT: 4,
  ANCOUNT: 6,
  NSCOUNT: 8,
  ARCOUNT: 10,
  HEADER_LEN: 12,
  /** RFC 1035 2.3.4: wire length of a name, length octets and the root's zero included. */
  MAX_NAME_LEN: 255,
  MAX_LABEL_LEN: 63,
  /** RFC 1035 2.3.4 / 4.2.1: largest UDP message without EDNS. */
  UDP_MAX: 512,
  /** Pointers carry 14 bits of offset (RFC 1035 4.1.4). */
  MAX_POINTER: 0x3fff,
  /** A question is at least a root name (1) + type (2) + class (2). */
  MIN_QUESTION_LEN: 5,
  /** A record is at least a root name (1) + type, class (4) + TTL (4) + rdlength (2). */
  MIN_RECORD_LEN: 11,
} as const;

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const DnsOpcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 41: 'OPT', 251: 'IXFR', 252: 'AXFR', 255: 'ANY' };
const CLASS_NAMES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };
const RCODE_NAMES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
const OPCODE_NAMES: Record<number, string> = { 0: 'QUERY', 1: 'IQUERY', 2: 'STATUS', 4: 'NOTIFY', 5: 'UPDATE' };

/** "A", "AAAA", or RFC 3597's "TYPE65" for the rest. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

export function className(cls: number): string {
  return CLASS_NAMES[cls] ?? `CLASS${cls}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `OPCODE${opcode}`;
}

/** A type by its mnemonic ("A", "txt", "TYPE65"), or undefined. */
export function typeFromName(text: string): number | undefined {
  const t = text.trim().toUpperCase();
  for (const [n, name] of Object.entries(TYPE_NAMES)) if (name === t) return Number(n);
  const m = /^TYPE(\d{1,5})$/.exec(t);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

export interface DnsHeader {
  id: number;
  /** Response (true) or query. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated: the answer did not fit (RFC 1035 4.1.1, RFC 2181 9). */
  tc: boolean;
  /** Recursion desired (copied into the response). */
  rd: boolean;
  /** Recursion available. */
  ra: boolean;
  /** Authentic data / checking disabled (RFC 4035 3.2); carried, not interpreted. */
  ad: boolean;
  cd: boolean;
  rcode: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export type DnsRdata =
  | { kind: 'A'; address: number }
  | { kind: 'AAAA'; address: Uint8Array }
  | { kind: 'NS' | 'CNAME' | 'PTR'; target: string }
  | { kind: 'MX'; preference: number; exchange: string }
  | { kind: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  /** Character-strings as bytes (exactly as on the wire); txtText() reads them as text. */
  | { kind: 'TXT'; strings: Uint8Array[] }
  /** Any other type (and A/AAAA outside class IN): the rdata as received (RFC 3597). */
  | { kind: 'raw'; bytes: Uint8Array };

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  /** Seconds; a received value with the top bit set reads as 0 (RFC 2181 8). */
  ttl: number;
  data: DnsRdata;
}

export interface DnsMessage extends DnsHeader {
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/**
 * What the fields mean, as English templates with {placeholders}. The packet
 * detail shows them translated: each id has a dictionary key
 * `dissect.dns.<id>` in src/lib/i18n with this very English text (a unit test
 * keeps the two equal). Vocabulary-only meanings (NOERROR, TYPE 1) have no id.
 */
export const DNS_NOTES = {
  txid: 'chosen at random by the asker; the answer must carry the same (RFC 5452)',
  'qr.response': 'a response',
  'qr.query': 'a query',
  'opcode.query': '{name}: a standard query',
  'aa.set': 'authoritative answer: the server owns this zone',
  'aa.clear': 'not authoritative',
  'tc.set': 'truncated: the answer did not fit; ask again over TCP or with EDNS',
  'tc.clear': 'not truncated',
  'rd.set': 'recursion desired: the asker wants a complete answer',
  'rd.clear': 'no recursion wanted',
  'ra.set': 'recursion available at this server',
  'ra.clear': 'this server does not recurse',
  z: 'reserved, zero',
  ad: 'authentic data (DNSSEC)',
  cd: 'checking disabled (DNSSEC)',
  'count.qd': 'number of questions',
  'count.an': 'number of answer records',
  'count.ns': 'number of authority records',
  'count.ar': 'number of additional records',
  'name.labels': "{bytes} bytes of length-prefixed labels, ending with the root's zero",
  'name.partial': 'labels written out here; the rest of the name follows the pointer',
  'name.pointer': 'the whole name is a pointer to an earlier one',
  pointer: 'the rest of the name is at offset {offset} (RFC 1035 4.1.4)',
  qtype: 'QTYPE {type}: what kind of record is asked for',
  'qclass.in': 'QCLASS {class}: the Internet',
  'edns.size': 'EDNS: the largest UDP answer the sender can take (RFC 6891 6.1.2)',
  'edns.flags': 'EDNS version {version}',
  'edns.flags.do': 'EDNS version {version}, DNSSEC OK',
  ttl: 'seconds this record may be cached',
  'ttl.high': 'seconds this record may be cached (sent as {sent}, read as 0: RFC 2181 8)',
  rdlength: 'length of the record data',
  a: 'IPv4 address',
  aaaa: 'IPv6 address',
  'mx.preference': 'lower is preferred',
  'soa.serial': 'version of the zone',
  'soa.refresh': 'seconds between secondary checks',
  'soa.retry': 'seconds before a failed check is retried',
  'soa.expire': 'seconds a secondary keeps serving without the primary',
  'soa.minimum': 'seconds a "no such name" answer may be cached (RFC 2308 4)',
  txt: 'a length byte and up to 255 bytes of text',
  raw: '{type} data, kept as bytes',
} as const;

export type DnsNoteId = keyof typeof DNS_NOTES;

/** A meaning by id, with the values to put in its template. */
export interface DnsNote {
  id: DnsNoteId;
  params?: Readonly<Record<string, string | number>>;
}

const note = (id: DnsNoteId, params?: Readonly<Record<string, string | number>>): DnsNote => (params ? { id, params } : { id });

function noteText(n: DnsNote): string {
  return DNS_NOTES[n.id].replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => (n.params?.[name] === undefined ? whole : String(n.params[name])));
}

/** One field of a message for the packet detail: where it is and what it means. */
export interface DnsField {
  /** "Header", "Question 1", "Answer 2", "Authority 1", "Additional 1". */
  section: string;
  name: string;
  /** Byte offset from the start of the DNS message. */
  offset: number;
  length: number;
  /** For bit fields inside `length` bytes (the flags), which bits. */
  mask?: number;
  value: string;
  /** In English. */
  meaning: string;
  /** The same meaning by id, for a translated detail; absent when the meaning is only a name (NOERROR, TYPE 1). */
  note?: DnsNote;
}

// ---------------------------------------------------------------- names (text)

/** RFC 4343: DNS compares names case-insensitively, ASCII letters only. */
export function lowerName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function sameName(a: string, b: string): boolean {
  return a.length === b.length && lowerName(a) === lowerName(b);
}

/** Labels of a name in text form, split at unescaped dots ("" for the root has none). */
export function nameLabels(name: string): string[] {
  if (name === '') return [];
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\' && i + 1 < name.length) {
      const d = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      const len = d ? 4 : 2;
      cur += name.slice(i, i + len);
      i += len - 1;
    } else if (c === '.') {
      labels.push(cur);
      cur = '';
    } else cur += c;
  }
  labels.push(cur);
  return labels;
}

/** `name` is `zone` or below it (every name is below the root ''). */
export function isSubdomain(name: string, zone: string): boolean {
  const n = nameLabels(lowerName(name));
  const z = nameLabels(lowerName(zone));
  if (z.length > n.length) return false;
  for (let i = 1; i <= z.length; i++) if (n[n.length - i] !== z[z.length - i]) return false;
  return true;
}

/** The name one label up ("www.bob.lab" -> "bob.lab"; "lab" -> ""). */
export function parentName(name: string): string {
  const labels = nameLabels(name);
  return labels.slice(1).join('.');
}

/** For people: "www.bob.lab." ("." for the root). */
export function displayName(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a name typed by a person or written in a zone and returns its wire
 * labels, or a sentence saying what is wrong. A trailing dot is allowed.
 */
export function nameToLabels(text: string): { labels: Uint8Array[] } | { error: string } {
  let t = text;
  // A trailing dot ends a fully qualified name, unless it is escaped (an odd number of backslashes before it).
  let slashes = 0;
  while (slashes < t.length - 1 && t[t.length - 2 - slashes] === '\\') slashes++;
  if (t.endsWith('.') && slashes % 2 === 0) t = t.slice(0, -1);
  if (t === '') return { labels: [] };
  const labels: Uint8Array[] = [];
  let total = 1;
  for (const label of nameLabels(t)) {
    const bytes: number[] = [];
    for (let i = 0; i < label.length; i++) {
      const c = label[i];
      if (c === '\\') {
        const d = /^\d{3}/.exec(label.slice(i + 1, i + 4));
        if (d) {
          const v = Number(d[0]);
          if (v > 255) return { error: `"\\${d[0]}" in "${text}" is not a byte (write \\000 to \\255).` };
          bytes.push(v);
          i += 3;
        } else if (i + 1 < label.length) {
          bytes.push(...encoder.encode(label[i + 1]));
          i += 1;
        } else return { error: `"${text}" ends in a lone backslash.` };
      } else bytes.push(...encoder.encode(c));
    }
    if (bytes.length === 0) return { error: `"${text}" has an empty label (two dots in a row, or a leading dot).` };
    if (bytes.length > DNS.MAX_LABEL_LEN) return { error: `The label "${label}" is ${bytes.length} bytes long; a DNS label holds at most 63 (RFC 1035 2.3.4).` };
    total += bytes.length + 1;
    labels.push(Uint8Array.from(bytes));
  }
  if (total > DNS.MAX_NAME_LEN) return { error: `"${text}" is ${total} bytes on the wire; a DNS name holds at most 255 (RFC 1035 2.3.4).` };
  return { labels };
}

/** A person's or a zone's name in our text form (no trailing dot), or a sentence. */
export function normalizeName(text: string): { name: string } | { error: string } {
  const r = nameToLabels(text.trim());
  if ('error' in r) return r;
  return { name: r.labels.map((l) => labelText(l)).join('.') };
}

function labelText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return s;
}

// ---------------------------------------------------------------- parsing

interface NameRead {
  name: string;
  /** Offset (absolute) just after the name where it was found. */
  next: number;
  /** Absolute offset of the first compression pointer, or -1. */
  pointerAt: number;
  /** Where that pointer leads (relative to the message), or -1. */
  pointerTo: number;
}

class Reader {
  error: { reason: WireErrorReason; detail: string } | undefined;

  constructor(
    readonly buf: Uint8Array,
    readonly base: number,
    readonly end: number,
    readonly fields: DnsField[] | undefined,
  ) {}

  fail(reason: WireErrorReason, detail: string): undefined {
    this.error ??= { reason, detail };
    return undefined;
  }

  /** `meaning`: a note, or a bare name (vocabulary such as NOERROR). */
  field(section: string, name: string, at: number, length: number, value: string, meaning: string | DnsNote, mask?: number): void {
    const text = typeof meaning === 'string' ? meaning : noteText(meaning);
    this.fields?.push({ section, name, offset: at - this.base, length, value, meaning: text, ...(typeof meaning === 'string' ? {} : { note: meaning }), ...(mask === undefined ? {} : { mask }) });
  }

  /** RFC 1035 4.1.4 with RFC 9267's guards. `what` names the name in error sentences. */
  name(at: number, what: string): NameRead | undefined {
    const { buf, base, end } = this;
    let pos = at;
    let next = -1;
    let pointerAt = -1;
    let pointerTo = -1;
    // Every pointer must point before everything read so far: then each jump
    // goes strictly backwards and a loop is impossible (RFC 9267 2).
    let limit = at - base;
    let wireLen = 1;
    let name = '';
    for (;;) {
      if (pos >= end) return this.fail('truncated', `${what} runs past the end of the message at offset ${pos - base}.`);
      const len = buf[pos];
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= end) return this.fail('truncated', `${what} ends in half a compression pointer at offset ${pos - base}.`);
        const target = ((len & 0x3f) << 8) | buf[pos + 1];
        if (target < DNS.HEADER_LEN) return this.fail('bad-pointer', `${what} has a compression pointer at offset ${pos - base} into the 12-byte header (to ${target}).`);
        if (target >= limit) {
          return this.fail('bad-pointer', `${what} has a compression pointer at offset ${pos - base} to ${target}, which is not before the name it continues (a forward pointer or a loop).`);
        }
        if (next < 0) {
          next = pos + 2;
          pointerAt = pos;
          pointerTo = target;
        }
        limit = target;
        pos = base + target;
        continue;
      }
      if (kind !== 0) return this.fail('bad-name', `${what} has a label of unknown type 0x${len.toString(16)} at offset ${pos - base} (only plain labels and pointers exist, RFC 6891 5).`);
      if (len === 0) {
        pos += 1;
        break;
      }
      wireLen += len + 1;
      if (wireLen > DNS.MAX_NAME_LEN) return this.fail('bad-name', `${what} is longer than 255 bytes (RFC 1035 2.3.4).`);
      if (pos + 1 + len > end) return this.fail('truncated', `${what} has a ${len}-byte label at offset ${pos - base} that runs past the end of the message.`);
      name += (name === '' ? '' : '.') + labelText(buf, pos + 1, pos + 1 + len);
      pos += 1 + len;
    }
    return { name, next: next < 0 ? pos : next, pointerAt, pointerTo };
  }

  nameField(section: string, label: string, at: number, r: NameRead): void {
    if (!this.fields) return;
    const shown = displayName(r.name);
    if (r.pointerAt < 0) {
      this.field(section, label, at, r.next - at, shown, note('name.labels', { bytes: r.next - at }));
      return;
    }
    if (r.pointerAt > at) this.field(section, label, at, r.pointerAt - at, shown, note('name.partial'));
    else this.field(section, label, at, 0, shown, note('name.pointer'));
    this.field(section, 'Compression pointer', r.pointerAt, 2, `0x${u16(this.buf, r.pointerAt).toString(16)}`, note('pointer', { offset: r.pointerTo }));
  }
}

function header(buf: Uint8Array, at: number): DnsHeader {
  const flags = u16(buf, at + DNS.FLAGS);
  return {
    id: u16(buf, at + DNS.ID),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
  };
}

/**
 * Just the header, for a server that must answer FORMERR to a query whose body
 * does not parse (RFC 1035 4.1.1), or undefined when there are not 12 bytes.
 */
export function parseDnsHeader(buf: Uint8Array, start = 0, end = buf.length): DnsHeader | undefined {
  return end - start >= DNS.HEADER_LEN ? header(buf, start) : undefined;
}

/** Parses a whole message. With `fields`, also records where every field is. */
export function parseDns(buf: Uint8Array, start = 0, end = buf.length, fields?: DnsField[]): Result<DnsMessage> {
  if (start < 0 || end > buf.length || end < start) return fail('dns', 'bad-length', `the range ${start}..${end} is not inside the ${buf.length}-byte buffer`);
  const len = end - start;
  if (len < DNS.HEADER_LEN) return fail('dns', 'truncated', `a DNS message of ${len} bytes is shorter than its 12-byte header`);
  const r = new Reader(buf, start, end, fields);
  const h = header(buf, start);
  const counts = [u16(buf, start + DNS.QDCOUNT), u16(buf, start + DNS.ANCOUNT), u16(buf, start + DNS.NSCOUNT), u16(buf, start + DNS.ARCOUNT)];
  if (fields) headerFields(r, start, h, counts);
  // RFC 9267 5: a count is a promise the bytes must keep; check it before looping
  // (and never allocate by it).
  const minimum = DNS.HEADER_LEN + counts[0] * DNS.MIN_QUESTION_LEN + (counts[1] + counts[2] + counts[3]) * DNS.MIN_RECORD_LEN;
  if (minimum > len) {
    return fail('dns', 'truncated', `the header promises ${counts[0]} questions and ${counts[1] + counts[2] + counts[3]} records, which need at least ${minimum} bytes; the message has ${len}`);
  }
  let pos = start + DNS.HEADER_LEN;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const section = `Question ${i + 1}`;
    const n = r.name(pos, `The name of question ${i + 1}`);
    if (!n) break;
    if (n.next + 4 > end) {
      r.fail('truncated', `Question ${i + 1} ends before its type and class.`);
      break;
    }
    const q = { name: n.name, type: u16(buf, n.next), class: u16(buf, n.next + 2) };
    if (fields) {
      r.nameField(section, 'Name', pos, n);
      r.field(section, 'Type', n.next, 2, typeName(q.type), note('qtype', { type: q.type }));
      r.field(section, 'Class', n.next + 2, 2, className(q.class), q.class === DnsClass.IN ? note('qclass.in', { class: q.class }) : `QCLASS ${q.class}`);
    }
    questions.push(q);
    pos = n.next + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  const sectionNames = ['Answer', 'Authority', 'Additional'];
  for (let s = 0; s < 3 && !r.error; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const rec = record(r, pos, `${sectionNames[s]} ${i + 1}`);
      if (!rec) break;
      sections[s].push(rec.record);
      pos = rec.next;
    }
  }
  if (r.error) return fail('dns', r.error.reason, r.error.detail);
  // Bytes after the last record are ignored, as BIND and Unbound do.
  return ok({ ...h, questions, answers: sections[0], authorities: sections[1], additionals: sections[2] });
}

function headerFields(r: Reader, at: number, h: DnsHeader, counts: number[]): void {
  const S = 'Header';
  const yes = (b: boolean) => (b ? '1' : '0');
  r.field(S, 'Transaction ID', at, 2, `0x${h.id.toString(16).padStart(4, '0')}`, note('txid'));
  r.field(S, 'QR', at + 2, 2, yes(h.qr), note(h.qr ? 'qr.response' : 'qr.query'), 0x8000);
  r.field(S, 'Opcode', at + 2, 2, String(h.opcode), h.opcode === 0 ? note('opcode.query', { name: opcodeName(h.opcode) }) : opcodeName(h.opcode), 0x7800);
  r.field(S, 'AA', at + 2, 2, yes(h.aa), note(h.aa ? 'aa.set' : 'aa.clear'), 0x0400);
  r.field(S, 'TC', at + 2, 2, yes(h.tc), note(h.tc ? 'tc.set' : 'tc.clear'), 0x0200);
  r.field(S, 'RD', at + 2, 2, yes(h.rd), note(h.rd ? 'rd.set' : 'rd.clear'), 0x0100);
  r.field(S, 'RA', at + 2, 2, yes(h.ra), note(h.ra ? 'ra.set' : 'ra.clear'), 0x0080);
  r.field(S, 'Z', at + 2, 2, String((u16(r.buf, at + 2) >>> 6) & 1), note('z'), 0x0040);
  r.field(S, 'AD', at + 2, 2, yes(h.ad), note('ad'), 0x0020);
  r.field(S, 'CD', at + 2, 2, yes(h.cd), note('cd'), 0x0010);
  r.field(S, 'RCODE', at + 2, 2, String(h.rcode), rcodeName(h.rcode), 0x000f);
  const what = ['count.qd', 'count.an', 'count.ns', 'count.ar'] as const;
  const names = ['QDCOUNT', 'ANCOUNT', 'NSCOUNT', 'ARCOUNT'];
  for (let i = 0; i < 4; i++) r.field(S, names[i], at + 4 + 2 * i, 2, String(counts[i]), note(what[i]));
}

function record(r: Reader, at: number, section: string): { record: DnsRecord; next: number } | undefined {
  const { buf, end } = r;
  const n = r.name(at, `The owner name of ${section.toLowerCase()}`);
  if (!n) return undefined;
  let pos = n.next;
  if (pos + 10 > end) return r.fail('truncated', `${section} ends before its type, class, TTL and length.`);
  const type = u16(buf, pos);
  const cls = u16(buf, pos + 2);
  const rawTtl = u32(buf, pos + 4);
  // RFC 2181 8: a TTL with the top bit set is treated as zero.
  const ttl = rawTtl > 0x7fff_ffff ? 0 : rawTtl;
  const rdlen = u16(buf, pos + 8);
  const rdStart = pos + 10;
  const rdEnd = rdStart + rdlen;
  if (r.fields) {
    r.nameField(section, 'Name', at, n);
    r.field(section, 'Type', pos, 2, typeName(type), `TYPE ${type}`);
    if (type === DnsType.OPT) {
      r.field(section, 'UDP payload size', pos + 2, 2, String(cls), note('edns.size'));
      r.field(section, 'Extended RCODE and flags', pos + 4, 4, `0x${rawTtl.toString(16).padStart(8, '0')}`, note(rawTtl & 0x8000 ? 'edns.flags.do' : 'edns.flags', { version: (rawTtl >>> 16) & 0xff }));
    } else {
      r.field(section, 'Class', pos + 2, 2, className(cls), `CLASS ${cls}`);
      r.field(section, 'TTL', pos + 4, 4, String(ttl), rawTtl !== ttl ? note('ttl.high', { sent: rawTtl }) : note('ttl'));
    }
    r.field(section, 'RDLENGTH', pos + 8, 2, String(rdlen), note('rdlength'));
  }
  if (rdEnd > end) return r.fail('truncated', `${section}'s ${rdlen} bytes of data run past the end of the message.`);
  const data = rdata(r, type, cls, rdStart, rdEnd, section);
  if (!data) return undefined;
  return { record: { name: n.name, type, class: cls, ttl, data }, next: rdEnd };
}

function rdata(r: Reader, type: number, cls: number, start: number, end: number, section: string): DnsRdata | undefined {
  const { buf } = r;
  const len = end - start;
  const wrongLength = (what: string) => r.fail('bad-length', `${section} is ${typeName(type)} with ${len} bytes of data, but ${what} (RFC 9267 6).`);
  /** A name that must end exactly at `end` when `last`. */
  const nameIn = (at: number, label: string, last: boolean): NameRead | undefined => {
    // The name may point anywhere earlier, but what it writes out must stay inside the rdata.
    const sub = new Reader(buf, r.base, end, undefined);
    const n = sub.name(at, `The ${label} in ${section.toLowerCase()}`);
    if (!n) return r.fail(sub.error!.reason, sub.error!.detail);
    if (last && n.next !== end) return wrongLength(`its ${label} ends ${end - n.next} bytes before that`);
    r.nameField(section, label[0].toUpperCase() + label.slice(1), at, n);
    return n;
  };
  switch (type) {
    case DnsType.A:
      if (cls !== DnsClass.IN) break;
      if (len !== 4) return wrongLength('an IPv4 address is 4 bytes');
      r.field(section, 'Address', start, 4, `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`, note('a'));
      return { kind: 'A', address: u32(buf, start) };
    case DnsType.AAAA:
      if (cls !== DnsClass.IN) break;
      if (len !== 16) return wrongLength('an IPv6 address is 16 bytes');
      r.field(section, 'Address', start, 16, formatIpv6(buf.subarray(start, end)), note('aaaa'));
      return { kind: 'AAAA', address: buf.slice(start, end) };
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR: {
      const label = type === DnsType.NS ? 'name server' : type === DnsType.CNAME ? 'canonical name' : 'domain name';
      const n = nameIn(start, label, true);
      if (!n) return undefined;
      return { kind: typeName(type) as 'NS' | 'CNAME' | 'PTR', target: n.name };
    }
    case DnsType.MX: {
      if (len < 3) return wrongLength('MX needs a preference and a name');
      r.field(section, 'Preference', start, 2, String(u16(buf, start)), note('mx.preference'));
      const n = nameIn(start + 2, 'mail exchange', true);
      if (!n) return undefined;
      return { kind: 'MX', preference: u16(buf, start), exchange: n.name };
    }
    case DnsType.SOA: {
      const m = nameIn(start, 'primary name server', false);
      if (!m) return undefined;
      const rn = nameIn(m.next, 'responsible mailbox', false);
      if (!rn) return undefined;
      if (end - rn.next !== 20) return wrongLength(`after its two names SOA has ${end - rn.next} bytes where five 32-bit numbers (20 bytes) belong`);
      const at = rn.next;
      const nums = [u32(buf, at), u32(buf, at + 4), u32(buf, at + 8), u32(buf, at + 12), u32(buf, at + 16)];
      const labels: [string, DnsNoteId][] = [
        ['Serial', 'soa.serial'],
        ['Refresh', 'soa.refresh'],
        ['Retry', 'soa.retry'],
        ['Expire', 'soa.expire'],
        ['Minimum', 'soa.minimum'],
      ];
      labels.forEach(([name, id], i) => r.field(section, name, at + 4 * i, 4, String(nums[i]), note(id)));
      return { kind: 'SOA', mname: m.name, rname: rn.name, serial: nums[0], refresh: nums[1], retry: nums[2], expire: nums[3], minimum: nums[4] };
    }
    case DnsType.TXT: {
      if (len === 0) return wrongLength('TXT holds at least one character-string (RFC 1035 3.3.14)');
      const strings: Uint8Array[] = [];
      let pos = start;
      while (pos < end) {
        const l = buf[pos];
        if (pos + 1 + l > end) return wrongLength(`a ${l}-byte string at offset ${pos - r.base} runs past the data`);
        const bytes = buf.slice(pos + 1, pos + 1 + l);
        r.field(section, 'Text', pos, 1 + l, quoteText(bytes), note('txt'));
        strings.push(bytes);
        pos += 1 + l;
      }
      return { kind: 'TXT', strings };
    }
  }
  if (len > 0) r.field(section, 'Data', start, len, hexOf(buf, start, end), note('raw', { type: typeName(type) }));
  return { kind: 'raw', bytes: buf.slice(start, end) };
}

function hexOf(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < start + 64; i++) s += b[i].toString(16).padStart(2, '0');
  return end - start > 64 ? `${s}…` : s;
}

/** RFC 5952 text form. */
export function formatIpv6(a: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a[i] << 8) | a[i + 1]);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

/** Every field of a message with its byte range, or the error that stopped the parse (fields up to it are kept). */
export function dnsFields(buf: Uint8Array, start = 0, end = buf.length): { fields: DnsField[]; error?: string } {
  const fields: DnsField[] = [];
  const r = parseDns(buf, start, end, fields);
  return r.ok ? { fields } : { fields, error: r.error.detail };
}

// ---------------------------------------------------------------- encoding

/**
 * Writes (or, without `out`, only measures) a message. Compression: every name
 * suffix written is remembered by its lower-case text; a later name that ends
 * in a remembered suffix writes a pointer to it (RFC 1035 4.1.4). Names in the
 * rdata of NS, CNAME, PTR, MX and SOA may be compressed; never in other types
 * (RFC 3597 4).
 */
class Writer {
  pos: number;
  private readonly suffixes = new Map<string, number>();

  constructor(
    private readonly out: Uint8Array | undefined,
    private readonly base: number,
  ) {
    this.pos = base;
  }

  u8(v: number): void {
    if (this.out) this.out[this.pos] = v;
    this.pos += 1;
  }
  u16(v: number): void {
    if (this.out) put16(this.out, this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    if (this.out) put32(this.out, this.pos, v >>> 0);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    if (this.out) this.out.set(b, this.pos);
    this.pos += b.length;
  }
  /** Fills in a length written earlier (measuring writes nothing). */
  patch16(at: number, v: number): void {
    if (this.out) put16(this.out, at, v);
  }

  name(text: string, compress: boolean): void {
    const r = nameToLabels(text);
    if ('error' in r) throw new EmitError(`dns: ${r.error}`);
    const labels = r.labels;
    for (let i = 0; i < labels.length; i++) {
      // Exact text, not case-folded: a pointer then always reads back the very name written.
      const key = labels.slice(i).map((l) => labelText(l)).join('.');
      const at = this.suffixes.get(key);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      const offset = this.pos - this.base;
      if (offset <= DNS.MAX_POINTER && !this.suffixes.has(key)) this.suffixes.set(key, offset);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }
}

function write(msg: DnsMessage, w: Writer, compress: boolean): void {
  const flags =
    (msg.qr ? 0x8000 : 0) |
    ((msg.opcode & 0xf) << 11) |
    (msg.aa ? 0x0400 : 0) |
    (msg.tc ? 0x0200 : 0) |
    (msg.rd ? 0x0100 : 0) |
    (msg.ra ? 0x0080 : 0) |
    (msg.ad ? 0x0020 : 0) |
    (msg.cd ? 0x0010 : 0) |
    (msg.rcode & 0xf);
  for (const [list, what] of [
    [msg.questions, 'questions'],
    [msg.answers, 'answers'],
    [msg.authorities, 'authority records'],
    [msg.additionals, 'additional records'],
  ] as const) {
    if (list.length > 0xffff) throw new EmitError(`dns: ${list.length} ${what} do not fit a 16-bit count`);
  }
  w.u16(msg.id & 0xffff);
  w.u16(flags);
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authorities.length);
  w.u16(msg.additionals.length);
  for (const q of msg.questions) {
    w.name(q.name, compress);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const list of [msg.answers, msg.authorities, msg.additionals]) for (const rec of list) writeRecord(w, rec, compress);
}

function writeRecord(w: Writer, rec: DnsRecord, compress: boolean): void {
  w.name(rec.name, compress);
  w.u16(rec.type);
  w.u16(rec.class);
  w.u32(rec.ttl);
  const lenAt = w.pos;
  w.u16(0);
  const d = rec.data;
  const expect = d.kind === 'raw' ? undefined : (DnsType as Record<string, number>)[d.kind];
  if (expect !== undefined && expect !== rec.type) throw new EmitError(`dns: a record of type ${typeName(rec.type)} cannot carry ${d.kind} data`);
  switch (d.kind) {
    case 'A':
      w.u32(d.address);
      break;
    case 'AAAA':
      if (d.address.length !== 16) throw new EmitError('dns: an AAAA address is 16 bytes');
      w.bytes(d.address);
      break;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(d.target, compress);
      break;
    case 'MX':
      w.u16(d.preference);
      w.name(d.exchange, compress);
      break;
    case 'SOA':
      w.name(d.mname, compress);
      w.name(d.rname, compress);
      w.u32(d.serial);
      w.u32(d.refresh);
      w.u32(d.retry);
      w.u32(d.expire);
      w.u32(d.minimum);
      break;
    case 'TXT':
      if (d.strings.length === 0) throw new EmitError('dns: a TXT record holds at least one string');
      for (const b of d.strings) {
        if (b.length > 255) throw new EmitError(`dns: a TXT string holds at most 255 bytes; one has ${b.length}`);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case 'raw':
      w.bytes(d.bytes);
      break;
  }
  const rdlen = w.pos - lenAt - 2;
  if (rdlen > 0xffff) throw new EmitError(`dns: ${rdlen} bytes of record data do not fit a 16-bit length`);
  w.patch16(lenAt, rdlen);
}

/** Bytes encodeDns will write for `msg` (with compression unless `compress` is false). */
export function dnsEncodingLength(msg: DnsMessage, compress = true): number {
  const w = new Writer(undefined, 0);
  write(msg, w, compress);
  return w.pos;
}

/** Writes `msg` at out[offset..]; returns its length. Throws EmitError only for our own mistakes (a bad name, no room). */
export function encodeDns(msg: DnsMessage, out: Uint8Array, offset = 0, compress = true): number {
  const len = dnsEncodingLength(msg, compress);
  if (offset < 0 || offset + len > out.length) throw new EmitError(`dns: need ${len} bytes at offset ${offset}, buffer has ${out.length}`);
  const w = new Writer(out, offset);
  write(msg, w, compress);
  return len;
}

/** A new buffer holding `msg`. */
export function dnsBytes(msg: DnsMessage, compress = true): Uint8Array {
  const out = new Uint8Array(dnsEncodingLength(msg, compress));
  encodeDns(msg, out, 0, compress);
  return out;
}

// ---------------------------------------------------------------- building

/** A query with one question (RFC 1035 4.1.1); `rd` asks the server to recurse. */
export function dnsQuery(id: number, name: string, type: number, rd: boolean): DnsMessage {
  return {
    id,
    qr: false,
    opcode: DnsOpcode.QUERY,
    aa: false,
    tc: false,
    rd,
    ra: false,
    ad: false,
    cd: false,
    rcode: Rcode.NOERROR,
    questions: [{ name, type, class: DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** TXT data from text (UTF-8), split into 255-byte strings as needed. */
export function txtData(...texts: string[]): DnsRdata {
  const strings: Uint8Array[] = [];
  for (const t of texts) {
    const b = encoder.encode(t);
    if (b.length === 0) strings.push(b);
    for (let i = 0; i < b.length; i += 255) strings.push(b.slice(i, i + 255));
  }
  return { kind: 'TXT', strings };
}

/** A TXT string as text: UTF-8 when it is valid UTF-8, otherwise its bytes escaped as in master files. */
export function txtText(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0');
    return s;
  }
}

function quoteText(bytes: Uint8Array): string {
  return JSON.stringify(txtText(bytes));
}

/** One-line text of a record, as dig prints it: "www.bob.lab. 300 IN CNAME bob.lab." */
export function formatRecord(r: DnsRecord): string {
  return `${displayName(r.name)} ${r.ttl} ${className(r.class)} ${typeName(r.type)} ${formatRdata(r.data)}`;
}

export function formatRdata(d: DnsRdata): string {
  switch (d.kind) {
    case 'A':
      return `${d.address >>> 24}.${(d.address >>> 16) & 0xff}.${(d.address >>> 8) & 0xff}.${d.address & 0xff}`;
    case 'AAAA':
      return formatIpv6(d.address);
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return displayName(d.target);
    case 'MX':
      return `${d.preference} ${displayName(d.exchange)}`;
    case 'SOA':
      return `${displayName(d.mname)} ${displayName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'TXT':
      return d.strings.map(quoteText).join(' ');
    case 'raw':
      return `\\# ${d.bytes.length} ${hexOf(d.bytes, 0, d.bytes.length)}`;
  }
}
