import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OFFSCREEN_MS, Redraw } from '../../src/lib/redraw.svelte';

describe('Redraw', () => {
  let frames: ((t: number) => void)[] = [];
  let clock = 0;
  /** Runs the animation frame callbacks pending now, at time `clock`. */
  const frame = (advance = 16.7) => {
    clock += advance;
    const run = frames;
    frames = [];
    run.forEach((f) => f(clock));
  };
  beforeEach(() => {
    frames = [];
    clock = 0;
    vi.stubGlobal('requestAnimationFrame', (f: (t: number) => void) => frames.push(f));
    vi.stubGlobal('cancelAnimationFrame', () => {});
  });
  afterEach(() => vi.unstubAllGlobals());

  it('folds many changes into one redraw at the next animation frame', () => {
    const r = new Redraw();
    for (let i = 0; i < 10; i++) r.mark();
    expect(r.version).toBe(0);
    frame();
    expect(r.version).toBe(1);
    frame();
    expect(r.version).toBe(1); // nothing new: no redraw
  });

  it('while hidden redraws only every OFFSCREEN_MS, and catches up at once when shown again', () => {
    vi.useFakeTimers();
    try {
      const r = new Redraw();
      r.setVisible(false);
      r.mark();
      frame();
      expect(r.version).toBe(0);
      vi.advanceTimersByTime(OFFSCREEN_MS);
      expect(r.version).toBe(1);
      r.mark();
      r.setVisible(true);
      expect(r.version).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('in a view that is not shown never redraws; opened, it lets the model catch up first, then draws', () => {
    vi.useFakeTimers();
    try {
      const r = new Redraw();
      const shown: number[] = [];
      r.onShow = () => shown.push(r.version);
      r.setVisibility('hidden');
      expect(r.isHidden).toBe(true);
      r.mark();
      frame();
      vi.advanceTimersByTime(OFFSCREEN_MS * 10);
      expect(r.version).toBe(0);
      // Opened but scrolled away: onShow at once, the redraw at the next off-screen tick.
      r.setVisibility('offscreen');
      expect(shown).toEqual([0]);
      vi.advanceTimersByTime(OFFSCREEN_MS);
      expect(r.version).toBe(1);
      // Hidden again, then shown: onShow, and the redraw in the same call.
      r.setVisibility('hidden');
      r.mark();
      r.setVisibility('shown');
      expect(shown).toEqual([0, 1]);
      expect(r.version).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a minimum interval between data redraws, but answers the reader at once', () => {
    const r = new Redraw(33);
    r.mark();
    frame(); // t = 16.7: first redraw
    expect(r.version).toBe(1);
    r.mark();
    frame(); // t = 33.4: too soon
    expect(r.version).toBe(1);
    frame(); // t = 50.1
    expect(r.version).toBe(2);
    r.now();
    expect(r.version).toBe(3);
  });

  it('without requestAnimationFrame (Node), redraws at every change', () => {
    vi.unstubAllGlobals();
    const r = new Redraw();
    r.mark();
    r.mark();
    expect(r.version).toBe(2);
  });
});
