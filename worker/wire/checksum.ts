/**
 * The Internet checksum (RFC 1071): one's complement of the one's complement
 * sum of 16-bit big-endian words. Computed in place over a byte range; no copies.
 */

import { u16 } from './bytes';

/**
 * Adds the bytes [off, off+len) to a running 32-bit sum (not yet folded).
 * An odd trailing byte is padded with a zero on the right (RFC 1071 4.1).
 * The accumulator is folded every 2^15 words, so any length is safe.
 */
export function sumBytes(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len - 1;
  let i = off;
  let batch = 0;
  for (; i < end; i += 2) {
    sum += (b[i] << 8) | b[i + 1];
    if (++batch === 0x8000) {
      sum = (sum & 0xffff) + (sum >>> 16);
      batch = 0;
    }
  }
  if (i === end) sum += b[i] << 8;
  return sum;
}

/** Folds a running sum into 16 bits (end-around carry). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for a range: ~fold(sum). */
export function checksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  return ~fold(sumBytes(b, off, len, initial)) & 0xffff;
}

/** True when the range, including its checksum field, sums to 0xffff (RFC 1071 "verify"). */
export function verifies(b: Uint8Array, off: number, len: number, initial = 0): boolean {
  return fold(sumBytes(b, off, len, initial)) === 0xffff;
}

/**
 * The running sum of the IPv4 pseudo-header used by UDP and TCP (RFC 768, RFC 9293 3.1):
 * source address, destination address, zero, protocol, transport length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Reads a 16-bit word; re-exported for codecs that verify a stored checksum field. */
export { u16 as word };
