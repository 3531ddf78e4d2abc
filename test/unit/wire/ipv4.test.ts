import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  IPV4,
  IpProtocol,
  Ipv4View,
  emitIpv4,
  ipv4EncodingLength,
  ipv4HeaderLen,
  parseIpv4,
  writeIpv4Header,
  type Ipv4Repr,
} from '../../../worker/wire/ipv4';
import { EmitError } from '../../../worker/wire/result';

// Header checksums below were computed with a one-off python3 script (RFC 1071), not with the code under test.

const IP_A = 0x0a_00_00_01; // 10.0.0.1
const IP_B = 0x0a_00_00_02; // 10.0.0.2

/** The ICMP payload of a ping(8) echo request: identifier 0x4d2a, sequence 1, 56 data bytes. */
const PING_ICMP = [
  0x08, 0x00, 0x23, 0xf5, 0x4d, 0x2a, 0x00, 0x01, // ICMP type, code, checksum, identifier, sequence
  0xa1, 0xb5, 0x60, 0x65, 0x00, 0x00, 0x00, 0x00, 0xc2, 0xf1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, // struct timeval
  ...Array.from({ length: 40 }, (_, i) => 0x10 + i), // pattern 0x10..0x37
];

/** ping 10.0.0.2 from a Linux host: DF set, TTL 64. */
const PING_DATAGRAM = new Uint8Array([
  0x45, // version 4, IHL 5 (20 bytes)
  0x00, // DSCP 0, ECN 0
  0x00, 0x54, // total length 84
  0x9c, 0x3e, // identification 0x9c3e
  0x40, 0x00, // flags DF, fragment offset 0
  0x40, // TTL 64
  0x01, // protocol ICMP
  0x8a, 0x68, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  ...PING_ICMP, // 64 bytes of ICMP
]);

/** A middle fragment of a large UDP datagram: MF set, offset 1480 bytes (185 units), 24 payload bytes. */
const MIDDLE_FRAGMENT = new Uint8Array([
  0x45, // version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x00, 0x2c, // total length 44
  0xbe, 0xef, // identification 0xbeef (shared by all fragments)
  0x20, 0xb9, // flags MF, fragment offset 185 (x8 = 1480)
  0x40, // TTL 64
  0x11, // protocol UDP
  0x87, 0x16, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  ...Array.from({ length: 24 }, (_, i) => 0x40 + i), // fragment payload 0x40..0x57
]);

/** A header with a 4-byte option area (NOP, NOP, NOP, EOL), carrying an empty UDP datagram. */
const WITH_OPTIONS = new Uint8Array([
  0x46, // version 4, IHL 6 (24 bytes)
  0x00, // DSCP 0, ECN 0
  0x00, 0x20, // total length 32
  0x00, 0x01, // identification 1
  0x00, 0x00, // no flags, fragment offset 0
  0x01, // TTL 1
  0x11, // protocol UDP
  0xa2, 0xc9, // header checksum (covers the options)
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  0x01, // option: NOP
  0x01, // option: NOP
  0x01, // option: NOP
  0x00, // option: end of option list
  0x13, 0x88, 0x13, 0x89, 0x00, 0x08, 0x00, 0x00, // UDP 5000 -> 5001, length 8, no checksum
]);

/** A 33-byte datagram as it arrives in a 60-byte Ethernet frame: 13 bytes of padding follow it. */
const PADDED = new Uint8Array([
  0x45, // version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x00, 0x21, // total length 33
  0x42, 0x42, // identification 0x4242
  0x40, 0x00, // flags DF
  0x40, // TTL 64
  0x11, // protocol UDP
  0xe4, 0x87, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  0x13, 0x88, 0x13, 0x89, 0x00, 0x0d, 0x00, 0x00, // UDP 5000 -> 5001, length 13, no checksum
  0x68, 0x65, 0x6c, 0x6c, 0x6f, // "hello"
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // Ethernet padding
]);

const GOLDENS = { PING_DATAGRAM, MIDDLE_FRAGMENT, WITH_OPTIONS, PADDED_FRAME_PAYLOAD: PADDED };

