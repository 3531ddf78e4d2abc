import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RequestParser, ResponseParser, type RequestHead, type ResponseHead, type HttpLimits, type HttpParseError } from '../../../worker/apps/http/message';
import { latin1Bytes } from '../../../worker/apps/http/message';
import type { HeaderField } from '../../../worker/apps/http/fields';

interface Parsed<H> {
  heads: H[];
  bodies: string[];
  trailers: HeaderField[][];
  error?: HttpParseError;
  interim: number[];
}

function collect<H>(): { out: Parsed<H>; handlers: ConstructorParameters<typeof RequestParser>[0] } {
  const out: Parsed<H> = { heads: [], bodies: [], trailers: [], interim: [] };
  let body = '';
  const handlers = {
    onHead: (h: unknown) => {
      out.heads.push(h as H);
      body = '';
    },
    onData: (d: Uint8Array) => {
      body += String.fromCharCode(...d);
    },
    onEnd: (t: HeaderField[]) => {
      out.bodies.push(body);
      out.trailers.push(t);
    },
    onError: (e: HttpParseError) => {
      out.error = e;
    },
    onInformational: (h: ResponseHead) => out.interim.push(h.status),
  };
  return { out, handlers };
}

/** Parses requests, feeding the text in pieces of `step` bytes (default: all at once). */
function req(text: string, opts: { step?: number; limits?: Partial<HttpLimits>; eof?: boolean } = {}): Parsed<RequestHead> {
  const { out, handlers } = collect<RequestHead>();
  const p = new RequestParser(handlers, opts.limits);
  const bytes = latin1Bytes(text);
  const step = opts.step ?? bytes.length;
  for (let i = 0; i < bytes.length; i += Math.max(1, step)) p.push(bytes.subarray(i, i + Math.max(1, step)));
  if (opts.eof) p.end();
  return out;
}

function res(text: string, opts: { step?: number; method?: string; eof?: boolean; limits?: Partial<HttpLimits> } = {}): Parsed<ResponseHead> {
  const { out, handlers } = collect<ResponseHead>();
  const p = new ResponseParser(handlers as never, opts.limits);
  p.requestMethod = opts.method ?? 'GET';
  const bytes = latin1Bytes(text);
  const step = opts.step ?? bytes.length;
  for (let i = 0; i < bytes.length; i += Math.max(1, step)) p.push(bytes.subarray(i, i + Math.max(1, step)));
  if (opts.eof) p.end();
  return out;
}

const GET = 'GET /index.html HTTP/1.1\r\nHost: bob\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n';

