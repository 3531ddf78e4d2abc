import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { checksum, fold, pseudoHeaderSum, sumBytes, verifies, word } from '../../../worker/wire/checksum';

/**
 * A deliberately naive reference for RFC 1071: sum every 16-bit word with a
 * plain number (exact far beyond any length we test) and fold once at the end.
 * It shares no code with the implementation under test.
 */
function refChecksum(bytes: ArrayLike<number>, off = 0, len = bytes.length - off, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < len; i += 2) {
    const hi = bytes[off + i];
    const lo = i + 1 < len ? bytes[off + i + 1] : 0;
    sum += hi * 256 + lo;
  }
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

describe('RFC 1071 section 3 worked example', () => {
  // The bytes 00 01 f2 03 f4 f5 f6 f7 as four 16-bit words.
  const example = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);

  it('sums the words to 0x2ddf0 before folding', () => {
    expect(sumBytes(example, 0, example.length)).toBe(0x2ddf0);
  });

  it('folds the carries around to 0xddf2', () => {
    expect(fold(0x2ddf0)).toBe(0xddf2);
  });

  it('gives the checksum 0x220d, the complement of 0xddf2', () => {
    expect(checksum(example, 0, example.length)).toBe(0x220d);
  });

  it('verifies once the checksum is appended as a ninth and tenth byte', () => {
    const withSum = new Uint8Array([...example, 0x22, 0x0d]);
    expect(verifies(withSum, 0, withSum.length)).toBe(true);
    withSum[9] ^= 0x01;
    expect(verifies(withSum, 0, withSum.length)).toBe(false);
  });
});

describe('fold', () => {
  it('leaves 16-bit values alone', () => {
    expect(fold(0)).toBe(0);
    expect(fold(0x1234)).toBe(0x1234);
    expect(fold(0xffff)).toBe(0xffff);
  });

  it('repeats the end-around carry until the sum fits in 16 bits', () => {
    // 0x1ffff -> 0xffff + 1 = 0x10000 -> 0x0000 + 1 = 0x0001
    expect(fold(0x1ffff)).toBe(0x0001);
    expect(fold(0x10000)).toBe(0x0001);
    // 0xffffffff -> 0xffff + 0xffff = 0x1fffe -> 0xfffe + 1 = 0xffff
    expect(fold(0xffff_ffff)).toBe(0xffff);
  });
});