/** Independent RFC 1071 checksum for building garbage headers that still checksum correctly. */
function refChecksum(b: ArrayLike<number>, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

/** Copies a golden, applies a change to its header, and stores a correct checksum. */
function withHeader(golden: Uint8Array, change: (b: Uint8Array) => void): Uint8Array {
  const b = golden.slice();
  change(b);
  b[10] = 0;
  b[11] = 0;
  const c = refChecksum(b, 0, (b[0] & 0x0f) * 4);
  b[10] = c >>> 8;
  b[11] = c & 0xff;
  return b;
}

function parsed(bytes: Uint8Array, start?: number, end?: number): Ipv4Repr {
  const r = parseIpv4(bytes, start, end);
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

const OFFSET = 3;
const TAIL = 11;

function emitInto(repr: Ipv4Repr): Uint8Array {
  const len = ipv4EncodingLength(repr);
  const out = new Uint8Array(OFFSET + len + TAIL).fill(0xaa);
  expect(emitIpv4(repr, out, OFFSET)).toBe(len);
  expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(OFFSET + len).every((b) => b === 0xaa)).toBe(true);
  return out.slice(OFFSET, OFFSET + len);
}

describe('golden: ping echo request with DF', () => {
  it('parses every field', () => {
    const r = parsed(PING_DATAGRAM);
    expect(r.src).toBe(IP_A);
    expect(r.dst).toBe(IP_B);
    expect(r.protocol).toBe(IpProtocol.ICMP);
    expect(r.ttl).toBe(64);
    expect(r.ident).toBe(0x9c3e);
    expect(r.dscp).toBe(0);
    expect(r.ecn).toBe(0);
    expect(r.dontFrag).toBe(true);
    expect(r.moreFrags).toBe(false);
    expect(r.fragOffset).toBe(0);
    expect(r.options.length).toBe(0);
    expect(r.checksum).toBe(0x8a68);
    expect(Array.from(r.payload)).toEqual(PING_ICMP);
  });

  it('hands up the payload without copying', () => {
    const r = parsed(PING_DATAGRAM);
    expect(r.payload.buffer).toBe(PING_DATAGRAM.buffer);
    expect(r.payload.byteOffset).toBe(20);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto(parsed(PING_DATAGRAM)))).toEqual(Array.from(PING_DATAGRAM));
  });

  it('computes the checksum itself: a repr without one emits the same bytes', () => {
    const { checksum: _ignored, ...repr } = parsed(PING_DATAGRAM);
    expect(Array.from(emitInto({ ...repr, checksum: 0x1234 }))).toEqual(Array.from(PING_DATAGRAM));
    expect(Array.from(emitInto(repr))).toEqual(Array.from(PING_DATAGRAM));
  });

  it('writeIpv4Header writes the same 20 bytes (the hot path without a repr)', () => {
    const out = new Uint8Array(OFFSET + 20 + TAIL).fill(0xaa);
    writeIpv4Header(out, OFFSET, {
      headerLen: 20,
      totalLen: 84,
      src: IP_A,
      dst: IP_B,
      protocol: IpProtocol.ICMP,
      ttl: 64,
      ident: 0x9c3e,
      dontFrag: true,
      moreFrags: false,
      fragOffset: 0,
    });
    expect(Array.from(out.subarray(OFFSET, OFFSET + 20))).toEqual(Array.from(PING_DATAGRAM.subarray(0, 20)));
    expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
    expect(out.subarray(OFFSET + 20).every((b) => b === 0xaa)).toBe(true);
  });
});

