/** The bulk pattern filled a word at a time is the same pattern, byte for byte, from any offset and length. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fillPattern, patternByte } from '../../worker/apps/bulk';

describe('fillPattern', () => {
  it('equals patternByte at every position, for any seed, offset and length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 37 }), (seed, offset, len) => {
        const out = new Uint8Array(len);
        fillPattern(seed, offset, out);
        expect(Array.from(out)).toEqual(Array.from({ length: len }, (_, i) => patternByte(seed, offset + i)));
      }),
    );
  });
});
