import { describe, expect, it } from 'vitest';
import { HoldWatch, LagMeter } from '../../src/lib/lag';

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

describe('HoldWatch', () => {
  const clock = (mode: 'running' | 'paused', throttled: boolean, throttledMs: number) => ({ mode, throttled, throttledMs });

  it('says held while the stack is held, and for a while after a hold seen only as throttledMs growing between polls', () => {
    const w = new HoldWatch(2000);
    expect(w.update(0, clock('running', false, 0))).toBe(false);
    expect(w.update(250, clock('running', true, 40))).toBe(true);
    expect(w.update(500, clock('running', false, 90))).toBe(true); // held and released between the polls
    expect(w.update(2500, clock('running', false, 90))).toBe(true);
    expect(w.update(2750, clock('running', false, 90))).toBe(false);
  });

  it('says nothing while paused, and starts over with a new lab (throttledMs back at 0)', () => {
    const w = new HoldWatch(2000);
    expect(w.update(0, clock('running', true, 10))).toBe(true);
    expect(w.update(100, clock('paused', true, 10))).toBe(false);
    expect(w.update(5000, clock('running', false, 10))).toBe(false);
    expect(w.update(5250, clock('running', false, 0))).toBe(false);
    expect(w.update(5500, clock('running', false, 5))).toBe(true);
  });
});
