/**
 * An HTTP/1.1 client over our TCP, built for a mini-browser and its DevTools
 * waterfall.
 *
 * - Connections: a keep-alive pool per host:port (at most 6 each, like
 *   browsers; idle ones are reused, and one the server closed while idle is
 *   noticed and dropped), or one connection per request (`pool: false`,
 *   which sends Connection: close). No pipelining: one request at a time per
 *   connection, as browsers do. A request on a reused connection that dies
 *   before any response byte is retried once on a new connection when its
 *   method is idempotent (RFC 9112 9.3.1).
 * - Redirects followed up to `maxRedirects` (RFC 9110 15.4: 301/302 turn a
 *   POST into GET, 303 turns everything but HEAD into GET, 307/308 keep the
 *   method and body).
 * - A small in-memory cache (RFC 9111): responses with a validator are stored;
 *   a fresh one (max-age) is served without a request, a stale one is
 *   revalidated with If-None-Match / If-Modified-Since, and a 304 is answered
 *   from the cache (marked as such).
 * - Timeouts on the stack clock: connect (handshake), first byte, total.
 *
 * Every request of a fetch (redirects included) is an HttpExchange with what
 * a waterfall needs: headers both ways, sizes, the connection's 4-tuple,
 * whether it was reused, and timestamps on the stack clock. `onExchange`
 * reports each one as it progresses (also after the fetch, when its
 * connection closes). Nothing here throws on what the network sends: a
 * malformed response fails the fetch with the parser's sentence.
 */

import type { AppHost } from '../app-host';
import type { Ipv4Addr } from '../../wire/addr';
import type { TcpSocket } from '../../transport/tcp/tcb';
import type { Timer } from '../../sim/scheduler';
import { fieldTokens, getField, hasField, type HeaderField } from './fields';
import { ResponseParser, formatRequestHead, latin1Bytes, type HttpLimits, type ResponseHead } from './message';
import { hostField, parseHttpUrl, type HttpUrl } from './url';

export type ResolveResult = { ok: true; addr: Ipv4Addr } | { ok: false; error: string };

/**
 * Looks up a host name: either return a Promise of the address, or call
 * `done` (synchronously or later, e.g. when a DNS answer arrives on the stack's
 * clock). Dotted quads never reach it.
 */
export type Resolver = (name: string, done: (result: ResolveResult) => void) => void | Promise<Ipv4Addr>;

export interface HttpClientOptions {
  resolve?: Resolver;
  /** Keep-alive pool (default) or one connection per request. */
  pool?: boolean;
  maxConnectionsPerHost?: number;
  maxRedirects?: number;
  /** Handshake must complete within this (default 10 s). */
  connectTimeoutMs?: number;
  /** First response byte within this after the request was sent (default 30 s). */
  firstByteTimeoutMs?: number;
  /** The whole fetch, redirects included (default 5 min). */
  totalTimeoutMs?: number;
  /** An idle pooled connection is closed after this (default 60 s). */
  idleTimeoutMs?: number;
  /** In-memory cache with conditional requests (default on). */
  cache?: boolean;
  /** Largest response body kept (default 64 MiB). */
  maxBodyBytes?: number;
  userAgent?: string;
  limits?: Partial<HttpLimits>;
  /** Every change to any exchange, for a live waterfall. */
  onExchange?: (x: HttpExchange) => void;
}

export interface HttpFetchInit {
  method?: string;
  headers?: HeaderField[] | Record<string, string>;
  body?: Uint8Array | string;
  /** Adds Range: bytes=start-end (end inclusive; open-ended without it). */
  range?: { start: number; end?: number };
  /** 'manual' returns a 3xx as it is. */
  redirect?: 'follow' | 'manual';
  /** 'no-store' bypasses the cache; 'no-cache' always revalidates; 'reload' fetches anew and stores. */
  cache?: 'default' | 'no-store' | 'no-cache' | 'reload';
  /** Keep the body bytes (default); false only counts them (large downloads). */
  keepBody?: boolean;
  /** Called for each body piece as it arrives (the caller may keep it). */
  onBody?: (data: Uint8Array) => void;
  onExchange?: (x: HttpExchange) => void;
}

export type HttpClientErrorCode =
  | 'bad-url'
  | 'dns-failed'
  | 'connection-refused'
  | 'connect-failed'
  | 'connect-timeout'
  | 'first-byte-timeout'
  | 'total-timeout'
  | 'connection-reset'
  | 'connection-closed'
  | 'malformed-response'
  | 'too-many-redirects'
  | 'body-too-large'
  | 'cancelled';

