/**
 * An incremental, strict HTTP/1.1 message parser (RFC 9112) for requests and
 * responses, and the serialisers for message heads.
 *
 * Bytes arrive in whatever pieces TCP delivers; `push(chunk)` consumes them all
 * and calls the handlers: `onHead` once the header section is complete,
 * `onData` for body bytes (views into the pushed chunk: copy them to keep them
 * past the call), `onEnd` when the message is complete (with trailers), and
 * `onError` once, after which the parser is dead: HTTP/1.1 framing cannot be
 * resynchronised, so the connection must close (RFC 9112 9.6). Several
 * messages back to back (pipelining, keep-alive) are parsed one after another.
 *
 * Strict on purpose, because lenient parsers are how request smuggling works:
 * CRLF only (no bare LF or CR), no obs-fold, no whitespace before a colon,
 * one Content-Length, never both Content-Length and Transfer-Encoding, only
 * the chunked transfer coding. Nothing here throws on input; every error names
 * what was wrong and the status a server should answer with.
 */

import { countField, fieldTokens, getField, isToken, type HeaderField } from './fields';
import { ChunkedDecoder, type ChunkedSink } from './chunked';
import { DEFAULT_LIMITS, clip, parseError, parseFieldLine, type HttpLimits, type HttpParseError } from './syntax';

export { DEFAULT_LIMITS, type HttpErrorCode, type HttpLimits, type HttpParseError } from './syntax';

export type HttpVersion = '1.0' | '1.1';

/** How the body's end is found (RFC 9112 6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: HttpVersion;
  readonly headers: HeaderField[];
  readonly framing: BodyFraming;
  /** Whether the connection persists after this exchange (RFC 9112 9.3). */
  readonly keepAlive: boolean;
  /** Expect: 100-continue on an HTTP/1.1 request (RFC 9110 10.1.1). */
  readonly expectContinue: boolean;
  /** Bytes of the head on the wire, CRLFs included. */
  readonly headBytes: number;
}

export interface ResponseHead {
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderField[];
  readonly framing: BodyFraming;
  readonly keepAlive: boolean;
  readonly headBytes: number;
}

export interface ParserHandlers<H> {
  onHead(head: H): void;
  /** Body bytes: a view into the pushed chunk, valid during the call. */
  onData(data: Uint8Array): void;
  onEnd(trailers: HeaderField[]): void;
  onError(error: HttpParseError): void;
  /** A 1xx interim response (responses only), e.g. 100 Continue. */
  onInformational?(head: ResponseHead): void;
}

/** Methods this stack knows (RFC 9110 9.3, RFC 5789); any other token is answered with 501. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

const CR = 13;
const LF = 10;
const HTAB = 9;

type State = 'start' | 'head' | 'body-length' | 'until-close' | 'chunked' | 'dead';

/** At most this many empty lines before a request-line are skipped (RFC 9112 2.2: at least one). */
const MAX_LEADING_CRLF = 4;


abstract class MessageParser<H extends RequestHead | ResponseHead> implements ChunkedSink {
  protected state: State = 'start';
  private head = new Uint8Array(512);
  private headLen = 0;
  /** Offsets in `head` where each line starts; the last entry is the start of the line being read. */
  private lineStarts: number[] = [0];
  private leadingCrlf = 0;
  private remaining = 0;
  private bodySeen = 0;
  private readonly chunked: ChunkedDecoder;
  /** Messages parsed completely so far. */
  messages = 0;

  constructor(
    readonly limits: HttpLimits,
    protected readonly handlers: ParserHandlers<H>,
  ) {
    this.chunked = new ChunkedDecoder(this, limits);
  }

  get failed(): boolean {
    return this.state === 'dead';
  }

  /** True between messages: nothing of a next message has arrived. */
  get idle(): boolean {
    return this.state === 'start' && this.headLen === 0;
  }

