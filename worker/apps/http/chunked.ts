/**
 * The chunked transfer coding (RFC 9112 7.1): an incremental decoder and the
 * encoder's framing.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *
 * Chunk extensions are checked for syntax and ignored (7.1.1); trailer fields
 * are parsed like header fields and handed over (7.1.2). Sizes are bounded by
 * the body limit, so a 40-digit chunk size is an error, not a float.
 */

import { parseError, parseFieldLine, clip, type HttpLimits, type HttpParseError } from './syntax';
import type { HeaderField } from './fields';

export interface ChunkedSink {
  chunkData(data: Uint8Array): void;
  chunkedEnd(trailers: HeaderField[]): void;
  chunkedError(error: HttpParseError): void;
}

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

const CR = 13;
const LF = 10;

/** chunk-ext after the size: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) (RFC 9112 7.1.1). */
const CHUNK_EXT = /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*[ \t]*$/;

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private total = 0;
  private trailerBytes = 0;
  private trailers: HeaderField[] = [];

  constructor(
    private readonly sink: ChunkedSink,
    private readonly limits: HttpLimits,
  ) {}

  reset(): void {
    this.state = 'size';
    this.line = '';
    this.remaining = 0;
    this.total = 0;
    this.trailerBytes = 0;
    this.trailers = [];
  }

  /** Consumes bytes from `start`; returns the index after the last byte it consumed (it stops after the body ends). */
  push(chunk: Uint8Array, start: number): number {
    let i = start;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          this.sink.chunkData(chunk.subarray(i, i + take));
          i += take;
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
        case 'data-lf': {
          const want = this.state === 'data-cr' ? CR : LF;
          if (chunk[i] !== want) {
            this.state = 'done';
            this.sink.chunkedError(parseError('bad-chunk-end', 400, 'A chunk is longer than its chunk-size said, or its data is not followed by CRLF (RFC 9112 7.1).'));
            return n;
          }
          i++;
          this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
          break;
        }
        case 'size':
        case 'trailer': {
          const b = chunk[i++]!;
          if (b === LF) {
            if (!this.line.endsWith('\r')) return this.error(parseError('bare-lf', 400, 'A line of the chunked body ends with a bare LF instead of CRLF (RFC 9112 2.2).'), n);
            const text = this.line.slice(0, -1);
            this.line = '';
            const r = this.state === 'size' ? this.sizeLine(text) : this.trailerLine(text);
            if (r) return this.error(r, n);
            if ((this.state as State) === 'done') return i;
            break;
          }
          if (b === 0) return this.error(parseError('nul', 400, 'The chunked body contains a NUL byte where a chunk-size or trailer line belongs.'), n);
          if (this.line.endsWith('\r')) return this.error(parseError('bare-cr', 400, 'A line of the chunked body contains a CR that is not followed by LF (RFC 9112 2.2).'), n);
          this.line += String.fromCharCode(b);
          if (this.state === 'size' && this.line.length > this.limits.maxChunkLine) {
            return this.error(parseError('bad-chunk-extension', 400, `A chunk-size line is longer than ${this.limits.maxChunkLine} bytes.`), n);
          }
          if (this.state === 'trailer' && this.trailerBytes + this.line.length > this.limits.maxHeaderBytes) {
            return this.error(parseError('headers-too-large', 431, `The trailer section is larger than ${this.limits.maxHeaderBytes} bytes.`), n);
          }
          break;
        }
        case 'done':
          return i;
      }
    }
    return i;
  }

  private error(e: HttpParseError, n: number): number {
    this.state = 'done';
    this.sink.chunkedError(e);
    return n;
  }

  private sizeLine(text: string): HttpParseError | undefined {
    const m = /^([0-9A-Fa-f]+)(.*)$/s.exec(text);
    if (!m) return parseError('bad-chunk-size', 400, `"${clip(text)}" is not a chunk size; it must be hexadecimal digits (RFC 9112 7.1).`);
    const digits = m[1]!.replace(/^0+(?=[0-9A-Fa-f])/, '');
    const room = this.limits.maxBodyBytes - this.total;
    if (digits.length > 12 || parseInt(digits, 16) > room) {
      return parseError('chunk-size-too-large', 413, `A chunk of 0x${clip(digits, 16)} bytes would take the body past the ${this.limits.maxBodyBytes}-byte limit.`);
    }
    if (!CHUNK_EXT.test(m[2]!)) return parseError('bad-chunk-extension', 400, `The chunk extension "${clip(m[2]!)}" is malformed (RFC 9112 7.1.1).`);
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.state = 'trailer';
      return undefined;
    }
    this.total += size;
    this.remaining = size;
    this.state = 'data';
    return undefined;
  }

  private trailerLine(text: string): HttpParseError | undefined {
    if (text === '') {
      this.state = 'done';
      this.sink.chunkedEnd(this.trailers);
      return undefined;
    }
    this.trailerBytes += text.length + 2;
    if (this.trailers.length >= this.limits.maxHeaderCount) return parseError('too-many-headers', 431, `The trailer section has more than ${this.limits.maxHeaderCount} fields.`);
    const r = parseFieldLine(text);
    if ('code' in r) return { ...r, code: r.code === 'obs-fold' ? r.code : 'bad-trailer' };
    this.trailers.push(r);
    return undefined;
  }
}

/** The line that starts a chunk of `size` bytes. */
export function chunkHeader(size: number): string {
  return `${size.toString(16)}\r\n`;
}

/** last-chunk, trailer fields and the final CRLF. */
export function lastChunk(trailers: readonly HeaderField[] = []): string {
  let s = '0\r\n';
  for (const [n, v] of trailers) s += `${n}: ${v}\r\n`;
  return `${s}\r\n`;
}
