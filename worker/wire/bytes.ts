/**
 * Big-endian field access on a Uint8Array at an absolute offset.
 * No DataView (which would be an allocation per wrap); callers check bounds first.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Lower-case hex of a byte range, for details in error messages and traces. */
export function hex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

/** Copies `src` to out[at..] unless it is already exactly there (zero-copy emit of in-place payloads). */
export function copyUnlessInPlace(src: Uint8Array, out: Uint8Array, at: number): void {
  if (src.buffer === out.buffer && src.byteOffset === out.byteOffset + at) return;
  out.set(src, at);
}

const EMPTY = new Uint8Array(0);

/**
 * The common part of every zero-copy view: a byte range [start, end) of a buffer.
 * Views are reusable: wrap() points one at new bytes without allocating.
 */
export class ByteView {
  buf: Uint8Array = EMPTY;
  start = 0;
  end = 0;

  wrap(buf: Uint8Array, start = 0, end = buf.length): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    return this;
  }
}
