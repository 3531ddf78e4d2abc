import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DNS,
  DnsClass,
  DnsType,
  Rcode,
  dnsBytes,
  dnsEncodingLength,
  dnsFields,
  encodeDns,
  formatRecord,
  isSubdomain,
  nameToLabels,
  normalizeName,
  parseDns,
  parseDnsHeader,
  txtData,
  txtText,
  type DnsMessage,
  type DnsRecord,
} from '../../../worker/wire/dns';
import { EmitError } from '../../../worker/wire/result';

/**
 * A query as dig 9.18 sends it: `dig example.com A` (EDNS with a client cookie).
 * Laid out by hand from RFC 1035 4.1 and RFC 6891 6.1.2 / RFC 7873 4.
 */
const DIG_QUERY = new Uint8Array([
  0xb3, 0x5e, // ID 0xb35e
  0x01, 0x20, // flags: QR=0 opcode=0 AA=0 TC=0 RD=1 RA=0 Z=0 AD=1 CD=0 RCODE=0
  0x00, 0x01, // QDCOUNT 1
  0x00, 0x00, // ANCOUNT 0
  0x00, 0x00, // NSCOUNT 0
  0x00, 0x01, // ARCOUNT 1 (the OPT pseudo-record)
  0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, // offset 12: label "example"
  0x03, 0x63, 0x6f, 0x6d, // offset 20: label "com"
  0x00, // offset 24: the root
  0x00, 0x01, // QTYPE A
  0x00, 0x01, // QCLASS IN
  0x00, // OPT owner: the root
  0x00, 0x29, // TYPE 41 (OPT)
  0x04, 0xd0, // "class": UDP payload size 1232
  0x00, 0x00, 0x00, 0x00, // "TTL": extended RCODE 0, version 0, flags 0
  0x00, 0x0c, // RDLENGTH 12
  0x00, 0x0a, 0x00, 0x08, // option COOKIE (10), length 8
  0x5f, 0x1e, 0x9a, 0x33, 0x0c, 0x44, 0x71, 0xd2, // client cookie
]);

/**
 * A response with a CNAME and compression, laid out as BIND 9 compresses it:
 * www.example.com. 300 IN CNAME web.example.com. / web.example.com. 60 IN A 93.184.216.34
 */
const CNAME_RESPONSE = new Uint8Array([
  0x1a, 0x2b, // ID
  0x81, 0x80, // flags: QR=1 opcode=0 AA=0 TC=0 RD=1 RA=1 RCODE=0 (NOERROR)
  0x00, 0x01, // QDCOUNT 1
  0x00, 0x02, // ANCOUNT 2
  0x00, 0x00, // NSCOUNT 0
  0x00, 0x00, // ARCOUNT 0
  0x03, 0x77, 0x77, 0x77, // offset 12: "www"
  0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, // offset 16: "example"
  0x03, 0x63, 0x6f, 0x6d, // offset 24: "com"
  0x00, // offset 28: root
  0x00, 0x01, // QTYPE A
  0x00, 0x01, // QCLASS IN
  0xc0, 0x0c, // offset 33: answer 1 name: pointer to offset 12 (www.example.com)
  0x00, 0x05, // TYPE CNAME
  0x00, 0x01, // CLASS IN
  0x00, 0x00, 0x01, 0x2c, // TTL 300
  0x00, 0x06, // RDLENGTH 6
  0x03, 0x77, 0x65, 0x62, // offset 45: "web"
  0xc0, 0x10, //            then a pointer to offset 16 (example.com)
  0xc0, 0x2d, // offset 51: answer 2 name: pointer to offset 45 (web.example.com)
  0x00, 0x01, // TYPE A
  0x00, 0x01, // CLASS IN
  0x00, 0x00, 0x00, 0x3c, // TTL 60
  0x00, 0x04, // RDLENGTH 4
  0x5d, 0xb8, 0xd8, 0x22, // 93.184.216.34
]);

