import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IsnGenerator, SipHash24, isnClock } from '../../../worker/transport/tcp/isn';
import { Rng } from '../../../worker/sim/rng';
import { seqDiff, seqGt } from '../../../worker/wire/seq';

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const A = ip(10, 0, 0, 1);
const B = ip(10, 0, 0, 2);
const seqKey = () => Uint8Array.from({ length: 16 }, (_, i) => i);
const seqMsg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

/** An independent, obviously-correct SipHash-2-4 on BigInt, straight from the paper. */
function sipHashRef(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const le = (b: Uint8Array, o: number, n: number) => {
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[o + i]);
    return x;
  };
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  const k0 = le(key, 0, 8);
  const k1 = le(key, 8, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const words = msg.length >> 3;
  for (let w = 0; w <= words; w++) {
    const m = w < words ? le(msg, 8 * w, 8) : (BigInt(msg.length & 0xff) << 56n) | le(msg, 8 * w, msg.length & 7);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const result = (h: SipHash24) => (BigInt(h.hi) << 32n) | BigInt(h.lo);

describe('SipHash24', () => {
  it('matches the test vector in the SipHash paper (key 00..0f, message 00..0e)', () => {
    const h = new SipHash24(seqKey());
    expect(h.hash(seqMsg(15))).toBe(0x49be45e5);
    expect(result(h)).toBe(0xa129ca6149be45e5n);
  });

  it('matches the reference vector for the empty message', () => {
    const h = new SipHash24(seqKey());
    h.hash(new Uint8Array(0));
    expect(result(h)).toBe(0x726fdb47dd0e0e31n);
  });

  it('agrees with a BigInt implementation for messages of every length up to 64', () => {
    const h = new SipHash24(seqKey());
    for (let n = 0; n <= 64; n++) {
      h.hash(seqMsg(n));
      expect(result(h), `length ${n}`).toBe(sipHashRef(seqKey(), seqMsg(n)));
    }
  });

  it('agrees with a BigInt implementation for random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 40, size: 'max' }), fc.nat(8), (key, msg, pad) => {
        const h = new SipHash24(key);
        // Hash a window of a larger buffer to check offset/length handling too.
        const framed = new Uint8Array(pad + msg.length + 3).fill(0xee);
        framed.set(msg, pad);
        h.hash(framed, pad, msg.length);
        expect(result(h)).toBe(sipHashRef(key, msg));
      }),
      { seed: 2012 },
    );
  });

  it('rejects a key that is not 16 bytes', () => {
    expect(() => new SipHash24(new Uint8Array(8))).toThrow(/16 bytes/);
  });
});

describe('isnClock (RFC 6528 M)', () => {
  it('ticks every 4 microseconds', () => {
    expect(isnClock(0)).toBe(0);
    expect(isnClock(0.004)).toBe(1);
    expect(isnClock(0.0039)).toBe(0);
    expect(isnClock(1)).toBe(250);
    expect(isnClock(1000)).toBe(250_000);
  });

  it('wraps modulo 2^32 (after about 4.77 hours)', () => {
    expect(isnClock(17_179_870)).toBe(17_179_870 * 250 - 2 ** 32);
    expect(isnClock(2 * 17_179_870)).toBe((2 * 17_179_870 * 250) % 2 ** 32);
  });
});

describe('IsnGenerator', () => {
  it('the same key and tuple give the same F', () => {
    const a = new IsnGenerator(new Rng(1));
    const b = new IsnGenerator(new Rng(1));
    expect(a.offset(A, 49152, B, 80)).toBe(b.offset(A, 49152, B, 80));
    expect(a.offset(A, 49152, B, 80)).toBe(a.offset(A, 49152, B, 80));
  });

  it('F is SipHash-2-4 of local ip, local port, remote ip, remote port with the secret key', () => {
    const key = seqKey();
    const gen = new IsnGenerator(key);
    const tuple = Uint8Array.of(10, 0, 0, 1, 0xc0, 0x00, 10, 0, 0, 2, 0x00, 0x50);
    expect(gen.offset(A, 49152, B, 80)).toBe(Number(sipHashRef(key, tuple) & 0xffff_ffffn));
  });

  it('draws the 128-bit secret from the injected Rng', () => {
    const rng = new Rng(77);
    const key = new Uint8Array(16);
    const words = [rng.u32(), rng.u32(), rng.u32(), rng.u32()];
    words.forEach((w, i) => new DataView(key.buffer).setUint32(4 * i, w));
    expect(new IsnGenerator(new Rng(77)).offset(A, 1234, B, 22)).toBe(new IsnGenerator(key).offset(A, 1234, B, 22));
  });

  it('different secrets give different F for the same tuple', () => {
    const values = new Set<number>();
    for (let seed = 0; seed < 100; seed++) values.add(new IsnGenerator(new Rng(seed)).offset(A, 49152, B, 80));
    expect(values.size).toBe(100);
  });

  it('different tuples give different F', () => {
    const gen = new IsnGenerator(new Rng(9));
    const values = new Set<number>();
    for (let port = 49152; port < 49152 + 4000; port++) values.add(gen.offset(A, port, B, 80));
    for (let port = 1; port <= 4000; port++) values.add(gen.offset(A, 49152, B, port));
    for (let host = 3; host < 2003; host++) values.add(gen.offset(A, 49152, ip(10, 0, 0, 0) + host, 80));
    // 10,000 tuples, one of them repeated (A:49152 -> B:80); a 32-bit collision among them is
    // possible in principle (p ~ 1%), but this fixed seed has none.
    expect(values.size).toBe(9999);
  });

  it('swapping the ends of a connection changes F', () => {
    const gen = new IsnGenerator(new Rng(9));
    expect(gen.offset(A, 49152, B, 80)).not.toBe(gen.offset(B, 80, A, 49152));
    expect(gen.offset(A, 80, B, 49152)).not.toBe(gen.offset(A, 49152, B, 80));
  });

  it('isn is M + F modulo 2^32', () => {
    const gen = new IsnGenerator(new Rng(3));
    const f = gen.offset(A, 40000, B, 7);
    expect(gen.isn(0, A, 40000, B, 7)).toBe(f);
    expect(gen.isn(1000, A, 40000, B, 7)).toBe((f + 250_000) >>> 0);
  });

  it('ISNs for one tuple increase with time, across the 2^32 wrap', () => {
    const gen = new IsnGenerator(new Rng(4));
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        // Up to 2^31 ticks (about 2.4 hours) apart, the limit of sequence comparison.
        fc.double({ min: 0.004, max: 8_000_000, noNaN: true }),
        (t1, dt) => {
          const t2 = t1 + dt;
          const i1 = gen.isn(t1, A, 50000, B, 80);
          const i2 = gen.isn(t2, A, 50000, B, 80);
          expect(seqGt(i2, i1)).toBe(true);
          expect(seqDiff(i2, i1)).toBe(seqDiff(isnClock(t2), isnClock(t1)));
        },
      ),
      { seed: 6528 },
    );
    let prev = gen.isn(0, A, 50000, B, 80);
    for (let t = 1; t <= 20 * 3_600_000; t += 60_000) {
      const next = gen.isn(t, A, 50000, B, 80);
      expect(seqGt(next, prev)).toBe(true);
      prev = next;
    }
  });
});
