/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4).
 * Sequence numbers are kept as unsigned 32-bit integers (0..2^32-1).
 * Comparisons are valid while the two numbers are less than 2^31 apart.
 */

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance b - a, in [-2^31, 2^31): a distance of exactly 2^31 comes out as -2^31. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** lo <= x < hi, modulo 2^32. */
export function seqInWindow(x: number, lo: number, hi: number): boolean {
  return seqLe(lo, x) && seqLt(x, hi);
}

export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}
