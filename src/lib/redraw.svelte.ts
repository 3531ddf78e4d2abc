/**
 * When a panel redraws. Trace batches arrive many times a second (and under
 * load several can queue up between two frames of the screen). A panel's model
 * takes each batch at once, which is cheap bookkeeping; its DOM is what costs,
 * so it is redrawn at most once per animation frame, and only a few times a
 * second while nobody can see it (a view that is not shown, a panel scrolled
 * away; OFFSCREEN_MS): it catches up the moment it comes back into view, and
 * its DOM is never far behind for whoever reads it without looking (a screen
 * reader, find-in-page, a test).
 *
 *   model changed (a batch)     -> redraw.mark()   one bump at the next frame, if visible
 *   the reader did something    -> redraw.now()    bump at once (a click must answer in this frame)
 *   component                   -> reads redraw.version; {@attach onScreen((v) => redraw.setVisible(v))}
 *
 * The page (which also relays the peer's frames in a pairing) then spends its
 * time on what is on the screen, once per frame, however fast frames fly.
 * Without requestAnimationFrame (unit tests in Node) every mark bumps at once.
 */

import { untrack } from 'svelte';

/** While off screen, new data redraws a panel at most this often (ms). */
export const OFFSCREEN_MS = 250;

export class Redraw {
  /** Read this in components and deriveds: it changes when the panel should draw again. */
  version = $state(0);
  private dirty = false;
  private visible = true;
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
    if (!this.visible) {
      this.offscreen ??= setTimeout(() => {
        this.offscreen = undefined;
        if (this.dirty && !this.visible) this.now();
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
    this.visible = visible;
    if (visible && this.dirty) this.now();
  }

  get isVisible(): boolean {
    return this.visible;
  }

  dispose(): void {
    if (this.frame !== undefined && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.frame);
    if (this.offscreen !== undefined) clearTimeout(this.offscreen);
    this.frame = this.offscreen = undefined;
  }
}
