import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ICMP,
  IcmpType,
  IcmpView,
  TimeExceededCode,
  UnreachableCode,
  emitIcmp,
  icmpEncodingLength,
  parseIcmp,
  type IcmpRepr,
} from '../../../worker/wire/icmp';
import { IpProtocol, Ipv4View, parseIpv4 } from '../../../worker/wire/ipv4';
import { parseUdp } from '../../../worker/wire/udp';
import { EmitError } from '../../../worker/wire/result';

// ICMP checksums (and those of the quoted IPv4/UDP headers) below were computed with a
// one-off python3 script implementing RFC 1071, not with the code under test.

/** The 56 data bytes of ping(8) on 64-bit Linux: a struct timeval, then the pattern 0x10..0x37. */
const PING_DATA = [
  0xa1, 0xb5, 0x60, 0x65, 0x00, 0x00, 0x00, 0x00, // tv_sec (little-endian)
  0xc2, 0xf1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, // tv_usec (little-endian)
  ...Array.from({ length: 40 }, (_, i) => 0x10 + i), // pattern 0x10..0x37
];

/** ping 10.0.0.2: the first echo request. */
const ECHO_REQUEST = new Uint8Array([
  0x08, // type 8: echo request
  0x00, // code 0
  0x23, 0xf5, // checksum
  0x4d, 0x2a, // identifier 0x4d2a
  0x00, 0x01, // sequence number 1
  ...PING_DATA, // 56 data bytes
]);

/** The reply from 10.0.0.2: same identifier, sequence and data. */
const ECHO_REPLY = new Uint8Array([
  0x00, // type 0: echo reply
  0x00, // code 0
  0x2b, 0xf5, // checksum
  0x4d, 0x2a, // identifier 0x4d2a
  0x00, 0x01, // sequence number 1
  ...PING_DATA, // 56 data bytes, echoed
]);

/** The DNS query 10.0.0.1:53000 -> 10.0.0.2:53 that nobody listens for, as an IPv4 datagram (57 bytes). */
const DNS_QUERY_DATAGRAM = [
  0x45, // IPv4: version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x00, 0x39, // total length 57
  0x5b, 0x21, // identification
  0x40, 0x00, // DF
  0x40, // TTL 64
  0x11, // protocol UDP
  0xcb, 0x90, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  0xcf, 0x08, // UDP source port 53000
  0x00, 0x35, // UDP destination port 53
  0x00, 0x25, // UDP length 37
  0x3a, 0xc2, // UDP checksum
  0x12, 0x34, // DNS id
  0x01, 0x00, // DNS flags: recursion desired
  0x00, 0x01, // QDCOUNT 1
  0x00, 0x00, // ANCOUNT 0
  0x00, 0x00, // NSCOUNT 0
  0x00, 0x00, // ARCOUNT 0
  0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, // label "example"
  0x03, 0x63, 0x6f, 0x6d, // label "com"
  0x00, // root label
  0x00, 0x01, // QTYPE A
  0x00, 0x01, // QCLASS IN
];

/** 10.0.0.2 answers with port unreachable, quoting the whole datagram as Linux does (65 bytes, odd length). */
const PORT_UNREACHABLE = new Uint8Array([
  0x03, // type 3: destination unreachable
  0x03, // code 3: port unreachable
  0x11, 0x36, // checksum
  0x00, 0x00, 0x00, 0x00, // unused
  ...DNS_QUERY_DATAGRAM, // the original datagram
]);

/** A router at 10.0.0.254 drops a traceroute probe whose TTL ran out, quoting the header + 8 bytes. */
const TIME_EXCEEDED = new Uint8Array([
  0x0b, // type 11: time exceeded
  0x00, // code 0: TTL exceeded in transit
  0xa8, 0x73, // checksum
  0x00, 0x00, 0x00, 0x00, // unused
  0x45, // quoted IPv4: version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x00, 0x3c, // total length 60 (the probe; only 28 bytes are quoted)
  0x7d, 0x01, // identification
  0x00, 0x00, // no flags
  0x01, // TTL 1
  0x11, // protocol UDP
  0xf6, 0xa7, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0xcb, 0x00, 0x71, 0x07, // destination 203.0.113.7
  0xad, 0x9c, // UDP source port 44444
  0x82, 0x9a, // UDP destination port 33434 (traceroute)
  0x00, 0x28, // UDP length 40
  0x1c, 0x2d, // UDP checksum (as carried)
]);

