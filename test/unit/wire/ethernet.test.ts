import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAC_BROADCAST } from '../../../worker/wire/addr';
import {
  ETH,
  EtherType,
  EthernetView,
  emitEthernet,
  ethernetEncodingLength,
  ethernetFrameLen,
  maxFrameLen,
  parseEthernet,
  type EthernetRepr,
} from '../../../worker/wire/ethernet';
import { EmitError } from '../../../worker/wire/result';

const MAC_A = 0x02_1a_2b_3c_4d_5e; // host 10.0.0.1
const MAC_B = 0x02_ab_cd_ef_01_23; // host 10.0.0.2

/** A Linux host asking "who has 10.0.0.2? tell 10.0.0.1", padded by the NIC to the 60-byte minimum. */
const ARP_WHO_HAS_FRAME = new Uint8Array([
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // destination: broadcast
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // source: MAC_A
  0x08, 0x06, // EtherType: ARP
  0x00, 0x01, // ARP hardware type: Ethernet
  0x08, 0x00, // ARP protocol type: IPv4
  0x06, // hardware address length
  0x04, // protocol address length
  0x00, 0x01, // operation: request
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // sender MAC: MAC_A
  0x0a, 0x00, 0x00, 0x01, // sender IP: 10.0.0.1
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC: unknown (Linux sends zeros)
  0x0a, 0x00, 0x00, 0x02, // target IP: 10.0.0.2
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // padding (9 of 18)
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // padding (18 of 18)
]);
const ARP_BODY = ARP_WHO_HAS_FRAME.slice(14, 42);

/**
 * A small UDP datagram (33 bytes of IPv4) from MAC_A to MAC_B; the frame is padded
 * to 60 bytes. IPv4 header checksum 0xe487 computed by a one-off python3 script.
 */
const UDP_FRAME = new Uint8Array([
  0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, // destination: MAC_B
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // source: MAC_A
  0x08, 0x00, // EtherType: IPv4
  0x45, // IPv4: version 4, IHL 5
  0x00, // DSCP 0, ECN 0
  0x00, 0x21, // total length 33
  0x42, 0x42, // identification
  0x40, 0x00, // DF
  0x40, // TTL 64
  0x11, // protocol UDP
  0xe4, 0x87, // header checksum
  0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  0x13, 0x88, // UDP source port 5000
  0x13, 0x89, // UDP destination port 5001
  0x00, 0x0d, // UDP length 13
  0x00, 0x00, // UDP checksum: none
  0x68, 0x65, 0x6c, 0x6c, 0x6f, // "hello"
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // padding (13)
]);
const UDP_DATAGRAM = UDP_FRAME.slice(14, 47);

const OFFSET = 7;
const TAIL = 9;

/** Emits into a buffer full of 0xaa at OFFSET and checks the bytes around the frame are untouched. */
function emitInto(repr: EthernetRepr): Uint8Array {
  const len = ethernetEncodingLength(repr);
  const out = new Uint8Array(OFFSET + len + TAIL).fill(0xaa);
  expect(emitEthernet(repr, out, OFFSET)).toBe(len);
  expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(OFFSET + len).every((b) => b === 0xaa)).toBe(true);
  return out.slice(OFFSET, OFFSET + len);
}

describe('frame lengths', () => {
  it('maxFrameLen is the 14-byte header plus the MTU (no FCS)', () => {
    expect(maxFrameLen(1500)).toBe(1514);
    expect(maxFrameLen(576)).toBe(590);
    expect(maxFrameLen(16000)).toBe(16014);
  });

  it('ethernetFrameLen pads to the 60-byte minimum (64 on the wire minus the FCS)', () => {
    expect(ETH.MIN_FRAME).toBe(60);
    expect(ethernetFrameLen(0)).toBe(60);
    expect(ethernetFrameLen(28)).toBe(60); // an ARP packet
    expect(ethernetFrameLen(46)).toBe(60);
    expect(ethernetFrameLen(47)).toBe(61);
    expect(ethernetFrameLen(1500)).toBe(1514);
  });

  it('ethernetEncodingLength follows the payload length', () => {
    const repr = { dst: MAC_B, src: MAC_A, ethertype: EtherType.IPV4, payload: new Uint8Array(100) };
    expect(ethernetEncodingLength(repr)).toBe(114);
    expect(ethernetEncodingLength({ ...repr, payload: new Uint8Array(3) })).toBe(60);
  });
});