export interface HttpClientError {
  code: HttpClientErrorCode;
  /** A sentence for people: what happened and what to do. */
  message: string;
}

/** Stack-clock times (ms) of one request's phases; absent when a phase did not happen. */
export interface HttpTiming {
  start: number;
  dnsStart?: number;
  dnsEnd?: number;
  /** SYN sent / handshake complete, for a new connection. */
  connectStart?: number;
  connectEnd?: number;
  requestSent?: number;
  firstByte?: number;
  end?: number;
  /** When this exchange's connection closed (by either side, or failed). */
  connClosed?: number;
}

export interface HttpExchange {
  id: number;
  /** The fetch this belongs to, and its place in the redirect chain. */
  fetchId: number;
  hop: number;
  method: string;
  url: string;
  status?: number;
  statusText?: string;
  requestHeaders: HeaderField[];
  responseHeaders: HeaderField[];
  /** Request head + body bytes written. */
  requestBytes: number;
  /** Response head bytes (final response; 1xx interim ones included). */
  responseHeadBytes: number;
  /** Body bytes after removing chunked framing (the bytes themselves are in HttpFetchResult.body). */
  bodyBytes: number;
  /** Response bytes as they came off the connection: head, body and chunk framing. */
  transferBytes: number;
  /** 'hit': served from the cache without a request; 'revalidated': 304, body from the cache. */
  cache?: 'hit' | 'revalidated';
  reused: boolean;
  /** Retried on a new connection after a reused one failed. */
  retried: boolean;
  /** "10.0.0.1:49152>10.0.0.2:80", like TcpEvent.conn. */
  conn?: string;
  connId?: number;
  redirectTo?: string;
  phase: 'queued' | 'dns' | 'connecting' | 'sending' | 'waiting' | 'receiving' | 'done' | 'failed';
  timing: HttpTiming;
  error?: HttpClientError;
}

export interface HttpFetchResult {
  /** False when the fetch failed (then `error` says why); a 404 is ok: the server answered. */
  ok: boolean;
  /** The final URL, after redirects. */
  url: string;
  status: number;
  statusText: string;
  headers: HeaderField[];
  body: Uint8Array;
  /** The body came from the cache (fresh hit or 304). */
  fromCache: boolean;
  exchanges: HttpExchange[];
  error?: HttpClientError;
}

export interface HttpClientStats {
  /** TCP three-way handshakes completed by this client. */
  handshakes: number;
  connectionsOpened: number;
  requests: number;
  reusedRequests: number;
  cacheHits: number;
  revalidated: number;
}

export interface HttpRequestHandle {
  readonly fetchId: number;
  cancel(): void;
}

interface CacheEntry {
  status: number;
  statusText: string;
  headers: HeaderField[];
  body: Uint8Array;
  etag: string | undefined;
  lastModified: string | undefined;
  storedAt: number;
  maxAgeMs: number | undefined;
  noCache: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpClient {
  readonly stats: HttpClientStats = { handshakes: 0, connectionsOpened: 0, requests: 0, reusedRequests: 0, cacheHits: 0, revalidated: 0 };
  readonly options: Required<Omit<HttpClientOptions, 'resolve' | 'onExchange' | 'limits'>> & Pick<HttpClientOptions, 'resolve' | 'onExchange' | 'limits'>;
  private readonly conns = new Map<string, ClientConnection[]>();
  private readonly waiting = new Map<string, Array<(c: ClientConnection | Error, reused: boolean) => void>>();
  private readonly cache = new Map<string, CacheEntry>();
  private nextFetchId = 1;
  private nextExchangeId = 1;
  private nextConnId = 1;

  constructor(
    readonly host: AppHost,
    options: HttpClientOptions = {},
  ) {
    this.options = {
      pool: true,
      maxConnectionsPerHost: 6,
      maxRedirects: 5,
      connectTimeoutMs: 10_000,
      firstByteTimeoutMs: 30_000,
      totalTimeoutMs: 300_000,
      idleTimeoutMs: 60_000,
      cache: true,
      maxBodyBytes: 64 * 1024 * 1024,
      userAgent: 'wiretab/0.1',
      ...options,
    };
  }

  /** Switches between a keep-alive pool and one connection per request (idle pooled connections are closed). */
  setPool(on: boolean): void {
    this.options.pool = on;
    if (!on) for (const list of this.conns.values()) for (const c of [...list]) if (c.idle) c.close('client');
  }

  /** Forgets every cached response. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Connections open now, for a UI: 4-tuple, whether idle, requests served. */
  connections(): { id: number; conn: string; key: string; idle: boolean; requests: number }[] {
    const out: { id: number; conn: string; key: string; idle: boolean; requests: number }[] = [];
    for (const [key, list] of this.conns) for (const c of list) out.push({ id: c.id, conn: c.name, key, idle: c.idle, requests: c.requests });
    return out;
  }

  /** Fetches `url`; always resolves (a failure is `ok: false` with `error`), so the exchanges are never lost. */
  fetch(url: string, init: HttpFetchInit = {}): Promise<HttpFetchResult> {
    return new Promise((resolve) => this.request(url, init, resolve));
  }

  /** The callback form of fetch: `done` runs on the stack's clock when the fetch ends. */
  request(url: string, init: HttpFetchInit, done: (r: HttpFetchResult) => void): HttpRequestHandle {
    const job = new FetchJob(this, this.nextFetchId++, init, done);
    job.start(url);
    return { fetchId: job.id, cancel: () => job.fail({ code: 'cancelled', message: 'The request was cancelled.' }) };
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const list of this.conns.values()) for (const c of [...list]) c.close('client');
  }

