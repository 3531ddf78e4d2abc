import { describe, expect, it } from 'vitest';
import { LagMeter } from '../../src/lib/lag';

describe('LagMeter', () => {
  it('reports median, 95th percentile and worst of the samples in its window', () => {
    const m = new LagMeter(1000, 256);
    for (let i = 0; i < 100; i++) m.add(5000 + i, i + 1); // lags 1..100 ms
    expect(m.stats(5100)).toEqual({ n: 100, p50: 51, p95: 96, max: 100 });
  });

  it('forgets samples older than the window', () => {
    const m = new LagMeter(1000);
    m.add(0, 500);
    m.add(1500, 10);
    expect(m.stats(2000)).toEqual({ n: 1, p50: 10, p95: 10, max: 10 });
    expect(m.stats(5000)).toBeUndefined();
  });

  it('keeps only its capacity of newest samples, and ignores nonsense', () => {
    const m = new LagMeter(10_000, 4);
    for (let i = 1; i <= 10; i++) m.add(i, i * 10);
    m.add(Number.NaN, 5);
    m.add(11, Number.POSITIVE_INFINITY);
    m.add(11, -3); // a clock a hair off: counted as no lag
    // Kept: 80, 90, 100 and the clamped 0 (it pushed out 70).
    expect(m.stats(12)).toEqual({ n: 4, p50: 90, p95: 100, max: 100 });
  });
});
