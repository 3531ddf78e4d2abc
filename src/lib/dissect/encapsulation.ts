/**
 * The encapsulation view's numbers: each header, the data, Ethernet's padding
 * in the capture, and what the wire adds that the capture lacks (padding up to
 * the 60-byte minimum and the 4-byte FCS; IEEE 802.3 clause 3.2.8 and 4.2.3.3).
 */

import type { Dissection, LayerSpan } from './types';

/** Ethernet's shortest frame without its FCS, and the FCS (a CRC-32). */
export const ETH_MIN_FRAME = 60;
export const ETH_FCS = 4;

export interface EncapSums {
  /** Every layer but the payload, outermost first. */
  headers: LayerSpan[];
  headerBytes: number;
  /** Payload bytes (neither a header nor padding). */
  data: number;
  /** Padding already in the frame: the bytes after what the layer inside Ethernet says it holds. */
  padding: number;
  /** Only for Ethernet frames: the wire's padding and FCS apply. */
  ethernet: boolean;
  /** Padding the wire adds to a frame under 60 bytes. */
  wirePad: number;
  /** Bytes on the wire from destination address to FCS (no preamble, no gap). */
  wire: number;
}

export function encapSums(d: Dissection): EncapSums {
  const { spans, frameLen: total } = d;
  const ethernet = spans[0]?.abbrev === 'eth';
  const headers = spans.filter((s) => s.abbrev !== 'data');
  const headerBytes = headers.reduce((n, s) => n + s.headerLen, 0);
  // 28 for ARP, the total length for IPv4; not for a payload the dissector could not place.
  const inner = ethernet && spans[1] && spans[1].abbrev !== 'data' ? spans[1] : undefined;
  const padding = inner ? Math.max(0, total - (inner.offset + inner.totalLen)) : 0;
  const wirePad = ethernet ? Math.max(0, ETH_MIN_FRAME - total) : 0;
  return {
    headers,
    headerBytes,
    data: Math.max(0, total - headerBytes - padding),
    padding,
    ethernet,
    wirePad,
    wire: total + wirePad + (ethernet ? ETH_FCS : 0),
  };
}
