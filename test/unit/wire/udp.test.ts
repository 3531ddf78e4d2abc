import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { UDP, UdpView, emitUdp, parseUdp, udpEncodingLength, type PseudoHeader, type UdpRepr } from '../../../worker/wire/udp';
import { EmitError } from '../../../worker/wire/result';

// Checksums below were computed with a one-off python3 script (RFC 768 pseudo-header + RFC 1071),
// not with the code under test.

const IP_A = 0x0a_00_00_01; // 10.0.0.1
const IP_B = 0x0a_00_00_02; // 10.0.0.2
const A_TO_B: PseudoHeader = { src: IP_A, dst: IP_B };

/** A DNS query for example.com A, 10.0.0.1:53000 -> 10.0.0.2:53. */
const DNS_QUERY = new Uint8Array([
  0xcf, 0x08, // source port 53000
  0x00, 0x35, // destination port 53
  0x00, 0x25, // length 37
  0x3a, 0xc2, // checksum (pseudo-header 10.0.0.1 -> 10.0.0.2, protocol 17, length 37)
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
]);
const DNS_PAYLOAD = Array.from(DNS_QUERY.subarray(8));

/** A datagram sent without a checksum (RFC 768: all zeros means "none"). */
const NO_CHECKSUM = new Uint8Array([
  0x13, 0x88, // source port 5000
  0x13, 0x89, // destination port 5001
  0x00, 0x0d, // length 13
  0x00, 0x00, // checksum: none
  0x68, 0x65, 0x6c, 0x6c, 0x6f, // "hello"
]);

/**
 * A datagram whose checksum computes to zero: the last two payload bytes were solved
 * (in python3) so that the one's complement sum is 0xffff. RFC 768 says to send it as 0xffff.
 */
const COMPUTES_TO_ZERO = new Uint8Array([
  0x30, 0x39, // source port 12345
  0x00, 0x07, // destination port 7 (echo)
  0x00, 0x0e, // length 14
  0xff, 0xff, // checksum: computed 0x0000, sent as 0xffff
  0x77, 0x69, 0x72, 0x65, // "wire"
  0xd1, 0xc0, // solved so the sum comes out 0xffff
]);

const GOLDENS = { DNS_QUERY, NO_CHECKSUM, COMPUTES_TO_ZERO };

/** Independent RFC 768 checksum over pseudo-header and datagram (0 means the datagram sums correctly). */
function refChecksum(b: ArrayLike<number>, off: number, len: number, ph: PseudoHeader): number {
  let sum = (ph.src >>> 16) + (ph.src & 0xffff) + (ph.dst >>> 16) + (ph.dst & 0xffff) + 17 + len;
  for (let i = 0; i < len; i += 2) sum += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

function parsed(bytes: Uint8Array, ph?: PseudoHeader, start?: number, end?: number): UdpRepr {
  const r = parseUdp(bytes, start, end, ph);
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const OFFSET = 4;
const TAIL = 6;

function emitInto(repr: UdpRepr, ph: PseudoHeader, noChecksum = false): Uint8Array {
  const len = udpEncodingLength(repr);
  const out = new Uint8Array(OFFSET + len + TAIL).fill(0xaa);
  expect(emitUdp(repr, out, OFFSET, ph, noChecksum)).toBe(len);
  expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(OFFSET + len).every((b) => b === 0xaa)).toBe(true);
  return out.slice(OFFSET, OFFSET + len);
}

describe('golden: DNS query', () => {
  it('parses every field, verifying the checksum against the pseudo-header', () => {
    const r = parsed(DNS_QUERY, A_TO_B);
    expect(r.srcPort).toBe(53000);
    expect(r.dstPort).toBe(53);
    expect(r.checksum).toBe(0x3ac2);
    expect(Array.from(r.payload)).toEqual(DNS_PAYLOAD);
    expect(r.payload.buffer).toBe(DNS_QUERY.buffer);
    expect(r.payload.byteOffset).toBe(8);
  });

  it('parses without a pseudo-header (checksum not checked)', () => {
    expect(parsed(DNS_QUERY).srcPort).toBe(53000);
  });

  it('exposes every field on the view', () => {
    const v = new UdpView().wrap(DNS_QUERY);
    expect(v.check(A_TO_B)).toBeNull();
    expect(v.srcPort).toBe(53000);
    expect(v.dstPort).toBe(53);
    expect(v.length).toBe(37);
    expect(v.checksum).toBe(0x3ac2);
    expect(v.payloadStart).toBe(UDP.HEADER_LEN);
    expect(v.payloadEnd).toBe(37);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto({ srcPort: 53000, dstPort: 53, payload: Uint8Array.from(DNS_PAYLOAD) }, A_TO_B))).toEqual(
      Array.from(DNS_QUERY),
    );
  });

  it('ignores a stale checksum in the repr and computes its own', () => {
    const repr = { ...parsed(DNS_QUERY, A_TO_B), checksum: 0x1111 };
    expect(Array.from(emitInto(repr, A_TO_B))).toEqual(Array.from(DNS_QUERY));
  });

  it('fails verification against the wrong pseudo-header', () => {
    for (const ph of [{ src: IP_A, dst: 0x0a_00_00_03 }, { src: IP_B, dst: 0x0a_00_00_03 }, { src: 0, dst: 0 }]) {
      const r = parseUdp(DNS_QUERY, 0, DNS_QUERY.length, ph);
      expect(!r.ok && r.error.reason).toBe('bad-checksum');
    }
  });
});