  // ---------------- internals used by FetchJob and ClientConnection ----------------

  /** @internal */
  newExchangeId(): number {
    return this.nextExchangeId++;
  }

  /** @internal */
  report(x: HttpExchange, extra?: (x: HttpExchange) => void): void {
    if (!this.options.onExchange && !extra) return;
    const snapshot = { ...x, timing: { ...x.timing }, requestHeaders: [...x.requestHeaders], responseHeaders: [...x.responseHeaders] };
    this.options.onExchange?.(snapshot);
    extra?.(snapshot);
  }

  /** @internal A connection for addr:port: an idle pooled one, a new one, or the next one free. */
  acquire(addr: Ipv4Addr, port: number, got: (c: ClientConnection | Error, reused: boolean) => void): () => void {
    const key = `${addr}:${port}`;
    const list = this.conns.get(key) ?? [];
    this.conns.set(key, list);
    if (this.options.pool) {
      const idle = list.find((c) => c.idle);
      if (idle) {
        idle.take();
        got(idle, true);
        return () => {};
      }
    }
    if (list.length < this.options.maxConnectionsPerHost) {
      got(this.open(key, addr, port), false);
      return () => {};
    }
    const queue = this.waiting.get(key) ?? [];
    this.waiting.set(key, queue);
    queue.push(got);
    return () => {
      const i = queue.indexOf(got);
      if (i >= 0) queue.splice(i, 1);
    };
  }

  /** @internal A connection finished a response and may serve another. */
  release(c: ClientConnection): void {
    const queue = this.waiting.get(c.key);
    const next = queue?.shift();
    if (next && this.options.pool) {
      c.take();
      next(c, true);
      return;
    }
    c.makeIdle(this.options.idleTimeoutMs);
    if (next) queue!.unshift(next);
  }

  /** @internal A connection is gone; a waiter (if any) gets a new one. */
  forget(c: ClientConnection): void {
    const list = this.conns.get(c.key);
    if (list) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    }
    const queue = this.waiting.get(c.key);
    const next = queue?.shift();
    if (next) next(this.open(c.key, c.addr, c.port), false);
  }

  /** A new connection, or the error that kept it from starting (no route, no free port). */
  private open(key: string, addr: Ipv4Addr, port: number): ClientConnection | Error {
    let c: ClientConnection;
    try {
      c = new ClientConnection(this, this.nextConnId++, key, addr, port);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    this.conns.get(key)!.push(c);
    this.stats.connectionsOpened++;
    return c;
  }

  /** @internal */
  cached(href: string): CacheEntry | undefined {
    return this.options.cache ? this.cache.get(href) : undefined;
  }

  /** @internal RFC 9111 3: store a complete 200 to GET that has a validator or a lifetime, unless no-store. */
  store(href: string, head: ResponseHead, body: Uint8Array): void {
    if (!this.options.cache) return;
    const cc = fieldTokens(head.headers, 'cache-control');
    if (cc.includes('no-store')) return this.cache.delete(href), undefined;
    const etag = getField(head.headers, 'etag');
    const lastModified = getField(head.headers, 'last-modified');
    const maxAge = cc.map((t) => /^max-age=(\d+)$/.exec(t)).find((m) => m)?.[1];
    if (etag === undefined && lastModified === undefined && maxAge === undefined) return;
    this.cache.set(href, {
      status: head.status,
      statusText: head.reason,
      headers: head.headers,
      body,
      etag,
      lastModified,
      storedAt: this.host.ctx.now,
      maxAgeMs: maxAge !== undefined ? Number(maxAge) * 1000 : undefined,
      noCache: cc.includes('no-cache'),
    });
  }
}