describe('golden: middle fragment with MF and an offset', () => {
  it('parses every field; the offset is in bytes in the repr', () => {
    const r = parsed(MIDDLE_FRAGMENT);
    expect(r.ident).toBe(0xbeef);
    expect(r.dontFrag).toBe(false);
    expect(r.moreFrags).toBe(true);
    expect(r.fragOffset).toBe(1480);
    expect(r.protocol).toBe(IpProtocol.UDP);
    expect(r.ttl).toBe(64);
    expect(r.src).toBe(IP_A);
    expect(r.dst).toBe(IP_B);
    expect(r.checksum).toBe(0x8716);
    expect(r.payload.length).toBe(24);
    expect(r.payload[0]).toBe(0x40);
    expect(r.payload[23]).toBe(0x57);
  });

  it('exposes fragment fields on the view, in wire units', () => {
    const v = new Ipv4View().wrap(MIDDLE_FRAGMENT);
    expect(v.check()).toBeNull();
    expect(v.fragOffset).toBe(185);
    expect(v.isFragment).toBe(true);
    expect(v.moreFrags).toBe(true);
    expect(v.dontFrag).toBe(false);
    expect(v.reservedFlag).toBe(false);
    expect(new Ipv4View().wrap(PING_DATAGRAM).isFragment).toBe(false);
  });

  it('emits the same bytes at an offset', () => {
    expect(Array.from(emitInto(parsed(MIDDLE_FRAGMENT)))).toEqual(Array.from(MIDDLE_FRAGMENT));
  });

  it('treats a last fragment (offset, no MF) as a fragment too', () => {
    const last = withHeader(MIDDLE_FRAGMENT, (b) => (b[6] = 0x00));
    const v = new Ipv4View().wrap(last);
    expect(v.check()).toBeNull();
    expect(v.isFragment).toBe(true);
    expect(parsed(last).fragOffset).toBe(1480);
  });
});

describe('golden: header with options', () => {
  it('keeps the option bytes in the repr and starts the payload after them', () => {
    const r = parsed(WITH_OPTIONS);
    expect(Array.from(r.options)).toEqual([0x01, 0x01, 0x01, 0x00]);
    expect(Array.from(r.payload)).toEqual([0x13, 0x88, 0x13, 0x89, 0x00, 0x08, 0x00, 0x00]);
    expect(r.ttl).toBe(1);
    expect(r.ident).toBe(1);
    expect(r.dontFrag).toBe(false);
    expect(r.checksum).toBe(0xa2c9);
    expect(ipv4HeaderLen(r)).toBe(24);
    expect(ipv4EncodingLength(r)).toBe(32);
  });

  it('exposes header length and option bounds on the view', () => {
    const v = new Ipv4View().wrap(WITH_OPTIONS, 0);
    expect(v.check()).toBeNull();
    expect(v.headerLen).toBe(24);
    expect(v.optionsStart).toBe(20);
    expect(v.payloadStart).toBe(24);
    expect(v.payloadEnd).toBe(32);
    expect(v.payloadLen).toBe(8);
  });

  it('emits the options and a checksum covering them', () => {
    expect(Array.from(emitInto(parsed(WITH_OPTIONS)))).toEqual(Array.from(WITH_OPTIONS));
  });
});

