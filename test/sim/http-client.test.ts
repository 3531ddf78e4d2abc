/**
 * The HTTP client against the HTTP server, alice → bob over our TCP on a
 * virtual clock: keep-alive vs one connection per request, the cache, redirects,
 * ranges, chunked bodies, timeouts, retries, a lossy 1 MB download, and a
 * malformed response.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { startHttpServer, type HttpServerOptions } from '../../worker/apps/http/server';
import { HttpClient, type HttpClientOptions, type HttpFetchInit, type HttpFetchResult } from '../../worker/apps/http/client';
import { patternByte } from '../../worker/apps/bulk';
import { pair } from '../helpers/lan';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const names: Record<string, string> = { bob: '10.0.0.2', 'www.bob.lab': '10.0.0.2' };

function setup(opts: { client?: HttpClientOptions; server?: HttpServerOptions; seed?: number; delayMs?: number } = {}) {
  const net = pair({ seed: opts.seed ?? 1, delayMs: opts.delayMs ?? 1 });
  const server = startHttpServer(net.b, opts.server);
  const client = new HttpClient(net.a, {
    // A resolver that answers on the stack clock after 5 ms, as a DNS lookup would.
    resolve: (name, done) => {
      net.scheduler.after(5, () => (names[name] ? done({ ok: true, addr: parseIpv4(names[name]!)! }) : done({ ok: false, error: `No such host "${name}".` })));
    },
    ...opts.client,
  });
  /** Fetches one after another; returns the results once the simulation has run. */
  const sequence = (items: (string | [string, HttpFetchInit])[]) => {
    const results: HttpFetchResult[] = [];
    const next = (i: number) => {
      if (i >= items.length) return;
      const item = items[i]!;
      const [url, init] = typeof item === 'string' ? [item, {}] : item;
      client.request(url, init, (r) => {
        results.push(r);
        next(i + 1);
      });
    };
    next(0);
    return results;
  };
  return { net, server, client, sequence };
}

const PAGES = ['http://bob/', 'http://bob/style.css', 'http://bob/logo.svg', 'http://bob/about.html', 'http://bob/pixel.png'];