/** One fetch: its redirect chain, cache use, retries and overall timeout. */
class FetchJob {
  readonly exchanges: HttpExchange[] = [];
  private method: string;
  private body: Uint8Array | undefined;
  private readonly userHeaders: HeaderField[];
  private readonly totalTimer: Timer;
  private finished = false;
  private redirects = 0;
  private current: ExchangeRun | undefined;

  constructor(
    readonly client: HttpClient,
    readonly id: number,
    readonly init: HttpFetchInit,
    private readonly done: (r: HttpFetchResult) => void,
  ) {
    this.method = (init.method ?? 'GET').toUpperCase();
    this.body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body;
    this.userHeaders = Array.isArray(init.headers) ? [...init.headers] : Object.entries(init.headers ?? {});
    if (init.range) this.userHeaders.push(['Range', `bytes=${init.range.start}-${init.range.end ?? ''}`]);
    const ctx = client.host.ctx;
    this.totalTimer = ctx.scheduler.timer(
      () => this.fail({ code: 'total-timeout', message: `The request took longer than ${client.options.totalTimeoutMs / 1000} s in all and was given up; try again, or raise the total timeout.` }),
      'http total timeout',
    );
    this.totalTimer.setIn(client.options.totalTimeoutMs);
  }

  start(text: string, base?: HttpUrl): void {
    const parsed = parseHttpUrl(text, base);
    const x = this.newExchange(parsed.ok ? parsed.url.href : text);
    if (!parsed.ok) return this.fail({ code: 'bad-url', message: parsed.error });
    this.run(parsed.url, x, false);
  }

  private newExchange(url: string): HttpExchange {
    const x: HttpExchange = {
      id: this.client.newExchangeId(),
      fetchId: this.id,
      hop: this.exchanges.length,
      method: this.method,
      url,
      requestHeaders: [],
      responseHeaders: [],
      requestBytes: 0,
      responseHeadBytes: 0,
      bodyBytes: 0,
      transferBytes: 0,
      reused: false,
      retried: false,
      phase: 'queued',
      timing: { start: this.client.host.ctx.now },
    };
    this.exchanges.push(x);
    return x;
  }

  report(x: HttpExchange): void {
    this.client.report(x, this.init.onExchange);
  }

  private run(url: HttpUrl, x: HttpExchange, retry: boolean): void {
    const client = this.client;
    const now = client.host.ctx.now;
    const mode = this.init.cache ?? 'default';
    const cacheable = (this.method === 'GET' || this.method === 'HEAD') && !this.init.range && mode !== 'no-store' && !hasField(this.userHeaders, 'range');
    const entry = cacheable && mode !== 'reload' ? client.cached(url.href) : undefined;
    // RFC 9111 4.2: a fresh stored response is used without asking the server.
    if (entry && mode === 'default' && !entry.noCache && entry.maxAgeMs !== undefined && now - entry.storedAt < entry.maxAgeMs) {
      client.stats.cacheHits++;
      x.cache = 'hit';
      x.status = entry.status;
      x.statusText = entry.statusText;
      x.responseHeaders = entry.headers;
      x.bodyBytes = entry.body.length;
      x.phase = 'done';
      x.timing.end = now;
      this.report(x);
      return this.complete(x, entry.status, entry.statusText, entry.headers, this.method === 'HEAD' ? new Uint8Array(0) : entry.body, true);
    }
    const headers: HeaderField[] = [['Host', hostField(url)], ['User-Agent', client.options.userAgent], ['Accept', '*/*']];
    // RFC 9110 13.1: revalidate what we have.
    if (entry && !hasField(this.userHeaders, 'if-none-match') && !hasField(this.userHeaders, 'if-modified-since')) {
      if (entry.etag !== undefined) headers.push(['If-None-Match', entry.etag]);
      if (entry.lastModified !== undefined) headers.push(['If-Modified-Since', entry.lastModified]);
    }
    if (!client.options.pool) headers.push(['Connection', 'close']);
    for (const h of this.userHeaders) headers.push(h);
    if (this.body && !hasField(headers, 'content-length')) headers.push(['Content-Length', String(this.body.length)]);
    x.requestHeaders = headers;
    x.retried = retry;
    const run = new ExchangeRun(this, x, url, entry, cacheable);
    this.current = run;
    run.begin();
  }