describe('golden: no checksum', () => {
  it('is accepted even with a pseudo-header (RFC 1122 4.1.3.4)', () => {
    const r = parsed(NO_CHECKSUM, A_TO_B);
    expect(r.srcPort).toBe(5000);
    expect(r.dstPort).toBe(5001);
    expect(r.checksum).toBe(0);
    expect(new TextDecoder().decode(r.payload)).toBe('hello');
  });

  it('is accepted with a corrupted payload, as nothing can tell', () => {
    const b = NO_CHECKSUM.slice();
    b[9] ^= 0xff;
    expect(parseUdp(b, 0, b.length, A_TO_B).ok).toBe(true);
  });

  it('emits the same bytes with noChecksum', () => {
    const repr = { srcPort: 5000, dstPort: 5001, payload: new TextEncoder().encode('hello') };
    expect(Array.from(emitInto(repr, A_TO_B, true))).toEqual(Array.from(NO_CHECKSUM));
  });

  it('gets a real checksum when emitted normally', () => {
    const repr = { srcPort: 5000, dstPort: 5001, payload: new TextEncoder().encode('hello') };
    const bytes = emitInto(repr, A_TO_B);
    expect((bytes[6] << 8) | bytes[7]).not.toBe(0);
    expect(refChecksum(bytes, 0, 13, A_TO_B)).toBe(0);
  });
});

describe('golden: a checksum that computes to zero', () => {
  it('is sent as 0xffff, never as 0 ("no checksum")', () => {
    const repr = { srcPort: 12345, dstPort: 7, payload: COMPUTES_TO_ZERO.slice(8) };
    expect(Array.from(emitInto(repr, A_TO_B))).toEqual(Array.from(COMPUTES_TO_ZERO));
  });

  it('verifies as 0xffff when received', () => {
    const r = parsed(COMPUTES_TO_ZERO, A_TO_B);
    expect(r.checksum).toBe(0xffff);
    expect(r.dstPort).toBe(7);
  });

  it('is indistinguishable from "no checksum" when sent as 0', () => {
    const b = COMPUTES_TO_ZERO.slice();
    b[6] = 0;
    b[7] = 0;
    expect(parsed(b, A_TO_B).checksum).toBe(0);
  });

  it('holds for any payload whose last two bytes are solved the same way', () => {
    fc.assert(
      fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 40 }).filter((p) => p.length % 2 === 0), fc.nat(0xffff_ffff), fc.nat(0xffff_ffff), (sp, dp, head, src, dst) => {
        const ph = { src, dst };
        const payload = new Uint8Array(head.length + 2);
        payload.set(head);
        const len = 8 + payload.length;
        const probe = new Uint8Array(len);
        probe.set([sp >>> 8, sp & 0xff, dp >>> 8, dp & 0xff, len >>> 8, len & 0xff, 0, 0]);
        probe.set(payload, 8);
        // the sum with the last word 0 is 0xffff - refChecksum; pick the word that brings it to 0xffff
        const word = refChecksum(probe, 0, len, ph);
        payload[payload.length - 2] = word >>> 8;
        payload[payload.length - 1] = word & 0xff;
        const out = new Uint8Array(len);
        emitUdp({ srcPort: sp, dstPort: dp, payload }, out, 0, ph);
        expect((out[6] << 8) | out[7]).toBe(0xffff);
        expect(parseUdp(out, 0, len, ph).ok).toBe(true);
      }),
    );
  });
});