describe('HTTP/1.1 request parsing', () => {
  it('parses a request line and fields, byte by byte as well as whole', () => {
    for (const step of [1, 3, 1000]) {
      const r = req(GET, { step });
      expect(r.error).toBeUndefined();
      expect(r.heads).toHaveLength(1);
      const h = r.heads[0]!;
      expect(h.method).toBe('GET');
      expect(h.target).toBe('/index.html');
      expect(h.version).toBe('1.1');
      expect(h.headers).toEqual([
        ['Host', 'bob'],
        ['User-Agent', 'curl/8.5.0'],
        ['Accept', '*/*'],
      ]);
      expect(h.keepAlive).toBe(true);
      expect(h.framing).toEqual({ kind: 'none' });
      expect(h.headBytes).toBe(GET.length);
      expect(r.bodies).toEqual(['']);
    }
  });

  it('trims optional whitespace around field values and keeps inner spaces', () => {
    const r = req('GET / HTTP/1.1\r\nHost:bob\r\nX-A: \t one  two \t\r\n\r\n');
    expect(r.heads[0]!.headers).toEqual([
      ['Host', 'bob'],
      ['X-A', 'one  two'],
    ]);
  });

  it('reads a Content-Length body and then a pipelined second request', () => {
    const text = 'POST /form HTTP/1.1\r\nHost: bob\r\nContent-Length: 5\r\n\r\nhello' + GET;
    for (const step of [1, 7, 1000]) {
      const r = req(text, { step });
      expect(r.error).toBeUndefined();
      expect(r.heads.map((h) => h.method)).toEqual(['POST', 'GET']);
      expect(r.bodies).toEqual(['hello', '']);
    }
  });

  it('decodes a chunked body with extensions and trailers', () => {
    const text = 'POST /up HTTP/1.1\r\nHost: bob\r\nTransfer-Encoding: chunked\r\n\r\n' + '5;name=value;q="a b"\r\nhello\r\n' + '6\r\n world\r\n' + '0\r\nChecksum: abc\r\n\r\n' + GET;
    for (const step of [1, 5, 1000]) {
      const r = req(text, { step });
      expect(r.error).toBeUndefined();
      expect(r.heads[0]!.framing).toEqual({ kind: 'chunked' });
      expect(r.bodies).toEqual(['hello world', '']);
      expect(r.trailers[0]).toEqual([['Checksum', 'abc']]);
      expect(r.heads).toHaveLength(2);
    }
  });

  it('skips an empty line before the request-line (RFC 9112 2.2)', () => {
    const r = req('\r\n' + GET);
    expect(r.error).toBeUndefined();
    expect(r.heads).toHaveLength(1);
  });

  it('HTTP/1.0: no Host needed, closes unless keep-alive is asked for', () => {
    expect(req('GET / HTTP/1.0\r\n\r\n').heads[0]!.keepAlive).toBe(false);
    expect(req('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').heads[0]!.keepAlive).toBe(true);
    expect(req('GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n').heads[0]!.keepAlive).toBe(false);
  });

  it('Expect: 100-continue is noted for a request with a body', () => {
    const r = req('PUT /x HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    expect(r.heads[0]!.expectContinue).toBe(true);
    expect(r.bodies).toEqual([]); // still waiting for the body
  });

  it('accepts OPTIONS * and absolute-form targets', () => {
    expect(req('OPTIONS * HTTP/1.1\r\nHost: b\r\n\r\n').error).toBeUndefined();
    expect(req('GET http://bob/x HTTP/1.1\r\nHost: bob\r\n\r\n').error).toBeUndefined();
  });

  // Malformed and hostile requests: each is refused with a named reason and the status a server sends.
  const bad: [string, string, string, number][] = [
    ['bare LF line ends', 'GET / HTTP/1.1\nHost: b\n\n', 'bare-lf', 400],
    ['bare CR inside a line', 'GET / HTTP/1.1\r\nHost: b\rX\r\n\r\n', 'bare-cr', 400],
    ['NUL in a field value', 'GET / HTTP/1.1\r\nHost: b\r\nX: a\0b\r\n\r\n', 'nul', 400],
    ['header without colon', 'GET / HTTP/1.1\r\nHost: b\r\nNoColonHere\r\n\r\n', 'no-colon', 400],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : b\r\n\r\n', 'space-before-colon', 400],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: b\r\nX-Long: a\r\n  continued\r\n\r\n', 'obs-fold', 400],
    ['bad field name', 'GET / HTTP/1.1\r\nHost: b\r\nBad(Name): x\r\n\r\n', 'bad-field-name', 400],
    ['control char in value', 'GET / HTTP/1.1\r\nHost: b\r\nX: a\x01b\r\n\r\n', 'bad-field-value', 400],
    ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 'missing-host', 400],
    ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'duplicate-host', 400],
    ['Host with a path', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 'bad-host', 400],
    ['double space in request-line', 'GET  / HTTP/1.1\r\nHost: b\r\n\r\n', 'bad-request-line', 400],
    ['missing version', 'GET /\r\nHost: b\r\n\r\n', 'bad-request-line', 400],
    ['lower-case version', 'GET / http/1.1\r\nHost: b\r\n\r\n', 'bad-version', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: b\r\n\r\n', 'version-not-supported', 505],
    ['method with a slash', 'G/ET / HTTP/1.1\r\nHost: b\r\n\r\n', 'bad-method', 400],
    ['relative target', 'GET index.html HTTP/1.1\r\nHost: b\r\n\r\n', 'bad-target', 400],
    ['non-ASCII target', 'GET /\xe9 HTTP/1.1\r\nHost: b\r\n\r\n', 'bad-target', 400],
    ['asterisk for GET', 'GET * HTTP/1.1\r\nHost: b\r\n\r\n', 'bad-target', 400],
    ['duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 'duplicate-content-length', 400],
    ['conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 3, 4\r\n\r\nabc', 'conflicting-content-length', 400],
    ['signed Content-Length', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: +3\r\n\r\nabc', 'bad-content-length', 400],
    ['hex Content-Length', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 0x10\r\n\r\n', 'bad-content-length', 400],
    ['huge Content-Length', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 99999999999999999999999999\r\n\r\n', 'body-too-large', 413],
    ['CL and TE together', 'POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'content-length-and-transfer-encoding', 400],
    ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'transfer-encoding-in-http10', 400],
    ['TE gzip', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'unsupported-transfer-coding', 501],
    ['TE chunked twice', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 'bad-transfer-encoding', 400],
    ['TE with a smuggler\'s space', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding : chunked\r\n\r\n', 'space-before-colon', 400],
    ['bad chunk size', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'bad-chunk-size', 400],
    ['negative chunk size', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n', 'bad-chunk-size', 400],
    ['huge chunk size', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n', 'chunk-size-too-large', 413],
    ['chunk longer than its size', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n', 'bad-chunk-end', 400],
    ['bad chunk extension', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n3;=x\r\nabc\r\n', 'bad-chunk-extension', 400],
    ['bare LF after chunk size', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n', 'bare-lf', 400],
    ['malformed trailer', 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n', 'bad-trailer', 400],
    ['Expect something else', 'PUT / HTTP/1.1\r\nHost: b\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx', 'unsupported-expectation', 417],
    ['empty lines only', '\r\n\r\n\r\n\r\n\r\n\r\n', 'bad-request-line', 400],
  ];
  for (const [name, text, code, status] of bad) {
    it(`refuses ${name}: ${code} → ${status}`, () => {
      for (const step of [1, 1000]) {
        const r = req(text, { step });
        expect(r.error, `step ${step}`).toMatchObject({ code, status });
        expect(r.error!.detail.length).toBeGreaterThan(10);
      }
    });
  }

  it('a request-line over the limit is 414, found before the line ends', () => {
    const r = req(`GET /${'a'.repeat(100)}`, { limits: { maxStartLine: 64 } });
    expect(r.error).toMatchObject({ code: 'uri-too-long', status: 414 });
  });

  it('a header section over the limit is 431, found before it ends', () => {
    const r = req(`GET / HTTP/1.1\r\nHost: b\r\nX: ${'a'.repeat(300)}`, { limits: { maxHeaderBytes: 256 } });
    expect(r.error).toMatchObject({ code: 'headers-too-large', status: 431 });
    const many = 'GET / HTTP/1.1\r\nHost: b\r\n' + 'X: y\r\n'.repeat(20) + '\r\n';
    expect(req(many, { limits: { maxHeaderCount: 10 } }).error).toMatchObject({ code: 'too-many-headers', status: 431 });
  });

  it('a body over the limit is 413, by Content-Length or by chunks', () => {
    expect(req('POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 101\r\n\r\n', { limits: { maxBodyBytes: 100 } }).error).toMatchObject({ code: 'body-too-large', status: 413 });
    const chunks = 'POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n' + '32\r\n' + 'x'.repeat(50) + '\r\n' + '33\r\n';
    expect(req(chunks, { limits: { maxBodyBytes: 100 } }).error).toMatchObject({ code: 'chunk-size-too-large', status: 413 });
  });

  it('the connection closing mid-message is reported, between messages is not', () => {
    expect(req('POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 10\r\n\r\nabc', { eof: true }).error).toMatchObject({ code: 'unexpected-eof' });
    expect(req('GET / HTTP/1.1\r\nHo', { eof: true }).error).toMatchObject({ code: 'unexpected-eof' });
    expect(req(GET, { eof: true }).error).toBeUndefined();
  });

  it('after an error, nothing more is parsed', () => {
    const r = req('GET / HTTP/1.1\nHost: b\n\n' + GET);
    expect(r.error?.code).toBe('bare-lf');
    expect(r.heads).toHaveLength(0);
  });
});

describe('HTTP/1.1 response parsing', () => {
  it('parses a status line, Content-Length body and keep-alive', () => {
    const r = res('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi');
    expect(r.heads[0]).toMatchObject({ version: '1.1', status: 200, reason: 'OK', keepAlive: true, framing: { kind: 'length', length: 2 } });
    expect(r.bodies).toEqual(['hi']);
  });

  it('a body with neither length nor chunks runs until the connection closes (RFC 9112 6.3 rule 8)', () => {
    const r = res('HTTP/1.0 200 OK\r\n\r\nall of it', { eof: true, step: 4 });
    expect(r.heads[0]).toMatchObject({ framing: { kind: 'until-close' }, keepAlive: false });
    expect(r.bodies).toEqual(['all of it']);
  });

  it('HEAD, 204 and 304 responses have no body whatever the headers say', () => {
    expect(res('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', { method: 'HEAD' }).bodies).toEqual(['']);
    expect(res('HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n').bodies).toEqual(['']);
    expect(res('HTTP/1.1 204 No Content\r\n\r\n').bodies).toEqual(['']);
  });

  it('skips 100 Continue before the final response', () => {
    const r = res('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    expect(r.interim).toEqual([100]);
    expect(r.heads.map((h) => h.status)).toEqual([201]);
  });

  it('accepts a status line without reason phrase', () => {
    expect(res('HTTP/1.1 204\r\n\r\n').heads[0]).toMatchObject({ status: 204, reason: '' });
  });

  const bad: [string, string, string][] = [
    ['garbage', 'hello there\r\n\r\n', 'bad-status-line'],
    ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/2', 'HTTP/2.0 200 OK\r\n\r\n', 'version-not-supported'],
    ['CL and TE', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'content-length-and-transfer-encoding'],
    ['conflicting CL', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'conflicting-content-length'],
    ['bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', 'bare-lf'],
    ['101 without asking', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n', 'unsupported-upgrade'],
    ['body cut short', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 'unexpected-eof'],
  ];
  for (const [name, text, code] of bad) {
    it(`refuses ${name}: ${code}`, () => {
      expect(res(text, { eof: true }).error?.code).toBe(code);
    });
  }
});

describe('the parser never throws', () => {
  const seeds = [GET, 'POST /a HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'];

  it('on random bytes, fed in random pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
        for (const P of [RequestParser, ResponseParser]) {
          const { handlers } = collect<unknown>();
          const p = new P(handlers as never, { maxBodyBytes: 1000, maxHeaderBytes: 200, maxStartLine: 100 });
          for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
          p.end();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('on valid messages with bytes mutated, inserted or deleted', () => {
    const mutation = fc.record({ seed: fc.constantFrom(...seeds), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 6 }), step: fc.integer({ min: 1, max: 17 }) });
    fc.assert(
      fc.property(mutation, ({ seed, edits, step }) => {
        const bytes = Array.from(latin1Bytes(seed));
        for (const [at, value, op] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        const data = Uint8Array.from(bytes);
        for (const P of [RequestParser, ResponseParser]) {
          const { out, handlers } = collect<unknown>();
          const p = new P(handlers as never);
          for (let i = 0; i < data.length; i += step) p.push(data.subarray(i, i + step));
          p.end();
          // Errors always carry a code, a status and a sentence.
          if (out.error) expect(out.error.detail.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
