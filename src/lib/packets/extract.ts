/**
 * A frame's list columns, read straight from its bytes into the store's typed
 * arrays: no objects, no strings, every read bounds-checked (a peer's bytes
 * are untrusted; a short or odd frame is marked malformed, never thrown on).
 */

import type { PacketStore } from './store';

export const Proto = { OTHER: 0, ARP: 1, IPV4: 2, ICMP: 3, UDP: 4, TCP: 5, MALFORMED: 6, EVENT: 7 } as const;

export const IPF = { DF: 1, MF: 2, LATER_FRAGMENT: 4, IPV4: 8 } as const;

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export function extract(st: PacketStore, s: number, f: Uint8Array): void {
  const n = f.length;
  if (n < 14) {
    st.proto[s] = Proto.MALFORMED;
    return;
  }
  st.ethDstHi[s] = u16(f, 0);
  st.ethDstLo[s] = u32(f, 2);
  st.ethSrcHi[s] = u16(f, 6);
  st.ethSrcLo[s] = u32(f, 8);
  const type = u16(f, 12);
  if (type === 0x0806) {
    if (n < 14 + 28) {
      st.proto[s] = Proto.MALFORMED;
      return;
    }
    st.proto[s] = Proto.ARP;
    st.type8[s] = u16(f, 14 + 6) & 0xff;
    st.ipSrc[s] = u32(f, 14 + 14);
    st.ipDst[s] = u32(f, 14 + 24);
    return;
  }
  if (type !== 0x0800) return;
  const ip = 14;
  if (n < ip + 20 || f[ip]! >> 4 !== 4) {
    st.proto[s] = Proto.MALFORMED;
    return;
  }
  const hl = (f[ip]! & 0xf) * 4;
  const total = u16(f, ip + 2);
  if (hl < 20 || ip + hl > n || total < hl) {
    st.proto[s] = Proto.MALFORMED;
    return;
  }
  const end = Math.min(n, ip + total);
  const ff = u16(f, ip + 6);
  const later = (ff & 0x1fff) !== 0;
  st.ipFlags[s] = IPF.IPV4 | (ff & 0x4000 ? IPF.DF : 0) | (ff & 0x2000 ? IPF.MF : 0) | (later ? IPF.LATER_FRAGMENT : 0);
  st.ipId[s] = u16(f, ip + 4);
  st.ipTtl[s] = f[ip + 8]!;
  st.ipSrc[s] = u32(f, ip + 12);
  st.ipDst[s] = u32(f, ip + 16);
  const proto = f[ip + 9]!;
  st.type8[s] = proto; // overwritten below for ICMP
  st.proto[s] = Proto.IPV4;
  st.payLen[s] = Math.min(0xffff, Math.max(0, end - ip - hl));
  if (later) {
    // A later fragment has no transport header: keep its offset (in 8-byte units) and size instead.
    st.srcPort[s] = ff & 0x1fff;
    st.payLen[s] = Math.min(0xffff, Math.max(0, end - ip - hl));
    return;
  }
  const l4 = ip + hl;
  const avail = end - l4;
  if (proto === 1 && avail >= 8) {
    st.proto[s] = Proto.ICMP;
    st.type8[s] = f[l4]!;
    st.code8[s] = f[l4 + 1]!;
    st.srcPort[s] = u16(f, l4 + 4);
    st.dstPort[s] = u16(f, l4 + 6);
    st.payLen[s] = Math.min(0xffff, avail - 8);
  } else if (proto === 17 && avail >= 8) {
    st.proto[s] = Proto.UDP;
    st.srcPort[s] = u16(f, l4);
    st.dstPort[s] = u16(f, l4 + 2);
    st.payLen[s] = Math.min(0xffff, Math.max(0, Math.min(u16(f, l4 + 4), avail) - 8));
  } else if (proto === 6 && avail >= 20) {
    const thl = (f[l4 + 12]! >> 4) * 4;
    if (thl < 20 || thl > avail) {
      st.proto[s] = Proto.MALFORMED;
      return;
    }
    st.proto[s] = Proto.TCP;
    const sp = u16(f, l4);
    const dp = u16(f, l4 + 2);
    const flags = f[l4 + 13]!;
    st.srcPort[s] = sp;
    st.dstPort[s] = dp;
    st.tcpSeq[s] = u32(f, l4 + 4);
    st.tcpAck[s] = u32(f, l4 + 8);
    st.tcpFlags[s] = flags;
    st.tcpWin[s] = u16(f, l4 + 14);
    st.payLen[s] = Math.min(0xffff, avail - thl);
    const src = st.ipSrc[s]! * 65536 + sp;
    const dst = st.ipDst[s]! * 65536 + dp;
    if (flags & 0x02) st.scales.onSyn(src, dst, windowScaleOption(f, l4 + 20, l4 + thl), (flags & 0x10) !== 0);
    st.wshift[s] = st.scales.shift(src, dst);
  } else if (proto === 1 || proto === 6 || proto === 17) {
    st.proto[s] = Proto.MALFORMED;
  }
}

/** The window scale option's shift in [start, end), or -2 if absent. */
function windowScaleOption(f: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end) {
    const kind = f[p]!;
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const len = f[p + 1]!;
    if (len < 2 || p + len > end) break;
    if (kind === 3 && len === 3) return f[p + 2]!;
    p += len;
  }
  return -2;
}
