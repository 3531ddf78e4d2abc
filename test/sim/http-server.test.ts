/**
 * The HTTP server over our TCP, spoken to byte by byte from a raw socket on
 * the other host (as curl or netcat would), on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../../worker/apps/http/server';
import { patternByte } from '../../worker/apps/bulk';
import { pair } from '../helpers/lan';

const BOB = parseIpv4('10.0.0.2')!;

function setup(opts: HttpServerOptions = {}, seed = 1) {
  const net = pair({ seed, delayMs: 1 });
  const server = startHttpServer(net.b, opts);
  return { net, server };
}

/** Opens a raw connection to bob:80, sends `parts` (one write each, `gapMs` apart), and records everything that comes back. */
function raw(net: ReturnType<typeof pair>, parts: string[], gapMs = 0) {
  const s = net.a.tcp.connect(BOB, 80);
  const r = { text: '', closed: false, reset: false, socket: s };
  s.onConnect = () => {
    parts.forEach((p, i) => {
      if (gapMs === 0) s.write(bytes(p));
      else net.scheduler.after(i * gapMs, () => s.state === 'ESTABLISHED' && s.write(bytes(p)));
    });
  };
  s.onData = () => {
    r.text += latin1(s.read());
  };
  s.onEnd = () => {
    r.closed = true;
    s.close();
  };
  s.onError = () => (r.reset = true);
  return r;
}

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (b: Uint8Array) => {
  let out = '';
  for (let i = 0; i < b.length; i += 4096) out += String.fromCharCode(...b.subarray(i, i + 4096));
  return out;
};
const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: bob\r\n${extra}\r\n`;
const statusLines = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) [^\r]*\r\n/g)].map((m) => Number(m[1]));

function header(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: ([^\\r]*)\\r$`, 'mi').exec(text);
  return m?.[1];
}

