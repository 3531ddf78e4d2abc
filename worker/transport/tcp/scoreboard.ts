/**
 * The sender's SACK scoreboard and the routines of RFC 6675 (SACK-based loss
 * recovery): Update, IsLost, SetPipe and NextSeg, plus the variables HighRxt
 * and RescueRxt.
 *
 * The scoreboard is the set of SACKed ranges inside [SND.UNA, SND.MAX), kept
 * as a small sorted table of disjoint, non-adjacent [start, end) sequence
 * ranges (bounded: `capacity` ranges; a range that does not fit is forgotten,
 * which is safe, as forgetting a SACK only makes the sender retransmit more).
 * Nothing here allocates after construction.
 *
 * Since "lost" (RFC 6675 IsLost) means "enough SACKed data above", it is
 * monotone: if an octet is lost, every un-SACKed octet below it is too. So the
 * lost octets are the un-SACKed octets of a prefix [SND.UNA, lostEnd), and
 * SetPipe and NextSeg need one pass over the ranges, not one per octet.
 *
 * Positions are sequence numbers (mod 2^32); every range lies within 2^31 of
 * SND.UNA, so comparisons go through offsets from `una` (the caller's SND.UNA).
 * `highRxt` and `rescueRxt` are exclusive ends ("HighRxt + 1" in the RFC's
 * inclusive terms), as are all range ends here.
 */

import { seqAdd, seqDiff } from '../../wire/seq';

/** RFC 6675 2: DupThresh. */
export const DUP_THRESH = 3;

/** What NextSeg chose (RFC 6675 4 rules 1-4); 0 when nothing can be sent. */
export type NextSegRule = 0 | 1 | 2 | 3 | 4;

export class Scoreboard {
  readonly capacity: number;
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  /** Ranges held. */
  count = 0;
  /** SACKed bytes held (sum of the ranges). */
  sackedBytes = 0;

  /** End (exclusive) of the highest octet retransmitted in this recovery: HighRxt + 1. Never below `una` after `advance`. */
  highRxt = 0;
  /** RescueRxt (exclusive end); meaningful while `rescueSent`, which the caller sets when a recovery starts (RFC 6675 4.3). */
  rescueRxt = 0;
  rescueSent = false;
  /** After an RTO every un-SACKed octet below this is lost (Linux tcp_enter_loss); = una otherwise. */
  lostMark = 0;

  /** Output of nextSeg: the range [segStart, segEnd). */
  segStart = 0;
  segEnd = 0;