/** NXDOMAIN for nope.bob.lab with the zone's SOA in the authority section (RFC 2308 2.1). */
const NXDOMAIN_RESPONSE = new Uint8Array([
  0x00, 0x07, // ID
  0x85, 0x03, // flags: QR=1 AA=1 RD=1 RCODE=3 (NXDOMAIN)
  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // 1 question, 0 answers, 1 authority, 0 additional
  0x04, 0x6e, 0x6f, 0x70, 0x65, // offset 12: "nope"
  0x03, 0x62, 0x6f, 0x62, // offset 17: "bob"
  0x03, 0x6c, 0x61, 0x62, // offset 21: "lab"
  0x00, // root
  0x00, 0x01, 0x00, 0x01, // A IN
  0xc0, 0x11, // offset 30: authority name: pointer to 17 (bob.lab)
  0x00, 0x06, 0x00, 0x01, // SOA IN
  0x00, 0x00, 0x00, 0x3c, // TTL 60
  0x00, 0x26, // RDLENGTH 38
  0x02, 0x6e, 0x73, 0xc0, 0x11, // MNAME ns.bob.lab (pointer to 17)
  0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0xc0, 0x11, // RNAME hostmaster.bob.lab
  0x00, 0x00, 0x00, 0x01, // serial 1
  0x00, 0x00, 0x0e, 0x10, // refresh 3600
  0x00, 0x00, 0x02, 0x58, // retry 600
  0x00, 0x09, 0x3a, 0x80, // expire 604800
  0x00, 0x00, 0x00, 0x1e, // minimum 30
]);

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