describe('HTTP server', () => {
  it('answers GET / with a page naming the host, Content-Length, Date and keep-alive', () => {
    const { net } = setup();
    const r = raw(net, [GET('/')]);
    net.run(200);
    const head = r.text.slice(0, r.text.indexOf('\r\n\r\n'));
    const body = r.text.slice(head.length + 4); // latin1: one character per byte
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(header(r.text, 'Content-Type')).toBe('text/html; charset=utf-8');
    expect(Number(header(r.text, 'Content-Length'))).toBe(body.length);
    // Stack time 0 + the fixed epoch.
    expect(header(r.text, 'Date')).toBe('Wed, 01 Jan 2025 09:00:00 GMT');
    expect(body).toContain("Welcome to bob's web site");
    expect(r.closed).toBe(false); // keep-alive
  });

  it('HEAD has the headers of GET and no body', () => {
    const { net } = setup();
    const g = raw(net, [GET('/about.html')]);
    const h = raw(net, [`HEAD /about.html HTTP/1.1\r\nHost: bob\r\n\r\n`]);
    net.run(200);
    const len = header(g.text, 'Content-Length');
    expect(Number(len)).toBeGreaterThan(100);
    expect(header(h.text, 'Content-Length')).toBe(len);
    expect(h.text.endsWith('\r\n\r\n')).toBe(true);
    expect(header(h.text, 'ETag')).toBe(header(g.text, 'ETag'));
  });

  it('answers pipelined requests in order on one connection', () => {
    const { net, server } = setup();
    const r = raw(net, [GET('/slow?ms=300') + GET('/status/404') + GET('/status/204') + GET('/echo') + GET('/status/200')]);
    net.run(200);
    expect(r.text).toBe(''); // the slow first answer holds back the quick ones behind it
    net.run(300);
    expect(statusLines(r.text)).toEqual([200, 404, 204, 200, 200]);
    expect(r.text.indexOf('GET /echo HTTP/1.1')).toBeGreaterThan(r.text.indexOf('204 No Content'));
    expect(server.stats.connections).toBe(1);
  });

  it('Connection: close is honoured: the server answers, then closes', () => {
    const { net } = setup();
    const r = raw(net, [GET('/', 'Connection: close\r\n') + GET('/about.html')]);
    net.run(300);
    expect(statusLines(r.text)).toEqual([200]);
    expect(header(r.text, 'Connection')).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('a response larger than the send buffer is sent whole before the FIN of Connection: close', () => {
    const { net, server } = setup();
    server.setPage('/big.html', 'x'.repeat(262_000));
    const r = raw(net, [GET('/big.html', 'Connection: close\r\n')]);
    const s = raw(net, [GET('/bytes/2000000', 'Connection: close\r\n')]);
    net.run(3000);
    expect(r.closed).toBe(true);
    expect(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).toBe('x'.repeat(262_000));
    expect(s.closed).toBe(true);
    expect(s.text.length - s.text.indexOf('\r\n\r\n') - 4).toBe(2_000_000);
  });

  it('HTTP/1.0 closes after the response unless keep-alive was asked for', () => {
    const { net } = setup();
    const a = raw(net, ['GET /status/200 HTTP/1.0\r\n\r\n']);
    const b = raw(net, ['GET /status/200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']);
    const c = raw(net, ['GET /chunked?n=3&ms=10 HTTP/1.0\r\n\r\n']);
    net.run(300);
    expect(a.text.startsWith('HTTP/1.1 200 OK')).toBe(true);
    expect(a.closed).toBe(true);
    expect(header(b.text, 'Connection')).toBe('keep-alive');
    expect(b.closed).toBe(false);
    // No chunked coding for an HTTP/1.0 client: the close ends the body.
    expect(header(c.text, 'Transfer-Encoding')).toBeUndefined();
    expect(c.text.split('\r\n\r\n')[1]).toMatch(/^chunk 1 of 3.*\nchunk 2 of 3.*\nchunk 3 of 3.*\n$/);
    expect(c.closed).toBe(true);
  });

  it('streams a chunked body over time, one chunk per interval', () => {
    const { net } = setup();
    const r = raw(net, [GET('/chunked?n=3&ms=100')]);
    net.run(50);
    expect(header(r.text, 'Transfer-Encoding')).toBe('chunked');
    expect((r.text.match(/chunk \d of 3/g) ?? []).length).toBe(1);
    net.run(100);
    expect((r.text.match(/chunk \d of 3/g) ?? []).length).toBe(2);
    net.run(200);
    const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('1d\r\nchunk 1 of 3, sent at t+0 ms\n\r\n1f\r\nchunk 2 of 3, sent at t+100 ms\n\r\n1f\r\nchunk 3 of 3, sent at t+200 ms\n\r\n0\r\nX-Chunk-Count: 3\r\n\r\n');
  });

  it('408 on a request that stalls, and on a connection that never sends one', () => {
    const { net, server } = setup({ requestTimeoutMs: 2000 });
    const partial = raw(net, ['GET / HTTP/1.1\r\nHost: bo']);
    const silent = raw(net, []);
    net.run(1900);
    expect(partial.text).toBe('');
    net.run(200);
    expect(statusLines(partial.text)).toEqual([408]);
    expect(statusLines(silent.text)).toEqual([408]);
    expect(header(partial.text, 'Connection')).toBe('close');
    net.run(100);
    expect(partial.closed && silent.closed).toBe(true);
    expect(server.stats.timeouts).toBe(2);
  });

  it('a slow body that keeps coming is waited for; a body that stalls gets 408', () => {
    const { net } = setup({ requestTimeoutMs: 2000 });
    const head = 'POST /upload HTTP/1.1\r\nHost: bob\r\nContent-Length: 4\r\n\r\n';
    const slow = raw(net, [head, 'a', 'b', 'c', 'd'], 1500);
    const stalled = raw(net, [head + 'ab']);
    net.run(7000);
    expect(statusLines(slow.text)).toEqual([201]);
    expect(slow.text).toContain('Received 4 bytes');
    expect(statusLines(stalled.text)).toEqual([408]);
  });

  it('an idle keep-alive connection is closed quietly', () => {
    const { net } = setup({ idleTimeoutMs: 5000 });
    const r = raw(net, [GET('/status/204')]);
    net.run(4000);
    expect(r.closed).toBe(false);
    net.run(2000);
    expect(r.closed).toBe(true);
    expect(statusLines(r.text)).toEqual([204]);
  });

  it('limits: 414, 431, 413 with the reason, then close', () => {
    const { net } = setup({ limits: { maxStartLine: 256, maxHeaderBytes: 512, maxBodyBytes: 1000 } });
    const longUri = raw(net, [GET('/' + 'a'.repeat(300))]);
    const bigHeaders = raw(net, [GET('/', `X-Big: ${'b'.repeat(600)}\r\n`)]);
    const bigBody = raw(net, ['POST /upload HTTP/1.1\r\nHost: bob\r\nContent-Length: 5000\r\n\r\n']);
    net.run(300);
    expect(statusLines(longUri.text)).toEqual([414]);
    expect(statusLines(bigHeaders.text)).toEqual([431]);
    expect(statusLines(bigBody.text)).toEqual([413]);
    expect(bigBody.text).toContain('larger than the 1000-byte limit');
    expect([longUri, bigHeaders, bigBody].every((r) => r.closed)).toBe(true);
  });

  it('400 for a missing Host, 501 for an unknown method, 505 for HTTP/2.0, 411 for a chunked upload', () => {
    const { net } = setup();
    const noHost = raw(net, ['GET / HTTP/1.1\r\n\r\n']);
    const brew = raw(net, ['BREW /pot HTTP/1.1\r\nHost: bob\r\n\r\n']);
    const h2 = raw(net, ['GET / HTTP/2.0\r\nHost: bob\r\n\r\n']);
    const chunked = raw(net, ['POST /upload HTTP/1.1\r\nHost: bob\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n']);
    net.run(300);
    expect(statusLines(noHost.text)).toEqual([400]);
    expect(noHost.text).toContain('has no Host header field');
    expect(statusLines(brew.text)).toEqual([501]);
    expect(statusLines(h2.text)).toEqual([505]);
    expect(statusLines(chunked.text)).toEqual([411]);
    // Malformed requests are counted as drops with their reason (411 is a well-formed request refused by the site).
    expect(net.b.ctx.counters.drops('app', 'malformed')).toBe(2);
  });

  it('405 carries Allow; 503 carries Retry-After; redirects carry Location', () => {
    const { net } = setup();
    const r = raw(net, ['POST /about.html HTTP/1.1\r\nHost: bob\r\nContent-Length: 0\r\n\r\n' + GET('/busy') + GET('/old-page') + GET('/redirect/307?to=/about.html')]);
    net.run(300);
    expect(statusLines(r.text)).toEqual([405, 503, 301, 307]);
    expect(header(r.text, 'Allow')).toBe('GET, HEAD, OPTIONS');
    expect(header(r.text, 'Retry-After')).toBe('120');
    expect([...r.text.matchAll(/^Location: (.*)\r$/gm)].map((m) => m[1])).toEqual(['/about.html', '/about.html']);
  });

  it('Expect: 100-continue gets 100 before the body is sent', () => {
    const { net } = setup();
    const s = net.a.tcp.connect(BOB, 80);
    let text = '';
    s.onConnect = () => s.write(bytes('PUT /upload HTTP/1.1\r\nHost: bob\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'));
    s.onData = () => {
      text += latin1(s.read());
      if (text === 'HTTP/1.1 100 Continue\r\n\r\n') s.write(bytes('hello'));
    };
    net.run(300);
    expect(statusLines(text)).toEqual([100, 201]);
    expect(text).toContain('Received 5 bytes');
  });

  it('conditional GET: If-None-Match and If-Modified-Since give 304; an edited page gets a new ETag', () => {
    const { net, server } = setup();
    const first = raw(net, [GET('/about.html')]);
    net.run(100);
    const etag = header(first.text, 'ETag')!;
    const lastMod = header(first.text, 'Last-Modified')!;
    const again = raw(net, [GET('/about.html', `If-None-Match: ${etag}\r\n`) + GET('/about.html', `If-Modified-Since: ${lastMod}\r\n`)]);
    net.run(100);
    expect(statusLines(again.text)).toEqual([304, 304]);
    expect(header(again.text, 'Content-Length')).toBeUndefined();
    expect(again.text.endsWith('\r\n\r\n')).toBe(true);
    net.run(5000);
    server.setPage('/about.html', '<h1>new</h1>');
    expect(server.getPage('/about.html')).toBe('<h1>new</h1>');
    const after = raw(net, [GET('/about.html', `If-None-Match: ${etag}\r\n`) + GET('/about.html', `If-Modified-Since: ${lastMod}\r\n`)]);
    net.run(100);
    expect(statusLines(after.text)).toEqual([200, 200]);
    expect(header(after.text, 'ETag')).not.toBe(etag);
    expect(header(after.text, 'Last-Modified')).toBe('Wed, 01 Jan 2025 09:00:05 GMT');
    expect(after.text).toContain('\r\n\r\n<h1>new</h1>');
  });

  it('ranges: one → 206 with Content-Range, several → multipart/byteranges, none satisfiable → 416', () => {
    const { net } = setup();
    const one = raw(net, [GET('/bytes/1000', 'Range: bytes=10-19\r\n')]);
    const suffix = raw(net, [GET('/bytes/1000', 'Range: bytes=-5\r\n')]);
    const multi = raw(net, [GET('/bytes/1000', 'Range: bytes=0-1, 998-\r\n')]);
    const bad = raw(net, [GET('/bytes/1000', 'Range: bytes=5000-\r\n')]);
    const ignored = raw(net, [GET('/bytes/1000', 'Range: bytes=9-3\r\n')]);
    net.run(300);
    expect(statusLines(one.text)).toEqual([206]);
    expect(header(one.text, 'Content-Range')).toBe('bytes 10-19/1000');
    const expected = (a: number, b: number) => String.fromCharCode(...Array.from({ length: b - a + 1 }, (_, i) => patternByte(1000, a + i)));
    expect(one.text.split('\r\n\r\n')[1]).toBe(expected(10, 19));
    expect(header(suffix.text, 'Content-Range')).toBe('bytes 995-999/1000');
    expect(statusLines(multi.text)).toEqual([206]);
    expect(header(multi.text, 'Content-Type')).toBe('multipart/byteranges; boundary=wiretab-byteranges-3d6b1f');
    const body = multi.text.slice(multi.text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe(
      `\r\n--wiretab-byteranges-3d6b1f\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-1/1000\r\n\r\n${expected(0, 1)}` +
        `\r\n--wiretab-byteranges-3d6b1f\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 998-999/1000\r\n\r\n${expected(998, 999)}` +
        '\r\n--wiretab-byteranges-3d6b1f--\r\n',
    );
    expect(Number(header(multi.text, 'Content-Length'))).toBe(body.length);
    expect(statusLines(bad.text)).toEqual([416]);
    expect(header(bad.text, 'Content-Range')).toBe('bytes */1000');
    expect(statusLines(ignored.text)).toEqual([200]);
  });

  it('streams /files/10MB.bin with backpressure, byte-exact', () => {
    const { net, server } = setup();
    const s = net.a.tcp.connect(BOB, 80);
    let head = '';
    let bodyLen = 0;
    let mismatch = -1;
    let inBody = false;
    s.onConnect = () => s.write(bytes(GET('/files/10MB.bin')));
    s.onData = () => {
      const d = s.read();
      let i = 0;
      if (!inBody) {
        for (; i < d.length && !inBody; i++) {
          head += String.fromCharCode(d[i]!);
          if (head.endsWith('\r\n\r\n')) inBody = true;
        }
      }
      for (; i < d.length; i++, bodyLen++) if (mismatch < 0 && d[i] !== patternByte(10 << 20, bodyLen)) mismatch = bodyLen;
    };
    net.run(20_000);
    expect(head).toContain('Content-Length: 10485760');
    expect(bodyLen).toBe(10 << 20);
    expect(mismatch).toBe(-1);
    expect(server.stats.open).toBe(1);
  });
});
