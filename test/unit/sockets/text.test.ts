/**
 * The console's view of a byte stream: UTF-8 text, with what would be
 * invisible or harmful on screen shown as escapes, across chunk boundaries.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { joinPieces, piecesText, renderBytes, splitLines, Utf8Reader, type TextPiece } from '../../../src/panels/sockets/text';

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);
/** Pieces as a compact string: escaped runs in brackets. */
const show = (pieces: readonly TextPiece[]) => pieces.map((p) => (p.escaped ? `[${p.text}]` : p.text)).join('');

describe('renderBytes', () => {
  it('passes printable ASCII and newlines through as one plain piece', () => {
    expect(renderBytes(utf8('hello, world\n'))).toEqual([{ text: 'hello, world\n', escaped: false }]);
  });

  it('decodes multi-byte UTF-8', () => {
    expect(show(renderBytes(utf8('你好 café 🙂')))).toBe('你好 café 🙂');
  });

  it('escapes control characters with their C names or hex', () => {
    expect(show(renderBytes(utf8('a\tb\r\n\0\x1b[1m\x7f')))).toBe('a[\\t]b[\\r]\n[\\0\\x1b][1m[\\x7f]');
  });

  it('escapes bytes that are not UTF-8, one by one, and keeps what follows', () => {
    expect(show(renderBytes(bytes(0x61, 0xff, 0xfe, 0x62)))).toBe('a[\\xff\\xfe]b');
    // A lone continuation byte, an overlong encoding of '/', a surrogate half (ED A0 80).
    expect(show(renderBytes(bytes(0x80)))).toBe('[\\x80]');
    expect(show(renderBytes(bytes(0xc0, 0xaf)))).toBe('[\\xc0\\xaf]');
    expect(show(renderBytes(bytes(0xed, 0xa0, 0x80)))).toBe('[\\xed\\xa0\\x80]');
  });

  it('escapes a sequence cut short by a non-continuation byte, then reads that byte normally', () => {
    expect(show(renderBytes(bytes(0xe4, 0xbd, 0x41)))).toBe('[\\xe4\\xbd]A');
  });

  it('escapes invisible and reordering code points (C1, zero-width, bidi overrides, BOM)', () => {
    expect(show(renderBytes(utf8('a\u0085b\u200bc\u202ed\ufeff')))).toBe('a[\\u{85}]b[\\u{200b}]c[\\u{202e}]d[\\u{feff}]');
  });
});

describe('Utf8Reader', () => {
  it('joins a character split across two chunks', () => {
    const r = new Utf8Reader();
    const [a, b] = [utf8('你'), utf8('好')];
    expect(show(r.read(bytes(a[0]!, a[1]!)))).toBe('');
    expect(show(r.read(bytes(a[2]!, b[0]!)))).toBe('你');
    expect(show(r.read(b.subarray(1)))).toBe('好');
    expect(r.end()).toEqual([]);
  });

  it('shows an incomplete character at the end of the stream as its bytes', () => {
    const r = new Utf8Reader();
    expect(show(r.read(bytes(0x61, 0xf0, 0x9f)))).toBe('a');
    expect(show(r.end())).toBe('[\\xf0\\x9f]');
  });

  it('gives the same text however the stream is cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(64), { maxLength: 6 }), (data, cuts) => {
        const whole = piecesText(renderBytes(data));
        const reader = new Utf8Reader();
        const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((x, y) => x - y);
        let out: TextPiece[] = [];
        let from = 0;
        for (const at of [...points, data.length]) {
          out = joinPieces(out, reader.read(data.subarray(from, at)));
          from = at;
        }
        out = joinPieces(out, reader.end());
        expect(piecesText(out)).toBe(whole);
      }),
    );
  });

  it('round-trips any valid text without escapes when it has no control or invisible characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, '');
        expect(piecesText(renderBytes(utf8(clean)))).toBe(clean);
      }),
    );
  });
});

describe('splitLines', () => {
  it('cuts at newlines and returns the unfinished rest', () => {
    const { lines, rest } = splitLines(renderBytes(utf8('one\ntwo\r\nthr')));
    expect(lines.map(show)).toEqual(['one', 'two[\\r]']);
    expect(show(rest)).toBe('thr');
  });

  it('keeps empty lines and gives an empty rest after a final newline', () => {
    const { lines, rest } = splitLines(renderBytes(utf8('\n\nx\n')));
    expect(lines.map(show)).toEqual(['', '', 'x']);
    expect(rest).toEqual([]);
  });
});