describe('odd lengths', () => {
  it('pads a trailing odd byte with a zero on the right (RFC 1071 4.1)', () => {
    // 0x0102 + 0x0300 = 0x0402; ~0x0402 = 0xfbfd
    expect(checksum(new Uint8Array([0x01, 0x02, 0x03]), 0, 3)).toBe(0xfbfd);
    // a single byte 0xab counts as the word 0xab00
    expect(sumBytes(new Uint8Array([0xab]), 0, 1)).toBe(0xab00);
  });

  it('never reads past the end of an odd range, even when more bytes follow in the buffer', () => {
    const buf = new Uint8Array([0xee, 0x01, 0x02, 0x03, 0xff, 0xff]);
    expect(sumBytes(buf, 1, 3)).toBe(0x0402);
    expect(checksum(buf, 1, 3)).toBe(0xfbfd);
  });

  it('reads from an odd offset without shifting the word boundaries', () => {
    const buf = new Uint8Array([0x99, 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(checksum(buf, 1, 8)).toBe(0x220d);
  });
});

describe('empty ranges', () => {
  it('returns the initial sum untouched', () => {
    expect(sumBytes(new Uint8Array(4), 2, 0)).toBe(0);
    expect(sumBytes(new Uint8Array(4), 0, 0, 0x1234)).toBe(0x1234);
  });

  it('has checksum 0xffff (complement of zero)', () => {
    expect(checksum(new Uint8Array(0), 0, 0)).toBe(0xffff);
  });
});

describe('long buffers', () => {
  it('folds correctly over 2^18 bytes of 0xff (2^17 words, a sum far past 2^32 unfolded)', () => {
    const big = new Uint8Array(1 << 18).fill(0xff);
    // Every word is 0xffff, i.e. negative zero: the sum folds to 0xffff and the checksum is 0.
    expect(fold(sumBytes(big, 0, big.length))).toBe(0xffff);
    expect(checksum(big, 0, big.length)).toBe(0x0000);
    expect(verifies(big, 0, big.length)).toBe(true);
  });

  it('folds correctly over 2^17 + 1 bytes of 0xff (an odd tail after 2^16 words)', () => {
    const big = new Uint8Array((1 << 17) + 1).fill(0xff);
    // 0xffff (all full words) + 0xff00 (tail) = 0x1feff -> 0xff00; ~ = 0x00ff
    expect(checksum(big, 0, big.length)).toBe(0x00ff);
  });

  it('matches the reference on a 200 000-byte pseudo-random buffer with an initial sum', () => {
    const big = new Uint8Array(200_000);
    let x = 0x12345678;
    for (let i = 0; i < big.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      big[i] = x >>> 24;
    }
    expect(checksum(big, 3, big.length - 3, 0x2_0000)).toBe(refChecksum(big, 3, big.length - 3, 0x2_0000));
  });
});

describe('pseudoHeaderSum (RFC 768 / RFC 9293 3.1)', () => {
  it('adds both addresses as 16-bit halves, the protocol and the length', () => {
    // 10.0.0.1 -> 10.0.0.2, UDP (17), length 37:
    // 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x0025 = 0x1439
    expect(pseudoHeaderSum(0x0a00_0001, 0x0a00_0002, 17, 37)).toBe(0x1439);
  });

  it('handles addresses with the top bit set without going negative', () => {
    // 255.255.255.255 twice, TCP, 0xffff: 4 * 0xffff + 6 + 0xffff
    expect(pseudoHeaderSum(0xffff_ffff, 0xffff_ffff, 6, 0xffff)).toBe(5 * 0xffff + 6);
  });

  it('is equivalent to summing the 12-byte pseudo-header as bytes', () => {
    fc.assert(
      fc.property(fc.nat(0xffff_ffff), fc.nat(0xffff_ffff), fc.nat(255), fc.nat(0xffff), (src, dst, proto, len) => {
        const ph = new Uint8Array([
          src >>> 24, (src >>> 16) & 0xff, (src >>> 8) & 0xff, src & 0xff, // source address
          dst >>> 24, (dst >>> 16) & 0xff, (dst >>> 8) & 0xff, dst & 0xff, // destination address
          0, proto, // zero, protocol
          len >>> 8, len & 0xff, // transport length
        ]);
        expect(fold(pseudoHeaderSum(src, dst, proto, len))).toBe(0xffff - refChecksum(ph));
      }),
    );
  });
});

describe('verifies', () => {
  // The IPv4 header of a ping from 10.0.0.1 to 10.0.0.2; checksum 0x8a68 computed with a one-off python3 script.
  const header = new Uint8Array([
    0x45, // version 4, IHL 5
    0x00, // DSCP 0, ECN 0
    0x00, 0x54, // total length 84
    0x9c, 0x3e, // identification
    0x40, 0x00, // DF, fragment offset 0
    0x40, // TTL 64
    0x01, // protocol ICMP
    0x8a, 0x68, // header checksum
    0x0a, 0x00, 0x00, 0x01, // source 10.0.0.1
    0x0a, 0x00, 0x00, 0x02, // destination 10.0.0.2
  ]);

  it('accepts a real header whose checksum is right', () => {
    expect(verifies(header, 0, 20)).toBe(true);
    expect(word(header, 10)).toBe(0x8a68);
  });

  it('recomputes the same checksum when the field is zeroed', () => {
    const copy = header.slice();
    copy[10] = 0;
    copy[11] = 0;
    expect(checksum(copy, 0, 20)).toBe(0x8a68);
  });

  it('rejects the header after any single bit flip', () => {
    for (let bit = 0; bit < 160; bit++) {
      const copy = header.slice();
      copy[bit >>> 3] ^= 0x80 >>> (bit & 7);
      expect(verifies(copy, 0, 20), `bit ${bit}`).toBe(false);
    }
  });

  it('takes an initial sum (the pseudo-header) into account', () => {
    const b = new Uint8Array([0x12, 0x34, 0x00, 0x00]);
    const initial = 0x1439;
    const c = refChecksum(b, 0, 4, initial);
    b[2] = c >>> 8;
    b[3] = c & 0xff;
    expect(verifies(b, 0, 4, initial)).toBe(true);
    expect(verifies(b, 0, 4, initial + 1)).toBe(false);
  });
});

describe('properties', () => {
  const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });

  it('agrees with the naive reference for any range and initial sum', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), fc.nat(0x7_ffff), (b, a, c, initial) => {
        const off = b.length === 0 ? 0 : a % (b.length + 1);
        const len = (b.length - off === 0) ? 0 : c % (b.length - off + 1);
        expect(checksum(b, off, len, initial)).toBe(refChecksum(b, off, len, initial));
      }),
    );
  });

  it('a range with its checksum stored in a zeroed word always verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(), fc.nat(0xffff), (b, at, initial) => {
        const pos = (at % (b.length >>> 1)) * 2;
        b[pos] = 0;
        b[pos + 1] = 0;
        const c = checksum(b, 0, b.length, initial);
        b[pos] = c >>> 8;
        b[pos + 1] = c & 0xff;
        expect(verifies(b, 0, b.length, initial)).toBe(true);
      }),
    );
  });
});
