/**
 * What the ladder writes on an arrow: a TCP segment's flags, seq, ack, len and
 * win read straight from the frame's bytes (no allocation beyond the result),
 * and for everything else the packet analyser's one-line summary. Bytes may
 * come from a peer tab: every read is bounds-checked, nothing throws.
 */

import { summarizeFrame } from '../../lib/frame-summary';

export interface TcpHeaderFields {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20). */
  flags: number;
  /** The window field as it is on the wire (not scaled). */
  win: number;
  /** Payload bytes. */
  len: number;
  /** Window scale option (SYN segments only). */
  wscale: number | undefined;
}

export type FrameKind = 'tcp' | 'arp' | 'icmp' | 'udp' | 'other';

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const ip = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

export function frameKind(frame: Uint8Array): FrameKind {
  if (frame.length < 14) return 'other';
  const type = u16(frame, 12);
  if (type === 0x0806) return 'arp';
  if (type !== 0x0800 || frame.length < 34) return 'other';
  // A later fragment carries no transport header: it is IPv4, not TCP.
  if ((u16(frame, 20) & 0x1fff) !== 0) return 'other';
  switch (frame[23]) {
    case 6:
      return 'tcp';
    case 1:
      return 'icmp';
    case 17:
      return 'udp';
    default:
      return 'other';
  }
}

/** The TCP header of an Ethernet + IPv4 + TCP frame, or undefined when it is not one or is cut short. */
export function tcpFields(frame: Uint8Array): TcpHeaderFields | undefined {
  if (frameKind(frame) !== 'tcp') return undefined;
  const ihl = (frame[14]! & 0x0f) * 4;
  const totalLen = u16(frame, 16);
  const at = 14 + ihl;
  if (ihl < 20 || frame.length < at + 20 || totalLen < ihl + 20) return undefined;
  const hdr = (frame[at + 12]! >> 4) * 4;
  if (hdr < 20 || frame.length < at + hdr) return undefined;
  const flags = frame[at + 13]! & 0x3f;
  let wscale: number | undefined;
  if (flags & 0x02) {
    // Options: only the window scale is of interest here.
    for (let p = at + 20; p < at + hdr; ) {
      const kind = frame[p]!;
      if (kind === 0) break;
      if (kind === 1) {
        p++;
        continue;
      }
      const len = frame[p + 1] ?? 0;
      if (len < 2 || p + len > at + hdr) break;
      if (kind === 3 && len === 3) wscale = Math.min(14, frame[p + 2]!);
      p += len;
    }
  }
  return {
    src: ip(frame, 26),
    dst: ip(frame, 30),
    srcPort: u16(frame, at),
    dstPort: u16(frame, at + 2),
    seq: u32(frame, at + 4),
    ack: u32(frame, at + 8),
    flags,
    win: u16(frame, at + 14),
    len: Math.max(0, totalLen - ihl - hdr),
    wscale,
  };
}

const FLAG_NAMES: [number, string][] = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x20, 'URG'],
  [0x10, 'ACK'],
];

/** "SYN, ACK", "FIN, ACK", "ACK": the flags as Wireshark lists them. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names.length > 0 ? names.join(', ') : 'none';
}

/** One line for a frame that is not TCP (ARP, ICMP, UDP): the packet analyser's words. */
export function otherLabel(frame: Uint8Array): string {
  return summarizeFrame(frame).info;
}