describe('trailing Ethernet padding', () => {
  it('is ignored: the payload ends at the total length', () => {
    const r = parsed(PADDED);
    expect(r.payload.length).toBe(13);
    expect(Array.from(r.payload.subarray(8))).toEqual([0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    const v = new Ipv4View().wrap(PADDED);
    expect(v.check()).toBeNull();
    expect(v.payloadEnd).toBe(33);
    expect(v.payloadLen).toBe(13);
  });

  it('emits only the 33-byte datagram', () => {
    expect(Array.from(emitInto(parsed(PADDED)))).toEqual(Array.from(PADDED.subarray(0, 33)));
  });

  it('is ignored inside a larger buffer at an offset', () => {
    const buf = new Uint8Array(14 + PADDED.length).fill(0xee);
    buf.set(PADDED, 14);
    const r = parsed(buf, 14);
    expect(r.payload.byteOffset).toBe(34);
    expect(r.payload.length).toBe(13);
  });
});

describe('Ipv4View', () => {
  it('reads DSCP and ECN from the second byte', () => {
    const b = withHeader(PING_DATAGRAM, (x) => (x[1] = 0xb9)); // DSCP 46 (EF), ECN 1 (ECT(1))
    const v = new Ipv4View().wrap(b);
    expect(v.check()).toBeNull();
    expect(v.dscp).toBe(46);
    expect(v.ecn).toBe(1);
    const r = parsed(b);
    expect(r.dscp).toBe(46);
    expect(r.ecn).toBe(1);
  });

  it('decrements TTL and refills the checksum in place (0x8a68 -> 0x8b68, per RFC 1624)', () => {
    const buf = new Uint8Array(5 + PING_DATAGRAM.length);
    buf.set(PING_DATAGRAM, 5);
    const v = new Ipv4View().wrap(buf, 5);
    v.ttl = v.ttl - 1;
    v.fillChecksum();
    expect(v.ttl).toBe(63);
    expect(v.checksum).toBe(0x8b68);
    expect(v.check()).toBeNull();
    expect(Array.from(buf.subarray(25))).toEqual(PING_ICMP);
  });
});

describe('emitIpv4', () => {
  it('leaves a payload that already sits right after the header in place', () => {
    const repr = parsed(MIDDLE_FRAGMENT);
    const out = new Uint8Array(OFFSET + 44 + TAIL).fill(0xaa);
    out.set(repr.payload, OFFSET + 20);
    const inPlace = { ...repr, payload: out.subarray(OFFSET + 20, OFFSET + 44) };
    expect(emitIpv4(inPlace, out, OFFSET)).toBe(44);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 44))).toEqual(Array.from(MIDDLE_FRAGMENT));
  });

  it('copies a payload that lives elsewhere in the same buffer (e.g. a quote for an ICMP error)', () => {
    const repr = parsed(MIDDLE_FRAGMENT);
    const out = new Uint8Array(OFFSET + 44 + 40).fill(0xaa);
    out.set(repr.payload, OFFSET + 50);
    const elsewhere = { ...repr, payload: out.subarray(OFFSET + 50, OFFSET + 74) };
    expect(emitIpv4(elsewhere, out, OFFSET)).toBe(44);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 44))).toEqual(Array.from(MIDDLE_FRAGMENT));
  });

  it('throws EmitError when the buffer is too small', () => {
    const repr = parsed(PING_DATAGRAM);
    expect(() => emitIpv4(repr, new Uint8Array(83))).toThrow(EmitError);
    expect(() => emitIpv4(repr, new Uint8Array(84), 1)).toThrow(EmitError);
  });

  it('refuses options that are not whole 32-bit words or longer than 40 bytes', () => {
    const repr = parsed(PING_DATAGRAM);
    const out = new Uint8Array(200);
    expect(() => emitIpv4({ ...repr, options: new Uint8Array(3) }, out)).toThrow(RangeError);
    expect(() => emitIpv4({ ...repr, options: new Uint8Array(44) }, out)).toThrow(RangeError);
    expect(emitIpv4({ ...repr, options: new Uint8Array(40) }, out)).toBe(60 + 64);
    expect(out[0]).toBe(0x4f);
  });

  it('refuses a datagram over 65535 bytes', () => {
    const repr = { ...parsed(PING_DATAGRAM), payload: new Uint8Array(65535 - 20 + 1) };
    expect(() => emitIpv4(repr, new Uint8Array(70000))).toThrow(RangeError);
    expect(emitIpv4({ ...repr, payload: new Uint8Array(65535 - 20) }, new Uint8Array(70000))).toBe(65535);
  });
});

describe('truncated inputs', () => {
  it('rejects every prefix of every golden as truncated, without throwing', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      const total = (golden[2] << 8) | golden[3];
      for (let n = 0; n < total; n++) {
        const r = parseIpv4(golden.slice(0, n));
        expect(r.ok, `${name} prefix ${n}`).toBe(false);
        if (!r.ok) {
          expect(r.error.layer).toBe('ipv4');
          expect(r.error.reason, `${name} prefix ${n}`).toBe('truncated');
        }
        // the same with checksum verification turned off
        const unchecked = parseIpv4(golden.slice(0, n), 0, n, { checksum: false });
        expect(!unchecked.ok && unchecked.error.reason).toBe('truncated');
      }
    }
  });

  it('rejects an end before the start as truncated', () => {
    expect(new Ipv4View().wrap(PING_DATAGRAM, 10, 5).check()?.reason).toBe('truncated');
  });
});

