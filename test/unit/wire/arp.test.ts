import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAC_ZERO } from '../../../worker/wire/addr';
import { ARP, ArpOp, ArpView, arpEncodingLength, emitArp, parseArp, type ArpRepr } from '../../../worker/wire/arp';
import { parseEthernet } from '../../../worker/wire/ethernet';
import { EmitError } from '../../../worker/wire/result';

const MAC_A = 0x02_1a_2b_3c_4d_5e; // host 10.0.0.1
const MAC_B = 0x02_ab_cd_ef_01_23; // host 10.0.0.2
const IP_A = 0x0a_00_00_01;
const IP_B = 0x0a_00_00_02;

/** "Who has 10.0.0.2? Tell 10.0.0.1", as a Linux host broadcasts it; the NIC pads the frame to 60 bytes. */
const WHO_HAS_FRAME = new Uint8Array([
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // Ethernet destination: broadcast
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // Ethernet source: MAC_A
  0x08, 0x06, // EtherType: ARP
  0x00, 0x01, // hardware type: Ethernet (1)
  0x08, 0x00, // protocol type: IPv4
  0x06, // hardware address length
  0x04, // protocol address length
  0x00, 0x01, // operation: request (1)
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // sender hardware address: MAC_A
  0x0a, 0x00, 0x00, 0x01, // sender protocol address: 10.0.0.1
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target hardware address: unknown, zeros as Linux sends
  0x0a, 0x00, 0x00, 0x02, // target protocol address: 10.0.0.2
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // Ethernet padding (9 of 18)
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // Ethernet padding (18 of 18)
]);

/** "10.0.0.2 is at 02:ab:cd:ef:01:23", unicast back; 42 bytes as captured on the sending host, before padding. */
const REPLY_FRAME = new Uint8Array([
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // Ethernet destination: MAC_A
  0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, // Ethernet source: MAC_B
  0x08, 0x06, // EtherType: ARP
  0x00, 0x01, // hardware type: Ethernet (1)
  0x08, 0x00, // protocol type: IPv4
  0x06, // hardware address length
  0x04, // protocol address length
  0x00, 0x02, // operation: reply (2)
  0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, // sender hardware address: MAC_B
  0x0a, 0x00, 0x00, 0x02, // sender protocol address: 10.0.0.2
  0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, // target hardware address: MAC_A
  0x0a, 0x00, 0x00, 0x01, // target protocol address: 10.0.0.1
]);

const WHO_HAS: ArpRepr = { operation: 'request', senderMac: MAC_A, senderIp: IP_A, targetMac: MAC_ZERO, targetIp: IP_B };
const REPLY: ArpRepr = { operation: 'reply', senderMac: MAC_B, senderIp: IP_B, targetMac: MAC_A, targetIp: IP_A };

const OFFSET = 5;
const TAIL = 7;

function emitInto(repr: ArpRepr): Uint8Array {
  const out = new Uint8Array(OFFSET + 28 + TAIL).fill(0xaa);
  expect(emitArp(repr, out, OFFSET)).toBe(28);
  expect(out.subarray(0, OFFSET).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(OFFSET + 28).every((b) => b === 0xaa)).toBe(true);
  return out.slice(OFFSET, OFFSET + 28);
}

function arpBody(frame: Uint8Array): Uint8Array {
  return frame.slice(14, 42);
}

describe('golden: who-has request', () => {
  it('parses every field from the padded frame (padding ignored)', () => {
    const r = parseArp(WHO_HAS_FRAME, 14);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value).toEqual(WHO_HAS);
  });

  it('parses the payload handed up by the Ethernet codec', () => {
    const eth = parseEthernet(WHO_HAS_FRAME);
    if (!eth.ok) throw new Error(eth.error.detail);
    const r = parseArp(eth.value.payload);
    expect(r.ok && r.value).toEqual(WHO_HAS);
  });

  it('emits the same 28 bytes at an offset', () => {
    expect(Array.from(emitInto(WHO_HAS))).toEqual(Array.from(arpBody(WHO_HAS_FRAME)));
  });
});

describe('golden: reply', () => {
  it('parses every field', () => {
    const r = parseArp(REPLY_FRAME, 14);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.operation).toBe('reply');
    expect(r.value.senderMac).toBe(MAC_B);
    expect(r.value.senderIp).toBe(IP_B);
    expect(r.value.targetMac).toBe(MAC_A);
    expect(r.value.targetIp).toBe(IP_A);
  });

  it('emits the same 28 bytes at an offset', () => {
    expect(Array.from(emitInto(REPLY))).toEqual(Array.from(arpBody(REPLY_FRAME)));
  });
});

describe('ArpView', () => {
  it('reads every field at an offset', () => {
    const v = new ArpView().wrap(REPLY_FRAME, 14);
    expect(v.check()).toBeNull();
    expect(v.oper).toBe(ArpOp.REPLY);
    expect(v.senderMac).toBe(MAC_B);
    expect(v.senderIp).toBe(IP_B);
    expect(v.targetMac).toBe(MAC_A);
    expect(v.targetIp).toBe(IP_A);
  });

  it('is reusable across packets', () => {
    const v = new ArpView();
    expect(v.wrap(WHO_HAS_FRAME, 14).oper).toBe(ArpOp.REQUEST);
    expect(v.wrap(REPLY_FRAME, 14).oper).toBe(ArpOp.REPLY);
  });
});