describe('golden: ARP who-has broadcast frame', () => {
  it('parses every field; the payload keeps the padding and is not a copy', () => {
    const r = parseEthernet(ARP_WHO_HAS_FRAME);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.dst).toBe(MAC_BROADCAST);
    expect(r.value.src).toBe(MAC_A);
    expect(r.value.ethertype).toBe(EtherType.ARP);
    expect(r.value.payload.length).toBe(46);
    expect(Array.from(r.value.payload)).toEqual(Array.from(ARP_WHO_HAS_FRAME.subarray(14)));
    expect(r.value.payload.buffer).toBe(ARP_WHO_HAS_FRAME.buffer);
    expect(r.value.payload.byteOffset).toBe(ARP_WHO_HAS_FRAME.byteOffset + 14);
  });

  it('emits the 28-byte ARP body as the same 60-byte frame, zero padding over the 0xaa fill', () => {
    const bytes = emitInto({ dst: MAC_BROADCAST, src: MAC_A, ethertype: EtherType.ARP, payload: ARP_BODY });
    expect(Array.from(bytes)).toEqual(Array.from(ARP_WHO_HAS_FRAME));
  });

  it('emits the parsed repr (payload already padded) back to the same bytes', () => {
    const r = parseEthernet(ARP_WHO_HAS_FRAME);
    if (!r.ok) throw new Error(r.error.detail);
    expect(Array.from(emitInto(r.value))).toEqual(Array.from(ARP_WHO_HAS_FRAME));
  });
});

describe('golden: IPv4 frame with padding', () => {
  it('parses every field; the payload includes the 13 bytes of padding (IPv4 knows its own length)', () => {
    const r = parseEthernet(UDP_FRAME);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.dst).toBe(MAC_B);
    expect(r.value.src).toBe(MAC_A);
    expect(r.value.ethertype).toBe(EtherType.IPV4);
    expect(r.value.payload.length).toBe(46);
    expect(Array.from(r.value.payload.subarray(0, 33))).toEqual(Array.from(UDP_DATAGRAM));
  });

  it('emits the 33-byte datagram padded to 60 bytes', () => {
    const bytes = emitInto({ dst: MAC_B, src: MAC_A, ethertype: EtherType.IPV4, payload: UDP_DATAGRAM });
    expect(Array.from(bytes)).toEqual(Array.from(UDP_FRAME));
  });
});

