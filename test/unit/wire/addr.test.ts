import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  IPV4_ANY,
  IPV4_BROADCAST,
  MAC_BROADCAST,
  MAC_ZERO,
  formatIpv4,
  formatMac,
  ipv4Bytes,
  isLocalMac,
  isMulticastIpv4,
  isMulticastMac,
  parseCidr,
  parseIpv4,
  parseMac,
  prefixMask,
  readMac,
  sameSubnet,
  subnetBroadcast,
  writeMac,
} from '../../../worker/wire/addr';

const MAX_MAC = 2 ** 48 - 1;
const mac = fc.nat(MAX_MAC);
const ipv4 = fc.nat(0xffff_ffff);

describe('MAC addresses', () => {
  it('constants are broadcast and zero', () => {
    expect(MAC_BROADCAST).toBe(MAX_MAC);
    expect(MAC_ZERO).toBe(0);
  });

  describe('formatMac', () => {
    it('writes six lower-case, zero-padded octets, most significant first', () => {
      expect(formatMac(0x02_00_00_00_00_01)).toBe('02:00:00:00:00:01');
      expect(formatMac(0xc8_60_00_2e_6e_eb)).toBe('c8:60:00:2e:6e:eb');
      expect(formatMac(MAC_BROADCAST)).toBe('ff:ff:ff:ff:ff:ff');
      expect(formatMac(MAC_ZERO)).toBe('00:00:00:00:00:00');
    });

    it('takes another separator (the Windows form)', () => {
      expect(formatMac(0xc8_60_00_2e_6e_eb, '-')).toBe('c8-60-00-2e-6e-eb');
    });
  });

  describe('parseMac', () => {
    it('accepts the colon notation', () => {
      expect(parseMac('02:00:00:00:00:01')).toBe(0x02_00_00_00_00_01);
      expect(parseMac('ff:ff:ff:ff:ff:ff')).toBe(MAC_BROADCAST);
    });

    it('accepts the dash notation, upper or lower case (as Windows prints it)', () => {
      expect(parseMac('C8-60-00-2E-6E-EB')).toBe(0xc8_60_00_2e_6e_eb);
      expect(parseMac('c8-60-00-2e-6e-eb')).toBe(0xc8_60_00_2e_6e_eb);
    });

    it('accepts the dotted Cisco notation', () => {
      expect(parseMac('0200.0000.0001')).toBe(0x02_00_00_00_00_01);
      expect(parseMac('c860.002e.6eeb')).toBe(0xc8_60_00_2e_6e_eb);
    });

    it('ignores surrounding whitespace', () => {
      expect(parseMac('  02:00:00:00:00:01\n')).toBe(0x02_00_00_00_00_01);
    });

    it.each([
      '',
      'garbage',
      '02:00:00:00:00', // five octets
      '02:00:00:00:00:01:02', // seven octets
      '02:00:00:00:00:0g', // not hex
      '02:00:00:00:00:001', // an octet of three digits
      '2:0:0:0:0:1', // octets without leading zeros
      '0:20:00:00:00:001', // twelve hex digits, grouped wrongly
      '02:00:00:00:00:01:', // trailing separator
      ':02:00:00:00:00:01', // leading separator
      '02::00:00:00:00:01', // doubled separator
      '02:00-00:00:00:01', // mixed separators
      '0200:0000:0001', // Cisco grouping with colons
      '02.00.00.00.00.01', // dots between octets
      '0200.0000.001', // short Cisco group
      '02 00 00 00 00 01', // spaces
      '+2:00:00:00:00:01',
      '0x0200000000001',
    ])('rejects %j', (text) => {
      expect(parseMac(text)).toBeUndefined();
    });

    it('round-trips every address through all three notations', () => {
      fc.assert(
        fc.property(mac, (m) => {
          expect(parseMac(formatMac(m))).toBe(m);
          expect(parseMac(formatMac(m, '-').toUpperCase())).toBe(m);
          const h = formatMac(m, '');
          expect(parseMac(`${h.slice(0, 4)}.${h.slice(4, 8)}.${h.slice(8)}`)).toBe(m);
        }),
      );
    });

    it('never throws on arbitrary text', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 40 }), (text) => {
          const r = parseMac(text);
          if (r !== undefined) {
            expect(Number.isInteger(r)).toBe(true);
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(MAX_MAC);
          }
        }),
      );
    });
  });

  describe('isMulticastMac / isLocalMac', () => {
    it('looks at the I/G bit of the first octet', () => {
      expect(isMulticastMac(MAC_BROADCAST)).toBe(true);
      expect(isMulticastMac(0x01_00_5e_00_00_01)).toBe(true); // IPv4 multicast 224.0.0.1
      expect(isMulticastMac(0x33_33_00_00_00_01)).toBe(true); // IPv6 multicast
      expect(isMulticastMac(0x02_00_00_00_00_01)).toBe(false);
      expect(isMulticastMac(0xc8_60_00_2e_6e_eb)).toBe(false);
      expect(isMulticastMac(MAC_ZERO)).toBe(false);
      // the group bit of the *last* octet does not count
      expect(isMulticastMac(0x00_00_00_00_00_01)).toBe(false);
    });

    it('looks at the U/L bit of the first octet', () => {
      expect(isLocalMac(0x02_00_00_00_00_01)).toBe(true);
      expect(isLocalMac(0xc8_60_00_2e_6e_eb)).toBe(false);
      expect(isLocalMac(0x00_00_00_00_00_02)).toBe(false);
    });

    it('agree with the bits of the first written byte', () => {
      fc.assert(
        fc.property(mac, (m) => {
          const b = new Uint8Array(6);
          writeMac(b, 0, m);
          expect(isMulticastMac(m)).toBe((b[0] & 1) === 1);
          expect(isLocalMac(m)).toBe((b[0] & 2) === 2);
        }),
      );
    });
  });

  describe('readMac / writeMac', () => {
    it('write big-endian at an offset without touching neighbours', () => {
      const b = new Uint8Array(10).fill(0xaa);
      writeMac(b, 2, 0xc8_60_00_2e_6e_eb);
      expect(Array.from(b)).toEqual([0xaa, 0xaa, 0xc8, 0x60, 0x00, 0x2e, 0x6e, 0xeb, 0xaa, 0xaa]);
      expect(readMac(b, 2)).toBe(0xc8_60_00_2e_6e_eb);
    });

    it('handle the top bit of each half (no sign trouble)', () => {
      const b = new Uint8Array(6);
      writeMac(b, 0, MAC_BROADCAST);
      expect(Array.from(b)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      expect(readMac(b, 0)).toBe(MAC_BROADCAST);
      writeMac(b, 0, 0x80_00_80_00_00_00);
      expect(Array.from(b)).toEqual([0x80, 0x00, 0x80, 0x00, 0x00, 0x00]);
      expect(readMac(b, 0)).toBe(0x80_00_80_00_00_00);
    });

    it('round-trip any address at any offset', () => {
      fc.assert(
        fc.property(mac, fc.nat(10), (m, at) => {
          const b = new Uint8Array(at + 6 + 3).fill(0xaa);
          writeMac(b, at, m);
          expect(readMac(b, at)).toBe(m);
          expect(b.subarray(0, at).every((x) => x === 0xaa)).toBe(true);
          expect(b.subarray(at + 6).every((x) => x === 0xaa)).toBe(true);
        }),
      );
    });

    it('read any six bytes back as they were', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
          const m = readMac(bytes, 0);
          expect(m).toBeGreaterThanOrEqual(0);
          expect(m).toBeLessThanOrEqual(MAX_MAC);
          const again = new Uint8Array(6);
          writeMac(again, 0, m);
          expect(Array.from(again)).toEqual(Array.from(bytes));
        }),
      );
    });
  });
});

