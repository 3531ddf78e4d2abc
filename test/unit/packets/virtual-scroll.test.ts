import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_PX, ScrollMap } from '../../../src/panels/packets/virtual-scroll';

describe('ScrollMap (the packet list\'s scroll geometry)', () => {
  it('is the identity while the rows fit under the cap', () => {
    const m = new ScrollMap(10_000, 26, 30, 400);
    expect(m.spacerH).toBe(260_000);
    expect(m.ratio).toBe(1);
    expect(m.toVirtual(1234)).toBe(1234);
    expect(m.bottom).toBe(260_000 + 30 - 400);
  });

  it('a million rows: the spacer stays under every browser\'s element-height limit, and scrolling to its end shows the last row', () => {
    const m = new ScrollMap(1_000_000, 26, 30, 400);
    expect(m.virtualH).toBe(26_000_000);
    expect(m.spacerH).toBe(MAX_SCROLL_PX);
    expect(MAX_SCROLL_PX).toBeLessThan(17_800_000); // Firefox's limit
    // The largest scroll position the browser allows maps to the list's bottom...
    const maxScroll = m.spacerH + 30 - 400;
    expect(m.toVirtual(maxScroll)).toBeCloseTo(m.bottom, 6);
    // ...where the last row, drawn at its virtual top shifted by (scroll - virtual), sits at the viewport's foot.
    const shift = maxScroll - m.toVirtual(maxScroll);
    const lastTop = 999_999 * 26 + shift;
    expect(lastTop + 26 + 30 - maxScroll).toBeCloseTo(400, 6);
    // Half way down the scrollbar is half way down the log, and the mapping goes both ways.
    expect(m.toVirtual(maxScroll / 2) / m.bottom).toBeCloseTo(0.5, 9);
    expect(m.toScroll(m.toVirtual(777_777))).toBeCloseTo(777_777, 6);
  });
});
