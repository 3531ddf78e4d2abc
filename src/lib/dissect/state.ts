/** What a protocol dissector is handed: the frame, where its bytes are, and where to put spans. */

import type { DissectContext, Field, LayerSpan, Tr } from './types';

export interface DissectState {
  buf: Uint8Array;
  ctx: DissectContext;
  /** Translates the explanatory sentences (meanings, notes); labels stay English. */
  tr: Tr;
  /** Encapsulation spans (not for headers quoted inside an ICMP error). */
  spans: LayerSpan[];
  /** Inside an ICMP error's quotation: the datagram is cut short, checksums and lengths are not checked. */
  quoted: boolean;
  /** Pseudo-header for UDP/TCP checksums. */
  ipSrc: number;
  ipDst: number;
}

/** A protocol's dissector: nodes for [start, end) of the frame, added at the caller's level. */
export type Dissector = (s: DissectState, start: number, end: number) => Field[];

export function span(s: DissectState, name: string, abbrev: string, offset: number, headerLen: number, totalLen: number): void {
  if (!s.quoted) s.spans.push({ name, abbrev, offset, headerLen, totalLen });
}
