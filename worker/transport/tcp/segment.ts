/**
 * A received segment as the TCB sees it: header fields, the parsed options and
 * the payload's place in the frame. The TCP layer fills one reused instance per
 * arriving segment (no allocation); it is valid only during the call.
 */

import { TcpFlag, TcpOptionsScratch } from '../../wire/tcp';

export class SegmentIn {
  src = 0;
  dst = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** The window field as received (not yet scaled). */
  wnd = 0;
  up = 0;
  buf: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  dataEnd = 0;
  readonly opts = new TcpOptionsScratch();
  /** The frame number it arrived in, for drop traces. */
  frameId = 0;

  get dataLen(): number {
    return this.dataEnd - this.dataStart;
  }

  /** SEG.LEN: data plus one for SYN and one for FIN (RFC 9293 3.3.1). */
  get len(): number {
    return this.dataLen + (this.flags & TcpFlag.SYN ? 1 : 0) + (this.flags & TcpFlag.FIN ? 1 : 0);
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  get data(): Uint8Array {
    return this.buf.subarray(this.dataStart, this.dataEnd);
  }
}