  requestBytes(x: HttpExchange, target: string): Uint8Array {
    const head = latin1Bytes(formatRequestHead(this.method, target, x.requestHeaders));
    if (!this.body || this.body.length === 0) return head;
    const out = new Uint8Array(head.length + this.body.length);
    out.set(head);
    out.set(this.body, head.length);
    return out;
  }

  /** An exchange finished with a response (maybe from the cache after a 304). */
  responded(run: ExchangeRun, head: ResponseHead, body: Uint8Array, fromCache: boolean): void {
    const x = run.x;
    const location = getField(head.headers, 'location');
    if (REDIRECTS.has(head.status) && location !== undefined && (this.init.redirect ?? 'follow') === 'follow') {
      const next = parseHttpUrl(location, run.url);
      if (next.ok) {
        x.redirectTo = next.url.href;
        this.report(x);
        if (this.redirects >= this.client.options.maxRedirects) {
          return this.fail({ code: 'too-many-redirects', message: `The server redirected more than ${this.client.options.maxRedirects} times (last to ${next.url.href}); it may be a redirect loop.` }, false);
        }
        this.redirects++;
        // RFC 9110 15.4.4: 303 → GET (HEAD stays HEAD); 15.4.2/15.4.3: 301/302 may turn POST into GET, as browsers do.
        if ((head.status === 303 && this.method !== 'HEAD') || ((head.status === 301 || head.status === 302) && this.method === 'POST')) {
          this.method = 'GET';
          this.body = undefined;
          for (let i = this.userHeaders.length - 1; i >= 0; i--) if (/^content-/i.test(this.userHeaders[i]![0])) this.userHeaders.splice(i, 1);
        }
        const nx = this.newExchange(next.url.href);
        return this.run(next.url, nx, false);
      }
    }
    this.complete(x, head.status, head.reason, head.headers, body, fromCache);
  }

  /** A reused connection died before answering: once, on a new connection, for idempotent methods. */
  retry(run: ExchangeRun): boolean {
    if (run.x.retried || !run.x.reused || !IDEMPOTENT.has(this.method) || this.finished) return false;
    const x = this.newExchange(run.url.href);
    this.run(run.url, x, true);
    return true;
  }

  private complete(x: HttpExchange, status: number, statusText: string, headers: HeaderField[], body: Uint8Array, fromCache: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.totalTimer.cancel();
    this.done({ ok: true, url: x.url, status, statusText, headers, body, fromCache, exchanges: this.exchanges });
  }

  /** Ends the fetch with an error (and the current exchange with it). */
  fail(error: HttpClientError, failExchange = true): void {
    if (this.finished) return;
    this.finished = true;
    this.totalTimer.cancel();
    const run = this.current;
    if (failExchange && run) run.abort(error);
    else if (failExchange) {
      const x = this.exchanges[this.exchanges.length - 1];
      if (x) {
        x.error = error;
        x.phase = 'failed';
        x.timing.end = this.client.host.ctx.now;
        this.report(x);
      }
    }
    const last = this.exchanges[this.exchanges.length - 1];
    this.done({
      ok: false,
      url: last?.url ?? '',
      status: last?.status ?? 0,
      statusText: last?.statusText ?? '',
      headers: last?.responseHeaders ?? [],
      body: new Uint8Array(0),
      fromCache: false,
      exchanges: this.exchanges,
      error,
    });
  }

  get isFinished(): boolean {
    return this.finished;
  }
}

/** One request and its response on one connection. */
class ExchangeRun {
  conn: ClientConnection | undefined;
  private parts: Uint8Array[] = [];
  private head: ResponseHead | undefined;
  private ended = false;
  private cancelWait: (() => void) | undefined;
  gotBytes = false;

  constructor(
    readonly job: FetchJob,
    readonly x: HttpExchange,
    readonly url: HttpUrl,
    private readonly entry: CacheEntry | undefined,
    private readonly mayStore: boolean,
  ) {}

  private get client(): HttpClient {
    return this.job.client;
  }

  private get now(): number {
    return this.client.host.ctx.now;
  }