describe('garbage', () => {
  function reason(bytes: Uint8Array, checksum = true): string {
    const r = parseIpv4(bytes, 0, bytes.length, { checksum });
    return r.ok ? 'ok' : r.error.reason;
  }

  it('rejects version 6 and version 0', () => {
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[0] = 0x65)))).toBe('bad-version');
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[0] = 0x05)))).toBe('bad-version');
  });

  it('rejects IHL below 5 as a bad offset', () => {
    for (let ihl = 0; ihl < 5; ihl++) {
      const b = PING_DATAGRAM.slice();
      b[0] = 0x40 | ihl;
      expect(reason(b, false), `IHL ${ihl}`).toBe('bad-offset');
    }
  });

  it('rejects an IHL that runs past the bytes received', () => {
    const b = withHeader(WITH_OPTIONS, (x) => (x[0] = 0x4f)).slice(0, 32); // 60-byte header in 32 bytes
    expect(reason(b, false)).toBe('truncated');
  });

  it('rejects a total length larger than the buffer', () => {
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[3] = 0x55)))).toBe('truncated');
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[2] = 0xff)))).toBe('truncated');
  });

  it('rejects a total length smaller than the header', () => {
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[3] = 19)))).toBe('bad-length');
    expect(reason(withHeader(PING_DATAGRAM, (b) => (b[3] = 0)))).toBe('bad-length');
    expect(reason(withHeader(WITH_OPTIONS, (b) => (b[3] = 20)))).toBe('bad-length');
  });

  it('accepts a total length equal to the header (an empty payload)', () => {
    const b = withHeader(PING_DATAGRAM, (x) => (x[3] = 20));
    expect(parsed(b).payload.length).toBe(0);
  });

  it('rejects the reserved flag bit (RFC 791: must be zero)', () => {
    const b = withHeader(PING_DATAGRAM, (x) => (x[6] |= 0x80));
    expect(new Ipv4View().wrap(b).check()).toBeNull();
    expect(new Ipv4View().wrap(b).reservedFlag).toBe(true);
    expect(reason(b)).toBe('malformed');
  });

  it('rejects a fragment that would reassemble past 65535 bytes (ping of death)', () => {
    // offset 8189 units = 65512 bytes, plus 24 payload bytes = 65536
    const b = withHeader(MIDDLE_FRAGMENT, (x) => {
      x[6] = 0x20 | 0x1f;
      x[7] = 0xfd;
    });
    expect(reason(b)).toBe('bad-offset');
    // 8 bytes less of offset and it fits exactly
    const fits = withHeader(MIDDLE_FRAGMENT, (x) => {
      x[6] = 0x20 | 0x1f;
      x[7] = 0xfc;
    });
    expect(parsed(fits).fragOffset).toBe(65504);
  });
});

describe('bad checksums', () => {
  it('flags a single flipped bit anywhere in the header except version/IHL and total length', () => {
    for (const [name, golden] of Object.entries(GOLDENS)) {
      const hl = (golden[0] & 0x0f) * 4;
      for (let bit = 0; bit < hl * 8; bit++) {
        const byte = bit >>> 3;
        if (byte === 0 || byte === 2 || byte === 3) continue;
        const b = golden.slice();
        b[byte] ^= 0x80 >>> (bit & 7);
        const r = parseIpv4(b);
        expect(r.ok, `${name} bit ${bit}`).toBe(false);
        if (!r.ok) expect(r.error.reason, `${name} bit ${bit}`).toBe('bad-checksum');
      }
    }
  });

  it('names the checksum in the detail', () => {
    const b = PING_DATAGRAM.slice();
    b[11] ^= 1;
    const r = parseIpv4(b);
    expect(!r.ok && r.error.detail).toMatch(/0x8a69/);
  });

  it('is not checked when verification is turned off (e.g. checksum offload)', () => {
    const b = PING_DATAGRAM.slice();
    b[10] = 0;
    b[11] = 0;
    expect(parseIpv4(b).ok).toBe(false);
    const r = parseIpv4(b, 0, b.length, { checksum: false });
    expect(r.ok && r.value.checksum).toBe(0);
  });

  it('does not cover the payload', () => {
    const b = PING_DATAGRAM.slice();
    b[40] ^= 0xff;
    expect(parseIpv4(b).ok).toBe(true);
  });
});

