/**
 * How the lab's panels are arranged: one view at a time (tabs), two side by
 * side (split), or everything in one long page (all). Remembered per browser;
 * `?layout=all|tabs|split&view=packets` in the URL overrides it for one visit
 * (an instructor's link, or a test).
 *
 * A view groups the panels that belong together. Panels in views not shown
 * stay mounted (hidden), so their history keeps growing while another view is
 * on screen: the ladder and the plots are complete when you come back.
 */

import { readStored, STORAGE_KEYS, urlParam, writeStored } from '../../lib/prefs';

export const VIEWS = ['link', 'packets', 'flow', 'sockets', 'web', 'charts', 'host'] as const;
export type ViewId = (typeof VIEWS)[number];
export type LayoutMode = 'tabs' | 'split' | 'all';
export const MODES: readonly LayoutMode[] = ['tabs', 'split', 'all'];

export interface LayoutChoice {
  mode: LayoutMode;
  /** The view in tabs mode, and the left one in split mode. */
  left: ViewId;
  /** The right view in split mode. */
  right: ViewId;
}

export const DEFAULT_LAYOUT: LayoutChoice = { mode: 'tabs', left: 'link', right: 'packets' };

const isView = (v: unknown): v is ViewId => typeof v === 'string' && (VIEWS as readonly string[]).includes(v);
const isMode = (v: unknown): v is LayoutMode => typeof v === 'string' && (MODES as readonly string[]).includes(v);

/** A stored or typed layout, checked field by field: anything unknown falls back to the default. */
export function parseLayout(text: string | undefined): LayoutChoice {
  if (!text) return { ...DEFAULT_LAYOUT };
  try {
    const v = JSON.parse(text) as Partial<Record<keyof LayoutChoice, unknown>>;
    const left = isView(v.left) ? v.left : DEFAULT_LAYOUT.left;
    let right = isView(v.right) ? v.right : DEFAULT_LAYOUT.right;
    if (right === left) right = VIEWS.find((x) => x !== left)!;
    return { mode: isMode(v.mode) ? v.mode : DEFAULT_LAYOUT.mode, left, right };
  } catch {
    return { ...DEFAULT_LAYOUT };
  }
}

export class LayoutState {
  mode = $state<LayoutMode>(DEFAULT_LAYOUT.mode);
  left = $state<ViewId>(DEFAULT_LAYOUT.left);
  right = $state<ViewId>(DEFAULT_LAYOUT.right);
  /** Set when the URL chose the layout: then nothing is remembered. */
  private readonly fromUrl: boolean;

  constructor() {
    const stored = parseLayout(readStored(STORAGE_KEYS.layout));
    const mode = urlParam('layout');
    const view = urlParam('view');
    this.fromUrl = isMode(mode) || isView(view);
    this.mode = isMode(mode) ? mode : stored.mode;
    this.left = isView(view) ? view : stored.left;
    this.right = stored.right === this.left ? VIEWS.find((x) => x !== this.left)! : stored.right;
  }

  /** Whether `view` is on screen now. */
  shows(view: ViewId): boolean {
    if (this.mode === 'all') return true;
    if (this.mode === 'tabs') return view === this.left;
    return view === this.left || view === this.right;
  }

  /** Which side a view is on in split mode (for the order on screen). */
  side(view: ViewId): 'left' | 'right' | undefined {
    return view === this.left ? 'left' : view === this.right && this.mode === 'split' ? 'right' : undefined;
  }

  setMode(mode: LayoutMode): void {
    this.mode = mode;
    this.save();
  }

  /** Shows `view` in a pane (the left one in tabs mode); in split mode the two panes swap rather than show one view twice. */
  open(view: ViewId, pane: 'left' | 'right' = 'left'): void {
    if (pane === 'left') {
      if (this.mode === 'split' && view === this.right) this.right = this.left;
      this.left = view;
    } else {
      if (view === this.left) this.left = this.right;
      this.right = view;
    }
    this.save();
  }

  private save(): void {
    if (this.fromUrl) return;
    writeStored(STORAGE_KEYS.layout, JSON.stringify({ mode: this.mode, left: this.left, right: this.right }));
  }
}