/** A router with a 576-byte next hop refuses a 1500-byte DF TCP segment (RFC 1191). */
const FRAG_NEEDED = new Uint8Array([
  0x03, // type 3: destination unreachable
  0x04, // code 4: fragmentation needed and DF set
  0x58, 0x89, // checksum
  0x00, 0x00, // unused
  0x02, 0x40, // next-hop MTU 576
  0x45, // quoted IPv4: version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x05, 0xdc, // total length 1500
  0x2c, 0x4b, // identification
  0x40, 0x00, // DF
  0x3f, // TTL 63
  0x06, // protocol TCP
  0xd5, 0x88, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0xc6, 0x33, 0x64, 0x14, // destination 198.51.100.20
  0x9c, 0x40, // TCP source port 40000
  0x00, 0x50, // TCP destination port 80
  0x3b, 0x9a, 0xca, 0x07, // TCP sequence number
]);

const GOLDENS = { ECHO_REQUEST, ECHO_REPLY, PORT_UNREACHABLE, TIME_EXCEEDED, FRAG_NEEDED };

/** Independent RFC 1071 checksum, for building test messages that must checksum correctly. */
function refChecksum(b: ArrayLike<number>, off = 0, len = b.length - off): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

function withChecksum(bytes: number[]): Uint8Array {
  const b = Uint8Array.from(bytes);
  b[2] = 0;
  b[3] = 0;
  const c = refChecksum(b);
  b[2] = c >>> 8;
  b[3] = c & 0xff;
  return b;
}

function parsed(bytes: Uint8Array, start?: number, end?: number): IcmpRepr {
  const r = parseIcmp(bytes, start, end);
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const OFFSET = 6;
const TAIL = 5;

function emitInto(repr: IcmpRepr): Uint8Array {
  const len = icmpEncodingLength(repr);
  const out = new Uint8Array(OFFSET + len + TAIL).fill(0xaa);
  expect(emitIcmp(repr, out, OFFSET)).toBe(len);
  expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(OFFSET + len).every((b) => b === 0xaa)).toBe(true);
  return out.slice(OFFSET, OFFSET + len);
}

function plain(repr: IcmpRepr): unknown {
  // typed arrays as plain arrays, so subarrays and copies compare by content
  return Object.fromEntries(Object.entries(repr).map(([k, v]) => [k, v instanceof Uint8Array ? Array.from(v) : v]));
}

describe('golden: echo request as ping(8) sends it', () => {
  it('parses every field; data is zero-copy', () => {
    const r = parsed(ECHO_REQUEST);
    if (r.type !== 'echo-request') throw new Error(r.type);
    expect(r.ident).toBe(0x4d2a);
    expect(r.seq).toBe(1);
    expect(Array.from(r.data)).toEqual(PING_DATA);
    expect(r.data.length).toBe(56);
    expect(r.data[16]).toBe(0x10);
    expect(r.data[55]).toBe(0x37);
    expect(r.data.buffer).toBe(ECHO_REQUEST.buffer);
    expect(r.data.byteOffset).toBe(8);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto({ type: 'echo-request', ident: 0x4d2a, seq: 1, data: Uint8Array.from(PING_DATA) }))).toEqual(
      Array.from(ECHO_REQUEST),
    );
  });

  it('is also what the IPv4 codec hands up from a whole datagram', () => {
    const datagram = new Uint8Array([
      0x45, 0x00, 0x00, 0x54, 0x9c, 0x3e, 0x40, 0x00, 0x40, 0x01, 0x8a, 0x68, // IPv4 header, checksum 0x8a68 ...
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, // ... 10.0.0.1 -> 10.0.0.2
      ...ECHO_REQUEST,
    ]);
    const ip = parseIpv4(datagram);
    if (!ip.ok) throw new Error(ip.error.detail);
    expect(ip.value.protocol).toBe(IpProtocol.ICMP);
    const r = parseIcmp(datagram, 20, 84);
    expect(r.ok && plain(r.value)).toEqual(plain(parsed(ECHO_REQUEST)));
  });
});