  begin(): void {
    if (this.url.addr !== undefined) return this.connect(this.url.addr);
    const resolve = this.client.options.resolve;
    if (!resolve) return this.job.fail({ code: 'dns-failed', message: `There is no name resolver here to look up "${this.url.host}"; use an address such as http://10.0.0.2/.` });
    this.x.phase = 'dns';
    this.x.timing.dnsStart = this.now;
    this.job.report(this.x);
    let answered = false;
    const done = (r: ResolveResult) => {
      if (answered || this.ended || this.job.isFinished) return;
      answered = true;
      this.x.timing.dnsEnd = this.now;
      if (!r.ok) return this.job.fail({ code: 'dns-failed', message: r.error });
      this.connect(r.addr);
    };
    try {
      const p = resolve(this.url.host, done);
      if (p && typeof (p as Promise<Ipv4Addr>).then === 'function') {
        (p as Promise<Ipv4Addr>).then(
          (addr) => done({ ok: true, addr }),
          (err: unknown) => done({ ok: false, error: err instanceof Error ? err.message : `The name "${this.url.host}" could not be resolved.` }),
        );
      }
    } catch (err) {
      done({ ok: false, error: err instanceof Error ? err.message : `The name "${this.url.host}" could not be resolved.` });
    }
  }

  private connect(addr: Ipv4Addr): void {
    this.cancelWait = this.client.acquire(addr, this.url.port, (c, reused) => {
      this.cancelWait = undefined;
      if (c instanceof Error) {
        if (!this.ended) this.job.fail({ code: 'connect-failed', message: `The connection could not be opened: ${c.message}` });
        return;
      }
      if (this.ended) {
        // The fetch ended while we waited: hand the connection back.
        if (reused) this.client.release(c);
        else c.close('client');
        return;
      }
      this.conn = c;
      this.x.reused = reused;
      this.x.connId = c.id;
      c.attach(this);
      if (c.connected) this.send();
      else {
        this.x.phase = 'connecting';
        this.x.timing.connectStart = this.now;
        this.x.conn = c.name;
        this.job.report(this.x);
      }
    });
  }

  /** The connection is up (new) or was handed over (reused): write the request. */
  send(): void {
    const c = this.conn!;
    if (this.x.timing.connectStart !== undefined && this.x.timing.connectEnd === undefined) this.x.timing.connectEnd = this.now;
    this.x.conn = c.name;
    this.client.stats.requests++;
    if (this.x.reused) this.client.stats.reusedRequests++;
    const bytes = this.job.requestBytes(this.x, this.url.target);
    this.x.requestBytes = bytes.length;
    this.x.phase = 'sending';
    c.parser.requestMethod = this.x.method;
    c.write(bytes);
    this.x.phase = 'waiting';
    this.x.timing.requestSent = this.now;
    c.armFirstByte();
    this.job.report(this.x);
  }

  // ---- from the connection ----

  firstByte(): void {
    if (this.gotBytes) return;
    this.gotBytes = true;
    this.x.timing.firstByte = this.now;
    this.x.phase = 'receiving';
    this.job.report(this.x);
  }

  interim(h: ResponseHead): void {
    this.x.responseHeadBytes += h.headBytes;
  }

  onHead(h: ResponseHead): void {
    this.head = h;
    this.x.status = h.status;
    this.x.statusText = h.reason;
    this.x.responseHeaders = h.headers;
    this.x.responseHeadBytes += h.headBytes;
    this.job.report(this.x);
  }

  onData(d: Uint8Array): boolean {
    this.x.bodyBytes += d.length;
    if (this.x.bodyBytes > this.client.options.maxBodyBytes) {
      this.job.fail({ code: 'body-too-large', message: `The response body is larger than ${this.client.options.maxBodyBytes} bytes, the most this client keeps.` });
      return false;
    }
    // A view into the array socket.read() made for this read: not reused, so it can be kept without a copy.
    this.job.init.onBody?.(d);
    if (this.job.init.keepBody !== false) this.parts.push(d);
    return true;
  }

  /** The response is complete; the connection may be reused if it says so. */
  onEnd(): void {
    const h = this.head!;
    this.ended = true;
    this.x.phase = 'done';
    this.x.timing.end = this.now;
    const body = concat(this.parts, this.x.bodyBytes);
    this.parts = [];
    let fromCache = false;
    let finalHead = h;
    let finalBody = body;
    if (h.status === 304 && this.entry) {
      // RFC 9111 4.3.4: the stored response, with its header fields updated from the 304.
      this.client.stats.revalidated++;
      this.x.cache = 'revalidated';
      fromCache = true;
      this.entry.storedAt = this.now;
      const updated = mergeHeaders(this.entry.headers, h.headers);
      this.entry.headers = updated;
      finalHead = { ...h, status: this.entry.status, reason: this.entry.statusText, headers: updated };
      finalBody = this.x.method === 'HEAD' ? new Uint8Array(0) : this.entry.body;
    } else if (h.status === 200 && this.x.method === 'GET' && this.mayStore && this.job.init.keepBody !== false) {
      this.client.store(this.url.href, h, body);
    }
    this.job.report(this.x);
    this.job.responded(this, finalHead, finalBody, fromCache);
  }