describe('HTTP client', () => {
  it('keep-alive: five requests ride one connection (one handshake); without the pool, five handshakes', () => {
    const pooled = setup();
    const r1 = pooled.sequence(PAGES);
    pooled.net.run(5000);
    expect(r1.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(pooled.client.stats.handshakes).toBe(1);
    expect(r1.map((r) => r.exchanges[0]!.reused)).toEqual([false, true, true, true, true]);
    expect(new Set(r1.map((r) => r.exchanges[0]!.conn)).size).toBe(1);
    expect(pooled.server.stats.connections).toBe(1);

    const short = setup({ client: { pool: false } });
    const r2 = short.sequence(PAGES);
    short.net.run(5000);
    expect(r2.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(short.client.stats.handshakes).toBe(5);
    expect(r2.every((r) => r.exchanges[0]!.requestHeaders.some(([n, v]) => n === 'Connection' && v === 'close'))).toBe(true);
    expect(r2.every((r) => r.exchanges[0]!.timing.connClosed !== undefined)).toBe(true);
    expect(short.server.stats.connections).toBe(5);
    // Same bytes either way.
    expect(r2.map((r) => r.body.length)).toEqual(r1.map((r) => r.body.length));
  });

  it('records a waterfall: DNS, connect, request, first byte, end, on the stack clock, with the 4-tuple', () => {
    const { net, sequence } = setup({ client: { pool: false }, delayMs: 10 });
    const [r] = [sequence(['http://www.bob.lab/about.html'])];
    net.run(3000);
    const x = r[0]!.exchanges[0]!;
    const t = x.timing;
    expect(x.conn).toMatch(/^10\.0\.0\.1:\d+>10\.0\.0\.2:80$/);
    expect(x.method).toBe('GET');
    expect(x.url).toBe('http://www.bob.lab/about.html');
    expect(x.requestHeaders[0]).toEqual(['Host', 'www.bob.lab']);
    expect(x.responseHeaders.find(([n]) => n === 'Content-Type')?.[1]).toBe('text/html; charset=utf-8');
    expect(t.dnsEnd! - t.dnsStart!).toBe(5);
    expect(t.connectStart).toBe(t.dnsEnd);
    // ARP, then SYN and SYN-ACK across a 10 ms link.
    expect(t.connectEnd! - t.connectStart!).toBeGreaterThanOrEqual(20);
    expect(t.requestSent).toBe(t.connectEnd);
    expect(t.firstByte! - t.requestSent!).toBeGreaterThanOrEqual(20);
    expect(t.end!).toBeGreaterThanOrEqual(t.firstByte!);
    expect(t.connClosed!).toBeGreaterThanOrEqual(t.end!);
    expect(x.bodyBytes).toBe(r[0]!.body.length);
    expect(x.responseHeadBytes).toBeGreaterThan(100);
    expect(x.transferBytes).toBe(x.responseHeadBytes + x.bodyBytes);
    expect(x.requestBytes).toBe(`GET /about.html HTTP/1.1\r\n`.length + x.requestHeaders.reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + 2);
  });

  it('conditional GET: a revalidated page comes back 304 and is served from the cache; a fresh asset is not even asked for', () => {
    const { net, client, sequence } = setup();
    const r = sequence(['http://bob/about.html', 'http://bob/about.html', 'http://bob/style.css', 'http://bob/style.css']);
    net.run(3000);
    const [first, second, css1, css2] = r as [HttpFetchResult, HttpFetchResult, HttpFetchResult, HttpFetchResult];
    expect(first.exchanges[0]!.status).toBe(200);
    expect(second.exchanges[0]!.status).toBe(304);
    expect(second.exchanges[0]!.cache).toBe('revalidated');
    expect(second.exchanges[0]!.requestHeaders.map(([n]) => n)).toContain('If-None-Match');
    expect(second.exchanges[0]!.bodyBytes).toBe(0);
    expect(second.status).toBe(200);
    expect(second.fromCache).toBe(true);
    expect(text(second.body)).toBe(text(first.body));
    // style.css has max-age=60: the second is a cache hit without a request.
    expect(css2.exchanges[0]!.cache).toBe('hit');
    expect(css2.exchanges[0]!.conn).toBeUndefined();
    expect(text(css2.body)).toBe(text(css1.body));
    expect(client.stats.requests).toBe(3);
    expect(client.stats.revalidated).toBe(1);
    expect(client.stats.cacheHits).toBe(1);
  });

  it('an edited page is fetched anew after revalidation', () => {
    const { net, server, sequence } = setup();
    const r = sequence(['http://bob/about.html']);
    net.run(1000);
    server.setPage('/about.html', '<p>edited</p>');
    const r2 = sequence(['http://bob/about.html']);
    net.run(1000);
    expect(r[0]!.status).toBe(200);
    expect(r2[0]!.exchanges[0]!.status).toBe(200);
    expect(r2[0]!.fromCache).toBe(false);
    expect(text(r2[0]!.body)).toBe('<p>edited</p>');
  });

  it('follows redirects, each hop an exchange; POST → 303 → GET', () => {
    const { net, client, sequence } = setup();
    const r = sequence(['http://bob/redirect/chain/3', ['http://bob/form', { method: 'POST', body: 'name=alice', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }]]);
    net.run(3000);
    const chain = r[0]!;
    expect(chain.exchanges.map((x) => [x.status, x.url])).toEqual([
      [302, 'http://bob/redirect/chain/3'],
      [302, 'http://bob/redirect/chain/2'],
      [302, 'http://bob/redirect/chain/1'],
      [200, 'http://bob/'],
    ]);
    expect(chain.exchanges[0]!.redirectTo).toBe('http://bob/redirect/chain/2');
    expect(chain.url).toBe('http://bob/');
    expect(chain.status).toBe(200);
    const form = r[1]!;
    expect(form.exchanges.map((x) => `${x.method} ${x.status}`)).toEqual(['POST 303', 'GET 200']);
    expect(form.exchanges[1]!.requestHeaders.some(([n]) => /^content-/i.test(n))).toBe(false);
    expect(text(form.body)).toContain('Thanks!');
    expect(client.stats.handshakes).toBe(1);
  });

  it('sends a request body larger than the send buffer', () => {
    const { net, sequence } = setup();
    const body = new Uint8Array(600_000).map((_, i) => i & 0xff);
    const r = sequence([['http://bob/upload', { method: 'POST', body }]]);
    net.run(3000);
    expect(r[0]!.status).toBe(201);
    expect(text(r[0]!.body)).toMatch(/^Received 600000 bytes/);
    expect(r[0]!.exchanges[0]!.requestBytes).toBeGreaterThan(600_000);
  });

  it('gives up on a redirect loop after maxRedirects with a clear error', () => {
    const { net, sequence } = setup({ client: { maxRedirects: 3 } });
    const r = sequence(['http://bob/redirect/loop']);
    net.run(3000);
    expect(r[0]!.ok).toBe(false);
    expect(r[0]!.error?.code).toBe('too-many-redirects');
    expect(r[0]!.error?.message).toMatch(/redirected more than 3 times/);
    expect(r[0]!.exchanges).toHaveLength(4);
  });

  it('range requests: 206 with exactly those bytes; beyond the end 416', () => {
    const { net, sequence } = setup();
    const r = sequence([
      ['http://bob/files/1MB.bin', { range: { start: 1000, end: 1099 } }],
      ['http://bob/files/1MB.bin', { range: { start: 2_000_000 } }],
    ]);
    net.run(3000);
    expect(r[0]!.status).toBe(206);
    expect(Array.from(r[0]!.body)).toEqual(Array.from({ length: 100 }, (_, i) => patternByte(1 << 20, 1000 + i)));
    expect(r[0]!.headers.find(([n]) => n === 'Content-Range')?.[1]).toBe('bytes 1000-1099/1048576');
    expect(r[1]!.status).toBe(416);
    expect(r[1]!.ok).toBe(true); // the server answered; the status says no
  });

  it('decodes a chunked body that arrives over time', () => {
    const { net, sequence } = setup();
    const r = sequence(['http://bob/chunked?n=5&ms=100']);
    net.run(3000);
    const x = r[0]!.exchanges[0]!;
    expect(x.responseHeaders.find(([n]) => n === 'Transfer-Encoding')?.[1]).toBe('chunked');
    expect(text(r[0]!.body).split('\n').filter(Boolean)).toEqual([0, 100, 200, 300, 400].map((t, i) => `chunk ${i + 1} of 5, sent at t+${t} ms`));
    expect(x.timing.end! - x.timing.firstByte!).toBeGreaterThanOrEqual(400);
    // Chunk framing: 5 size lines with CRLF after each chunk, and the last chunk with its trailer.
    expect(x.transferBytes - x.responseHeadBytes - x.bodyBytes).toBe(5 * ('1f\r\n'.length + 2) + '0\r\nX-Chunk-Count: 5\r\n\r\n'.length);
  });

  it('notices that the server closed an idle connection and opens a new one', () => {
    const { net, client, sequence } = setup({ server: { idleTimeoutMs: 1000 } });
    const r = sequence(['http://bob/']);
    net.run(3000);
    expect(client.connections()).toEqual([]);
    const r2 = sequence(['http://bob/about.html']);
    net.run(1000);
    expect(r[0]!.exchanges[0]!.timing.connClosed).toBeGreaterThan(1000);
    expect(r2[0]!.status).toBe(200);
    expect(r2[0]!.exchanges[0]!.reused).toBe(false);
    expect(client.stats.handshakes).toBe(2);
  });

  it('retries an idempotent request once when a reused connection dies before answering', () => {
    const net = pair({ delayMs: 1 });
    // A server that answers the first request on each connection, then closes on the second without a word.
    const l = net.b.tcp.listen(8080);
    let connections = 0;
    l.onConnection = () => {
      for (let s = l.accept(); s; s = l.accept()) {
        connections++;
        let n = 0;
        s.onData = () => {
          const req = new TextDecoder().decode(s.read());
          n += req.split('\r\n\r\n').length - 1;
          if (n === 1) s.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
          else s.close();
        };
        s.onEnd = () => s.close();
      }
    };
    const client = new HttpClient(net.a);
    const results: HttpFetchResult[] = [];
    client.request('http://10.0.0.2:8080/a', {}, (r) => {
      results.push(r);
      client.request('http://10.0.0.2:8080/b', {}, (r2) => results.push(r2));
    });
    net.run(2000);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const b = results[1]!;
    expect(b.exchanges.map((x) => [x.reused, x.retried, x.error?.code])).toEqual([
      [true, false, 'connection-closed'],
      [false, true, undefined],
    ]);
    expect(connections).toBe(2);
  });

  it('rejects a malformed response with the parser\'s sentence', () => {
    const net = pair({ delayMs: 1 });
    const l = net.b.tcp.listen(8080);
    l.onConnection = () => {
      const s = l.accept()!;
      s.onData = () => {
        s.read();
        s.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'));
      };
      s.onEnd = () => s.close();
    };
    const client = new HttpClient(net.a);
    let result: HttpFetchResult | undefined;
    client.request('http://10.0.0.2:8080/', {}, (r) => (result = r));
    net.run(1000);
    expect(result!.ok).toBe(false);
    expect(result!.error).toEqual({
      code: 'malformed-response',
      message: "The server's response is malformed: The response has both Content-Length and Transfer-Encoding, a sign of response splitting (RFC 9112 6.3).",
    });
    expect(result!.exchanges[0]!.phase).toBe('failed');
    // Counted and traced with its reason, like any malformed input.
    expect(net.a.ctx.counters.drops('app', 'malformed')).toBe(1);
    expect(net.events.some((e) => e.type === 'drop' && e.host === 'alice' && e.layer === 'app' && /Content-Length and Transfer-Encoding/.test(e.detail))).toBe(true);
  });

  it('timeouts: connect (nobody answers), first byte (a slow server), and errors for bad URLs and names', () => {
    const { net, sequence } = setup({ client: { connectTimeoutMs: 3000, firstByteTimeoutMs: 1000 } });
    const r = sequence(['http://10.0.0.9/', 'http://bob/slow?ms=5000', 'https://bob/', 'http://nowhere/', 'http://10.0.0.2:81/']);
    net.run(20_000);
    expect(r.map((x) => x.error?.code)).toEqual(['connect-timeout', 'first-byte-timeout', 'bad-url', 'dns-failed', 'connection-refused']);
    expect(r[0]!.error!.message).toMatch(/did not complete the TCP handshake within 3 s/);
    expect(r[2]!.error!.message).toMatch(/TLS/);
    expect(r[3]!.error!.message).toBe('No such host "nowhere".');
  });

  it('the total timeout covers a slow body; cancel() ends a fetch at once', () => {
    const { net, client } = setup({ client: { totalTimeoutMs: 1500 } });
    const results: HttpFetchResult[] = [];
    client.request('http://bob/chunked?n=10&ms=500', {}, (r) => results.push(r));
    const h = client.request('http://bob/slow?ms=1000', {}, (r) => results.push(r));
    net.run(200);
    h.cancel();
    net.run(3000);
    expect(results.map((r) => r.error?.code)).toEqual(['cancelled', 'total-timeout']);
    expect(results[1]!.error!.message).toMatch(/longer than 1.5 s/);
    expect(results[1]!.exchanges[0]!.bodyBytes).toBeGreaterThan(0);
    expect(results[1]!.exchanges[0]!.phase).toBe('failed');
  });

  it('a promise-returning resolver works too, and dotted quads skip it', async () => {
    const net = pair({ delayMs: 1 });
    startHttpServer(net.b);
    const asked: string[] = [];
    const client = new HttpClient(net.a, { resolve: async (name) => (asked.push(name), parseIpv4('10.0.0.2')!) });
    const p1 = client.fetch('http://bob/status/204');
    await Promise.resolve();
    net.run(500);
    const p2 = client.fetch('http://10.0.0.2/status/204');
    net.run(500);
    expect((await p1).status).toBe(204);
    expect((await p2).status).toBe(204);
    expect(asked).toEqual(['bob']);
  });

  it('a 1 MB download over a link losing 5% each way arrives byte-exact', () => {
    const { net, sequence } = setup({ seed: 42 });
    const lossy = { delayMs: 5, loss: { model: 'random' as const, percent: 5, correlation: 0 } };
    net.a.condition(lossy);
    net.b.condition(lossy);
    const r = sequence(['http://10.0.0.2/files/1MB.bin']);
    net.run(120_000);
    const res = r[0]!;
    expect(res.ok).toBe(true);
    expect(res.body.length).toBe(1 << 20);
    let mismatch = -1;
    for (let i = 0; i < res.body.length; i++) if (res.body[i] !== patternByte(1 << 20, i)) { mismatch = i; break; }
    expect(mismatch).toBe(-1);
  });
});