  /** Consumes every byte of `chunk`, calling the handlers as messages take shape. */
  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'dead':
          return;
        case 'start':
        case 'head':
          i = this.pushHead(chunk, i);
          break;
        case 'body-length': {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          this.handlers.onData(chunk.subarray(i, i + take));
          i += take;
          if (this.remaining === 0) this.finish([]);
          break;
        }
        case 'until-close': {
          const take = n - i;
          this.bodySeen += take;
          if (this.bodySeen > this.limits.maxBodyBytes) return this.fail(tooLarge(this.limits.maxBodyBytes));
          this.handlers.onData(chunk.subarray(i));
          i = n;
          break;
        }
        case 'chunked':
          i = this.chunked.push(chunk, i);
          break;
      }
    }
  }

  /** The peer closed its side: ends a body delimited by the close, or reports a message cut short. */
  end(): void {
    switch (this.state) {
      case 'until-close':
        return this.finish([]);
      case 'start':
        if (this.headLen === 0) return;
        return this.fail(parseError('unexpected-eof', 400, 'The connection closed before the header section was complete.'));
      case 'head':
        return this.fail(parseError('unexpected-eof', 400, 'The connection closed before the header section was complete.'));
      case 'body-length':
        return this.fail(parseError('unexpected-eof', 400, `The connection closed ${this.remaining} bytes before the end of the body that Content-Length announced.`));
      case 'chunked':
        return this.fail(parseError('unexpected-eof', 400, 'The connection closed before the last chunk of a chunked body.'));
      case 'dead':
        return;
    }
  }

  // ---- ChunkedSink ----
  chunkData(data: Uint8Array): void {
    this.handlers.onData(data);
  }

  chunkedEnd(trailers: HeaderField[]): void {
    this.finish(trailers);
  }

  chunkedError(error: HttpParseError): void {
    this.fail(error);
  }

  protected fail(error: HttpParseError): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.handlers.onError(error);
  }

  private finish(trailers: HeaderField[]): void {
    this.state = 'start';
    this.messages++;
    this.handlers.onEnd(trailers);
  }

  /** Starts the body of the message just headed (or ends the message when it has none). */
  protected beginBody(framing: BodyFraming): void {
    switch (framing.kind) {
      case 'none':
        return this.finish([]);
      case 'length':
        if (framing.length === 0) return this.finish([]);
        this.remaining = framing.length;
        this.state = 'body-length';
        return;
      case 'chunked':
        this.chunked.reset();
        this.state = 'chunked';
        return;
      case 'until-close':
        this.bodySeen = 0;
        this.state = 'until-close';
        return;
    }
  }

  /** Reads head bytes; returns the index after what it consumed. */
  private pushHead(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const limits = this.limits;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (b === 0) {
        this.fail(parseError('nul', 400, 'The header section contains a NUL byte, which is never allowed in HTTP/1.1 (RFC 9110 5.5).'));
        return n;
      }
      const prev = this.headLen > 0 ? this.head[this.headLen - 1] : -1;
      if (prev === CR && b !== LF) {
        this.fail(parseError('bare-cr', 400, 'The header section contains a CR that is not followed by LF; lines must end with CRLF (RFC 9112 2.2).'));
        return n;
      }
      if (this.headLen === this.head.length) {
        const size = Math.min(this.head.length * 2, limits.maxStartLine + limits.maxHeaderBytes + 16);
        if (size <= this.head.length) {
          this.fail(parseError('headers-too-large', 431, `The header section is larger than ${limits.maxHeaderBytes} bytes.`));
          return n;
        }
        const bigger = new Uint8Array(size);
        bigger.set(this.head);
        this.head = bigger;
      }
      this.head[this.headLen++] = b;
      this.state = 'head';
      const lineStart = this.lineStarts[this.lineStarts.length - 1]!;
      if (b !== LF) {
        // Limits while the head grows, so a peer cannot make us buffer without end.
        if (this.lineStarts.length === 1) {
          if (this.headLen - 1 > limits.maxStartLine) {
            this.fail(this.startLineTooLong());
            return n;
          }
        } else if (this.headLen - this.lineStarts[1]! > limits.maxHeaderBytes) {
          this.fail(parseError('headers-too-large', 431, `The header section is larger than ${limits.maxHeaderBytes} bytes.`));
          return n;
        }
        continue;
      }
      if (prev !== CR) {
        this.fail(parseError('bare-lf', 400, 'A line ends with a bare LF; HTTP/1.1 lines must end with CRLF (RFC 9112 2.2).'));
        return n;
      }
      const lineEnd = this.headLen - 2; // without CRLF
      if (lineEnd === lineStart) {
        if (this.lineStarts.length === 1) {
          // An empty line before the start line (RFC 9112 2.2: a server SHOULD ignore at least one).
          if (this.isRequest && this.leadingCrlf < MAX_LEADING_CRLF) {
            this.leadingCrlf++;
            this.headLen = 0;
            this.state = 'start';
            continue;
          }
          this.fail(parseError(this.isRequest ? 'bad-request-line' : 'bad-status-line', 400, 'The message starts with an empty line instead of a start line.'));
          return n;
        }
        // The empty line that ends the header section.
        const consumed = i + 1;
        this.completeHead();
        return consumed;
      }
      if (this.lineStarts.length > limits.maxHeaderCount + 1) {
        this.fail(parseError('too-many-headers', 431, `The message has more than ${limits.maxHeaderCount} header fields.`));
        return n;
      }
      this.lineStarts.push(this.headLen);
    }
    return n;
  }

  private completeHead(): void {
    const headBytes = this.headLen;
    const lines: string[] = [];
    const starts = this.lineStarts;
    for (let k = 0; k < starts.length - 1; k++) lines.push(latin1(this.head, starts[k]!, starts[k + 1]! - 2));
    this.headLen = 0;
    this.lineStarts = [0];
    this.leadingCrlf = 0;
    if (this.head.length > 4096) this.head = new Uint8Array(512);
    const fields: HeaderField[] = [];
    for (let k = 1; k < lines.length; k++) {
      const r = parseFieldLine(lines[k]!);
      if ('code' in r) return this.fail(r);
      fields.push(r);
    }
    this.headComplete(lines[0]!, fields, headBytes);
  }

  protected abstract readonly isRequest: boolean;
  protected abstract startLineTooLong(): HttpParseError;
  protected abstract headComplete(startLine: string, fields: HeaderField[], headBytes: number): void;
}