  /** The connection failed or closed before the response was complete. */
  connectionLost(error: HttpClientError): void {
    if (this.ended) return;
    this.ended = true;
    // RFC 9112 9.3.1: a request on a reused connection that died before any answer may be retried once.
    if (!this.gotBytes && this.x.timing.requestSent !== undefined && this.job.retry(this)) {
      this.x.phase = 'failed';
      this.x.error = error;
      this.x.timing.end = this.now;
      this.job.report(this.x);
      return;
    }
    this.job.fail(error);
  }

  /** The fetch gave up (timeout, cancel, error): fail this exchange and drop its connection. */
  abort(error: HttpClientError): void {
    this.x.error ??= error;
    this.x.phase = 'failed';
    this.x.timing.end ??= this.now;
    this.cancelWait?.();
    const wasEnded = this.ended;
    this.ended = true;
    this.job.report(this.x);
    if (!wasEnded && this.conn) this.conn.close(error.code === 'cancelled' ? 'client' : 'error');
  }
}

/** One TCP connection of the client, carrying one exchange at a time. */
class ClientConnection {
  readonly socket: TcpSocket;
  readonly parser: ResponseParser;
  name: string;
  connected = false;
  requests = 0;
  private run: ExchangeRun | undefined;
  private closed = false;
  private lastHead: ResponseHead | undefined;
  /** Exchanges carried, to stamp connClosed on. */
  private carried: { x: HttpExchange; job: FetchJob }[] = [];
  private readonly connectTimer: Timer;
  private readonly firstByteTimer: Timer;
  private readonly idleTimer: Timer;

  constructor(
    private readonly client: HttpClient,
    readonly id: number,
    readonly key: string,
    readonly addr: Ipv4Addr,
    readonly port: number,
  ) {
    const ctx = client.host.ctx;
    this.connectTimer = ctx.scheduler.timer(() => this.onConnectTimeout(), 'http connect timeout');
    this.firstByteTimer = ctx.scheduler.timer(() => this.onFirstByteTimeout(), 'http first-byte timeout');
    this.idleTimer = ctx.scheduler.timer(() => this.close('client'), 'http idle');
    this.parser = new ResponseParser(
      {
        onHead: (h) => {
          // A response nobody asked for (bytes after the last one): the framing cannot be trusted any more.
          if (!this.run) return this.close('error');
          this.lastHead = h;
          this.run.onHead(h);
        },
        onInformational: (h) => this.run?.interim(h),
        onData: (d) => {
          if (this.run && !this.run.onData(d)) this.close('error');
        },
        onEnd: () => this.onResponseEnd(),
        onError: (e) => {
          client.host.ctx.drop('app', 'malformed', `HTTP response on ${this.name} refused (${e.code}): ${e.detail}`);
          const run = this.run;
          this.close('error');
          run?.job.fail({ code: 'malformed-response', message: `The server's response is malformed: ${e.detail}` });
        },
      },
      { ...client.options.limits, maxBodyBytes: Number.MAX_SAFE_INTEGER },
    );
    // No Nagle: a request is one write, and should leave at once.
    this.socket = client.host.tcp.connect(addr, port, { nagle: false });
    this.name = this.socket.name;
    this.connectTimer.setIn(client.options.connectTimeoutMs);
    const s = this.socket;
    s.onConnect = () => {
      this.connected = true;
      this.connectTimer.cancel();
      this.client.stats.handshakes++;
      this.run?.send();
    };
    s.onData = () => this.onData();
    s.onWritable = () => this.flush();
    s.onEnd = () => this.onPeerEnd();
    s.onError = (err) => {
      const code: HttpClientErrorCode = err.code === 'ECONNREFUSED' ? 'connection-refused' : !this.connected ? 'connect-failed' : 'connection-reset';
      const message =
        code === 'connection-refused'
          ? `Nothing is listening on port ${this.port} there: the connection was refused.`
          : code === 'connect-failed'
            ? `The connection could not be opened: ${err.message}`
            : `The server reset the connection: ${err.message}`;
      this.lost({ code, message }, 'error');
    };
    // The TCB calls onClose before onError when a connection fails: wait for the error's own report, at the same stack time.
    s.onClose = () => {
      client.host.ctx.scheduler.after(0, () => this.lost({ code: 'connection-closed', message: 'The connection closed before the response was complete.' }, 'server'), 'http connection closed');
    };
  }

