/**
 * The send buffer: bytes the application wrote and the peer has not yet
 * acknowledged (RFC 9293 3.3.1: the octets from SND.UNA on, sent or not).
 *
 * A bounded ring of `capacity` bytes (any size, not only powers of two). Byte 0
 * of the buffer is the byte at SND.UNA; the TCB keeps the sequence numbers and
 * passes offsets from SND.UNA (SYN and FIN occupy sequence space but are not
 * stored here, so the TCB subtracts them). `write` gives backpressure by
 * accepting only what fits; `copyOut` copies straight from the ring into the
 * outgoing frame, so a retransmission re-reads the same bytes without any
 * per-segment buffer. No method allocates (see ring.ts for the one caveat).
 */

import { ringRead, ringWrite } from './ring';

export class SendBuffer {
  private readonly buf: Uint8Array;
  /** Ring index of the first unacknowledged byte. */
  private head = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`The send buffer capacity must be a positive whole number of bytes; got ${capacity}.`);
    }
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes held: written and not yet acknowledged. */
  get length(): number {
    return this.len;
  }

  /** Room left for `write`. */
  get free(): number {
    return this.capacity - this.len;
  }

  /**
   * Appends as much of `data` as fits and returns how many bytes were taken
   * (0 when full: the application must wait for an ACK to free space).
   */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.len);
    if (n === 0) return 0;
    ringWrite(this.buf, this.index(this.len), data, 0, n);
    this.len += n;
    return n;
  }

  /**
   * Drops n bytes from the front: the peer acknowledged them (SND.UNA advanced).
   * Returns the bytes dropped, at most `length`.
   */
  ackTo(n: number): number {
    const k = Math.min(Math.max(n, 0), this.len);
    this.len -= k;
    // When empty, restart at index 0 so the next segments do not straddle the wrap.
    this.head = this.len === 0 ? 0 : this.index(k);
    return k;
  }

  /**
   * Copies the bytes [offset, offset + len) from the front of the buffer into
   * out[outOffset..]: a segment's payload straight into the frame being built.
   * The range is clipped to what the buffer holds; returns the bytes copied.
   */
  copyOut(offset: number, len: number, out: Uint8Array, outOffset: number): number {
    if (offset < 0 || offset >= this.len) return 0;
    const n = Math.min(len, this.len - offset);
    if (n <= 0) return 0;
    ringRead(this.buf, this.index(offset), out, outOffset, n);
    return n;
  }

  /** Drops everything (abort, RST). */
  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  /** Ring index of the byte at `offset` from the front (offset <= capacity). */
  private index(offset: number): number {
    const i = this.head + offset;
    return i >= this.capacity ? i - this.capacity : i;
  }
}
