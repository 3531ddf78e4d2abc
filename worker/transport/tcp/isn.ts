/**
 * Initial sequence numbers (RFC 6528, which RFC 9293 3.4.1 says to use):
 *
 *   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 *
 * M is a clock ticking every 4 microseconds, derived from the stack time `now`
 * (ms), so ISNs of one connection-id grow with time and a new incarnation of a
 * connection starts above the old one's sequence space. F is a keyed
 * pseudorandom function, so an off-path attacker cannot predict another
 * connection's ISN. We use SipHash-2-4 (Aumasson and Bernstein, "SipHash: a
 * fast short-input PRF", 2012; the PRF Linux uses for this since 4.11) with a
 * 128-bit secret drawn once from the injected Rng, and take the low 32 bits of
 * its 64-bit output.
 *
 * SipHash works on 64-bit words; this implementation carries each word as two
 * unsigned 32-bit halves so it stays in fast small-integer arithmetic (no
 * BigInt, no allocation per hash).
 */

import type { Rng } from '../../sim/rng';
import type { Ipv4Addr } from '../../wire/addr';
import { put16, put32 } from '../../wire/bytes';

/** M: 250 ticks per millisecond (one every 4 us, RFC 6528 3 / RFC 9293 3.4.1), modulo 2^32. */
export function isnClock(now: number): number {
  // ToUint32 reduces modulo 2^32 exactly for any finite number.
  return Math.floor(now * 250) >>> 0;
}

/**
 * SipHash-2-4 with a fixed 128-bit key. `hash()` returns the low 32 bits of the
 * 64-bit result; both halves of the last result stay in `hi` and `lo`.
 * The key is the 16 bytes k0 || k1, each read little-endian, as in the paper.
 */
export class SipHash24 {
  /** High and low 32 bits of the last result. */
  hi = 0;
  lo = 0;