  get idle(): boolean {
    return !this.closed && this.connected && this.run === undefined;
  }

  /** Reserved for an exchange (from idle). */
  take(): void {
    this.idleTimer.cancel();
  }

  attach(run: ExchangeRun): void {
    this.idleTimer.cancel();
    this.run = run;
    this.requests++;
    this.carried.push({ x: run.x, job: run.job });
  }

  /** Request bytes the send buffer had no room for yet (a large body): sent on onWritable. */
  private unsent: Uint8Array | undefined;

  write(bytes: Uint8Array): void {
    this.unsent = bytes;
    this.flush();
  }

  private flush(): void {
    const data = this.unsent;
    if (!data || this.closed) return;
    try {
      const n = this.socket.write(data);
      this.unsent = n < data.length ? data.subarray(n) : undefined;
    } catch (err) {
      this.unsent = undefined;
      this.lost({ code: 'connection-closed', message: `The request could not be sent: ${(err as Error).message}` }, 'error');
    }
  }

  armFirstByte(): void {
    this.firstByteTimer.setIn(this.client.options.firstByteTimeoutMs);
  }

  makeIdle(ms: number): void {
    this.idleTimer.setIn(ms);
  }

  private onData(): void {
    while (this.socket.readable > 0) {
      const d = this.socket.read();
      if (this.closed) continue;
      if (!this.run) {
        // Bytes nobody asked for on an idle connection: the framing is lost; drop the connection.
        this.close('error');
        continue;
      }
      this.firstByteTimer.cancel();
      this.run.firstByte();
      this.run.x.transferBytes += d.length;
      this.parser.push(d);
    }
  }

  private onResponseEnd(): void {
    const run = this.run;
    if (!run) return this.close('error');
    this.run = undefined;
    // RFC 9112 9.3: the response decides too (Connection: close, HTTP/1.0 without keep-alive, a close-delimited body).
    const persist = this.client.options.pool && this.lastHead?.keepAlive === true;
    run.onEnd();
    if (this.closed) return;
    if (persist) this.client.release(this);
    else this.close('client');
  }

  private onPeerEnd(): void {
    if (this.closed) return;
    // The server closed its side: a close-delimited body ends here; anything else in progress is cut short.
    this.parser.end();
    if (this.run) {
      this.lost({ code: 'connection-closed', message: 'The server closed the connection before the response was complete.' }, 'server');
      return;
    }
    this.close('server');
  }

  private onConnectTimeout(): void {
    this.lost({ code: 'connect-timeout', message: `The server did not complete the TCP handshake within ${this.client.options.connectTimeoutMs / 1000} s; check the address and the link.` }, 'error');
  }

  private onFirstByteTimeout(): void {
    this.lost({ code: 'first-byte-timeout', message: `The server accepted the request but sent nothing back within ${this.client.options.firstByteTimeoutMs / 1000} s.` }, 'error');
  }

  /** The connection cannot go on: tell the exchange in progress, then close. */
  private lost(error: HttpClientError, by: 'server' | 'error'): void {
    const run = this.run;
    this.run = undefined;
    this.close(by);
    run?.connectionLost(error);
  }

  close(_by: 'client' | 'server' | 'error'): void {
    if (this.closed) return;
    this.closed = true;
    this.connectTimer.cancel();
    this.firstByteTimer.cancel();
    this.idleTimer.cancel();
    const s = this.socket;
    s.onData = undefined;
    s.onWritable = undefined;
    s.onError = undefined;
    s.onClose = undefined;
    s.onConnect = undefined;
    s.onEnd = undefined;
    if (s.state !== 'CLOSED') {
      // Unread bytes would turn our FIN into a RST (RFC 9293 3.10.4): drain them first.
      while (s.readable > 0) s.read();
      if (s.state === 'SYN_SENT') s.abort();
      else s.close();
    }
    const t = this.client.host.ctx.now;
    for (const { x, job } of this.carried) {
      if (x.timing.connClosed === undefined) {
        x.timing.connClosed = t;
        job.report(x);
      }
    }
    this.carried = [];
    this.client.forget(this);
  }
}

function mergeHeaders(stored: HeaderField[], fresh: HeaderField[]): HeaderField[] {
  // RFC 9111 3.2: fields in the 304 replace the stored ones of the same name (framing fields excepted).
  const skip = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
  const names = new Set(fresh.map(([n]) => n.toLowerCase()).filter((n) => !skip.has(n)));
  return [...stored.filter(([n]) => !names.has(n.toLowerCase())), ...fresh.filter(([n]) => names.has(n.toLowerCase()))];
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === total) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
