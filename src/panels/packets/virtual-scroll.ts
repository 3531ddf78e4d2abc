/**
 * Scroll geometry of the virtualised packet list. Rows have a fixed height, so
 * row i starts at i * rowH in the "virtual" list. A million rows are 26 million
 * pixels, more than some browsers let one element be (Firefox stops near 17.9
 * million; Chromium near 33.5 million). Above `maxPx` the scrollable spacer is
 * capped and the scroll position maps to the virtual position proportionally:
 * the scrollbar still spans the whole log and reaches its last row, and the
 * rows on screen are drawn at their virtual place shifted by the difference.
 * Below the cap the mapping is the identity.
 */

/** Below every browser's limit on an element's height, with room to spare. */
export const MAX_SCROLL_PX = 15_000_000;

export class ScrollMap {
  constructor(
    /** Rows in the list. */
    readonly count: number,
    readonly rowH: number,
    /** Height of the sticky header above the rows. */
    readonly headH: number,
    /** The viewport's height. */
    readonly height: number,
    readonly maxPx = MAX_SCROLL_PX,
  ) {}

  /** The rows' full height. */
  get virtualH(): number {
    return this.count * this.rowH;
  }

  /** The spacer's height: the rows' height, capped. */
  get spacerH(): number {
    return Math.min(this.virtualH, this.maxPx);
  }

  /** Virtual pixels per scrolled pixel (1 below the cap). */
  get ratio(): number {
    if (this.virtualH <= this.maxPx) return 1;
    const physical = this.spacerH + this.headH - this.height;
    const virtual = this.virtualH + this.headH - this.height;
    return physical > 0 ? virtual / physical : 1;
  }

  /** The virtual top of the viewport for a scroll position. */
  toVirtual(scrollTop: number): number {
    return scrollTop * this.ratio;
  }

  /** The scroll position that shows virtual top `v`. */
  toScroll(v: number): number {
    return v / this.ratio;
  }

  /** The bottom of the list, in virtual pixels (following live). */
  get bottom(): number {
    return Math.max(0, this.virtualH + this.headH - this.height);
  }
}
