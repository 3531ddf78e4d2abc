/**
 * SYN cookies (RFC 4987 3.6), as Linux makes them (net/ipv4/syncookies.c).
 *
 * When a listener's SYN backlog is full, it answers a SYN with a SYN,ACK whose
 * ISN encodes what it needs to know later and keeps no state. The ACK that
 * completes the handshake acknowledges ISN + 1, so the listener can check it
 * and create the connection then:
 *
 *   cookie = H(tuple, 0) + peer ISN + (count << 24) + ((H(tuple, count, 1) + mssIndex) mod 2^24)
 *
 * `count` ticks once a minute (Linux tcp_cookie_time); a cookie is accepted
 * while count has advanced by less than 2 (Linux MAX_SYNCOOKIE_AGE), so it
 * lives 1 to 2 minutes. H is SipHash-2-4 (isn.ts) under a key drawn from the
 * injected Rng. The 2-bit MSS index picks from Linux's table of common MSSes,
 * rounding the peer's MSS down.
 *
 * What a cookie cannot hold is lost: window scaling and SACK-permitted. Like
 * Linux (cookie_init_timestamp), when the peer offered timestamps we keep them
 * in the low 6 bits of our TSval, which the peer echoes in the ACK's TSecr:
 * 4 bits of window-scale shift (15: none) and 1 bit of SACK. Without
 * timestamps the SYN,ACK offers neither option, as Linux does. To keep our
 * TSvals continuous from the SYN,ACK into the connection, the TS offset of a
 * cookie connection comes from a keyed hash of its 4-tuple (Linux
 * secure_tcp_ts_off) rather than from the Rng.
 */

import type { Rng } from '../../sim/rng';
import type { Ipv4Addr } from '../../wire/addr';
import { put16, put32 } from '../../wire/bytes';
import { SipHash24 } from './isn';

/** Linux msstab (net/ipv4/syncookies.c): the MSS a cookie can say, by index. */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
/** The counter ticks once a minute (Linux tcp_cookie_time). */
export const COOKIE_TICK_MS = 60_000;
/** A cookie is good while the counter advanced by less than this (Linux MAX_SYNCOOKIE_AGE). */
export const COOKIE_MAX_AGE = 2;
const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;

/** Low bits of TSval carrying options (Linux TSBITS, TS_OPT_WSCALE_MASK, TS_OPT_SACK). */
export const TS_OPT_BITS = 6;
export const TS_OPT_WSCALE_MASK = 0x0f;
export const TS_OPT_SACK = 0x10;

export class SynCookies {
  private readonly prf: SipHash24;
  /** local ip, remote ip, local port, remote port, count, which hash: 17 bytes, reused. */
  private readonly msg = new Uint8Array(17);

  /** Draws the 128-bit key from `rng`, or uses the given 16 bytes. */
  constructor(source: Rng | Uint8Array) {
    let key: Uint8Array;
    if (source instanceof Uint8Array) key = source;
    else {
      key = new Uint8Array(16);
      for (let i = 0; i < 16; i += 4) put32(key, i, source.u32());
    }
    this.prf = new SipHash24(key);
  }

  /** The counter at stack time `now` (ms). */
  static count(now: number): number {
    return Math.floor(now / COOKIE_TICK_MS) >>> 0;
  }

  /** Index into COOKIE_MSS_TABLE for the peer's MSS: the largest entry not above it. */
  static mssIndex(peerMss: number): number {
    let i = COOKIE_MSS_TABLE.length - 1;
    while (i > 0 && COOKIE_MSS_TABLE[i] > peerMss) i--;
    return i;
  }

  private hash(localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number, count: number, which: number): number {
    const m = this.msg;
    put32(m, 0, localAddr);
    put32(m, 4, remoteAddr);
    put16(m, 8, localPort);
    put16(m, 10, remotePort);
    put32(m, 12, count);
    m[16] = which;
    return this.prf.hash(m, 0, 17);
  }

  /** The ISN of a cookie SYN,ACK for a SYN with sequence number `peerIsn`. */
  make(now: number, localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number, peerIsn: number, mssIndex: number): number {
    const count = SynCookies.count(now);
    const h0 = this.hash(localAddr, localPort, remoteAddr, remotePort, 0, 0);
    const h1 = this.hash(localAddr, localPort, remoteAddr, remotePort, count, 1);
    return (h0 + peerIsn + ((count << COOKIE_BITS) >>> 0) + ((h1 + mssIndex) & COOKIE_MASK)) >>> 0;
  }

  /**
   * Checks the cookie an ACK returns (its ack - 1) against the peer's ISN (its
   * seq - 1). Returns the MSS index, or -1 for a forged, stale or garbled cookie.
   */
  check(now: number, localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number, peerIsn: number, cookie: number): number {
    const count = SynCookies.count(now);
    const rest = (cookie - this.hash(localAddr, localPort, remoteAddr, remotePort, 0, 0) - peerIsn) >>> 0;
    // rest = (count' << 24) + ((H1(count') + index) mod 2^24): the top 8 bits say how old it is.
    const age = (count - (rest >>> COOKIE_BITS)) & 0xff;
    if (age >= COOKIE_MAX_AGE) return -1;
    const index = (rest - this.hash(localAddr, localPort, remoteAddr, remotePort, (count - age) >>> 0, 1)) & COOKIE_MASK;
    return index < COOKIE_MSS_TABLE.length ? index : -1;
  }

  /** The TS offset of the connection a cookie may become (Linux secure_tcp_ts_off). */
  tsOffset(localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number): number {
    return this.hash(localAddr, localPort, remoteAddr, remotePort, 0, 2);
  }
}

/**
 * Linux cookie_init_timestamp: TSval with the options in its low bits, never
 * ahead of the clock (so the peer's PAWS sees time only move forward).
 */
export function cookieTsVal(tsNow: number, wscale: number, sackOk: boolean): number {
  const options = (wscale >= 0 ? wscale : TS_OPT_WSCALE_MASK) | (sackOk ? TS_OPT_SACK : 0);
  let ts = (((tsNow >>> TS_OPT_BITS) << TS_OPT_BITS) | options) >>> 0;
  if (((ts - tsNow) | 0) > 0) ts = (ts - (1 << TS_OPT_BITS)) >>> 0;
  return ts;
}

/** What the echoed TSecr says about the SYN's options (Linux cookie_timestamp_decode); wscale -1: none. */
export function decodeCookieTs(tsEcr: number): { wscale: number; sackOk: boolean } {
  const w = tsEcr & TS_OPT_WSCALE_MASK;
  return { wscale: w === TS_OPT_WSCALE_MASK ? -1 : w, sackOk: (tsEcr & TS_OPT_SACK) !== 0 };
}