describe('properties', () => {
  const u32 = fc.nat(0xffff_ffff);
  const reprArb: fc.Arbitrary<Ipv4Repr> = fc
    .record({
      src: u32,
      dst: u32,
      protocol: fc.nat(255),
      ttl: fc.nat(255),
      ident: fc.nat(0xffff),
      dscp: fc.nat(63),
      ecn: fc.nat(3),
      dontFrag: fc.boolean(),
      moreFrags: fc.boolean(),
      fragUnits: fc.nat(0x1fff),
      optionWords: fc.nat(10),
      optionBytes: fc.uint8Array({ minLength: 40, maxLength: 40 }),
      payload: fc.uint8Array({ maxLength: 100 }),
    })
    .map(({ fragUnits, optionWords, optionBytes, ...rest }) => ({
      ...rest,
      // keep offset + payload within 65535 so the datagram is legal
      fragOffset: Math.min(fragUnits, Math.floor((65535 - rest.payload.length) / 8)) * 8,
      options: optionBytes.slice(0, optionWords * 4),
    }));

  it('emit then parse gives back the repr, and the header checksum verifies independently', () => {
    fc.assert(
      fc.property(reprArb, fc.nat(16), fc.uint8Array({ maxLength: 20 }), (repr, at, trailer) => {
        const len = ipv4EncodingLength(repr);
        const out = new Uint8Array(at + len + trailer.length);
        out.set(trailer, at + len); // like Ethernet padding
        expect(emitIpv4(repr, out, at)).toBe(len);
        const hl = ipv4HeaderLen(repr);
        expect(refChecksum(out, at, hl)).toBe(0);
        const r = parsed(out, at);
        const { options, payload, checksum, ...fields } = r;
        const { options: wantOptions, payload: wantPayload, ...wantFields } = repr;
        expect(fields).toEqual(wantFields);
        expect(Array.from(options)).toEqual(Array.from(wantOptions));
        expect(Array.from(payload)).toEqual(Array.from(wantPayload));
        expect(checksum).toBe((out[at + 10] << 8) | out[at + 11]);
      }),
    );
  });

  it('parseIpv4 and Ipv4View.check never throw on arbitrary bytes and bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.nat(), fc.boolean(), (bytes, a, b, checksum) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const r = parseIpv4(bytes, start, end, { checksum });
        const e = new Ipv4View().wrap(bytes, start, end).check({ checksum });
        if (e) expect(r.ok).toBe(false);
        if (r.ok) expect(r.value.payload.length + r.value.options.length + 20).toBeLessThanOrEqual(end - start);
        expect(() => parseIpv4(bytes)).not.toThrow();
      }),
    );
  });

  it('never throws on near-valid headers (version 4, any IHL, lengths and flags)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 120 }), fc.nat(15), fc.boolean(), (bytes, ihl, fixChecksum) => {
        bytes[0] = 0x40 | ihl;
        if (fixChecksum && ihl >= 5 && ihl * 4 <= bytes.length) {
          bytes[10] = 0;
          bytes[11] = 0;
          const c = refChecksum(bytes, 0, ihl * 4);
          bytes[10] = c >>> 8;
          bytes[11] = c & 0xff;
        }
        for (const checksum of [true, false]) {
          const r = parseIpv4(bytes, 0, bytes.length, { checksum });
          if (r.ok) {
            const total = (bytes[2] << 8) | bytes[3];
            expect(r.value.options.length).toBe(ihl * 4 - 20);
            expect(r.value.payload.length).toBe(total - ihl * 4);
            expect(r.value.fragOffset + r.value.payload.length).toBeLessThanOrEqual(65535);
          } else {
            expect(['truncated', 'bad-offset', 'bad-length', 'bad-checksum', 'malformed']).toContain(r.error.reason);
          }
        }
      }),
    );
  });
});