function parsed(bytes: Uint8Array): DnsMessage {
  const r = parseDns(bytes);
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

function errorOf(bytes: Uint8Array) {
  const r = parseDns(bytes);
  expect(r.ok).toBe(false);
  return r.ok ? undefined : r.error;
}

describe('DNS golden bytes', () => {
  it('parses dig\'s query with its EDNS OPT record kept as raw data', () => {
    const m = parsed(DIG_QUERY);
    expect(m).toMatchObject({ id: 0xb35e, qr: false, opcode: 0, rd: true, ad: true, aa: false, tc: false, ra: false, rcode: 0 });
    expect(m.questions).toEqual([{ name: 'example.com', type: DnsType.A, class: DnsClass.IN }]);
    expect(m.additionals).toHaveLength(1);
    const opt = m.additionals[0];
    expect(opt).toMatchObject({ name: '', type: DnsType.OPT, class: 1232, ttl: 0 });
    expect(opt.data).toEqual({ kind: 'raw', bytes: DIG_QUERY.slice(40) });
    expect(dnsBytes(m)).toEqual(DIG_QUERY);
  });

  it('parses a CNAME chain through compression pointers, and re-encodes to the same bytes', () => {
    const m = parsed(CNAME_RESPONSE);
    expect(m).toMatchObject({ id: 0x1a2b, qr: true, rd: true, ra: true, aa: false, rcode: Rcode.NOERROR });
    expect(m.answers).toEqual([
      { name: 'www.example.com', type: DnsType.CNAME, class: DnsClass.IN, ttl: 300, data: { kind: 'CNAME', target: 'web.example.com' } },
      { name: 'web.example.com', type: DnsType.A, class: DnsClass.IN, ttl: 60, data: { kind: 'A', address: ip(93, 184, 216, 34) } },
    ]);
    expect(dnsEncodingLength(m)).toBe(CNAME_RESPONSE.length);
    expect(dnsBytes(m)).toEqual(CNAME_RESPONSE);
    // Without compression every name is written out: longer, and the same message.
    const plain = dnsBytes(m, false);
    expect(plain.length).toBe(CNAME_RESPONSE.length + (17 - 2) + (17 - 6) + (17 - 2));
    expect(parsed(plain)).toEqual(m);
  });

  it('parses an NXDOMAIN with the SOA whose minimum bounds negative caching', () => {
    const m = parsed(NXDOMAIN_RESPONSE);
    expect(m).toMatchObject({ qr: true, aa: true, rcode: Rcode.NXDOMAIN, answers: [] });
    expect(m.authorities).toEqual([
      {
        name: 'bob.lab',
        type: DnsType.SOA,
        class: DnsClass.IN,
        ttl: 60,
        data: { kind: 'SOA', mname: 'ns.bob.lab', rname: 'hostmaster.bob.lab', serial: 1, refresh: 3600, retry: 600, expire: 604800, minimum: 30 },
      },
    ]);
    expect(dnsBytes(m)).toEqual(NXDOMAIN_RESPONSE);
    expect(formatRecord(m.authorities[0])).toBe('bob.lab. 60 IN SOA ns.bob.lab. hostmaster.bob.lab. 1 3600 600 604800 30');
  });

  it('encodes into a caller-owned buffer at an offset, and refuses a buffer that is too small', () => {
    const m = parsed(CNAME_RESPONSE);
    const out = new Uint8Array(100).fill(0xee);
    expect(encodeDns(m, out, 8)).toBe(CNAME_RESPONSE.length);
    expect(out.subarray(8, 8 + CNAME_RESPONSE.length)).toEqual(CNAME_RESPONSE);
    expect(out[7]).toBe(0xee);
    expect(out[8 + CNAME_RESPONSE.length]).toBe(0xee);
    // Parsing at an offset: pointers are relative to the message start.
    expect(parseDns(out, 8, 8 + CNAME_RESPONSE.length)).toEqual({ ok: true, value: m });
    expect(() => encodeDns(m, new Uint8Array(20))).toThrow(EmitError);
  });
});

describe('DNS fields for the packet detail', () => {
  it('gives each field its byte range and meaning, pointers included', () => {
    const { fields, error } = dnsFields(CNAME_RESPONSE);
    expect(error).toBeUndefined();
    const find = (section: string, name: string) => fields.find((f) => f.section === section && f.name === name);
    expect(find('Header', 'Transaction ID')).toMatchObject({ offset: 0, length: 2, value: '0x1a2b' });
    expect(find('Header', 'RD')).toMatchObject({ offset: 2, length: 2, mask: 0x0100, value: '1' });
    expect(find('Header', 'RCODE')).toMatchObject({ value: '0', meaning: 'NOERROR' });
    expect(find('Header', 'ANCOUNT')).toMatchObject({ offset: 6, length: 2, value: '2' });
    expect(find('Question 1', 'Name')).toMatchObject({ offset: 12, length: 17, value: 'www.example.com.' });
    expect(find('Question 1', 'Type')).toMatchObject({ offset: 29, length: 2, value: 'A' });
    expect(find('Answer 1', 'Name')).toMatchObject({ offset: 33, length: 0, value: 'www.example.com.' });
    expect(find('Answer 1', 'Compression pointer')).toMatchObject({ offset: 33, length: 2, value: '0xc00c' });
    expect(find('Answer 1', 'TTL')).toMatchObject({ offset: 39, length: 4, value: '300' });
    expect(find('Answer 1', 'Canonical name')).toMatchObject({ offset: 45, length: 4, value: 'web.example.com.' });
    expect(fields.filter((f) => f.section === 'Answer 1' && f.name === 'Compression pointer').map((f) => f.offset)).toEqual([33, 49]);
    expect(find('Answer 2', 'Address')).toMatchObject({ offset: 63, length: 4, value: '93.184.216.34' });
  });

  it('keeps the fields read before an error, and says what the error is', () => {
    const { fields, error } = dnsFields(CNAME_RESPONSE.subarray(0, 40));
    expect(error).toMatch(/runs past the end|ends before/);
    expect(fields.find((f) => f.section === 'Question 1' && f.name === 'Name')).toBeDefined();
  });
});

describe('DNS parser against hostile input (RFC 9267)', () => {
  const q = (...body: number[]) => new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...body]);

  it('refuses a pointer to itself', () => {
    expect(errorOf(q(0xc0, 0x0c, 0, 1, 0, 1))).toMatchObject({ layer: 'dns', reason: 'bad-pointer' });
  });

  it('refuses a forward pointer', () => {
    expect(errorOf(q(0xc0, 0x10, 0, 1, 0, 1, 0x01, 0x61, 0x00))).toMatchObject({ reason: 'bad-pointer' });
  });

  it('refuses a backward pointer into the same name (a loop that "pointer < here" would allow)', () => {
    // "a" then a pointer back to the name's own first label: a, a, a, ... forever.
    expect(errorOf(q(0x01, 0x61, 0xc0, 0x0c, 0, 1, 0, 1))).toMatchObject({ reason: 'bad-pointer' });
  });

  it('refuses a loop between two names, each pointing back into the other', () => {
    // Question 1 "x." at 12; question 2 at 19 = "y" + pointer to 21 (its own pointer) -> refused.
    const m = new Uint8Array([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x01, 0x78, 0x00, 0, 1, 0, 1, 0x01, 0x79, 0xc0, 0x13, 0, 1, 0, 1]);
    expect(errorOf(m)).toMatchObject({ reason: 'bad-pointer' });
  });

  it('refuses a pointer into the header', () => {
    expect(errorOf(q(0x01, 0x61, 0xc0, 0x02, 0, 1, 0, 1))).toMatchObject({ reason: 'bad-pointer' });
  });

  it('refuses label types 0x40 and 0x80 (a "64-byte label" does not exist)', () => {
    expect(errorOf(q(0x40, ...new Array(64).fill(0x61), 0, 0, 1, 0, 1))).toMatchObject({ reason: 'bad-name' });
    expect(errorOf(q(0x80, 0x61, 0, 0, 1, 0, 1))).toMatchObject({ reason: 'bad-name' });
  });

  it('refuses a name over 255 bytes, also when it is assembled through pointers', () => {
    const label63 = [63, ...new Array(63).fill(0x61)];
    // 4 x 64 + 1 = 257 bytes written out.
    expect(errorOf(q(...label63, ...label63, ...label63, ...label63, 0, 0, 1, 0, 1))).toMatchObject({ reason: 'bad-name' });
    // Question 1: three 64-byte labels (193 bytes); question 2: another 63-byte label + pointer to question 1 = 257.
    const two = new Uint8Array([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, ...label63, ...label63, ...label63, 0, 0, 1, 0, 1, ...label63, 0xc0, 0x0c, 0, 1, 0, 1]);
    expect(errorOf(two)).toMatchObject({ reason: 'bad-name' });
    // 255 exactly is fine: 3 x 64 + 62 + 1.
    const label61 = [61, ...new Array(61).fill(0x62)];
    const max = parsed(q(...label63, ...label63, ...label63, ...label61, 0, 0, 1, 0, 1));
    expect(nameToLabels(max.questions[0].name)).toMatchObject({ labels: expect.any(Array) });
  });

  it('refuses counts that promise more than the bytes hold, before looping over them', () => {
    const m = new Uint8Array([0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(errorOf(m)).toMatchObject({ reason: 'truncated' });
    expect(errorOf(m)?.detail).toMatch(/promises 65535 questions/);
  });

  it('refuses every truncation of a real message', () => {
    for (const golden of [DIG_QUERY, CNAME_RESPONSE, NXDOMAIN_RESPONSE]) {
      for (let n = 0; n < golden.length; n++) {
        const r = parseDns(golden.subarray(0, n));
        expect(r.ok, `prefix of ${n} bytes`).toBe(false);
      }
    }
  });

  it('refuses rdata whose length disagrees with its contents', () => {
    const a = CNAME_RESPONSE.slice();
    a[62] = 5; // A record RDLENGTH 5
    expect(errorOf(a)).toMatchObject({ reason: 'truncated' });
    const short = new Uint8Array([...CNAME_RESPONSE.slice(0, 62), 0x00, 0x03, 0x5d, 0xb8, 0xd8]);
    expect(errorOf(short)).toMatchObject({ reason: 'bad-length' });
    // CNAME RDLENGTH 7 while the name takes 6: a byte left over inside the rdata.
    const cname = new Uint8Array([...CNAME_RESPONSE.slice(0, 43), 0x00, 0x07, 0x03, 0x77, 0x65, 0x62, 0xc0, 0x10, 0x00]);
    cname[7] = 1; // one answer
    expect(errorOf(cname)).toMatchObject({ reason: 'bad-length' });
  });

  it('refuses a TXT string that runs past its rdata', () => {
    const m = new Uint8Array([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0, 16, 0, 1, 0, 0, 0, 0, 0, 3, 5, 0x68, 0x69]);
    expect(errorOf(m)).toMatchObject({ reason: 'bad-length' });
  });

  it('reads a TTL with the top bit set as zero (RFC 2181 8)', () => {
    const m = CNAME_RESPONSE.slice();
    m.set([0x80, 0, 0, 1], 39);
    expect(parsed(m).answers[0].ttl).toBe(0);
  });

  it('gives the header alone for a server that must answer FORMERR', () => {
    expect(parseDnsHeader(new Uint8Array([0xab, 0xcd, 0x01, 0x00, 0, 9, 0, 0, 0, 0, 0, 0]))).toMatchObject({ id: 0xabcd, qr: false, rd: true });
    expect(parseDnsHeader(new Uint8Array(11))).toBeUndefined();
  });
});

describe('DNS names', () => {
  it('escapes dots, backslashes and unprintable bytes inside labels, and reads them back', () => {
    const m = parsed(q2([3, 0x61, 0x2e, 0x62, 2, 0x5c, 0x20, 1, 0xff, 0]));
    expect(m.questions[0].name).toBe('a\\.b.\\\\\\032.\\255');
    expect(dnsBytes(m)).toEqual(q2([3, 0x61, 0x2e, 0x62, 2, 0x5c, 0x20, 1, 0xff, 0]));
    function q2(name: number[]) {
      return new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 1, 0, 1]);
    }
  });

  it('checks names people type, with sentences', () => {
    expect(normalizeName('www.bob.lab.')).toEqual({ name: 'www.bob.lab' });
    expect(normalizeName('.')).toEqual({ name: '' });
    expect(normalizeName('a..b')).toMatchObject({ error: expect.stringMatching(/empty label/) });
    expect(normalizeName('x'.repeat(64) + '.lab')).toMatchObject({ error: expect.stringMatching(/at most 63/) });
    expect(normalizeName(('x'.repeat(60) + '.').repeat(5))).toMatchObject({ error: expect.stringMatching(/at most 255/) });
    expect(() => dnsBytes({ ...parsed(CNAME_RESPONSE), questions: [{ name: 'a..b', type: 1, class: 1 }] })).toThrow(EmitError);
  });

  it('compares names case-insensitively and by whole labels', () => {
    expect(isSubdomain('WWW.Bob.lab', 'bob.LAB')).toBe(true);
    expect(isSubdomain('bob.lab', '')).toBe(true);
    expect(isSubdomain('xbob.lab', 'bob.lab')).toBe(false);
    expect(isSubdomain('x.a\\.b.bob.lab', 'bob.lab')).toBe(true);
    expect(isSubdomain('a\\.bob.lab', 'bob.lab')).toBe(false); // the label "a.bob" under lab
    expect(isSubdomain('bob\\.lab', 'lab')).toBe(false);
  });

  it('keeps TXT bytes exactly and shows them as text', () => {
    const d = txtData('Hello from bob 你好', 'x'.repeat(300));
    expect(d.kind === 'TXT' && d.strings.map((s) => s.length)).toEqual([21, 255, 45]);
    expect(d.kind === 'TXT' && txtText(d.strings[0])).toBe('Hello from bob 你好');
    expect(txtText(new Uint8Array([0x68, 0xff, 0x0a]))).toBe('h\\255\\010');
  });
});