describe('golden: echo reply', () => {
  it('parses every field', () => {
    expect(plain(parsed(ECHO_REPLY))).toEqual({ type: 'echo-reply', ident: 0x4d2a, seq: 1, data: PING_DATA });
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto(parsed(ECHO_REPLY)))).toEqual(Array.from(ECHO_REPLY));
  });

  it('can be built in place from the request (only type and checksum change)', () => {
    const buf = new Uint8Array(OFFSET + 64 + TAIL).fill(0xaa);
    buf.set(ECHO_REQUEST, OFFSET);
    const req = parsed(buf, OFFSET, OFFSET + 64);
    if (req.type !== 'echo-request') throw new Error(req.type);
    expect(emitIcmp({ type: 'echo-reply', ident: req.ident, seq: req.seq, data: req.data }, buf, OFFSET)).toBe(64);
    expect(Array.from(buf.subarray(OFFSET, OFFSET + 64))).toEqual(Array.from(ECHO_REPLY));
    expect(buf.subarray(OFFSET + 64).every((b) => b === 0xaa)).toBe(true);
  });
});

describe('golden: port unreachable quoting a UDP datagram', () => {
  it('parses every field; the quote is the whole original datagram', () => {
    const r = parsed(PORT_UNREACHABLE);
    if (r.type !== 'dest-unreachable') throw new Error(r.type);
    expect(r.code).toBe(UnreachableCode.PORT);
    expect(r.nextHopMtu).toBe(0);
    expect(Array.from(r.original)).toEqual(DNS_QUERY_DATAGRAM);
  });

  it('quotes a datagram the IPv4 and UDP codecs can read (the socket lookup needs its ports)', () => {
    const r = parsed(PORT_UNREACHABLE);
    if (r.type !== 'dest-unreachable') throw new Error(r.type);
    const ip = parseIpv4(r.original);
    if (!ip.ok) throw new Error(ip.error.detail);
    expect(ip.value.protocol).toBe(IpProtocol.UDP);
    const udp = parseUdp(ip.value.payload, 0, ip.value.payload.length, { src: ip.value.src, dst: ip.value.dst });
    if (!udp.ok) throw new Error(udp.error.detail);
    expect(udp.value.srcPort).toBe(53000);
    expect(udp.value.dstPort).toBe(53);
  });

  it('emits the same 65 bytes (odd length) at an offset', () => {
    expect(Array.from(emitInto(parsed(PORT_UNREACHABLE)))).toEqual(Array.from(PORT_UNREACHABLE));
  });
});

describe('golden: time exceeded', () => {
  it('parses every field', () => {
    const r = parsed(TIME_EXCEEDED);
    if (r.type !== 'time-exceeded') throw new Error(r.type);
    expect(r.code).toBe(TimeExceededCode.TTL);
    expect(r.original.length).toBe(28);
    const quoted = new Ipv4View().wrap(r.original);
    expect(quoted.ttl).toBe(1);
    expect(quoted.protocol).toBe(IpProtocol.UDP);
    expect(quoted.dst).toBe(0xcb_00_71_07);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto(parsed(TIME_EXCEEDED)))).toEqual(Array.from(TIME_EXCEEDED));
  });
});

describe('golden: fragmentation needed with next-hop MTU 576', () => {
  it('parses every field', () => {
    const r = parsed(FRAG_NEEDED);
    if (r.type !== 'dest-unreachable') throw new Error(r.type);
    expect(r.code).toBe(UnreachableCode.FRAG_NEEDED);
    expect(r.nextHopMtu).toBe(576);
    expect(r.original.length).toBe(28);
    const quoted = new Ipv4View().wrap(r.original);
    expect(quoted.totalLen).toBe(1500);
    expect(quoted.dontFrag).toBe(true);
    expect(quoted.protocol).toBe(IpProtocol.TCP);
  });

  it('exposes the MTU on the view', () => {
    const v = new IcmpView().wrap(FRAG_NEEDED);
    expect(v.check()).toBeNull();
    expect(v.type).toBe(IcmpType.DEST_UNREACHABLE);
    expect(v.code).toBe(4);
    expect(v.checksum).toBe(0x5889);
    expect(v.nextHopMtu).toBe(576);
    expect(v.dataStart).toBe(ICMP.HEADER_LEN);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto(parsed(FRAG_NEEDED)))).toEqual(Array.from(FRAG_NEEDED));
  });

  it('reports no MTU for other unreachable codes even if the field is non-zero', () => {
    const b = withChecksum([...FRAG_NEEDED.subarray(0, 1), 0x01, ...FRAG_NEEDED.subarray(2)]); // code 1: host unreachable
    const r = parsed(b);
    expect(r.type === 'dest-unreachable' && r.nextHopMtu).toBe(0);
  });
});

