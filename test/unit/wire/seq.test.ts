import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, seqMin } from '../../../worker/wire/seq';

const TOP = 0xffff_ffff;
const HALF = 0x8000_0000;

describe('seqAdd', () => {
  it('wraps past 2^32 - 1 to 0', () => {
    expect(seqAdd(TOP, 1)).toBe(0);
    expect(seqAdd(0xffff_fff0, 0x20)).toBe(0x10);
    expect(seqAdd(TOP, TOP)).toBe(0xffff_fffe);
  });

  it('wraps below 0 when subtracting', () => {
    expect(seqAdd(0, -1)).toBe(TOP);
    expect(seqAdd(0x10, -0x20)).toBe(0xffff_fff0);
  });

  it('always returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.nat(TOP), fc.integer({ min: -TOP, max: TOP }), (a, n) => {
        const r = seqAdd(a, n);
        expect(Number.isInteger(r)).toBe(true);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(TOP);
        expect(BigInt(r)).toBe((((BigInt(a) + BigInt(n)) % 2n ** 32n) + 2n ** 32n) % 2n ** 32n);
      }),
    );
  });
});

describe('comparisons across the 2^32 wrap', () => {
  it('orders a number just below the wrap before one just after it', () => {
    expect(seqLt(0xffff_fff0, 0x10)).toBe(true);
    expect(seqLe(0xffff_fff0, 0x10)).toBe(true);
    expect(seqGt(0xffff_fff0, 0x10)).toBe(false);
    expect(seqGe(0xffff_fff0, 0x10)).toBe(false);
    expect(seqGt(0x10, 0xffff_fff0)).toBe(true);
    expect(seqGe(0x10, 0xffff_fff0)).toBe(true);
    expect(seqLt(0x10, 0xffff_fff0)).toBe(false);
  });

  it('treats 2^32 - 1 as just before 0', () => {
    expect(seqLt(TOP, 0)).toBe(true);
    expect(seqGt(0, TOP)).toBe(true);
  });

  it('is irreflexive for < and >, reflexive for <= and >=', () => {
    for (const x of [0, 1, HALF - 1, HALF, TOP]) {
      expect(seqLt(x, x)).toBe(false);
      expect(seqGt(x, x)).toBe(false);
      expect(seqLe(x, x)).toBe(true);
      expect(seqGe(x, x)).toBe(true);
    }
  });

  it('compares ordinary numbers far from the wrap as integers', () => {
    expect(seqLt(1000, 2000)).toBe(true);
    expect(seqLt(HALF - 2, HALF - 1)).toBe(true);
    expect(seqLt(HALF, HALF + 1)).toBe(true);
    expect(seqLt(HALF - 1, HALF)).toBe(true);
  });
});

describe('seqDiff', () => {
  it('gives the signed distance across the wrap', () => {
    expect(seqDiff(0x10, 0xffff_fff0)).toBe(0x20);
    expect(seqDiff(0xffff_fff0, 0x10)).toBe(-0x20);
    expect(seqDiff(0, TOP)).toBe(1);
    expect(seqDiff(5, 5)).toBe(0);
  });

  it('maps a distance of exactly 2^31 to -2^31 (the range is [-2^31, 2^31))', () => {
    expect(seqDiff(HALF, 0)).toBe(-HALF);
    expect(seqDiff(0, HALF)).toBe(-HALF);
  });
});

describe('seqInWindow (lo <= x < hi)', () => {
  it('includes lo and excludes hi', () => {
    expect(seqInWindow(100, 100, 200)).toBe(true);
    expect(seqInWindow(199, 100, 200)).toBe(true);
    expect(seqInWindow(200, 100, 200)).toBe(false);
    expect(seqInWindow(99, 100, 200)).toBe(false);
  });

  it('works for a window that straddles the wrap', () => {
    const lo = 0xffff_fff0;
    const hi = 0x10;
    expect(seqInWindow(lo, lo, hi)).toBe(true);
    expect(seqInWindow(TOP, lo, hi)).toBe(true);
    expect(seqInWindow(0, lo, hi)).toBe(true);
    expect(seqInWindow(0x0f, lo, hi)).toBe(true);
    expect(seqInWindow(0x10, lo, hi)).toBe(false);
    expect(seqInWindow(0xffff_ffef, lo, hi)).toBe(false);
    expect(seqInWindow(HALF, lo, hi)).toBe(false);
  });

  it('is empty when lo equals hi (a zero window)', () => {
    expect(seqInWindow(5, 5, 5)).toBe(false);
    expect(seqInWindow(0, 0, 0)).toBe(false);
    expect(seqInWindow(TOP, TOP, TOP)).toBe(false);
  });

  it('agrees with an offset check for any window under 2^31', () => {
    fc.assert(
      fc.property(fc.nat(TOP), fc.nat(HALF - 1), fc.nat(TOP), (lo, size, x) => {
        const offset = (x - lo + 2 ** 32) % 2 ** 32;
        expect(seqInWindow(x, lo, seqAdd(lo, size))).toBe(offset < size);
      }),
    );
  });
});

describe('seqMax / seqMin', () => {
  it('pick by sequence order, not integer order, across the wrap', () => {
    expect(seqMax(0xffff_fff0, 0x10)).toBe(0x10);
    expect(seqMin(0xffff_fff0, 0x10)).toBe(0xffff_fff0);
    expect(seqMax(3, 7)).toBe(7);
    expect(seqMin(3, 7)).toBe(3);
    expect(seqMax(9, 9)).toBe(9);
  });
});

describe('agreement with a BigInt reference within 2^31 distance', () => {
  // a < b in sequence space exactly when (b - a) mod 2^32 is in (0, 2^31).
  function refLt(a: number, b: number): boolean {
    const d = (((BigInt(b) - BigInt(a)) % 2n ** 32n) + 2n ** 32n) % 2n ** 32n;
    return d > 0n && d < 2n ** 31n;
  }

  const u32 = fc.nat(TOP);
  // Pairs at most 2^31 - 1 apart in either direction; the relation is ambiguous at exactly 2^31.
  const pair = fc.tuple(u32, fc.integer({ min: -(HALF - 1), max: HALF - 1 })).map(([a, d]) => [a, seqAdd(a, d), d] as const);
  // Also weight the interesting places: near 0, near 2^31 and near the top.
  const edge = fc.constantFrom(0, 1, HALF - 1, HALF, HALF + 1, TOP - 1, TOP);
  const edgePair = fc.tuple(edge, fc.integer({ min: -4096, max: 4096 })).map(([a, d]) => [a, seqAdd(a, d), d] as const);

  it('seqLt, seqLe, seqGt, seqGe and seqDiff agree with the reference', () => {
    fc.assert(
      fc.property(fc.oneof(pair, edgePair), ([a, b, d]) => {
        expect(seqLt(a, b)).toBe(refLt(a, b));
        expect(seqGt(a, b)).toBe(refLt(b, a));
        expect(seqLe(a, b)).toBe(refLt(a, b) || a === b);
        expect(seqGe(a, b)).toBe(refLt(b, a) || a === b);
        expect(seqLt(a, b)).toBe(d > 0);
        expect(seqDiff(b, a)).toBe(d);
      }),
      { numRuns: 2000 },
    );
  });

  it('exactly one of <, = and > holds', () => {
    fc.assert(
      fc.property(fc.oneof(pair, edgePair), ([a, b]) => {
        const count = Number(seqLt(a, b)) + Number(a === b) + Number(seqGt(a, b));
        expect(count).toBe(1);
      }),
    );
  });
});
