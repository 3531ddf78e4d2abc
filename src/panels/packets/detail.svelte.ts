/**
 * The packet detail's view state: which tree nodes are open, which field the
 * pointer (or keyboard focus) is on, and the byte range to light up in the
 * hex view. Hovering a byte opens the path to its field.
 */

import { SvelteSet } from 'svelte/reactivity';
import { pathAt, type Dissection, type Field } from '../../lib/dissect';

export class DetailState {
  /** Open nodes, by their path of abbrevs and offsets (stable across frames of the same shape). */
  readonly open = new SvelteSet<string>();
  hovered = $state.raw<Field | undefined>(undefined);
  focused = $state<string | undefined>(undefined);

  static key(path: readonly Field[]): string {
    return path.map((f) => `${f.abbrev}@${f.offset}`).join('/');
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  toggle(key: string, open = !this.open.has(key)): void {
    if (open) this.open.add(key);
    else this.open.delete(key);
  }

  /** The bytes to highlight: the hovered field's. */
  get range(): { from: number; to: number } | undefined {
    const f = this.hovered;
    if (!f || f.length <= 0) return undefined;
    return { from: f.offset, to: f.offset + f.length };
  }

  /** A byte was hovered: light up its innermost field and open the nodes above it. */
  hoverByte(d: Dissection, byte: number): void {
    const path = pathAt(d.tree, byte);
    if (path.length === 0) {
      this.hovered = undefined;
      return;
    }
    for (let i = 1; i < path.length; i++) this.open.add(DetailState.key(path.slice(0, i)));
    this.hovered = path[path.length - 1];
    this.focused = DetailState.key(path);
  }

  expandAll(d: Dissection): void {
    const walk = (nodes: Field[], parent: Field[]) => {
      for (const f of nodes) {
        const path = [...parent, f];
        if (f.children?.length) {
          this.open.add(DetailState.key(path));
          walk(f.children, path);
        }
      }
    };
    walk(d.tree, []);
  }

  collapseAll(): void {
    this.open.clear();
  }
}