describe('IPv4 addresses', () => {
  it('constants are 0.0.0.0 and 255.255.255.255', () => {
    expect(IPV4_ANY).toBe(0);
    expect(IPV4_BROADCAST).toBe(0xffff_ffff);
  });

  describe('formatIpv4', () => {
    it('writes dotted decimal without leading zeros', () => {
      expect(formatIpv4(0x0a_00_00_01)).toBe('10.0.0.1');
      expect(formatIpv4(0xc0_a8_01_fe)).toBe('192.168.1.254');
      expect(formatIpv4(IPV4_BROADCAST)).toBe('255.255.255.255');
      expect(formatIpv4(IPV4_ANY)).toBe('0.0.0.0');
    });
  });

  describe('parseIpv4', () => {
    it('reads dotted decimal into an unsigned 32-bit number', () => {
      expect(parseIpv4('10.0.0.1')).toBe(0x0a_00_00_01);
      expect(parseIpv4('255.255.255.255')).toBe(0xffff_ffff);
      expect(parseIpv4('0.0.0.0')).toBe(0);
      expect(parseIpv4('224.0.0.251')).toBe(0xe0_00_00_fb);
      expect(parseIpv4(' 10.0.0.2 ')).toBe(0x0a_00_00_02);
    });

    it.each([
      '',
      'garbage',
      '256.0.0.1', // octet over 255
      '10.0.0.256',
      '10.0.0.999',
      '010.0.0.1', // leading zero (octal in some parsers)
      '10.0.0.01',
      '10.00.0.1',
      '10.0.0', // three parts
      '10.0.0.1.5', // five parts
      '10.0.0.', // empty part
      '.10.0.0.1',
      '10..0.1',
      '10.0.0.1/24', // a CIDR is not an address
      '10.0.0.-1',
      '10.0.0.+1',
      '0x0a.0.0.1',
      '1e1.0.0.1',
      '10.0.0.1a',
      '10 .0.0.1',
      '１０.0.0.1', // full-width digits
      '١٠.0.0.1', // Arabic-Indic digits
    ])('rejects %j', (text) => {
      expect(parseIpv4(text)).toBeUndefined();
    });

    it('round-trips every address', () => {
      fc.assert(
        fc.property(ipv4, (a) => {
          expect(parseIpv4(formatIpv4(a))).toBe(a);
        }),
      );
    });

    it('never throws on arbitrary text', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), (text) => {
          const r = parseIpv4(text);
          if (r !== undefined) {
            expect(Number.isInteger(r)).toBe(true);
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(0xffff_ffff);
          }
        }),
      );
    });
  });

  describe('parseCidr', () => {
    it('reads an address and a prefix length', () => {
      expect(parseCidr('10.0.0.1/24')).toEqual({ addr: 0x0a_00_00_01, prefixLen: 24 });
      expect(parseCidr('0.0.0.0/0')).toEqual({ addr: 0, prefixLen: 0 });
      expect(parseCidr('192.168.1.254/32')).toEqual({ addr: 0xc0_a8_01_fe, prefixLen: 32 });
      expect(parseCidr('172.16.0.0/12')).toEqual({ addr: 0xac_10_00_00, prefixLen: 12 });
    });

    it('ignores surrounding whitespace, like parseIpv4', () => {
      expect(parseCidr(' 10.0.0.1/24\n')).toEqual({ addr: 0x0a_00_00_01, prefixLen: 24 });
    });

    it('treats a bare address as a /32', () => {
      expect(parseCidr('10.0.0.2')).toEqual({ addr: 0x0a_00_00_02, prefixLen: 32 });
    });

    it.each([
      '',
      '/24',
      '10.0.0.1/', // empty prefix is not /0
      '10.0.0.1/33',
      '10.0.0.1/-1',
      '10.0.0.1/24.5',
      '10.0.0.1/abc',
      '10.0.0.1/24/8', // two prefixes
      '10.0.0.1/0x18', // hex prefix
      '10.0.0.1/1e1', // exponent
      '10.0.0.1/+24',
      '10.0.0.1/ 24',
      '10.0.0.1/024', // leading zero, as for addresses
      '256.0.0.1/24',
      '10.0.0/24',
    ])('rejects %j', (text) => {
      expect(parseCidr(text)).toBeUndefined();
    });

    it('round-trips any address and prefix', () => {
      fc.assert(
        fc.property(ipv4, fc.nat(32), (addr, prefixLen) => {
          expect(parseCidr(`${formatIpv4(addr)}/${prefixLen}`)).toEqual({ addr, prefixLen });
        }),
      );
    });
  });

  describe('prefixMask', () => {
    it('gives the dotted masks people know', () => {
      expect(prefixMask(0)).toBe(0);
      expect(prefixMask(8)).toBe(0xff_00_00_00);
      expect(prefixMask(24)).toBe(0xff_ff_ff_00);
      expect(formatIpv4(prefixMask(24))).toBe('255.255.255.0');
      expect(prefixMask(25)).toBe(0xff_ff_ff_80);
      expect(prefixMask(1)).toBe(0x80_00_00_00);
      expect(prefixMask(31)).toBe(0xff_ff_ff_fe);
      expect(prefixMask(32)).toBe(0xff_ff_ff_ff);
    });

    it('is an unsigned number with exactly prefixLen leading ones', () => {
      for (let n = 0; n <= 32; n++) {
        const m = prefixMask(n);
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m.toString(2).padStart(32, '0')).toBe('1'.repeat(n) + '0'.repeat(32 - n));
      }
    });
  });

  describe('sameSubnet', () => {
    it('decides "same subnet?" under a prefix', () => {
      const a = parseIpv4('10.0.0.1')!;
      expect(sameSubnet(a, parseIpv4('10.0.0.2')!, 24)).toBe(true);
      expect(sameSubnet(a, parseIpv4('10.0.0.255')!, 24)).toBe(true);
      expect(sameSubnet(a, parseIpv4('10.0.1.2')!, 24)).toBe(false);
      expect(sameSubnet(a, parseIpv4('10.0.1.2')!, 16)).toBe(true);
      expect(sameSubnet(a, parseIpv4('10.0.0.2')!, 32)).toBe(false);
      expect(sameSubnet(a, parseIpv4('10.0.0.129')!, 25)).toBe(false);
    });

    it('works with the top bit set and with /0', () => {
      expect(sameSubnet(parseIpv4('192.168.1.1')!, parseIpv4('192.168.1.200')!, 24)).toBe(true);
      expect(sameSubnet(parseIpv4('192.168.1.1')!, parseIpv4('10.0.0.1')!, 0)).toBe(true);
      expect(sameSubnet(0xffff_ffff, 0xffff_ff00, 24)).toBe(true);
    });

    it('is reflexive and symmetric', () => {
      fc.assert(
        fc.property(ipv4, ipv4, fc.nat(32), (a, b, n) => {
          expect(sameSubnet(a, a, n)).toBe(true);
          expect(sameSubnet(a, b, n)).toBe(sameSubnet(b, a, n));
        }),
      );
    });
  });

  describe('subnetBroadcast', () => {
    it('sets every host bit', () => {
      expect(formatIpv4(subnetBroadcast(parseIpv4('10.0.0.1')!, 24))).toBe('10.0.0.255');
      expect(formatIpv4(subnetBroadcast(parseIpv4('192.168.1.77')!, 26))).toBe('192.168.1.127');
      expect(formatIpv4(subnetBroadcast(parseIpv4('172.16.5.4')!, 12))).toBe('172.31.255.255');
      expect(subnetBroadcast(parseIpv4('10.0.0.1')!, 32)).toBe(parseIpv4('10.0.0.1'));
      expect(subnetBroadcast(parseIpv4('10.0.0.1')!, 0)).toBe(IPV4_BROADCAST);
    });

    it('stays in the subnet and is unsigned', () => {
      fc.assert(
        fc.property(ipv4, fc.nat(32), (a, n) => {
          const bc = subnetBroadcast(a, n);
          expect(bc).toBeGreaterThanOrEqual(0);
          expect(bc).toBeLessThanOrEqual(0xffff_ffff);
          expect(sameSubnet(a, bc, n)).toBe(true);
          expect(((bc | prefixMask(n)) >>> 0)).toBe(0xffff_ffff);
        }),
      );
    });
  });

  describe('isMulticastIpv4 / ipv4Bytes', () => {
    it('recognises 224.0.0.0/4', () => {
      expect(isMulticastIpv4(parseIpv4('224.0.0.1')!)).toBe(true);
      expect(isMulticastIpv4(parseIpv4('239.255.255.250')!)).toBe(true);
      expect(isMulticastIpv4(parseIpv4('223.255.255.255')!)).toBe(false);
      expect(isMulticastIpv4(parseIpv4('240.0.0.0')!)).toBe(false);
      expect(isMulticastIpv4(IPV4_BROADCAST)).toBe(false);
    });

    it('gives the four bytes in network order', () => {
      expect(Array.from(ipv4Bytes(parseIpv4('192.168.1.254')!))).toEqual([192, 168, 1, 254]);
    });
  });
});
