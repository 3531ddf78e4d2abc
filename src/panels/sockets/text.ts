/**
 * Bytes of a TCP stream as a person reads them in the console: UTF-8 text,
 * with everything that would be invisible or would mess up the transcript
 * (control characters, invalid bytes, bidi overrides) written as an escape
 * such as `\r`, `\x1b` or `\u{202e}`. Plain TypeScript, no runes.
 *
 * TCP is a byte stream: a multi-byte character can be split across two reads,
 * so the reader carries an incomplete sequence over to the next chunk.
 */

/** A run of text; `escaped` runs are shown in another style, so a literal backslash is not confused with one. */
export interface TextPiece {
  text: string;
  escaped: boolean;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 0: '\\0', 9: '\\t', 13: '\\r' };

const hex2 = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

/** Code points that print nothing or reorder what follows: shown as escapes. */
function invisible(cp: number): boolean {
  return (
    (cp >= 0x80 && cp <= 0x9f) || // C1 controls
    (cp >= 0x200b && cp <= 0x200f) || // zero-width characters, LRM/RLM
    (cp >= 0x2028 && cp <= 0x202e) || // line/paragraph separators, bidi embeddings and overrides
    (cp >= 0x2066 && cp <= 0x2069) || // bidi isolates
    cp === 0xfeff // byte order mark / zero-width no-break space
  );
}

/** How many bytes a UTF-8 sequence starting with `lead` has (0: not a valid lead byte). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Whether `b` may follow `lead` as the sequence's second byte (no overlongs, no surrogates, nothing past U+10FFFF). */
function validSecond(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/** Collects pieces, merging neighbours of the same kind. */
class Pieces {
  readonly out: TextPiece[] = [];

  add(text: string, escaped: boolean): void {
    const last = this.out[this.out.length - 1];
    if (last && last.escaped === escaped) last.text += text;
    else this.out.push({ text, escaped });
  }
}

/** A streaming UTF-8 reader: feed it chunks in order; `\n` stays a plain newline so the caller can cut lines. */
export class Utf8Reader {
  private carry: number[] = [];

  read(chunk: Uint8Array): TextPiece[] {
    const bytes = this.carry.length > 0 ? Uint8Array.from([...this.carry, ...chunk]) : chunk;
    this.carry = [];
    const pieces = new Pieces();
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i]!;
      if (b < 0x80) {
        if (b === 0x0a || (b >= 0x20 && b < 0x7f)) pieces.add(String.fromCharCode(b), false);
        else pieces.add(NAMED_ESCAPES[b] ?? hex2(b), true);
        i++;
        continue;
      }
      const len = sequenceLength(b);
      if (len === 0) {
        pieces.add(hex2(b), true);
        i++;
        continue;
      }
      // Check the continuation bytes that are here; a sequence cut by the chunk's end waits for the next chunk.
      let valid = 1;
      while (valid < len && i + valid < bytes.length) {
        const c = bytes[i + valid]!;
        if (valid === 1 ? !validSecond(b, c) : c < 0x80 || c > 0xbf) break;
        valid++;
      }
      if (valid < len && i + valid === bytes.length) {
        this.carry = Array.from(bytes.subarray(i));
        break;
      }
      if (valid < len) {
        // An invalid sequence: show its lead byte and start again at the next one (the WHATWG decoder's "maximal subpart", simplified).
        pieces.add(hex2(b), true);
        i++;
        continue;
      }
      let cp = b & (0xff >> (len + 1));
      for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
      if (invisible(cp)) pieces.add(`\\u{${cp.toString(16)}}`, true);
      else pieces.add(String.fromCodePoint(cp), false);
      i += len;
    }
    return pieces.out;
  }

  /** The stream ended: an incomplete sequence left over is shown byte by byte. */
  end(): TextPiece[] {
    const pieces = new Pieces();
    for (const b of this.carry) pieces.add(hex2(b), true);
    this.carry = [];
    return pieces.out;
  }
}

/** Decodes one whole message (not a stream) with the same rules. */
export function renderBytes(bytes: Uint8Array): TextPiece[] {
  const reader = new Utf8Reader();
  const pieces = reader.read(bytes);
  return [...pieces, ...reader.end()];
}

/**
 * Cuts pieces at their newlines: every complete line (without its `\n`), then
 * what follows the last newline (possibly empty: the next line, still open).
 */
export function splitLines(pieces: readonly TextPiece[]): { lines: TextPiece[][]; rest: TextPiece[] } {
  const lines: TextPiece[][] = [];
  let current: TextPiece[] = [];
  for (const p of pieces) {
    if (p.escaped) {
      current.push(p);
      continue;
    }
    const parts = p.text.split('\n');
    parts.forEach((part, k) => {
      if (k > 0) {
        lines.push(current);
        current = [];
      }
      if (part !== '') current.push({ text: part, escaped: false });
    });
  }
  return { lines, rest: current };
}

/** The pieces as one string, escapes included: what a test or a screen reader gets. */
export function piecesText(pieces: readonly TextPiece[]): string {
  return pieces.map((p) => p.text).join('');
}

/** Appends `more` to `pieces`, merging the seam. Returns a new array. */
export function joinPieces(pieces: readonly TextPiece[], more: readonly TextPiece[]): TextPiece[] {
  const out = pieces.map((p) => ({ ...p }));
  for (const p of more) {
    const last = out[out.length - 1];
    if (last && last.escaped === p.escaped) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}
