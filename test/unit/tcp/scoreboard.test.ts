import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DUP_THRESH, Scoreboard } from '../../../worker/transport/tcp/scoreboard';
import { seqAdd, seqDiff } from '../../../worker/wire/seq';

const MSS = 100;

/** A scoreboard whose SND.UNA is `una`, with ranges given as offsets from it. */
function board(una: number, ranges: Array<[number, number]>, capacity = 128): Scoreboard {
  const sb = new Scoreboard(capacity);
  sb.reset(una);
  for (const [l, r] of ranges) sb.add(seqAdd(una, l), seqAdd(una, r), una);
  return sb;
}

const offsets = (sb: Scoreboard, una: number) => sb.ranges().map(([l, r]) => [seqDiff(l, una), seqDiff(r, una)]);

describe('Scoreboard: Update()', () => {
  it('merges_overlapping_and_adjacent_ranges', () => {
    const una = 0xffff_ff00; // the ranges straddle the 2^32 wrap
    const sb = board(una, [
      [300, 400],
      [100, 200],
      [200, 250],
      [350, 500],
    ]);
    expect(offsets(sb, una)).toEqual([
      [100, 250],
      [300, 500],
    ]);
    expect(sb.sackedBytes).toBe(350);
    expect(sb.add(seqAdd(una, 240), seqAdd(una, 310), una)).toBe(50);
    expect(offsets(sb, una)).toEqual([[100, 500]]);
  });

  it('counts_only_bytes_not_sacked_before', () => {
    const sb = board(1000, [[100, 200]]);
    expect(sb.add(1100, 1200, 1000)).toBe(0);
    expect(sb.add(1050, 1250, 1000)).toBe(100);
  });

  it('when_full_forgets_the_highest_range', () => {
    const sb = board(0, [
      [100, 200],
      [300, 400],
      [500, 600],
    ], 3);
    sb.add(700, 800, 0); // beyond every range: not kept
    expect(offsets(sb, 0)).toEqual([
      [100, 200],
      [300, 400],
      [500, 600],
    ]);
    sb.add(10, 20, 0); // nearer SND.UNA: kept, the highest goes
    expect(offsets(sb, 0)).toEqual([
      [10, 20],
      [100, 200],
      [300, 400],
    ]);
    expect(sb.sackedBytes).toBe(210);
  });

  it('cumulative_ack_drops_ranges_below_it', () => {
    const sb = board(0, [
      [100, 200],
      [300, 400],
    ]);
    expect(sb.advance(250)).toBe(false);
    expect(offsets(sb, 250)).toEqual([[50, 150]]);
    expect(sb.sackedBytes).toBe(100);
  });

  it('cumulative_ack_inside_a_sacked_range_is_reneging', () => {
    const sb = board(0, [[100, 200]]);
    expect(sb.advance(100)).toBe(true);
    expect(board(0, [[100, 200]]).advance(150)).toBe(true);
    expect(board(0, [[100, 200]]).advance(200)).toBe(false);
  });
});