describe('arpEncodingLength', () => {
  it('is always 28 for Ethernet/IPv4', () => {
    expect(arpEncodingLength()).toBe(28);
    expect(arpEncodingLength(WHO_HAS)).toBe(ARP.LEN);
  });
});

describe('emitArp', () => {
  it('throws EmitError when the buffer is too small', () => {
    expect(() => emitArp(WHO_HAS, new Uint8Array(27))).toThrow(EmitError);
    expect(() => emitArp(WHO_HAS, new Uint8Array(28), 1)).toThrow(EmitError);
  });

  it('writes an address with every bit set without sign trouble', () => {
    const repr: ArpRepr = { operation: 'reply', senderMac: 2 ** 48 - 1, senderIp: 0xffff_ffff, targetMac: 2 ** 48 - 2, targetIp: 0x8000_0000 };
    const bytes = emitInto(repr);
    expect(Array.from(bytes.subarray(8))).toEqual([
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // sender MAC
      0xff, 0xff, 0xff, 0xff, // sender IP
      0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // target MAC
      0x80, 0x00, 0x00, 0x00, // target IP
    ]);
    expect(parseArp(bytes)).toEqual({ ok: true, value: repr });
  });
});

describe('truncated and garbage packets', () => {
  it('rejects every prefix of the 28-byte body as truncated', () => {
    for (const frame of [WHO_HAS_FRAME, REPLY_FRAME]) {
      for (let n = 0; n < 28; n++) {
        const r = parseArp(frame, 14, 14 + n);
        expect(r.ok, `prefix ${n}`).toBe(false);
        if (!r.ok) {
          expect(r.error.layer).toBe('arp');
          expect(r.error.reason).toBe('truncated');
        }
      }
    }
  });

  function mutated(at: number, ...bytes: number[]): Uint8Array {
    const b = arpBody(WHO_HAS_FRAME);
    b.set(bytes, at);
    return b;
  }

  it.each([
    ['hardware type 6 (IEEE 802)', mutated(ARP.HTYPE, 0x00, 0x06), 'unsupported'],
    ['hardware type 0', mutated(ARP.HTYPE, 0x00, 0x00), 'unsupported'],
    ['protocol type IPv6', mutated(ARP.PTYPE, 0x86, 0xdd), 'unsupported'],
    ['protocol type 0x0801', mutated(ARP.PTYPE, 0x08, 0x01), 'unsupported'],
    ['hardware length 8', mutated(ARP.HLEN, 8), 'bad-length'],
    ['hardware length 0', mutated(ARP.HLEN, 0), 'bad-length'],
    ['protocol length 16', mutated(ARP.PLEN, 16), 'bad-length'],
    ['operation 0', mutated(ARP.OPER, 0x00, 0x00), 'unsupported'],
    ['operation 3 (RARP request)', mutated(ARP.OPER, 0x00, 0x03), 'unsupported'],
    ['operation 0x0101', mutated(ARP.OPER, 0x01, 0x01), 'unsupported'],
  ] as const)('rejects %s', (_name, bytes, reason) => {
    const r = parseArp(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.layer).toBe('arp');
      expect(r.error.reason).toBe(reason);
      expect(r.error.detail.length).toBeGreaterThan(0);
    }
    expect(new ArpView().wrap(bytes).check()?.reason).toBe(reason);
  });
});

describe('properties', () => {
  const repr: fc.Arbitrary<ArpRepr> = fc.record({
    operation: fc.constantFrom('request' as const, 'reply' as const),
    senderMac: fc.nat(2 ** 48 - 1),
    senderIp: fc.nat(0xffff_ffff),
    targetMac: fc.nat(2 ** 48 - 1),
    targetIp: fc.nat(0xffff_ffff),
  });

  it('emit then parse gives back the repr', () => {
    fc.assert(
      fc.property(repr, fc.nat(20), fc.uint8Array({ maxLength: 18 }), (r, at, padding) => {
        const out = new Uint8Array(at + 28 + padding.length);
        out.set(padding, at + 28);
        expect(emitArp(r, out, at)).toBe(28);
        expect(parseArp(out, at)).toEqual({ ok: true, value: r });
      }),
    );
  });

  it('parseArp and ArpView.check never throw on arbitrary bytes and bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const r = parseArp(bytes, start, end);
        expect(r.ok).toBe(new ArpView().wrap(bytes, start, end).check() === null);
        if (!r.ok) expect(['truncated', 'unsupported', 'bad-length']).toContain(r.error.reason);
      }),
    );
  });

  it('random bytes with a valid fixed prefix always parse', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 60 }), fc.boolean(), (rest, request) => {
        const b = new Uint8Array(8 + rest.length);
        b.set([0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, request ? 1 : 2]);
        b.set(rest, 8);
        const r = parseArp(b);
        expect(r.ok && r.value.operation).toBe(request ? 'request' : 'reply');
      }),
    );
  });
});
