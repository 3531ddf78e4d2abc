/**
 * What the list shows: every live row, or the rows a display filter matches.
 * Matches are absolute row numbers in a growing typed array, in order; new
 * rows are tested as they come (a slice at a time) and a filter change
 * re-tests the whole log in slices, so the page never freezes. Rows whose
 * marks change later (a fate, a drop at the receiver) are tested again.
 */

import type { RowPredicate } from '../filter/compile';
import type { PacketStore } from './store';

export class RowView {
  private test: RowPredicate | undefined;
  private matches = new Uint32Array(1024);
  private mStart = 0;
  private mEnd = 0;
  /** Rows below this abs have been tested. */
  private scanned = 0;
  private dirty: number[] = [];

  constructor(private readonly store: PacketStore) {}

  get filtered(): boolean {
    return this.test !== undefined;
  }

  /** Rows still to test (0: the view is complete). */
  get pending(): number {
    return this.test ? Math.max(0, this.store.count - Math.max(this.scanned, this.store.first)) : 0;
  }

  setFilter(test: RowPredicate | undefined): void {
    this.test = test;
    this.mStart = 0;
    this.mEnd = 0;
    this.scanned = this.store.first;
    this.dirty = [];
  }

  /** A row's marks changed: test it again. */
  mark(abs: number): void {
    if (this.test && abs < this.scanned) this.dirty.push(abs);
  }

  /** Tests up to `budget` untested rows; returns how many remain. */
  step(budget = Infinity): number {
    const st = this.store;
    const test = this.test;
    if (!test) return 0;
    this.evict();
    if (this.dirty.length > 0) this.retest();
    let abs = Math.max(this.scanned, st.first);
    const end = Math.min(st.count, abs + budget);
    for (; abs < end; abs++) {
      if (test(st, st.slot(abs), abs)) this.push(abs);
    }
    this.scanned = abs;
    return st.count - abs;
  }

  get length(): number {
    if (!this.test) return this.store.size;
    this.evict();
    return this.mEnd - this.mStart;
  }

  /** The abs of the i-th shown row. */
  at(i: number): number {
    return this.test ? this.matches[this.mStart + i]! : this.store.first + i;
  }

  /** Where a row is in the view (-1: not shown). */
  indexOf(abs: number): number {
    if (!this.test) return this.store.live(abs) ? abs - this.store.first : -1;
    const i = this.search(abs);
    return i < this.mEnd && this.matches[i] === abs ? i - this.mStart : -1;
  }

  /** Every shown abs, oldest first (for export). */
  *rows(): Generator<number> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield this.at(i);
  }

  private evict(): void {
    const first = this.store.first;
    while (this.mStart < this.mEnd && this.matches[this.mStart]! < first) this.mStart++;
  }

  private push(abs: number): void {
    if (this.mEnd === this.matches.length) this.grow();
    this.matches[this.mEnd++] = abs;
  }

  private grow(): void {
    const live = this.mEnd - this.mStart;
    if (this.mStart > 0 && live <= this.matches.length / 2) {
      this.matches.copyWithin(0, this.mStart, this.mEnd);
    } else {
      const bigger = new Uint32Array(Math.max(1024, this.matches.length * 2));
      bigger.set(this.matches.subarray(this.mStart, this.mEnd));
      this.matches = bigger;
    }
    this.mStart = 0;
    this.mEnd = live;
  }

  /** First index in [mStart, mEnd) whose abs >= `abs`. */
  private search(abs: number): number {
    let lo = this.mStart;
    let hi = this.mEnd;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.matches[mid]! < abs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private retest(): void {
    const st = this.store;
    const test = this.test!;
    for (const abs of this.dirty) {
      if (!st.live(abs)) continue;
      const i = this.search(abs);
      const shown = i < this.mEnd && this.matches[i] === abs;
      const now = test(st, st.slot(abs), abs);
      if (now && !shown) {
        if (this.mEnd === this.matches.length) this.grow();
        const j = this.search(abs);
        this.matches.copyWithin(j + 1, j, this.mEnd);
        this.matches[j] = abs;
        this.mEnd++;
      } else if (!now && shown) {
        this.matches.copyWithin(i, i + 1, this.mEnd);
        this.mEnd--;
      }
    }
    this.dirty = [];
  }
}
