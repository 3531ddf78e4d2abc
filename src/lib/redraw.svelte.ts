/**
 * When a panel redraws. Trace batches arrive many times a second (and under
 * load several can queue up between two frames of the screen). A panel's model
 * takes each batch at once, which is cheap bookkeeping; its DOM is what costs,
 * so it is redrawn at most once per animation frame, and only a few times a
 * second while scrolled away (OFFSCREEN_MS), so its DOM is never far behind for
 * whoever reads it without looking (a screen reader, find-in-page, a test). In
 * a view that is not shown at all nobody can read it, and it is not redrawn
 * (its model may even put work off: see LadderState). Either way it catches up
 * the moment it comes back into view.
 *
 *   model changed (a batch)     -> redraw.mark()   one bump at the next frame, if visible
 *   the reader did something    -> redraw.now()    bump at once (a click must answer in this frame)
 *   component                   -> reads redraw.version; {@attach onScreen((v) => redraw.setVisible(v))}
 *                                  or {@attach visibility((v) => redraw.setVisibility(v))}: a panel in a view
 *                                  that is not shown at all is not redrawn until it is (onShow runs first)
 *
 * The page then spends its time on what is on the screen, once per frame,
 * however fast frames fly.
 * Without requestAnimationFrame (unit tests in Node) every mark bumps at once.
 */

import { untrack } from 'svelte';
import type { Visibility } from './on-screen';

/** While off screen, new data redraws a panel at most this often (ms). */
export const OFFSCREEN_MS = 250;

export class Redraw {
  /** Read this in components and deriveds: it changes when the panel should draw again. */
  version = $state(0);
  private dirty = false;
  private visible = true;
  private hidden = false;
  private frame: number | undefined;
  private offscreen: ReturnType<typeof setTimeout> | undefined;
  private lastDraw = Number.NEGATIVE_INFINITY;

  constructor(
    /**
     * At least this long (ms) between two redraws caused by new data: a busy SVG
     * drawing need not redraw 60 times a second to look live, and the frames in
     * between stay light. The reader's actions (now()) never wait.
     */
    private readonly minIntervalMs = 0,
  ) {}

  /** The model changed: draw at the next animation frame (or when the panel comes into view). */
  mark(): void {
    this.dirty = true;
    if (typeof requestAnimationFrame !== 'function') {
      this.now();
      return;
    }
    if (this.hidden) return; // drawn when it is shown (setVisibility)
    if (!this.visible) {
      this.offscreen ??= setTimeout(() => {
        this.offscreen = undefined;
        if (this.dirty && !this.visible && !this.hidden) this.now();
      }, OFFSCREEN_MS);
      return;
    }
    this.frame ??= requestAnimationFrame((t) => this.onFrame(t));
  }

  private onFrame(t: number): void {
    this.frame = undefined;
    if (!this.dirty || !this.visible) return;
    // A frame early by less than a millisecond still counts (rAF times are frame-aligned).
    if (t - this.lastDraw < this.minIntervalMs - 1) {
      this.frame = requestAnimationFrame((next) => this.onFrame(next));
      return;
    }
    this.lastDraw = t;
    this.now();
  }

  /** Draw at once (answering the reader, or a change that must show in this frame). */
  now(): void {
    this.dirty = false;
    // Untracked: an effect that asks for a redraw must not come to depend on the version it bumps.
    this.version = untrack(() => this.version) + 1;
  }

  /** Whether the panel is on screen; coming into view draws what was missed. */
  setVisible(visible: boolean): void {
    this.setVisibility(visible ? 'shown' : 'offscreen');
  }

  /**
   * Shown, scrolled away (redrawn every OFFSCREEN_MS) or hidden in a view that is
   * not shown (not redrawn at all until it is). `onShow` runs first when a
   * hidden panel becomes visible or scrolled-away again, so its model can catch up.
   */
  setVisibility(v: Visibility): void {
    const wasHidden = this.hidden;
    this.visible = v === 'shown';
    this.hidden = v === 'hidden';
    if (wasHidden && !this.hidden) this.onShow?.();
    if (this.visible && this.dirty) this.now();
    else if (wasHidden && !this.hidden && this.dirty) this.mark();
  }

  /** Called when the panel stops being hidden (see setVisibility). */
  onShow: (() => void) | undefined;

  get isVisible(): boolean {
    return this.visible;
  }

  /** In a view that is not shown: nobody can read the panel, so its model may defer work. */
  get isHidden(): boolean {
    return this.hidden;
  }

  dispose(): void {
    if (this.frame !== undefined && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.frame);
    if (this.offscreen !== undefined) clearTimeout(this.offscreen);
    this.frame = this.offscreen = undefined;
  }
}
