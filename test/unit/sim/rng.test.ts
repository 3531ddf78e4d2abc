import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hashString, Rng } from '../../../worker/sim/rng';

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.u32());

// Every statistical test below uses a fixed seed, so it is deterministic and cannot flake;
// the bounds are loose enough that they would also hold for almost any other seed.
const SEED = 0x5eed;
const N = 100_000;

describe('Rng', () => {
  it('the same seed gives the same sequence', () => {
    expect(draws(new Rng(42), 1000)).toEqual(draws(new Rng(42), 1000));
    const a = new Rng(7);
    const b = new Rng(7);
    expect([a.float(), a.int(10), a.normal(), a.range(5, 9)]).toEqual([b.float(), b.int(10), b.normal(), b.range(5, 9)]);
  });

  it('different seeds give different sequences', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) seen.add(draws(new Rng(seed), 4).join(','));
    expect(seen.size).toBe(200);
  });

  it('u32 is a whole number in [0, 2^32)', () => {
    const rng = new Rng(SEED);
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng.u32();
      if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 32)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('fork(label) does not depend on how much of the parent was consumed', () => {
    const fresh = new Rng(99);
    const used = new Rng(99);
    draws(used, 1234);
    used.normal();
    expect(draws(used.fork('conditioner'), 100)).toEqual(draws(fresh.fork('conditioner'), 100));
  });

  it('forks with different labels, and the parent, are different streams', () => {
    const parent = new Rng(99);
    const a = draws(parent.fork('tcp-isn'), 8);
    const b = draws(parent.fork('ephemeral-port'), 8);
    const p = draws(new Rng(99), 8);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(p);
    expect(b).not.toEqual(p);
    expect(draws(new Rng(100).fork('tcp-isn'), 8)).not.toEqual(a);
  });

  it('outputs are pinned: a seed printed by a failing run must replay in later versions', () => {
    // Golden values from this implementation; if they change, every recorded seed is void.
    const r = new Rng(42);
    expect([r.u32(), r.u32(), r.u32()]).toEqual([1028872839, 2516511472, 400437680]);
    expect(new Rng(0).u32()).toBe(4205396811);
    expect(hashString('tcp-isn', 42)).toBe(1428732184);
  });

  it('hashString mixes the seed and the order of characters', () => {
    expect(hashString('a', 1)).not.toBe(hashString('a', 2));
    expect(hashString('ab')).not.toBe(hashString('ba'));
    expect(new Rng(1).fork('x').seed).toBe(hashString('x', 1));
  });

  it('int(n) stays in [0, n) for any n up to 2^32', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 20; i++) {
          const x = rng.int(n);
          expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
        }
      }),
    );
    const rng = new Rng(SEED);
    expect(rng.int(1)).toBe(0);
    expect(rng.int(0)).toBe(0);
  });

  it('range(lo, hi) includes both ends', () => {
    const rng = new Rng(SEED);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.range(-2, 2));
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2]);
  });

  it('int(n) is roughly uniform (chi-square over 100k draws)', () => {
    for (const n of [2, 10, 37, 1000]) {
      const rng = new Rng(SEED + n);
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < N; i++) counts[rng.int(n)]++;
      const expected = N / n;
      const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      // chi-square with n-1 degrees of freedom has mean n-1 and sd sqrt(2(n-1)); allow 6 sd.
      const df = n - 1;
      expect(chi2, `n=${n}`).toBeLessThan(df + 6 * Math.sqrt(2 * df) + 10);
    }
  });

  it('float is in [0, 1) and roughly uniform', () => {
    const rng = new Rng(SEED);
    let sum = 0;
    let min = 1;
    let max = 0;
    const deciles = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const x = rng.float();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
      deciles[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.01);
    expect(min).toBeLessThan(0.001);
    expect(max).toBeGreaterThan(0.999);
    for (const d of deciles) expect(Math.abs(d - N / 10)).toBeLessThan(N / 100);
  });

  it('chance(p) happens with probability p, and never for p <= 0', () => {
    const rng = new Rng(SEED);
    let hits = 0;
    for (let i = 0; i < N; i++) if (rng.chance(0.2)) hits++;
    expect(Math.abs(hits / N - 0.2)).toBeLessThan(0.01);
    for (let i = 0; i < 1000; i++) expect(rng.chance(0)).toBe(false);
    for (let i = 0; i < 1000; i++) expect(rng.chance(1)).toBe(true);
  });

  it('normal() has mean about 0 and standard deviation about 1', () => {
    const rng = new Rng(SEED);
    let sum = 0;
    let sumSq = 0;
    let within1 = 0;
    let nonFinite = 0;
    for (let i = 0; i < N; i++) {
      const x = rng.normal();
      if (!Number.isFinite(x)) nonFinite++;
      sum += x;
      sumSq += x * x;
      if (Math.abs(x) < 1) within1++;
    }
    expect(nonFinite).toBe(0);
    const mean = sum / N;
    const sd = Math.sqrt(sumSq / N - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.02); // standard error is 0.003
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
    expect(Math.abs(within1 / N - 0.6827)).toBeLessThan(0.01);
  });

  it('fill writes every byte, including a tail shorter than 4', () => {
    const a = new Rng(3).fill(new Uint8Array(7));
    const b = new Rng(3).fill(new Uint8Array(7));
    expect(a).toEqual(b);
    const rng = new Rng(SEED);
    const big = rng.fill(new Uint8Array(4003));
    const counts = new Array<number>(256).fill(0);
    for (const x of big) counts[x]++;
    expect(counts.filter((c) => c === 0).length).toBeLessThan(5);
    expect(big[4002]).toBeDefined();
  });
});
