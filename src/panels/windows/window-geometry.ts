/**
 * The windows panel's geometry: a connection's true variables (the 'vars'
 * trace event) turned into the two byte lines of the textbooks, as zones and
 * marks at fractions of the bar's width.
 *
 *   sender:   acknowledged | sent, not acknowledged | usable window | not yet allowed
 *             marks SND.UNA, SND.NXT, SND.UNA+SND.WND, SND.UNA+cwnd
 *   receiver: read by the application | received, unread | window | beyond
 *             mark RCV.NXT; out-of-order blocks held inside the window
 *
 * Sequence numbers are 32-bit and wrap, so everything is measured as an offset
 * from SND.UNA (or RCV.NXT) with modular arithmetic, and shown relative to the
 * initial sequence number as packet analysers do.
 */

import type { TcpVarsEvent } from '../../../worker/trace/events';

export type SenderZone = 'acked' | 'inflight' | 'usable' | 'blocked';
export type ReceiverZone = 'read' | 'unread' | 'window' | 'beyond';

export interface Zone<K extends string> {
  kind: K;
  /** Fractions of the bar, 0..1. */
  from: number;
  to: number;
  /** Bytes in the zone (for the label); undefined for the open-ended zones at either end. */
  bytes: number | undefined;
}

export interface Mark {
  name: string;
  at: number;
  /** The sequence number, relative to the initial one. */
  value: number;
  /** Past the right end of the bar (drawn at the edge). */
  beyond?: boolean;
}

export interface Bar<K extends string> {
  zones: Zone<K>[];
  marks: Mark[];
  /** Ranges drawn over the zones: SACKed (sender) or held out of order (receiver). */
  blocks: { from: number; to: number }[];
}

/** a - b for sequence numbers (signed, wraps). */
const diff = (a: number, b: number) => (a - b) | 0;

/** Room on each side of the interesting part, as a share of it. */
const PAD = 0.14;

function scaler(span: number): { at: (offset: number) => number; pad: number } {
  const s = Math.max(1, span);
  const pad = s * PAD;
  const total = s + 2 * pad;
  return { at: (offset: number) => Math.min(1, Math.max(0, (offset + pad) / total)), pad };
}

export function senderBar(v: TcpVarsEvent): Bar<SenderZone> {
  const base = (v.iss + 1) >>> 0; // relative numbers count data bytes (the SYN is 0)
  const nxt = Math.max(0, diff(v.sndNxt, v.sndUna));
  const max = Math.max(nxt, diff(v.sndMax, v.sndUna));
  const wndEnd = v.sndWnd;
  const cwndEnd = v.cwnd;
  // What may be outstanding: the smaller of the peer's window and cwnd (RFC 5681 eq. 1 ... the sender sends at most min(cwnd, rwnd)).
  const allowed = Math.max(nxt, Math.min(wndEnd, cwndEnd));
  // The interesting part is what is outstanding and allowed; a window far bigger than that runs off the right edge (its mark says so).
  const span = 2 * Math.max(max, allowed, v.mss);
  const { at } = scaler(span);
  const zones: Zone<SenderZone>[] = [
    { kind: 'acked', from: 0, to: at(0), bytes: undefined },
    { kind: 'inflight', from: at(0), to: at(nxt), bytes: nxt },
    { kind: 'usable', from: at(nxt), to: at(allowed), bytes: allowed - nxt },
    { kind: 'blocked', from: at(allowed), to: 1, bytes: undefined },
  ];
  const rel = (off: number) => (diff(v.sndUna, base) + off) >>> 0;
  const marks: Mark[] = [
    { name: 'SND.UNA', at: at(0), value: rel(0) },
    { name: 'SND.NXT', at: at(nxt), value: rel(nxt) },
    { name: 'SND.UNA+SND.WND', at: at(wndEnd), value: rel(wndEnd), beyond: at(wndEnd) >= 1 },
    { name: 'SND.UNA+cwnd', at: at(cwndEnd), value: rel(cwndEnd), beyond: at(cwndEnd) >= 1 },
  ];
  const blocks: { from: number; to: number }[] = [];
  for (let i = 0; i + 1 < v.sacked.length; i += 2) blocks.push({ from: at(diff(v.sacked[i]!, v.sndUna)), to: at(diff(v.sacked[i + 1]!, v.sndUna)) });
  return { zones, marks, blocks };
}

export function receiverBar(v: TcpVarsEvent): Bar<ReceiverZone> {
  const base = (v.irs + 1) >>> 0;
  const unread = v.unread;
  const wnd = v.rcvWnd;
  const span = Math.max(unread + wnd, v.mss);
  const { at } = scaler(span);
  // Offsets from the first unread byte: [0, unread) unread, [unread, unread + wnd) window.
  const zones: Zone<ReceiverZone>[] = [
    { kind: 'read', from: 0, to: at(0), bytes: undefined },
    { kind: 'unread', from: at(0), to: at(unread), bytes: unread },
    { kind: 'window', from: at(unread), to: at(unread + wnd), bytes: wnd },
    { kind: 'beyond', from: at(unread + wnd), to: 1, bytes: undefined },
  ];
  const rel = (seq: number) => diff(seq, base) >>> 0;
  const marks: Mark[] = [{ name: 'RCV.NXT', at: at(unread), value: rel(v.rcvNxt) }, { name: 'RCV.NXT+RCV.WND', at: at(unread + wnd), value: rel((v.rcvNxt + wnd) >>> 0) }];
  const blocks: { from: number; to: number }[] = [];
  for (let i = 0; i + 1 < v.held.length; i += 2) blocks.push({ from: at(unread + diff(v.held[i]!, v.rcvNxt)), to: at(unread + diff(v.held[i + 1]!, v.rcvNxt)) });
  return { zones, marks, blocks };
}

/** ssthresh as people read it: "∞" until the first loss sets it. */
export function formatSsthresh(bytes: number): string {
  return bytes >= 0x3fffffff ? '∞' : String(bytes);
}