describe('emitEthernet', () => {
  it('does not pad a payload of 46 bytes or more', () => {
    const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
    const bytes = emitInto({ dst: MAC_B, src: MAC_A, ethertype: EtherType.IPV4, payload });
    expect(bytes.length).toBe(114);
    expect(Array.from(bytes.subarray(14))).toEqual(Array.from(payload));
  });

  it('pads an empty payload with 46 zeros', () => {
    const bytes = emitInto({ dst: MAC_B, src: MAC_A, ethertype: 0x88b5, payload: new Uint8Array(0) });
    expect(bytes.length).toBe(60);
    expect(Array.from(bytes.subarray(0, 14))).toEqual([0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x88, 0xb5]);
    expect(bytes.subarray(14).every((b) => b === 0)).toBe(true);
  });

  it('leaves a payload that already sits right after the header in place (zero-copy)', () => {
    const out = new Uint8Array(OFFSET + 60 + TAIL).fill(0xaa);
    out.set(ARP_BODY, OFFSET + 14);
    const payload = out.subarray(OFFSET + 14, OFFSET + 14 + 28);
    expect(emitEthernet({ dst: MAC_BROADCAST, src: MAC_A, ethertype: EtherType.ARP, payload }, out, OFFSET)).toBe(60);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 60))).toEqual(Array.from(ARP_WHO_HAS_FRAME));
    expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
    expect(out.subarray(OFFSET + 60).every((b) => b === 0xaa)).toBe(true);
  });

  it('copies a payload that lives elsewhere in the same buffer', () => {
    const out = new Uint8Array(OFFSET + 60 + 40).fill(0xaa);
    out.set(ARP_BODY, OFFSET + 65);
    const payload = out.subarray(OFFSET + 65, OFFSET + 65 + 28);
    expect(emitEthernet({ dst: MAC_BROADCAST, src: MAC_A, ethertype: EtherType.ARP, payload }, out, OFFSET)).toBe(60);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 60))).toEqual(Array.from(ARP_WHO_HAS_FRAME));
    expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  });

  it('moves a payload that overlaps where it must go (set() copes with overlap)', () => {
    const out = new Uint8Array(OFFSET + 60 + TAIL).fill(0xaa);
    out.set(ARP_BODY, OFFSET + 20); // 6 bytes after its place
    const payload = out.subarray(OFFSET + 20, OFFSET + 48);
    expect(emitEthernet({ dst: MAC_BROADCAST, src: MAC_A, ethertype: EtherType.ARP, payload }, out, OFFSET)).toBe(60);
    expect(Array.from(out.subarray(OFFSET, OFFSET + 60))).toEqual(Array.from(ARP_WHO_HAS_FRAME));
    expect(out.subarray(OFFSET + 60).every((b) => b === 0xaa)).toBe(true);
  });

  it('throws EmitError (a bug in our code, not bad input) when the buffer is too small', () => {
    const repr = { dst: MAC_B, src: MAC_A, ethertype: EtherType.IPV4, payload: new Uint8Array(10) };
    expect(() => emitEthernet(repr, new Uint8Array(59))).toThrow(EmitError);
    expect(() => emitEthernet(repr, new Uint8Array(60), 1)).toThrow(EmitError);
    expect(() => emitEthernet(repr, new Uint8Array(100), -1)).toThrow(EmitError);
  });
});

describe('EthernetView', () => {
  it('reads and writes fields at an offset, zero-copy', () => {
    const buf = new Uint8Array(3 + 60);
    buf.set(ARP_WHO_HAS_FRAME, 3);
    const v = new EthernetView().wrap(buf, 3);
    expect(v.check()).toBeNull();
    expect(v.dst).toBe(MAC_BROADCAST);
    expect(v.src).toBe(MAC_A);
    expect(v.ethertype).toBe(EtherType.ARP);
    expect(v.payloadStart).toBe(17);
    expect(v.payloadEnd).toBe(63);
    v.dst = MAC_B;
    v.src = MAC_BROADCAST - 1;
    v.ethertype = EtherType.IPV6;
    expect(Array.from(buf.subarray(3, 17))).toEqual([0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x86, 0xdd]);
    expect(v.dst).toBe(MAC_B);
  });

  it('can be re-wrapped over another frame (reusable, no allocation per frame)', () => {
    const v = new EthernetView();
    v.wrap(ARP_WHO_HAS_FRAME);
    expect(v.ethertype).toBe(EtherType.ARP);
    v.wrap(UDP_FRAME);
    expect(v.check()).toBeNull();
    expect(v.ethertype).toBe(EtherType.IPV4);
    expect(v.dst).toBe(MAC_B);
  });
});