describe('other types', () => {
  // A redirect (type 5, code 1: for the host), gateway 10.0.0.254 in the second word; checksum by refChecksum.
  const REDIRECT = withChecksum([
    0x05, // type 5: redirect
    0x01, // code 1: redirect for the host
    0x00, 0x00, // checksum (filled in)
    0x0a, 0x00, 0x00, 0xfe, // gateway 10.0.0.254
    ...TIME_EXCEEDED.subarray(8), // quoted header + 8 bytes
  ]);

  it('keeps type, code, the second word and the data', () => {
    const r = parsed(REDIRECT);
    if (r.type !== 'other') throw new Error(r.type);
    expect(r.icmpType).toBe(5);
    expect(r.code).toBe(1);
    expect(r.rest).toBe(0x0a_00_00_fe);
    expect(r.data.length).toBe(28);
  });

  it('emits them back unchanged', () => {
    expect(Array.from(emitInto(parsed(REDIRECT)))).toEqual(Array.from(REDIRECT));
  });

  it('handles a second word with the top bit set', () => {
    const b = withChecksum([13, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]); // timestamp request
    const r = parsed(b);
    expect(r.type === 'other' && r.rest).toBe(0xffff_ffff);
    expect(Array.from(emitInto(r))).toEqual(Array.from(b));
  });
});

describe('emitIcmp', () => {
  it('throws EmitError when the buffer is too small', () => {
    expect(() => emitIcmp(parsed(ECHO_REQUEST), new Uint8Array(63))).toThrow(EmitError);
    expect(() => emitIcmp(parsed(ECHO_REQUEST), new Uint8Array(64), 1)).toThrow(EmitError);
  });

  it('computes a checksum that verifies independently, whatever was in the buffer', () => {
    const out = new Uint8Array(8).fill(0xff);
    emitIcmp({ type: 'echo-request', ident: 0, seq: 0, data: new Uint8Array(0) }, out);
    expect(Array.from(out)).toEqual([0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00]);
    expect(refChecksum(out)).toBe(0);
  });
});

describe('truncated inputs', () => {
  it('rejects every prefix of every golden, never throwing', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      for (let n = 0; n < golden.length; n++) {
        const r = parseIcmp(golden.slice(0, n));
        expect(r.ok, `${name} prefix ${n}`).toBe(false);
        if (!r.ok) {
          expect(r.error.layer).toBe('icmp');
          // ICMP has no length field: below 8 bytes the header is missing, after that the checksum no longer verifies
          expect(r.error.reason, `${name} prefix ${n}`).toBe(n < ICMP.HEADER_LEN ? 'truncated' : 'bad-checksum');
        }
      }
    }
  });

  it('without checksum verification, short headers and short quotes are still truncated', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      const isError = golden[0] === IcmpType.DEST_UNREACHABLE || golden[0] === IcmpType.TIME_EXCEEDED;
      for (let n = 0; n < golden.length; n++) {
        const r = parseIcmp(golden.slice(0, n), 0, n, { checksum: false });
        if (n < 8 || (isError && n < 36)) {
          expect(!r.ok && r.error.reason, `${name} prefix ${n}`).toBe('truncated');
        } else {
          expect(r.ok, `${name} prefix ${n}`).toBe(true);
        }
      }
    }
  });

  it('rejects errors quoting fewer than 28 bytes (an IP header and 8 bytes), even with a good checksum', () => {
    for (const golden of [PORT_UNREACHABLE, TIME_EXCEEDED, FRAG_NEEDED]) {
      for (const quoted of [0, 8, 20, 27]) {
        const b = withChecksum(Array.from(golden.subarray(0, 8 + quoted)));
        const r = parseIcmp(b);
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.reason).toBe('truncated');
          expect(r.error.detail).toMatch(/needs an IP header and 8 bytes/);
        }
      }
      expect(parseIcmp(withChecksum(Array.from(golden.subarray(0, 36)))).ok).toBe(true);
    }
  });
});