/** Parses requests (a server's side of a connection). */
export class RequestParser extends MessageParser<RequestHead> {
  protected readonly isRequest = true;

  constructor(handlers: ParserHandlers<RequestHead>, limits: Partial<HttpLimits> = {}) {
    super({ ...DEFAULT_LIMITS, ...limits }, handlers);
  }

  protected startLineTooLong(): HttpParseError {
    return parseError('uri-too-long', 414, `The request-line is longer than ${this.limits.maxStartLine} bytes; the server refuses URIs that long (RFC 9112 3).`);
  }

  protected headComplete(startLine: string, fields: HeaderField[], headBytes: number): void {
    const r = parseRequestHead(startLine, fields, headBytes, this.limits);
    if ('code' in r) return this.fail(r);
    this.handlers.onHead(r);
    if (this.state !== 'dead') this.beginBody(r.framing);
  }
}

/** Parses responses (a client's side of a connection). Tell it each request's method first: a response to HEAD has no body. */
export class ResponseParser extends MessageParser<ResponseHead> {
  protected readonly isRequest = false;
  /** The method of the request the next response answers. */
  requestMethod = 'GET';

  constructor(handlers: ParserHandlers<ResponseHead>, limits: Partial<HttpLimits> = {}) {
    super({ ...DEFAULT_LIMITS, ...limits }, handlers);
  }

  protected startLineTooLong(): HttpParseError {
    return parseError('bad-status-line', 502, `The status-line is longer than ${this.limits.maxStartLine} bytes.`);
  }