  private readonly k0h: number;
  private readonly k0l: number;
  private readonly k1h: number;
  private readonly k1l: number;
  // The state v0..v3, each as (high, low) unsigned 32-bit halves.
  private v0h = 0;
  private v0l = 0;
  private v1h = 0;
  private v1l = 0;
  private v2h = 0;
  private v2l = 0;
  private v3h = 0;
  private v3l = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`A SipHash key is 16 bytes; got ${key.length}.`);
    this.k0l = le32(key, 0);
    this.k0h = le32(key, 4);
    this.k1l = le32(key, 8);
    this.k1h = le32(key, 12);
  }

  /** SipHash-2-4 of data[offset, offset + length). */
  hash(data: Uint8Array, offset = 0, length = data.length - offset): number {
    // Initialization: v0..v3 = k0, k1, k0, k1 xor "somepseudorandomlygeneratedbytes".
    this.v0h = (this.k0h ^ 0x736f6d65) >>> 0;
    this.v0l = (this.k0l ^ 0x70736575) >>> 0;
    this.v1h = (this.k1h ^ 0x646f7261) >>> 0;
    this.v1l = (this.k1l ^ 0x6e646f6d) >>> 0;
    this.v2h = (this.k0h ^ 0x6c796765) >>> 0;
    this.v2l = (this.k0l ^ 0x6e657261) >>> 0;
    this.v3h = (this.k1h ^ 0x74656462) >>> 0;
    this.v3l = (this.k1l ^ 0x79746573) >>> 0;

    const end = offset + length;
    const whole = offset + (length & ~7);
    let i = offset;
    for (; i < whole; i += 8) this.compress(le32(data, i + 4), le32(data, i));

    // Last block: the remaining 0..7 bytes little-endian, length mod 256 in the top byte.
    let mh = (length & 0xff) << 24;
    let ml = 0;
    for (let j = 0; i + j < end; j++) {
      const b = data[i + j];
      if (j < 4) ml |= b << (8 * j);
      else mh |= b << (8 * (j - 4));
    }
    this.compress(mh >>> 0, ml >>> 0);

    // Finalization: v2 ^= 0xff, four rounds, v0 ^ v1 ^ v2 ^ v3.
    this.v2l = (this.v2l ^ 0xff) >>> 0;
    this.round();
    this.round();
    this.round();
    this.round();
    this.hi = (this.v0h ^ this.v1h ^ this.v2h ^ this.v3h) >>> 0;
    this.lo = (this.v0l ^ this.v1l ^ this.v2l ^ this.v3l) >>> 0;
    return this.lo;
  }

  /** One message word m = (mh, ml): v3 ^= m, two SipRounds (the "2" of 2-4), v0 ^= m. */
  private compress(mh: number, ml: number): void {
    this.v3h = (this.v3h ^ mh) >>> 0;
    this.v3l = (this.v3l ^ ml) >>> 0;
    this.round();
    this.round();
    this.v0h = (this.v0h ^ mh) >>> 0;
    this.v0l = (this.v0l ^ ml) >>> 0;
  }

  /** SipRound on 64-bit words held as 32-bit halves. */
  private round(): void {
    let v0h = this.v0h, v0l = this.v0l, v1h = this.v1h, v1l = this.v1l;
    let v2h = this.v2h, v2l = this.v2l, v3h = this.v3h, v3l = this.v3l;
    let lo: number, th: number, tl: number;

    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    lo = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
    v0l = lo;
    th = (v1h << 13) | (v1l >>> 19);
    tl = (v1l << 13) | (v1h >>> 19);
    v1h = (th ^ v0h) >>> 0;
    v1l = (tl ^ v0l) >>> 0;
    th = v0h;
    v0h = v0l;
    v0l = th;

    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
    v2l = lo;
    th = (v3h << 16) | (v3l >>> 16);
    tl = (v3l << 16) | (v3h >>> 16);
    v3h = (th ^ v2h) >>> 0;
    v3l = (tl ^ v2l) >>> 0;

    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
    v0l = lo;
    th = (v3h << 21) | (v3l >>> 11);
    tl = (v3l << 21) | (v3h >>> 11);
    v3h = (th ^ v0h) >>> 0;
    v3l = (tl ^ v0l) >>> 0;

    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
    v2l = lo;
    th = (v1h << 17) | (v1l >>> 15);
    tl = (v1l << 17) | (v1h >>> 15);
    v1h = (th ^ v2h) >>> 0;
    v1l = (tl ^ v2l) >>> 0;
    th = v2h;
    v2h = v2l;
    v2l = th;

    this.v0h = v0h;
    this.v0l = v0l;
    this.v1h = v1h;
    this.v1l = v1l;
    this.v2h = v2h;
    this.v2l = v2l;
    this.v3h = v3h;
    this.v3l = v3l;
  }
}

/**
 * The per-host ISN generator. One instance per host, made once with the
 * host's Rng (ideally a fork, e.g. `rng.fork('tcp-isn')`, so other random
 * draws do not change the ISNs of a replayed run).
 */
export class IsnGenerator {
  private readonly prf: SipHash24;
  /** The connection-id as hashed: local ip, local port, remote ip, remote port, big-endian (12 bytes). */
  private readonly tuple = new Uint8Array(12);

  /** Draws the 128-bit secret key from `rng` (four u32 draws). */
  constructor(rng: Rng);
  /** Uses the given 16-byte secret key (tests, or a key shared with a replay). */
  constructor(key: Uint8Array);
  constructor(source: Rng | Uint8Array) {
    let key: Uint8Array;
    if (source instanceof Uint8Array) key = source;
    else {
      key = new Uint8Array(16);
      for (let i = 0; i < 16; i += 4) put32(key, i, source.u32());
    }
    this.prf = new SipHash24(key);
  }

  /** F(localip, localport, remoteip, remoteport, secretkey): the per-connection-id offset. */
  offset(localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number): number {
    const t = this.tuple;
    put32(t, 0, localAddr);
    put16(t, 4, localPort);
    put32(t, 6, remoteAddr);
    put16(t, 10, remotePort);
    return this.prf.hash(t, 0, 12);
  }

  /** ISN = M + F (RFC 6528 3), modulo 2^32. */
  isn(now: number, localAddr: Ipv4Addr, localPort: number, remoteAddr: Ipv4Addr, remotePort: number): number {
    return (isnClock(now) + this.offset(localAddr, localPort, remoteAddr, remotePort)) >>> 0;
  }
}

function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