describe('truncated and garbage frames', () => {
  it('rejects every prefix shorter than the 14-byte header as truncated', () => {
    for (const golden of [ARP_WHO_HAS_FRAME, UDP_FRAME]) {
      for (let n = 0; n < ETH.HEADER_LEN; n++) {
        const r = parseEthernet(golden.slice(0, n));
        expect(r.ok, `prefix ${n}`).toBe(false);
        if (!r.ok) {
          expect(r.error.layer).toBe('ethernet');
          expect(r.error.reason).toBe('truncated');
          expect(r.error.detail).toMatch(/shorter than the 14-byte Ethernet header/);
        }
        expect(new EthernetView().wrap(golden, 0, n).check()?.reason).toBe('truncated');
      }
    }
  });

  it('accepts longer prefixes: Ethernet II has no length field, the layer above checks its own', () => {
    for (let n = ETH.HEADER_LEN; n <= ARP_WHO_HAS_FRAME.length; n++) {
      const r = parseEthernet(ARP_WHO_HAS_FRAME.slice(0, n));
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value.payload.length).toBe(n - ETH.HEADER_LEN);
    }
  });

  it('honours start and end inside a larger buffer', () => {
    const buf = new Uint8Array(5 + 60 + 5).fill(0xee);
    buf.set(ARP_WHO_HAS_FRAME, 5);
    const r = parseEthernet(buf, 5, 65);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.src).toBe(MAC_A);
    expect(r.value.payload.length).toBe(46);
    expect(r.value.payload.byteOffset).toBe(19);
    expect(parseEthernet(buf, 5, 18).ok).toBe(false);
  });

  it('rejects IEEE 802.3 length fields (< 0x0600) as unsupported', () => {
    for (const type of [0x0000, 0x0026, 0x05dc, 0x05ff]) {
      const frame = ARP_WHO_HAS_FRAME.slice();
      frame[12] = type >>> 8;
      frame[13] = type & 0xff;
      const r = parseEthernet(frame);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toBe('unsupported');
    }
  });

  it('accepts any EtherType from 0x0600 up, uninterpreted (VLAN tags are the layer above)', () => {
    for (const type of [0x0600, EtherType.VLAN, EtherType.IPV6, 0xffff]) {
      const frame = ARP_WHO_HAS_FRAME.slice();
      frame[12] = type >>> 8;
      frame[13] = type & 0xff;
      const r = parseEthernet(frame);
      expect(r.ok && r.value.ethertype).toBe(type);
    }
  });
});

describe('properties', () => {
  const mac = fc.nat(2 ** 48 - 1);
  const ethertype = fc.integer({ min: 0x0600, max: 0xffff });

  it('emit then parse gives back the repr (payloads of 46 bytes or more are not padded)', () => {
    fc.assert(
      fc.property(mac, mac, ethertype, fc.uint8Array({ minLength: 46, maxLength: 200 }), fc.nat(16), (dst, src, type, payload, at) => {
        const repr = { dst, src, ethertype: type, payload };
        const out = new Uint8Array(at + ethernetEncodingLength(repr));
        const n = emitEthernet(repr, out, at);
        const r = parseEthernet(out, at, at + n);
        if (!r.ok) throw new Error(r.error.detail);
        expect(r.value.dst).toBe(dst);
        expect(r.value.src).toBe(src);
        expect(r.value.ethertype).toBe(type);
        expect(Array.from(r.value.payload)).toEqual(Array.from(payload));
      }),
    );
  });

  it('emit then parse gives back a short payload followed by zero padding', () => {
    fc.assert(
      fc.property(mac, mac, ethertype, fc.uint8Array({ maxLength: 45 }), (dst, src, type, payload) => {
        const out = new Uint8Array(60).fill(0xaa);
        expect(emitEthernet({ dst, src, ethertype: type, payload }, out)).toBe(60);
        const r = parseEthernet(out);
        if (!r.ok) throw new Error(r.error.detail);
        expect(r.value.payload.length).toBe(46);
        expect(Array.from(r.value.payload.subarray(0, payload.length))).toEqual(Array.from(payload));
        expect(r.value.payload.subarray(payload.length).every((b) => b === 0)).toBe(true);
      }),
    );
  });

  it('parseEthernet and EthernetView.check never throw on arbitrary bytes and bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const r = parseEthernet(bytes, start, end);
        const e = new EthernetView().wrap(bytes, start, end).check();
        expect(r.ok).toBe(e === null);
        if (!r.ok) expect(['truncated', 'unsupported']).toContain(r.error.reason);
        expect(() => parseEthernet(bytes)).not.toThrow();
      }),
    );
  });
});