  protected headComplete(startLine: string, fields: HeaderField[], headBytes: number): void {
    const r = parseResponseHead(startLine, fields, headBytes, this.requestMethod, this.limits);
    if ('code' in r) return this.fail(r);
    if (r.status >= 100 && r.status < 200) {
      // RFC 9110 15.2: interim responses precede the final one; 101 would switch protocols, which we never ask for.
      if (r.status === 101) return this.fail(parseError('unsupported-upgrade', 502, 'The server switched protocols (101) although the client never asked to upgrade.'));
      this.handlers.onInformational?.(r);
      return;
    }
    this.handlers.onHead(r);
    if (this.state !== 'dead') this.beginBody(r.framing);
  }
}

// ---------------- heads ----------------

const VERSION = /^HTTP\/(\d)\.(\d)$/;

function parseVersion(text: string, request: boolean): HttpVersion | HttpParseError {
  const m = VERSION.exec(text);
  if (!m) {
    return parseError(request ? 'bad-version' : 'bad-status-line', 400, `"${clip(text)}" is not an HTTP version; it must look like HTTP/1.1 (RFC 9112 2.3, case-sensitive).`);
  }
  // RFC 9110 2.5 / RFC 9112 2.3: any 1.x is spoken as 1.1; another major version is not ours.
  if (m[1] !== '1') return parseError('version-not-supported', 505, `HTTP/${m[1]}.${m[2]} is not supported here; this server speaks HTTP/1.1 over a plain TCP connection.`);
  return m[2] === '0' ? '1.0' : '1.1';
}

export function parseRequestHead(line: string, headers: HeaderField[], headBytes: number, limits: HttpLimits): RequestHead | HttpParseError {
  // RFC 9112 3: request-line = method SP request-target SP HTTP-version, single spaces.
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0 || sp2 === sp1 + 1) {
    return parseError('bad-request-line', 400, `The request-line "${clip(line)}" is not "METHOD target HTTP/1.1" with single spaces (RFC 9112 3).`);
  }
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const versionText = line.slice(sp2 + 1);
  if (!isToken(method)) return parseError('bad-method', 400, `The method "${clip(method)}" contains characters a method cannot have (RFC 9110 9.1).`);
  const version = parseVersion(versionText, true);
  if (typeof version !== 'string') return version;
  const targetError = checkTarget(method, target);
  if (targetError) return targetError;

  const hosts = countField(headers, 'host');
  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host, or with more than one.
  if (version === '1.1' && hosts === 0) return parseError('missing-host', 400, 'The HTTP/1.1 request has no Host header field, which HTTP/1.1 requires (RFC 9112 3.2).');
  if (hosts > 1) return parseError('duplicate-host', 400, 'The request has more than one Host header field (RFC 9112 3.2).');
  const host = getField(headers, 'host');
  if (host !== undefined && !HOST.test(host)) return parseError('bad-host', 400, `The Host value "${clip(host)}" is not a host name or address with an optional port (RFC 9110 7.2).`);

  const framing = requestFraming(version, headers, limits);
  if ('code' in framing) return framing;

  let expectContinue = false;
  const expect = getField(headers, 'expect');
  if (expect !== undefined && version === '1.1') {
    // RFC 9110 10.1.1: 100-continue is the only expectation; anything else → 417.
    if (expect.trim().toLowerCase() !== '100-continue') return parseError('unsupported-expectation', 417, `The expectation "${clip(expect)}" is not one this server can meet (only 100-continue is defined).`);
    expectContinue = framing.kind !== 'none';
  }
  return { method, target, version, headers, framing, keepAlive: keepAlive(version, headers), expectContinue, headBytes };
}