describe('bad checksums', () => {
  it('flags any single flipped bit in any golden', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      for (let bit = 0; bit < golden.length * 8; bit++) {
        const b = golden.slice();
        b[bit >>> 3] ^= 0x80 >>> (bit & 7);
        const r = parseIcmp(b);
        expect(r.ok, `${name} bit ${bit}`).toBe(false);
        if (!r.ok) expect(r.error.reason, `${name} bit ${bit}`).toBe('bad-checksum');
      }
    }
  });

  it('flags trailing bytes beyond the message (the checksum covers everything handed in)', () => {
    const b = new Uint8Array([...ECHO_REQUEST, 0x01, 0x02]);
    const r = parseIcmp(b);
    expect(!r.ok && r.error.reason).toBe('bad-checksum');
  });

  it('is skipped when verification is turned off', () => {
    const b = ECHO_REQUEST.slice();
    b[3] ^= 0xff;
    expect(new IcmpView().wrap(b).check()?.reason).toBe('bad-checksum');
    expect(new IcmpView().wrap(b).check({ checksum: false })).toBeNull();
    expect(parseIcmp(b, 0, b.length, { checksum: false }).ok).toBe(true);
  });
});

describe('properties', () => {
  const u16 = fc.nat(0xffff);
  const data = fc.uint8Array({ maxLength: 80 });
  const quote = fc.uint8Array({ minLength: 28, maxLength: 80 });
  const reprArb: fc.Arbitrary<IcmpRepr> = fc.oneof(
    fc.record({ type: fc.constantFrom('echo-request' as const, 'echo-reply' as const), ident: u16, seq: u16, data }),
    fc
      .record({ code: fc.nat(255), mtu: u16, original: quote })
      .map(({ code, mtu, original }) => ({ type: 'dest-unreachable' as const, code, nextHopMtu: code === UnreachableCode.FRAG_NEEDED ? mtu : 0, original })),
    fc.record({ type: fc.constant('time-exceeded' as const), code: fc.nat(255), original: quote }),
    fc.record({
      type: fc.constant('other' as const),
      icmpType: fc.nat(255).filter((t) => t !== 0 && t !== 3 && t !== 8 && t !== 11),
      code: fc.nat(255),
      rest: fc.nat(0xffff_ffff),
      data,
    }),
  );

  it('emit then parse gives back the repr, and the checksum verifies independently', () => {
    fc.assert(
      fc.property(reprArb, fc.nat(16), (repr, at) => {
        const len = icmpEncodingLength(repr);
        const out = new Uint8Array(at + len + 4).fill(0xaa);
        expect(emitIcmp(repr, out, at)).toBe(len);
        expect(refChecksum(out, at, len)).toBe(0);
        const r = parseIcmp(out, at, at + len);
        if (!r.ok) throw new Error(r.error.detail);
        expect(plain(r.value)).toEqual(plain(repr));
      }),
    );
  });

  it('parseIcmp and IcmpView.check never throw on arbitrary bytes and bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.nat(), fc.boolean(), (bytes, a, b, checksum) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const r = parseIcmp(bytes, start, end, { checksum });
        const e = new IcmpView().wrap(bytes, start, end).check({ checksum });
        if (e) expect(r.ok).toBe(false);
        if (!r.ok) expect(['truncated', 'bad-checksum']).toContain(r.error.reason);
      }),
    );
  });

  it('any message with a correct checksum parses unless it is an error quoting too little', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 120 }), (bytes) => {
        const b = withChecksum(Array.from(bytes));
        const r = parseIcmp(b);
        const shortError = (b[0] === 3 || b[0] === 11) && b.length < 36;
        expect(r.ok).toBe(!shortError);
      }),
    );
  });
});