describe('lengths', () => {
  it('takes the payload from the length field, ignoring bytes after it (e.g. Ethernet padding)', () => {
    const b = new Uint8Array([...NO_CHECKSUM, 0, 0, 0, 0, 0]);
    const r = parsed(b, A_TO_B);
    expect(r.payload.length).toBe(5);
    const withSum = new Uint8Array([...DNS_QUERY, 0xde, 0xad]);
    expect(parsed(withSum, A_TO_B).payload.length).toBe(29);
  });

  it('accepts an empty payload (length 8)', () => {
    const out = new Uint8Array(8);
    expect(emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(0) }, out, 0, A_TO_B)).toBe(8);
    expect(parsed(out, A_TO_B).payload.length).toBe(0);
  });

  it('udpEncodingLength is the header plus the payload', () => {
    expect(udpEncodingLength({ srcPort: 0, dstPort: 0, payload: new Uint8Array(29) })).toBe(37);
  });
});

describe('emitUdp', () => {
  it('leaves a payload that already sits right after the header in place', () => {
    const out = new Uint8Array(OFFSET + 37 + TAIL).fill(0xaa);
    out.set(DNS_PAYLOAD, OFFSET + 8);
    const payload = out.subarray(OFFSET + 8, OFFSET + 37);
    expect(emitUdp({ srcPort: 53000, dstPort: 53, payload }, out, OFFSET, A_TO_B)).toBe(37);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 37))).toEqual(Array.from(DNS_QUERY));
  });

  it('copies a payload that lives elsewhere in the same buffer', () => {
    const out = new Uint8Array(OFFSET + 37 + 40).fill(0xaa);
    out.set(DNS_PAYLOAD, OFFSET + 45);
    const payload = out.subarray(OFFSET + 45, OFFSET + 45 + 29);
    expect(emitUdp({ srcPort: 53000, dstPort: 53, payload }, out, OFFSET, A_TO_B)).toBe(37);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 37))).toEqual(Array.from(DNS_QUERY));
  });

  it('throws EmitError when the buffer is too small', () => {
    const repr = { srcPort: 1, dstPort: 2, payload: new Uint8Array(10) };
    expect(() => emitUdp(repr, new Uint8Array(17), 0, A_TO_B)).toThrow(EmitError);
    expect(() => emitUdp(repr, new Uint8Array(18), 1, A_TO_B)).toThrow(EmitError);
  });

  it('refuses a datagram over 65535 bytes', () => {
    const out = new Uint8Array(70000);
    expect(() => emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(65528) }, out, 0, A_TO_B)).toThrow(RangeError);
    expect(emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(65527) }, out, 0, A_TO_B)).toBe(65535);
    expect(refChecksum(out, 0, 65535, A_TO_B)).toBe(0);
  });
});

describe('truncated and garbage datagrams', () => {
  it('rejects every prefix of every golden as truncated, with or without a pseudo-header', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      for (let n = 0; n < golden.length; n++) {
        for (const ph of [undefined, A_TO_B]) {
          const r = parseUdp(golden.slice(0, n), 0, n, ph);
          expect(r.ok, `${name} prefix ${n}`).toBe(false);
          if (!r.ok) {
            expect(r.error.layer).toBe('udp');
            expect(r.error.reason, `${name} prefix ${n}`).toBe('truncated');
          }
        }
      }
    }
  });

  it('rejects a length field below the 8-byte header', () => {
    for (let len = 0; len < 8; len++) {
      const b = DNS_QUERY.slice();
      b[4] = 0;
      b[5] = len;
      for (const ph of [undefined, A_TO_B]) {
        const r = parseUdp(b, 0, b.length, ph);
        expect(!r.ok && r.error.reason, `length ${len}`).toBe('bad-length');
      }
    }
  });

  it('rejects a length field larger than the bytes received', () => {
    for (const len of [38, 0x100, 0xffff]) {
      const b = DNS_QUERY.slice();
      b[4] = len >>> 8;
      b[5] = len & 0xff;
      const r = parseUdp(b);
      expect(!r.ok && r.error.reason).toBe('truncated');
      expect(!r.ok && r.error.detail).toMatch(new RegExp(`length field ${len}`));
    }
  });
});