export function parseResponseHead(
  line: string,
  headers: HeaderField[],
  headBytes: number,
  requestMethod: string,
  limits: HttpLimits,
): ResponseHead | HttpParseError {
  // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
  // We also accept a missing final SP ("HTTP/1.1 204"), which several servers send.
  const m = /^(\S+) (\d{3})(?: (.*))?$/.exec(line);
  if (!m) return parseError('bad-status-line', 502, `The status-line "${clip(line)}" is not "HTTP/1.1 200 OK" (RFC 9112 4).`);
  const version = parseVersion(m[1]!, false);
  if (typeof version !== 'string') return { ...version, status: 502 };
  const status = Number(m[2]);
  if (status < 100) return parseError('bad-status-line', 502, `The status code ${m[2]} is not between 100 and 999 (RFC 9110 15).`);
  const reason = m[3] ?? '';
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c !== HTAB && (c < 0x20 || c === 0x7f)) return parseError('bad-status-line', 502, 'The reason phrase contains a control character (RFC 9112 4).');
  }
  const te = hasTransferEncoding(headers);
  const cl = countField(headers, 'content-length') > 0;
  let framing: BodyFraming | HttpParseError;
  // RFC 9112 6.3 rule 1: responses to HEAD, and 1xx, 204 and 304 responses, end at the header section.
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) framing = { kind: 'none' };
  else if (te && version === '1.0') framing = parseError('transfer-encoding-in-http10', 502, 'An HTTP/1.0 response has Transfer-Encoding, so its framing cannot be trusted (RFC 9112 6.1).');
  else if (te && cl) framing = parseError('content-length-and-transfer-encoding', 502, 'The response has both Content-Length and Transfer-Encoding, a sign of response splitting (RFC 9112 6.3).');
  else if (te) framing = chunkedFraming(headers, 502);
  else if (cl) framing = contentLengthFraming(headers, limits, 502);
  else framing = { kind: 'until-close' }; // RFC 9112 6.3 rule 8
  if ('code' in framing) return framing;
  const persistent = framing.kind !== 'until-close' && keepAlive(version, headers);
  return { version, status, reason, headers, framing, keepAlive: persistent, headBytes };
}

/** RFC 9112 6.3 for requests: TE chunked, else Content-Length, else no body (rule 7). */
function requestFraming(version: HttpVersion, headers: HeaderField[], limits: HttpLimits): BodyFraming | HttpParseError {
  const te = hasTransferEncoding(headers);
  const cl = countField(headers, 'content-length') > 0;
  if (te && version === '1.0') {
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    return parseError('transfer-encoding-in-http10', 400, 'An HTTP/1.0 request has Transfer-Encoding, which HTTP/1.0 does not have; its framing cannot be trusted (RFC 9112 6.1).');
  }
  if (te && cl) {
    // RFC 9112 6.3 rule 3: both at once is how request smuggling works; we refuse rather than guess.
    return parseError('content-length-and-transfer-encoding', 400, 'The request has both Content-Length and Transfer-Encoding; a request must use one or the other (RFC 9112 6.3).');
  }
  if (te) return chunkedFraming(headers, 400);
  if (cl) return contentLengthFraming(headers, limits, 400);
  return { kind: 'none' };
}

function hasTransferEncoding(headers: HeaderField[]): boolean {
  return countField(headers, 'transfer-encoding') > 0;
}

function chunkedFraming(headers: HeaderField[], status: number): BodyFraming | HttpParseError {
  const codings = fieldTokens(headers, 'transfer-encoding');
  if (codings.length === 0) return parseError('bad-transfer-encoding', status, 'Transfer-Encoding is empty.');
  const unknown = codings.find((c) => c !== 'chunked');
  // RFC 9112 6.1: a transfer coding the server does not understand → 501.
  if (unknown !== undefined) return parseError('unsupported-transfer-coding', status === 400 ? 501 : status, `The transfer coding "${clip(unknown)}" is not supported; only chunked is.`);
  // RFC 9112 6.1: chunked must not be applied more than once.
  if (codings.length > 1) return parseError('bad-transfer-encoding', status, 'Transfer-Encoding lists chunked more than once (RFC 9112 6.1).');
  return { kind: 'chunked' };
}