// ---- properties ----

const labelArb = fc.uint8Array({ minLength: 1, maxLength: 63 });
const nameArb = fc
  .array(labelArb, { maxLength: 6 })
  .filter((ls) => ls.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((ls) => ls.map((l) => Array.from(l, (b) => (b === 0x2e || b === 0x5c ? '\\' + String.fromCharCode(b) : b > 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0'))).join('')).join('.'));
/** Mostly names sharing suffixes, so compression has work to do. */
const sharedNameArb = fc.oneof(nameArb, fc.constantFrom('bob.lab', 'www.bob.lab', 'ns.bob.lab', 'lab', '', 'WWW.bob.lab'));
const u32 = fc.nat({ max: 0xffff_ffff });
const rdataArb = fc.oneof(
  fc.record({ type: fc.constant(DnsType.A), class: fc.constant(DnsClass.IN), data: u32.map((address) => ({ kind: 'A' as const, address })) }),
  fc.record({ type: fc.constant(DnsType.AAAA), class: fc.constant(DnsClass.IN), data: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((address) => ({ kind: 'AAAA' as const, address })) }),
  fc.record({ type: fc.constant(DnsType.NS), class: fc.constant(DnsClass.IN), data: sharedNameArb.map((target) => ({ kind: 'NS' as const, target })) }),
  fc.record({ type: fc.constant(DnsType.CNAME), class: fc.constant(DnsClass.IN), data: sharedNameArb.map((target) => ({ kind: 'CNAME' as const, target })) }),
  fc.record({ type: fc.constant(DnsType.PTR), class: fc.constant(DnsClass.IN), data: sharedNameArb.map((target) => ({ kind: 'PTR' as const, target })) }),
  fc.record({ type: fc.constant(DnsType.MX), class: fc.constant(DnsClass.IN), data: fc.record({ kind: fc.constant('MX' as const), preference: fc.nat({ max: 0xffff }), exchange: sharedNameArb }) }),
  fc.record({
    type: fc.constant(DnsType.SOA),
    class: fc.constant(DnsClass.IN),
    data: fc.record({ kind: fc.constant('SOA' as const), mname: sharedNameArb, rname: sharedNameArb, serial: u32, refresh: u32, retry: u32, expire: u32, minimum: u32 }),
  }),
  fc.record({ type: fc.constant(DnsType.TXT), class: fc.constant(DnsClass.IN), data: fc.array(fc.uint8Array({ maxLength: 255 }), { minLength: 1, maxLength: 4 }).map((strings) => ({ kind: 'TXT' as const, strings })) }),
  fc.record({ type: fc.integer({ min: 100, max: 0xffff }).filter((t) => t !== 255 && t !== 252 && t !== 251), class: fc.nat({ max: 0xffff }), data: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ kind: 'raw' as const, bytes })) }),
  // A and AAAA outside class IN are opaque (RFC 1035 3.4.1: A's format is class-specific).
  fc.record({ type: fc.constant(DnsType.A), class: fc.constant(DnsClass.CH), data: fc.uint8Array({ maxLength: 8 }).map((bytes) => ({ kind: 'raw' as const, bytes })) }),
);
const recordArb: fc.Arbitrary<DnsRecord> = fc
  .record({ name: sharedNameArb, ttl: fc.nat({ max: 0x7fff_ffff }), rd: rdataArb })
  .map(({ name, ttl, rd }) => ({ name, ttl, type: rd.type, class: rd.class, data: rd.data }));
const messageArb: fc.Arbitrary<DnsMessage> = fc.record({
  id: fc.nat({ max: 0xffff }),
  qr: fc.boolean(),
  opcode: fc.nat({ max: 15 }),
  aa: fc.boolean(),
  tc: fc.boolean(),
  rd: fc.boolean(),
  ra: fc.boolean(),
  ad: fc.boolean(),
  cd: fc.boolean(),
  rcode: fc.nat({ max: 15 }),
  questions: fc.array(fc.record({ name: sharedNameArb, type: fc.nat({ max: 0xffff }), class: fc.nat({ max: 0xffff }) }), { maxLength: 3 }),
  answers: fc.array(recordArb, { maxLength: 5 }),
  authorities: fc.array(recordArb, { maxLength: 3 }),
  additionals: fc.array(recordArb, { maxLength: 3 }),
});

describe('DNS properties', () => {
  it('round-trips any message, compressed or not', () => {
    fc.assert(
      fc.property(messageArb, fc.boolean(), (m, compress) => {
        const bytes = dnsBytes(m, compress);
        expect(bytes.length).toBe(dnsEncodingLength(m, compress));
        expect(parseDns(bytes)).toEqual({ ok: true, value: m });
        if (compress) expect(bytes.length).toBeLessThanOrEqual(dnsEncodingLength(m, false));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = parseDns(bytes);
        if (r.ok) expect(parseDns(dnsBytes(r.value))).toEqual(r);
        dnsFields(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated real messages; what parses re-encodes to the same message', () => {
    const goldens = [DIG_QUERY, CNAME_RESPONSE, NXDOMAIN_RESPONSE];
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat({ max: 100 }), (g, edits, cut) => {
        const bytes = goldens[g].slice(0, Math.max(DNS.HEADER_LEN, goldens[g].length - (cut > 80 ? cut - 80 : 0)));
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        const r = parseDns(bytes);
        if (r.ok) expect(parseDns(dnsBytes(r.value))).toEqual(r);
        else expect(r.error.detail.length).toBeGreaterThan(10);
        dnsFields(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});
