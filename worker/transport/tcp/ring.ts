/**
 * Copies between a linear byte array and a ring (a Uint8Array used circularly),
 * shared by the send buffer and the receive assembler.
 *
 * Allocation: short copies use a byte loop and allocate nothing. Longer ones use
 * `set(subarray)`, which costs one short-lived view object per contiguous piece
 * (at most two per call): JavaScript has no range copy between two typed arrays
 * without that view, and a byte loop is about 40 times slower at 1460 bytes
 * (Node 20: ~2.5 us against ~65 ns), which would cost far more than the view.
 */

/** At or below this length a byte loop beats creating a view. */
const SMALL_COPY = 16;

/** Copies src[srcOff, srcOff + len) to dst[dstOff, dstOff + len); the ranges must be in bounds. */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (len <= SMALL_COPY) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i];
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}

/** Copies len bytes of src from srcOff into the ring starting at ring index `at`, wrapping at the end. */
export function ringWrite(ring: Uint8Array, at: number, src: Uint8Array, srcOff: number, len: number): void {
  const first = Math.min(len, ring.length - at);
  copyBytes(src, srcOff, ring, at, first);
  if (len > first) copyBytes(src, srcOff + first, ring, 0, len - first);
}

/** Copies len bytes out of the ring, starting at ring index `at` and wrapping, to dst at dstOff. */
export function ringRead(ring: Uint8Array, at: number, dst: Uint8Array, dstOff: number, len: number): void {
  const first = Math.min(len, ring.length - at);
  copyBytes(ring, at, dst, dstOff, first);
  if (len > first) copyBytes(ring, 0, dst, dstOff + first, len - first);
}
