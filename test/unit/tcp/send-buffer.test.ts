import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SendBuffer } from '../../../worker/transport/tcp/send-buffer';

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

function out(buf: SendBuffer, offset: number, len: number): number[] {
  const frame = new Uint8Array(len + 4).fill(0xee);
  const n = buf.copyOut(offset, len, frame, 2);
  // The bytes around the copied range are untouched.
  expect(frame[0]).toBe(0xee);
  expect(frame[1]).toBe(0xee);
  expect(Array.from(frame.subarray(2 + n))).toEqual(new Array(len + 2 - n).fill(0xee));
  return Array.from(frame.subarray(2, 2 + n));
}

describe('SendBuffer', () => {
  it('starts empty with all its capacity free', () => {
    const b = new SendBuffer(10);
    expect([b.length, b.free, b.capacity]).toEqual([0, 10, 10]);
  });

  it('write_accepts_what_fits_and_reports_it', () => {
    const b = new SendBuffer(10);
    expect(b.write(range(0, 4))).toBe(4);
    expect(b.write(range(4, 4))).toBe(4);
    expect([b.length, b.free]).toEqual([8, 2]);
    expect(out(b, 0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('write_when_full_takes_nothing_backpressure', () => {
    const b = new SendBuffer(5);
    expect(b.write(range(0, 8))).toBe(5);
    expect(b.free).toBe(0);
    expect(b.write(range(8, 3))).toBe(0);
    expect(out(b, 0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(b.write(new Uint8Array(0))).toBe(0);
  });

  it('ack_frees_space_from_the_front', () => {
    const b = new SendBuffer(6);
    b.write(range(0, 6));
    expect(b.ackTo(4)).toBe(4);
    expect([b.length, b.free]).toEqual([2, 4]);
    expect(out(b, 0, 2)).toEqual([4, 5]);
  });

  it('wraps_around_the_end_of_the_ring', () => {
    const b = new SendBuffer(8);
    b.write(range(0, 6));
    b.ackTo(4); // bytes 4, 5 at ring indexes 4, 5
    expect(b.write(range(6, 6))).toBe(6); // ring indexes 6, 7, 0, 1, 2, 3
    expect(b.length).toBe(8);
    expect(out(b, 0, 8)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // A segment straddling the wrap, and one entirely after it.
    expect(out(b, 3, 3)).toEqual([7, 8, 9]);
    expect(out(b, 5, 3)).toEqual([9, 10, 11]);
  });

  it('wraps_with_copies_long_enough_to_use_the_bulk_path', () => {
    const b = new SendBuffer(1000); // not a power of two
    b.write(range(0, 900));
    b.ackTo(700);
    expect(b.write(range(900, 800))).toBe(800);
    expect(out(b, 0, 1000)).toEqual(Array.from(range(700, 1000)));
    expect(out(b, 250, 100)).toEqual(Array.from(range(950, 100)));
  });

  it('copy_out_clips_to_what_is_held', () => {
    const b = new SendBuffer(8);
    b.write(range(0, 5));
    expect(out(b, 3, 10)).toEqual([3, 4]);
    expect(out(b, 5, 3)).toEqual([]);
    expect(out(b, -1, 3)).toEqual([]);
    expect(out(b, 0, 0)).toEqual([]);
  });

  it('copy_out_does_not_consume', () => {
    const b = new SendBuffer(4);
    b.write(bytes(9, 8, 7));
    expect(out(b, 0, 3)).toEqual([9, 8, 7]);
    expect(out(b, 0, 3)).toEqual([9, 8, 7]); // a retransmission reads the same bytes
    expect(b.length).toBe(3);
  });

  it('ack_beyond_what_is_held_drops_everything_and_says_how_much', () => {
    const b = new SendBuffer(4);
    b.write(bytes(1, 2, 3));
    expect(b.ackTo(10)).toBe(3);
    expect(b.length).toBe(0);
    expect(b.ackTo(-2)).toBe(0);
    expect(b.write(bytes(4, 5, 6, 7))).toBe(4);
    expect(out(b, 0, 4)).toEqual([4, 5, 6, 7]);
  });

  it('clear_empties_it', () => {
    const b = new SendBuffer(4);
    b.write(bytes(1, 2, 3));
    b.clear();
    expect([b.length, b.free]).toEqual([0, 4]);
    expect(out(b, 0, 3)).toEqual([]);
  });

  it('rejects_a_capacity_that_is_not_a_positive_whole_number', () => {
    expect(() => new SendBuffer(0)).toThrow(RangeError);
    expect(() => new SendBuffer(1.5)).toThrow(/positive whole number/);
  });

  it('behaves_like_an_array_for_any_sequence_of_writes_acks_and_copies', () => {
    type Op = { kind: 'write'; data: Uint8Array } | { kind: 'ack'; n: number } | { kind: 'copy'; offset: number; len: number } | { kind: 'clear' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 70, size: 'max' }).map((data) => ({ kind: 'write' as const, data })) },
      { weight: 3, arbitrary: fc.nat(80).map((n) => ({ kind: 'ack' as const, n })) },
      { weight: 4, arbitrary: fc.record({ offset: fc.integer({ min: -2, max: 80 }), len: fc.nat(80) }).map((r) => ({ kind: 'copy' as const, ...r })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.array(op, { maxLength: 60, size: 'max' }), (capacity, ops) => {
        const b = new SendBuffer(capacity);
        let model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'write') {
            const n = b.write(o.data);
            const expected = Math.min(o.data.length, capacity - model.length);
            expect(n).toBe(expected);
            model.push(...o.data.subarray(0, expected));
          } else if (o.kind === 'ack') {
            expect(b.ackTo(o.n)).toBe(Math.min(o.n, model.length));
            model = model.slice(o.n);
          } else if (o.kind === 'copy') {
            const expected = o.offset < 0 ? [] : model.slice(o.offset, o.offset + o.len);
            expect(out(b, o.offset, o.len)).toEqual(expected);
          } else {
            b.clear();
            model = [];
          }
          expect(b.length).toBe(model.length);
          expect(b.free).toBe(capacity - model.length);
        }
        expect(out(b, 0, capacity)).toEqual(model);
      }),
      { seed: 9293, numRuns: 500 },
    );
  });
});