describe('Scoreboard: IsLost() and SetPipe()', () => {
  it('three_sacked_ranges_above_make_the_hole_lost', () => {
    // [0,100) hole, then three SACKed segments apart: DupThresh discontiguous ranges above 0.
    const sb = board(0, [
      [100, 200],
      [300, 400],
      [500, 600],
    ]);
    expect(sb.isLost(0, 0, MSS, 600)).toBe(true);
    expect(sb.isLost(200, 0, MSS, 600)).toBe(false); // only two ranges above
    expect(sb.lostEnd(0, MSS, 600)).toBe(100);
  });

  it('more_than_two_segments_of_sacked_bytes_make_the_hole_lost', () => {
    expect(board(0, [[100, 300]]).isLost(0, 0, MSS, 300)).toBe(false); // exactly 2 SMSS: not more
    expect(board(0, [[100, 301]]).isLost(0, 0, MSS, 301)).toBe(true);
  });

  it('pipe_counts_unsacked_not_lost_once_and_retransmitted_once_more', () => {
    // Sent [0, 800); SACKed [100,200) [300,400) [500,600): only [0,100) is lost (three ranges above);
    // [200,300) has two ranges and exactly 2 SMSS above it, so it and [400,500), [600,800) are in flight.
    const sb = board(0, [
      [100, 200],
      [300, 400],
      [500, 600],
    ]);
    expect(sb.pipe(0, 800, MSS)).toBe(100 + 100 + 200);
    sb.highRxt = 100; // [0,100) retransmitted
    expect(sb.pipe(0, 800, MSS)).toBe(400 + 100);
    sb.highRxt = 300; // and [200,300) by rule 3: counted twice now
    expect(sb.pipe(0, 800, MSS)).toBe(400 + 200);
  });

  it('after_an_rto_everything_below_the_mark_is_lost', () => {
    const sb = board(0, [[300, 400]]);
    sb.lostMark = 800;
    expect(sb.lostEnd(0, MSS, 800)).toBe(800);
    expect(sb.pipe(0, 800, MSS)).toBe(0);
    sb.highRxt = 200;
    expect(sb.pipe(0, 800, MSS)).toBe(200);
  });
});

describe('Scoreboard: NextSeg()', () => {
  it('rule_1_returns_the_first_lost_hole_above_high_rxt_up_to_the_next_sack', () => {
    const sb = board(0, [
      [50, 200],
      [300, 400],
      [500, 600],
      [700, 800],
    ]);
    expect(sb.nextSeg(0, 900, MSS, false, false)).toBe(1);
    expect([sb.segStart, sb.segEnd]).toEqual([0, 50]);
    sb.highRxt = 50;
    expect(sb.nextSeg(0, 900, MSS, false, false)).toBe(1);
    expect([sb.segStart, sb.segEnd]).toEqual([200, 300]);
    sb.highRxt = 300;
    // [400,500) has only two ranges above (and 200 bytes): not lost.
    expect(sb.nextSeg(0, 900, MSS, false, false)).toBe(0);
  });

  it('rule_3_returns_a_hole_below_the_highest_sack_when_no_new_data_can_go', () => {
    const sb = board(0, [
      [300, 400],
      [500, 600],
    ]);
    sb.highRxt = 250;
    expect(sb.nextSeg(0, 700, MSS, true, true)).toBe(3);
    expect([sb.segStart, sb.segEnd]).toEqual([250, 300]);
  });

  it('rule_4_rescues_the_highest_unsacked_segment_once', () => {
    const sb = board(0, [[100, 200]]);
    sb.highRxt = 200;
    sb.rescueSent = false;
    expect(sb.nextSeg(0, 450, MSS, true, true)).toBe(4);
    expect([sb.segStart, sb.segEnd]).toEqual([350, 450]);
    sb.rescueSent = true;
    sb.rescueRxt = 450;
    expect(sb.nextSeg(0, 450, MSS, true, true)).toBe(0);
  });
});

/**
 * A model that follows RFC 6675's definitions octet by octet: SACKed flags,
 * IsLost by counting SACKed runs and bytes above, SetPipe by summing, NextSeg
 * by scanning.
 */
class Model {
  sacked: boolean[];
  constructor(readonly size: number) {
    this.sacked = new Array(size).fill(false);
  }
  runsAndBytesAbove(s: number): [number, number] {
    let runs = 0;
    let bytes = 0;
    for (let o = s + 1; o < this.size; o++) {
      if (this.sacked[o]) {
        bytes++;
        if (!this.sacked[o - 1] || o === s + 1) runs++;
      }
    }
    return [runs, bytes];
  }
  isLost(s: number, lostMark: number): boolean {
    if (this.sacked[s]) return false;
    if (s < lostMark) return true;
    const [runs, bytes] = this.runsAndBytesAbove(s);
    return runs >= DUP_THRESH || bytes > (DUP_THRESH - 1) * MSS;
  }
  pipe(una: number, max: number, highRxt: number, lostMark: number): number {
    let p = 0;
    for (let o = una; o < max; o++) {
      if (this.sacked[o]) continue;
      if (!this.isLost(o, lostMark)) p++;
      if (o < highRxt) p++;
    }
    return p;
  }
  /** Rule 1: [start, end) or undefined. */
  rule1(una: number, max: number, highRxt: number, lostMark: number): [number, number] | undefined {
    for (let o = Math.max(una, highRxt); o < max; o++) {
      if (!this.sacked[o] && this.isLost(o, lostMark)) return [o, this.runEnd(o, max)];
    }
    return undefined;
  }
  runEnd(o: number, max: number): number {
    let e = o;
    while (e < max && !this.sacked[e] && e - o < MSS) e++;
    return e;
  }
}