  constructor(capacity = 128) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`A scoreboard holds a positive whole number of ranges; got ${capacity}.`);
    this.capacity = capacity;
    this.starts = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
  }

  /** Range k (in sequence order) as [start, end). */
  start(k: number): number {
    return this.starts[k];
  }

  end(k: number): number {
    return this.ends[k];
  }

  /** End of the highest SACKed octet (exclusive), or `una` when nothing is SACKed. */
  highestSacked(una: number): number {
    return this.count > 0 ? this.ends[this.count - 1] : una;
  }

  /** Forgets every SACK (RFC 2018 8 / RFC 6675 5.1: after a timeout, or when the receiver reneged). */
  clear(): void {
    this.count = 0;
    this.sackedBytes = 0;
  }

  /** Starts over for a connection whose SND.UNA is `una`. */
  reset(una: number): void {
    this.clear();
    this.highRxt = una;
    this.rescueRxt = una;
    this.rescueSent = false;
    this.lostMark = una;
  }

  /**
   * RFC 6675 Update(): marks [left, right) SACKed. The caller has validated it
   * (una < left < right <= SND.MAX). Returns the bytes that were not SACKed before.
   */
  add(left: number, right: number, una: number): number {
    const l = seqDiff(left, una);
    const r = seqDiff(right, una);
    if (!(l > 0 && r > l)) return 0;
    const starts = this.starts;
    const ends = this.ends;
    // Ranges i..j-1 overlap or touch [l, r).
    let i = 0;
    while (i < this.count && seqDiff(ends[i], una) < l) i++;
    let j = i;
    while (j < this.count && seqDiff(starts[j], una) <= r) j++;
    if (i === j) {
      if (this.count === this.capacity) {
        // Full: keep the ranges nearest SND.UNA (they decide what is lost next); forget the highest.
        if (i === this.count) return 0;
        this.count--;
        this.sackedBytes -= seqDiff(ends[this.count], starts[this.count]);
      }
      for (let k = this.count; k > i; k--) {
        starts[k] = starts[k - 1];
        ends[k] = ends[k - 1];
      }
      this.count++;
      starts[i] = left;
      ends[i] = right;
      this.sackedBytes += r - l;
      return r - l;
    }
    // Merge with ranges i..j-1.
    let before = 0;
    for (let k = i; k < j; k++) before += seqDiff(ends[k], starts[k]);
    const ms = Math.min(l, seqDiff(starts[i], una));
    const me = Math.max(r, seqDiff(ends[j - 1], una));
    starts[i] = seqAdd(una, ms);
    ends[i] = seqAdd(una, me);
    const gone = j - i - 1;
    if (gone > 0) {
      for (let k = j; k < this.count; k++) {
        starts[k - gone] = starts[k];
        ends[k - gone] = ends[k];
      }
      this.count -= gone;
    }
    const added = me - ms - before;
    this.sackedBytes += added;
    return added;
  }

  /**
   * The cumulative ACK moved to `una`: forgets what lies below it. Returns true
   * when `una` landed inside a SACKed range: the receiver acknowledged less than
   * it had SACKed, so it reneged (discarded SACKed data, RFC 2018 8); the caller
   * should then stop trusting the scoreboard.
   */
  advance(una: number): boolean {
    // Plain (a - b) | 0 rather than seqDiff: this runs for every ACK.
    if (((this.highRxt - una) | 0) < 0) this.highRxt = una;
    if (((this.lostMark - una) | 0) < 0) this.lostMark = una;
    if (this.count === 0) return false;
    let drop = 0;
    let reneged = false;
    while (drop < this.count && seqDiff(this.ends[drop], una) <= 0) drop++;
    if (drop < this.count && seqDiff(this.starts[drop], una) <= 0) reneged = true;
    if (drop > 0) {
      let gone = 0;
      for (let k = 0; k < drop; k++) gone += seqDiff(this.ends[k], this.starts[k]);
      for (let k = drop; k < this.count; k++) {
        this.starts[k - drop] = this.starts[k];
        this.ends[k - drop] = this.ends[k];
      }
      this.count -= drop;
      this.sackedBytes -= gone;
    }
    return reneged;
  }

  isSacked(seq: number, una: number): boolean {
    const x = seqDiff(seq, una);
    for (let k = 0; k < this.count; k++) {
      if (seqDiff(this.starts[k], una) > x) return false;
      if (seqDiff(this.ends[k], una) > x) return true;
    }
    return false;
  }

  /**
   * End of the lost prefix: every un-SACKed octet below it is lost, none above
   * (RFC 6675 IsLost: DupThresh discontiguous SACKed ranges above the octet, or
   * more than (DupThresh - 1) * SMSS SACKed bytes above it), extended to
   * `lostMark` after a timeout. Equal to `una` when nothing is lost.
   */
  lostEnd(una: number, smss: number, max: number): number {
    let above = 0;
    let bytes = 0;
    let end = una;
    for (let k = this.count - 1; k >= 0; k--) {
      above++;
      bytes += seqDiff(this.ends[k], this.starts[k]);
      if (above >= DUP_THRESH || bytes > (DUP_THRESH - 1) * smss) {
        end = this.starts[k];
        break;
      }
    }
    if (seqDiff(this.lostMark, end) > 0) end = this.lostMark;
    if (seqDiff(end, max) > 0) end = max;
    return end;
  }

  /** RFC 6675 IsLost(seq), for an octet in [una, max). */
  isLost(seq: number, una: number, smss: number, max: number): boolean {
    return !this.isSacked(seq, una) && seqDiff(seq, this.lostEnd(una, smss, max)) < 0;
  }

  /** Un-SACKed bytes in [from, to), both within [una, SND.MAX]. */
  unsackedIn(from: number, to: number, una: number): number {
    const f = seqDiff(from, una);
    const t = seqDiff(to, una);
    if (t <= f) return 0;
    let n = t - f;
    for (let k = 0; k < this.count; k++) {
      const s = seqDiff(this.starts[k], una);
      if (s >= t) break;
      const e = seqDiff(this.ends[k], una);
      const lo = s > f ? s : f;
      const hi = e < t ? e : t;
      if (hi > lo) n -= hi - lo;
    }
    return n;
  }

  /**
   * RFC 6675 SetPipe(): octets in [una, max) not SACKed count once if not lost
   * and once more if retransmitted (below HighRxt).
   */
  pipe(una: number, max: number, smss: number): number {
    // Nothing SACKed, lost or resent (the usual case, once per dispatch): pipe is FlightSize.
    if (this.count === 0 && ((this.lostMark - una) | 0) <= 0 && ((this.highRxt - una) | 0) <= 0) return (max - una) | 0;
    const lost = this.lostEnd(una, smss, max);
    let rxt = this.highRxt;
    if (seqDiff(rxt, max) > 0) rxt = max;
    return this.unsackedIn(lost, max, una) + this.unsackedIn(una, rxt, una);
  }

  /**
   * The first un-SACKed octet at or after `from` and below `limit`, and the end
   * of the un-SACKed run it starts (the next SACKed range or `max`), left in
   * segStart/segEnd; false if there is none.
   */
  private firstUnsacked(from: number, una: number, limit: number, max: number): boolean {
    let s = seqDiff(from, una);
    if (s < 0) s = 0;
    const m = seqDiff(max, una);
    let runEnd = m;
    for (let k = 0; k < this.count; k++) {
      const bs = seqDiff(this.starts[k], una);
      const be = seqDiff(this.ends[k], una);
      if (be <= s) continue;
      if (bs <= s) {
        s = be;
        continue;
      }
      runEnd = bs;
      break;
    }
    if (s >= seqDiff(limit, una) || s >= m) return false;
    this.segStart = seqAdd(una, s);
    this.segEnd = seqAdd(una, runEnd < m ? runEnd : m);
    return true;
  }

  /**
   * RFC 6675 NextSeg() without rule (2), which belongs to the caller (it knows
   * the send buffer and the peer's window): call with `rule2` = false to get
   * rule (1) only, then, if new data cannot be sent, with `rule2` = true to get
   * rules (3) and (4). `rescue` allows rule (4) (fast recovery only). The range
   * is left in segStart/segEnd, at most `smss` long. Does not change HighRxt or
   * RescueRxt: the caller does that after sending (RFC 6675 C.2).
   */
  nextSeg(una: number, max: number, smss: number, afterNewData: boolean, rescue: boolean): NextSegRule {
    const from = seqDiff(this.highRxt, una) > 0 ? this.highRxt : una;
    if (!afterNewData) {
      // (1) the first un-SACKed octet above HighRxt that IsLost (which implies it is below the highest SACK).
      const lost = this.lostEnd(una, smss, max);
      if (seqDiff(lost, from) > 0 && this.firstUnsacked(from, una, lost, max)) {
        this.clip(smss);
        return 1;
      }
      return 0;
    }
    // (3) an un-SACKed octet above HighRxt and below the highest SACKed octet, lost or not.
    const top = this.highestSacked(una);
    if (seqDiff(top, from) > 0 && this.firstUnsacked(from, una, top, max)) {
      this.clip(smss);
      return 3;
    }
    // (4) one rescue retransmission per recovery: a segment holding the highest un-SACKed octet.
    if (rescue && (!this.rescueSent || seqDiff(una, this.rescueRxt) > 0)) {
      let hi = max;
      let lo = una;
      if (this.count > 0 && this.ends[this.count - 1] === max) {
        hi = this.starts[this.count - 1];
        if (this.count > 1) lo = this.ends[this.count - 2];
      } else if (this.count > 0) lo = this.ends[this.count - 1];
      if (seqDiff(hi, una) > 0) {
        this.segEnd = hi;
        this.segStart = seqDiff(hi, lo) > smss ? seqAdd(hi, -smss) : lo;
        return 4;
      }
    }
    return 0;
  }

  private clip(smss: number): void {
    if (seqDiff(this.segEnd, this.segStart) > smss) this.segEnd = seqAdd(this.segStart, smss);
  }

  /** The ranges as pairs, in sequence order (allocates; for the UI and tests). */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let k = 0; k < this.count; k++) out.push([this.starts[k], this.ends[k]]);
    return out;
  }
}