describe('bad checksums', () => {
  it('flags any single flipped bit outside the length field', () => {
    for (const golden of [DNS_QUERY, COMPUTES_TO_ZERO]) {
      for (let bit = 0; bit < golden.length * 8; bit++) {
        const byte = bit >>> 3;
        if (byte === 4 || byte === 5) continue;
        const b = golden.slice();
        b[byte] ^= 0x80 >>> (bit & 7);
        const r = parseUdp(b, 0, b.length, A_TO_B);
        expect(!r.ok && r.error.reason, `bit ${bit}`).toBe('bad-checksum');
        // without a pseudo-header there is nothing to check against
        expect(parseUdp(b).ok).toBe(true);
      }
    }
  });

  it('flags a length field shortened to cut the datagram', () => {
    const b = DNS_QUERY.slice();
    b[5] = 36;
    const r = parseUdp(b, 0, b.length, A_TO_B);
    expect(!r.ok && r.error.reason).toBe('bad-checksum');
  });

  it('names the checksum in the detail', () => {
    const b = DNS_QUERY.slice();
    b[7] ^= 1;
    const r = parseUdp(b, 0, b.length, A_TO_B);
    expect(!r.ok && r.error.detail).toMatch(/0x3ac3/);
  });
});

describe('properties', () => {
  const u16 = fc.nat(0xffff);
  const u32 = fc.nat(0xffff_ffff);
  const reprArb = fc.record({ srcPort: u16, dstPort: u16, payload: fc.uint8Array({ maxLength: 120 }) });

  it('emit then parse gives back the repr; the checksum verifies independently and is never 0', () => {
    fc.assert(
      fc.property(reprArb, u32, u32, fc.nat(16), fc.uint8Array({ maxLength: 12 }), (repr, src, dst, at, trailer) => {
        const ph = { src, dst };
        const len = udpEncodingLength(repr);
        const out = new Uint8Array(at + len + trailer.length);
        out.set(trailer, at + len);
        expect(emitUdp(repr, out, at, ph)).toBe(len);
        const sent = (out[at + 6] << 8) | out[at + 7];
        expect(sent).not.toBe(0);
        expect(refChecksum(out, at, len, ph)).toBe(0);
        const r = parsed(out, ph, at);
        expect(r.srcPort).toBe(repr.srcPort);
        expect(r.dstPort).toBe(repr.dstPort);
        expect(r.checksum).toBe(sent);
        expect(Array.from(r.payload)).toEqual(Array.from(repr.payload));
      }),
    );
  });

  it('emit with noChecksum then parse gives back the repr with checksum 0', () => {
    fc.assert(
      fc.property(reprArb, u32, u32, (repr, src, dst) => {
        const out = new Uint8Array(udpEncodingLength(repr)).fill(0xaa);
        emitUdp(repr, out, 0, { src, dst }, true);
        const r = parsed(out, { src, dst });
        expect(r.checksum).toBe(0);
        expect(Array.from(r.payload)).toEqual(Array.from(repr.payload));
      }),
    );
  });

  it('parseUdp and UdpView.check never throw on arbitrary bytes and bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.nat(), fc.option(fc.record({ src: u32, dst: u32 })), (bytes, a, b, ph) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const r = parseUdp(bytes, start, end, ph ?? undefined);
        const e = new UdpView().wrap(bytes, start, end).check(ph ?? undefined);
        expect(r.ok).toBe(e === null);
        if (!r.ok) expect(['truncated', 'bad-length', 'bad-checksum']).toContain(r.error.reason);
        if (r.ok) expect(r.value.payload.length + 8).toBeLessThanOrEqual(end - start);
      }),
    );
  });
});
