import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Assembler } from '../../../worker/transport/tcp/assembler';
import { Rng } from '../../../worker/sim/rng';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from '../../../worker/wire/seq';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const report = (a: Assembler) => ({ ...a.lastAdd });
const none = { advanced: 0, stored: 0, duplicate: 0, beyondWindow: 0, dropped: 0, evicted: 0 };

describe('Assembler: in order and out of order', () => {
  it('in_order_segment_is_readable_at_once', () => {
    const a = new Assembler(16);
    expect(a.add(0, text('abc'))).toBe(3);
    expect(report(a)).toEqual({ ...none, advanced: 3, stored: 3 });
    expect([a.readable, a.window, a.blockCount]).toEqual([3, 13, 0]);
    expect(str(a.read())).toBe('abc');
    expect([a.readable, a.window]).toEqual([0, 16]);
  });

  it('out_of_order_segment_waits_for_the_hole', () => {
    const a = new Assembler(16);
    expect(a.add(3, text('def'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 3 });
    expect([a.readable, a.blockCount, a.outOfOrder, a.held]).toEqual([0, 1, 3, 3]);
    expect(a.add(0, text('abc'))).toBe(6);
    expect(report(a)).toEqual({ ...none, advanced: 6, stored: 3 });
    expect(a.blockCount).toBe(0);
    expect(str(a.read())).toBe('abcdef');
  });

  it('overlapping_segment_stores_only_the_new_bytes', () => {
    const a = new Assembler(16);
    a.add(2, text('cdef'));
    // 'XY' would overwrite c and d if the overlap were stored again.
    expect(a.add(0, text('abXY'))).toBe(6);
    expect(report(a)).toEqual({ ...none, advanced: 6, stored: 2, duplicate: 2 });
    expect(str(a.read())).toBe('abcdef');
  });

  it('duplicate_in_order_segment_is_ignored', () => {
    const a = new Assembler(16);
    a.add(0, text('abc'));
    // RCV.NXT moved by 3, so the same segment now starts 3 bytes before it.
    expect(a.add(-3, text('abc'))).toBe(0);
    expect(report(a)).toEqual({ ...none, duplicate: 3 });
    a.read();
    expect(a.add(-3, text('abc'))).toBe(0);
    expect(report(a)).toEqual({ ...none, duplicate: 3 });
    expect(a.readable).toBe(0);
  });

  it('retransmission_starting_before_rcv_nxt_is_trimmed_to_the_new_bytes', () => {
    const a = new Assembler(16);
    a.add(0, text('abc'));
    expect(a.add(-2, text('bcde'))).toBe(2);
    expect(report(a)).toEqual({ ...none, advanced: 2, stored: 2, duplicate: 2 });
    expect(str(a.read())).toBe('abcde');
  });

  it('duplicate_out_of_order_segment_stores_nothing', () => {
    const a = new Assembler(16);
    a.add(5, text('fg'));
    expect(a.add(5, text('fg'))).toBe(0);
    expect(report(a)).toEqual({ ...none, duplicate: 2 });
    expect(a.add(4, text('efgh'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 2, duplicate: 2 });
    expect(a.blocks(0)).toEqual([[4, 8]]);
  });

  it('segment_bridging_two_blocks_merges_them', () => {
    const a = new Assembler(16);
    a.add(2, text('cd'));
    a.add(6, text('gh'));
    expect(a.blocks(0)).toEqual([[2, 4], [6, 8]]);
    expect(a.add(3, text('defg'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 2, duplicate: 2 });
    expect(a.blocks(0)).toEqual([[2, 8]]);
    expect(a.add(0, text('ab'))).toBe(8);
    expect(str(a.read())).toBe('abcdefgh');
  });

  it('segment_covering_several_blocks_fills_every_gap', () => {
    const a = new Assembler(32);
    a.add(2, text('c'));
    a.add(5, text('f'));
    a.add(8, text('i'));
    expect(a.add(1, text('bXdeXghXj'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 6, duplicate: 3 });
    expect(a.blocks(0)).toEqual([[1, 10]]);
    a.add(0, text('a'));
    expect(str(a.read())).toBe('abcdefghij');
  });

  it('adjacent_segments_join_into_one_block', () => {
    const a = new Assembler(16);
    a.add(2, text('cd'));
    a.add(4, text('ef'));
    a.add(1, text('b'));
    expect(a.blocks(0)).toEqual([[1, 6]]);
    expect(a.blockCount).toBe(1);
  });

  it('empty_segment_changes_nothing', () => {
    const a = new Assembler(16);
    expect(a.add(0, new Uint8Array(0))).toBe(0);
    expect(a.add(4, new Uint8Array(0))).toBe(0);
    expect(report(a)).toEqual(none);
    expect(a.blockCount).toBe(0);
  });
});

describe('Assembler: the window', () => {
  it('bytes_beyond_the_window_are_trimmed_and_reported', () => {
    const a = new Assembler(8);
    expect(a.add(6, text('ghij'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 2, beyondWindow: 2 });
    expect(a.add(8, text('ij'))).toBe(0);
    expect(report(a)).toEqual({ ...none, beyondWindow: 2 });
    expect(a.add(100, text('z'))).toBe(0);
    expect(report(a)).toEqual({ ...none, beyondWindow: 1 });
    expect(a.add(0, text('abcdefXY'))).toBe(8);
    expect(str(a.read())).toBe('abcdefgh');
  });

  it('unread_data_shrinks_the_window_and_reading_reopens_it', () => {
    const a = new Assembler(8);
    a.add(0, text('abcdefgh'));
    expect(a.window).toBe(0);
    expect(a.add(0, text('i'))).toBe(0);
    expect(report(a)).toEqual({ ...none, beyondWindow: 1 });
    expect(str(a.read(3))).toBe('abc');
    expect(a.window).toBe(3);
    expect(a.add(0, text('ijkl'))).toBe(3);
    expect(report(a)).toEqual({ ...none, advanced: 3, stored: 3, beyondWindow: 1 });
    expect(str(a.read())).toBe('defghijk');
  });

  it('out_of_order_data_does_not_shrink_the_window', () => {
    const a = new Assembler(8);
    a.add(4, text('xy'));
    expect(a.window).toBe(8);
    expect(a.held).toBe(2);
  });

  it('reads_through_the_wrap_of_the_ring', () => {
    const a = new Assembler(5);
    let stream = '';
    let got = '';
    for (let i = 0; i < 40; i++) {
      const chunk = String.fromCharCode(97 + (i % 26)).repeat(1 + (i % 4));
      stream += chunk;
      // Deliver the chunk out of order: its second half first.
      const half = chunk.length >> 1;
      a.add(half, text(chunk.slice(half)));
      a.add(0, text(chunk.slice(0, half)));
      got += str(a.read(2 + (i % 3)));
      got += str(a.read());
    }
    expect(got).toBe(stream);
  });

  it('read_into_a_caller_buffer_copies_what_fits', () => {
    const a = new Assembler(16);
    a.add(0, text('abcdef'));
    const out = new Uint8Array(4);
    expect(a.read(out)).toBe(4);
    expect(str(out)).toBe('abcd');
    const big = new Uint8Array(10).fill(0x2e);
    expect(a.readInto(big, 3, 10)).toBe(2);
    expect(str(big)).toBe('...ef.....');
    expect(a.read(out)).toBe(0);
    expect(a.read(0).length).toBe(0);
  });
});

describe('Assembler: bounded block table', () => {
  it('drops_new_data_beyond_every_block_when_the_table_is_full', () => {
    const a = new Assembler(64, { maxBlocks: 2 });
    a.add(2, text('c'));
    a.add(6, text('g'));
    expect(a.add(10, text('kl'))).toBe(0);
    expect(report(a)).toEqual({ ...none, dropped: 2 });
    expect(a.blocks(0)).toEqual([[2, 3], [6, 7]]);
  });

  it('evicts_the_farthest_block_for_a_nearer_one', () => {
    const a = new Assembler(64, { maxBlocks: 2 });
    a.add(2, text('c'));
    a.add(6, text('gh'));
    expect(a.add(4, text('e'))).toBe(0);
    expect(report(a)).toEqual({ ...none, stored: 1, evicted: 2 });
    expect(a.blocks(0)).toEqual([[2, 3], [4, 5]]);
    expect(a.totals.evicted).toBe(2);
  });

  it('data_joining_a_block_needs_no_slot_when_the_table_is_full', () => {
    const a = new Assembler(64, { maxBlocks: 2 });
    a.add(2, text('c'));
    a.add(6, text('g'));
    a.add(7, text('h'));
    a.add(3, text('d'));
    expect(a.blocks(0)).toEqual([[2, 4], [6, 8]]);
    expect(a.totals.dropped + a.totals.evicted).toBe(0);
  });

  it('in_order_data_is_always_taken_when_the_table_is_full', () => {
    const a = new Assembler(64, { maxBlocks: 1 });
    a.add(2, text('c'));
    expect(a.add(0, text('a'))).toBe(1);
    expect(a.add(0, text('b'))).toBe(2);
    expect(str(a.read())).toBe('abc');
  });
});

describe('Assembler: SACK blocks (RFC 2018)', () => {
  // RFC 2018 5: left window edge 5000, a burst of 8 segments of 500 bytes each.
  const SEG = 500;
  const seg = (seq: number) => new Uint8Array(SEG).fill(seq / SEG);
  function receiver() {
    const a = new Assembler(8192);
    let rcvNxt = 5000;
    return {
      a,
      deliver(seq: number) {
        rcvNxt = seqAdd(rcvNxt, a.add(seqDiff(seq, rcvNxt), seg(seq)));
        return { ack: rcvNxt, sack: a.sackBlocks(rcvNxt) };
      },
    };
  }

  it('rfc2018_example_first_segment_lost', () => {
    const r = receiver();
    expect(r.deliver(5500)).toEqual({ ack: 5000, sack: [[5500, 6000]] });
    expect(r.deliver(6000)).toEqual({ ack: 5000, sack: [[5500, 6500]] });
    expect(r.deliver(6500)).toEqual({ ack: 5000, sack: [[5500, 7000]] });
    expect(r.deliver(7000)).toEqual({ ack: 5000, sack: [[5500, 7500]] });
    expect(r.deliver(7500)).toEqual({ ack: 5000, sack: [[5500, 8000]] });
    expect(r.deliver(8000)).toEqual({ ack: 5000, sack: [[5500, 8500]] });
    expect(r.deliver(8500)).toEqual({ ack: 5000, sack: [[5500, 9000]] });
    expect(r.deliver(5000)).toEqual({ ack: 9000, sack: [] });
  });

  it('rfc2018_example_every_other_segment_lost', () => {
    const r = receiver();
    expect(r.deliver(5000)).toEqual({ ack: 5500, sack: [] });
    expect(r.deliver(6000)).toEqual({ ack: 5500, sack: [[6000, 6500]] });
    expect(r.deliver(7000)).toEqual({ ack: 5500, sack: [[7000, 7500], [6000, 6500]] });
    expect(r.deliver(8000)).toEqual({ ack: 5500, sack: [[8000, 8500], [7000, 7500], [6000, 6500]] });
    // The 4th segment arrives out of order: its block comes first.
    expect(r.deliver(6500)).toEqual({ ack: 5500, sack: [[6000, 7500], [8000, 8500]] });
    // Then the 2nd: the ACK advances, and the remaining block is reported.
    expect(r.deliver(5500)).toEqual({ ack: 7500, sack: [[8000, 8500]] });
  });

  it('a_duplicate_of_an_older_block_moves_it_first', () => {
    const r = receiver();
    r.deliver(6000);
    r.deliver(7000);
    r.deliver(8000);
    expect(r.deliver(6000).sack).toEqual([[6000, 6500], [8000, 8500], [7000, 7500]]);
  });

  it('reports_at_most_max_blocks_the_most_recent_ones', () => {
    const a = new Assembler(8192);
    for (const off of [100, 300, 500, 700, 900]) a.add(off, new Uint8Array(50));
    expect(a.sackBlocks(0)).toEqual([[900, 950], [700, 750], [500, 550], [300, 350]]);
    // Three fit alongside the timestamps option.
    expect(a.sackBlocks(0, 3)).toEqual([[900, 950], [700, 750], [500, 550]]);
    expect(a.sackBlocks(0, 0)).toEqual([]);
    expect(a.blocks(0)).toEqual([[100, 150], [300, 350], [500, 550], [700, 750], [900, 950]]);
  });

  it('write_sack_blocks_fills_a_caller_array_without_overrunning_it', () => {
    const a = new Assembler(8192);
    a.add(10, new Uint8Array(5));
    a.add(30, new Uint8Array(5));
    const out = new Uint32Array(8);
    expect(a.writeSackBlocks(1000, out)).toBe(2);
    expect(Array.from(out.subarray(0, 4))).toEqual([1030, 1035, 1010, 1015]);
    const short = new Uint32Array(3);
    expect(a.writeSackBlocks(1000, short)).toBe(1);
    expect(Array.from(short)).toEqual([1030, 1035, 0]);
  });

  it('absolute_numbers_wrap_past_2_to_the_32', () => {
    const a = new Assembler(64);
    const rcvNxt = 0xffff_fffa;
    // A segment with sequence number 0xfffffffe and one with 4: both after the wrap point for RCV.NXT.
    a.add(seqDiff(0xffff_fffe, rcvNxt), text('wxyz')); // covers ...fffe to 2
    a.add(seqDiff(4, rcvNxt), text('AB'));
    expect(a.sackBlocks(rcvNxt)).toEqual([[4, 6], [0xffff_fffe, 2]]);
    expect(a.blocks(rcvNxt)).toEqual([[0xffff_fffe, 2], [4, 6]]);
    expect(a.holes(rcvNxt)).toEqual([[0xffff_fffa, 0xffff_fffe], [2, 4]]);
    const advanced = a.add(0, text('stuv'));
    expect(advanced).toBe(8);
    const next = seqAdd(rcvNxt, advanced);
    expect(next).toBe(2);
    expect(a.sackBlocks(next)).toEqual([[4, 6]]);
    expect(a.holes(next)).toEqual([[2, 4]]);
    expect(str(a.read())).toBe('stuvwxyz');
  });
});

describe('Assembler: bookkeeping', () => {
  it('totals_add_up_over_calls', () => {
    const a = new Assembler(8);
    a.add(0, text('ab'));
    a.add(-1, text('bc'));
    a.add(3, text('ghij')); // stream bytes 6..10 of a buffer of 8: two fit
    expect(a.totals).toEqual({ advanced: 3, stored: 5, duplicate: 1, beyondWindow: 2, dropped: 0, evicted: 0 });
  });

  it('reset_empties_it', () => {
    const a = new Assembler(8);
    a.add(0, text('ab'));
    a.add(4, text('ef'));
    a.reset();
    expect([a.readable, a.window, a.blockCount, a.held]).toEqual([0, 8, 0, 0]);
    expect(a.add(0, text('x'))).toBe(1);
    expect(str(a.read())).toBe('x');
  });

  it('rejects_bad_sizes', () => {
    expect(() => new Assembler(0)).toThrow(RangeError);
    expect(() => new Assembler(8, { maxBlocks: 0 })).toThrow(/maxBlocks/);
  });
});

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invariant broken: ${what}`);
}

describe('Assembler: property', () => {
  it('any_order_with_duplicates_and_overlaps_reads_back_exactly_the_stream_within_capacity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(0xffff_ffff),
        fc.integer({ min: 1, max: 0x7fff_ffff }),
        (streamLength, capacity, maxBlocks, isn, seed) => {
          const rng = new Rng(seed);
          const stream = rng.fill(new Uint8Array(streamLength));
          const a = new Assembler(capacity, { maxBlocks });
          // The segments: a covering of the stream plus random overlapping pieces and duplicates.
          const segments: Array<[number, number]> = [];
          for (let at = 0; at < stream.length; ) {
            const len = rng.range(1, 40);
            segments.push([at, Math.min(stream.length, at + len)]);
            at += len;
          }
          const extra = rng.int(segments.length + 1);
          for (let k = 0; k < extra; k++) {
            if (rng.chance(0.5)) segments.push(segments[rng.int(segments.length)]);
            else {
              const from = rng.int(stream.length);
              segments.push([from, Math.min(stream.length, from + rng.range(1, 60))]);
            }
          }

          let rcvNxt = isn;
          const got: number[] = [];
          const readSome = (max: number) => {
            const before = a.window;
            const chunk = a.read(max);
            for (const byte of chunk) got.push(byte);
            check(a.window === before + chunk.length, 'reading reopens the window');
          };
          // Like a sender, keep resending whatever is not yet acknowledged until all of it is.
          for (let round = 0; seqLt(rcvNxt, seqAdd(isn, stream.length)); round++) {
            check(round < 100_000, 'the transfer finishes');
            for (let k = segments.length - 1; k > 0; k--) {
              const q = rng.int(k + 1);
              [segments[k], segments[q]] = [segments[q], segments[k]];
            }
            for (const [from, to] of segments) {
              const seq = seqAdd(isn, from);
              if (seqLe(seqAdd(seq, to - from), rcvNxt) && !rng.chance(0.1)) continue; // mostly skip what is ACKed
              const advanced = a.add(seqDiff(seq, rcvNxt), stream.subarray(from, to));
              rcvNxt = seqAdd(rcvNxt, advanced);
              const r = a.lastAdd;
              // Plain checks here: expect() per add would dominate the run time.
              check(r.stored + r.duplicate + r.beyondWindow + r.dropped === to - from, 'every byte of a segment is accounted for');
              // Memory stays within the buffer; the window is what the buffer does not hold in order.
              check(a.held <= capacity, 'held within capacity');
              check(a.readable + a.window === capacity, 'readable + window = capacity');
              check(a.blockCount <= maxBlocks, 'blocks within maxBlocks');
              // SACK blocks lie inside the window, after RCV.NXT; the blocks never overlap or touch.
              const sacks = a.sackBlocks(rcvNxt, 4);
              check(sacks.length === Math.min(4, a.blockCount), 'up to 4 SACK blocks');
              for (const [left, right] of sacks) {
                check(seqGt(left, rcvNxt) && seqGt(right, left) && seqLe(right, seqAdd(rcvNxt, a.window)), 'SACK block inside the window');
              }
              const sorted = a.blocks(rcvNxt);
              for (let k = 1; k < sorted.length; k++) check(seqLt(sorted[k - 1][1], sorted[k][0]), 'blocks sorted and apart');
              if (rng.chance(0.3)) readSome(rng.int(capacity + 1));
            }
            readSome(capacity);
          }
          readSome(capacity);
          expect(a.readable).toBe(0);
          expect(a.blockCount).toBe(0);
          expect(Uint8Array.from(got)).toEqual(stream);
          expect(a.totals.advanced).toBe(stream.length);
        },
      ),
      { seed: 2018, numRuns: 300 },
    );
  });
});