describe('Scoreboard: property against an octet-by-octet model of RFC 6675', () => {
  it('sacked set, IsLost, SetPipe and NextSeg rule 1 agree with the model', () => {
    const SIZE = 1500;
    fc.assert(
      fc.property(
        fc.nat(0xffff_ffff),
        fc.array(fc.tuple(fc.integer({ min: 1, max: SIZE - 1 }), fc.integer({ min: 1, max: 400 })), { maxLength: 30 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: SIZE }),
        fc.integer({ min: 0, max: SIZE }),
        (base, blocks, ackTo, highRxtOff, lostMarkOff) => {
          const sb = new Scoreboard(128);
          sb.reset(base);
          const m = new Model(SIZE);
          for (const [l, len] of blocks) {
            const r = Math.min(SIZE, l + len);
            let fresh = 0;
            for (let o = l; o < r; o++) if (!m.sacked[o]) fresh++;
            for (let o = l; o < r; o++) m.sacked[o] = true;
            expect(sb.add(seqAdd(base, l), seqAdd(base, r), base)).toBe(fresh);
          }
          // The cumulative ACK moves to ackTo: octets below are gone (the model keeps them but never looks below una).
          const una = seqAdd(base, ackTo);
          const reneged = sb.advance(una);
          expect(reneged).toBe(m.sacked[ackTo] === true);
          if (reneged) return; // the TCB clears the scoreboard then
          const max = seqAdd(base, SIZE);
          let sackedAbove = 0;
          for (let o = ackTo; o < SIZE; o++) if (m.sacked[o]) sackedAbove++;
          expect(sb.sackedBytes).toBe(sackedAbove);
          const highRxt = Math.max(ackTo, highRxtOff);
          const lostMark = Math.max(ackTo, lostMarkOff);
          sb.highRxt = seqAdd(base, highRxt);
          sb.lostMark = seqAdd(base, lostMark);
          for (let o = ackTo; o < SIZE; o += 37) {
            expect(sb.isSacked(seqAdd(base, o), una)).toBe(m.sacked[o]);
            expect(sb.isLost(seqAdd(base, o), una, MSS, max)).toBe(m.isLost(o, lostMark));
          }
          expect(sb.pipe(una, max, MSS)).toBe(m.pipe(ackTo, SIZE, highRxt, lostMark));
          const want = m.rule1(ackTo, SIZE, highRxt, lostMark);
          const rule = sb.nextSeg(una, max, MSS, false, false);
          if (want === undefined) expect(rule).toBe(0);
          else {
            expect(rule).toBe(1);
            expect([seqDiff(sb.segStart, base), seqDiff(sb.segEnd, base)]).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a full scoreboard only ever forgets SACKs, never invents them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 50 })), { maxLength: 60 }), (blocks) => {
        const sb = new Scoreboard(4);
        sb.reset(0);
        const m = new Model(5100);
        for (const [l, len] of blocks) {
          sb.add(l, l + len, 0);
          for (let o = l; o < l + len; o++) m.sacked[o] = true;
        }
        expect(sb.count).toBeLessThanOrEqual(4);
        let total = 0;
        for (const [l, r] of sb.ranges()) {
          total += r - l;
          for (let o = l; o < r; o++) expect(m.sacked[o]).toBe(true);
        }
        expect(sb.sackedBytes).toBe(total);
      }),
      { numRuns: 200 },
    );
  });
});