function contentLengthFraming(headers: HeaderField[], limits: HttpLimits, status: number): BodyFraming | HttpParseError {
  const values: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === 'content-length') for (const part of v.split(',')) values.push(part.trim());
  for (const v of values) {
    // RFC 9110 8.6: Content-Length = 1*DIGIT.
    if (!/^\d+$/.test(v)) return parseError('bad-content-length', status, `Content-Length "${clip(v)}" is not a decimal number (RFC 9110 8.6).`);
  }
  if (values.length > 1) {
    // RFC 9112 6.3 rule 5: differing values are unrecoverable; we refuse identical repeats too (strict).
    return values.every((v) => v === values[0])
      ? parseError('duplicate-content-length', status, 'Content-Length appears more than once; send it once.')
      : parseError('conflicting-content-length', status, `Content-Length appears with different values (${values.slice(0, 3).join(', ')}): the body's length cannot be known (RFC 9112 6.3).`);
  }
  const v = values[0]!;
  const digits = v.replace(/^0+(?=\d)/, '');
  if (digits.length > 15) return parseError('body-too-large', status === 400 ? 413 : status, `Content-Length ${clip(v)} is far larger than the ${limits.maxBodyBytes}-byte limit.`);
  const length = Number(digits);
  if (length > limits.maxBodyBytes) return { ...tooLarge(limits.maxBodyBytes), status: status === 400 ? 413 : status };
  return { kind: 'length', length };
}

function tooLarge(max: number): HttpParseError {
  return parseError('body-too-large', 413, `The body is larger than the ${max}-byte limit.`);
}

/** RFC 9112 9.3: close if asked; HTTP/1.1 persists by default, HTTP/1.0 only with keep-alive. */
export function keepAlive(version: HttpVersion, headers: readonly HeaderField[]): boolean {
  const tokens = fieldTokens(headers, 'connection');
  if (tokens.includes('close')) return false;
  return version === '1.1' || tokens.includes('keep-alive');
}

/** RFC 9112 3.2: origin-form, absolute-form, authority-form (CONNECT) or asterisk-form (OPTIONS). */
function checkTarget(method: string, target: string): HttpParseError | undefined {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return parseError('bad-target', 400, 'The request-target contains a control character or a byte outside ASCII; encode it with %XX (RFC 3986 2.1).');
  }
  if (target.startsWith('/')) return undefined;
  if (target === '*') return method === 'OPTIONS' ? undefined : parseError('bad-target', 400, 'Only OPTIONS may use "*" as its target (RFC 9112 3.2.4).');
  if (/^https?:\/\/[^/?#]+/i.test(target)) return undefined;
  if (method === 'CONNECT' && HOST.test(target)) return undefined;
  return parseError('bad-target', 400, `The request-target "${clip(target)}" is neither a path starting with "/" nor an absolute http:// URI (RFC 9112 3.2).`);
}

/** uri-host [ ":" port ]: a reg-name, an IPv4 address or an IP literal (RFC 3986 3.2.2). */
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=%]*|\[[0-9A-Fa-f:.]+\])(?::\d*)?$/;



function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  return s;
}


// ---------------- serialisers ----------------

/** Bytes of a string whose characters are all below 256 (header text): one byte each. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function fieldsText(headers: readonly HeaderField[]): string {
  let s = '';
  for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
  return s;
}

export function formatRequestHead(method: string, target: string, headers: readonly HeaderField[], version: HttpVersion = '1.1'): string {
  return `${method} ${target} HTTP/${version}\r\n${fieldsText(headers)}\r\n`;
}

export function formatResponseHead(status: number, reason: string, headers: readonly HeaderField[], version: HttpVersion = '1.1'): string {
  return `HTTP/${version} ${status} ${reason}\r\n${fieldsText(headers)}\r\n`;
}

/** RFC 9110 15: the reason phrases we send. */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a Teapot",
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};
