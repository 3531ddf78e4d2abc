/**
 * What HTTP/1.1 message parsing shares: typed errors, limits, and the field-line
 * grammar (RFC 9112 5) used for header and trailer sections alike.
 */

import { isToken, type HeaderField } from './fields';

const SP = 32;
const HTAB = 9;

export type HttpErrorCode =
  | 'bad-request-line'
  | 'bad-status-line'
  | 'bad-method'
  | 'bad-target'
  | 'uri-too-long'
  | 'bad-version'
  | 'version-not-supported'
  | 'bare-lf'
  | 'bare-cr'
  | 'nul'
  | 'obs-fold'
  | 'no-colon'
  | 'space-before-colon'
  | 'bad-field-name'
  | 'bad-field-value'
  | 'headers-too-large'
  | 'too-many-headers'
  | 'missing-host'
  | 'duplicate-host'
  | 'bad-host'
  | 'bad-content-length'
  | 'duplicate-content-length'
  | 'conflicting-content-length'
  | 'content-length-and-transfer-encoding'
  | 'transfer-encoding-in-http10'
  | 'bad-transfer-encoding'
  | 'unsupported-transfer-coding'
  | 'unsupported-expectation'
  | 'unsupported-upgrade'
  | 'bad-chunk-size'
  | 'chunk-size-too-large'
  | 'bad-chunk-extension'
  | 'bad-chunk-end'
  | 'bad-trailer'
  | 'body-too-large'
  | 'unexpected-eof';

export interface HttpParseError {
  readonly code: HttpErrorCode;
  /** The status a server answers with (400, 413, 414, 417, 431, 501, 505). */
  readonly status: number;
  /** A sentence for people: what was wrong with the message. */
  readonly detail: string;
}

export interface HttpLimits {
  /** Longest request-line or status-line (without CRLF); longer → 414 URI Too Long (RFC 9112 3). */
  maxStartLine: number;
  /** Largest header section (field lines with their CRLFs) → 431 (RFC 6585 5). */
  maxHeaderBytes: number;
  /** Most field lines → 431. */
  maxHeaderCount: number;
  /** Largest body → 413 Content Too Large (RFC 9110 15.5.14). */
  maxBodyBytes: number;
  /** Longest chunk-size line with its extensions. */
  maxChunkLine: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxStartLine: 8192,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 1024 * 1024,
  maxChunkLine: 1024,
};

export function parseError(code: HttpErrorCode, status: number, detail: string): HttpParseError {
  return { code, status, detail };
}

/** One field line: field-name ":" OWS field-value OWS (RFC 9112 5). */
export function parseFieldLine(line: string): HeaderField | HttpParseError {
  const first = line.charCodeAt(0);
  if (first === SP || first === HTAB) {
    // RFC 9112 5.2: obs-fold is rejected with 400 by a server that does not unfold.
    return parseError('obs-fold', 400, 'A header line starts with whitespace (obs-fold, a line folded onto the previous one), which HTTP/1.1 no longer allows (RFC 9112 5.2).');
  }
  const colon = line.indexOf(':');
  if (colon < 0) return parseError('no-colon', 400, `The header line "${clip(line)}" has no colon; a field is "Name: value" (RFC 9112 5).`);
  const name = line.slice(0, colon);
  if (name.length > 0 && /[ \t]$/.test(name)) {
    // RFC 9112 5.1: whitespace between field name and colon → 400.
    return parseError('space-before-colon', 400, `The header "${clip(name.trimEnd())}" has whitespace before its colon, which RFC 9112 5.1 forbids.`);
  }
  if (!isToken(name)) return parseError('bad-field-name', 400, `"${clip(name)}" is not a valid header field name (RFC 9110 5.1).`);
  let start = colon + 1;
  let end = line.length;
  while (start < end && isOws(line.charCodeAt(start))) start++;
  while (end > start && isOws(line.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    // RFC 9110 5.5: field-vchar = VCHAR / obs-text, with SP and HTAB inside.
    if ((c < 0x20 && c !== HTAB) || c === 0x7f) return parseError('bad-field-value', 400, `The value of "${clip(name)}" contains a control character (RFC 9110 5.5).`);
  }
  return [name, line.slice(start, end)];
}


function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Shortens untrusted text quoted in an error sentence. */
export function clip(s: string, max = 40): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
