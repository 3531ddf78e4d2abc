/**
 * An HTTP/1.1 origin server over our TCP (RFC 9110, RFC 9112).
 *
 * One ServerConnection per accepted socket: a strict RequestParser reads
 * requests as they arrive (pipelined ones queue up, answered strictly in
 * order, RFC 9112 9.3.2), a handler (the demo site by default) turns each into
 * a response, and the response goes out with the framing its version allows:
 * Content-Length when the length is known, chunked for HTTP/1.1 when it is
 * not, close-delimited for HTTP/1.0. Large bodies are pulled from their source
 * only as fast as the send buffer drains (backpressure), never held whole.
 *
 * Timers are on the injected scheduler: a request that does not arrive whole
 * within `requestTimeoutMs` of its first byte (or of the connection opening)
 * gets 408 and the connection closes; an idle keep-alive connection closes
 * quietly after `idleTimeoutMs`. Dates are the stack clock plus a fixed epoch.
 */

import type { AppHost } from '../app-host';
import type { TcpSocket } from '../../transport/tcp/tcb';
import type { TcpListener } from '../../transport/tcp/tcp';
import type { Timer } from '../../sim/scheduler';
import type { HeaderField } from './fields';
import { chunkHeader, lastChunk } from './chunked';
import { HTTP_EPOCH_MS, formatHttpDate } from './dates';
import { KNOWN_METHODS, REASONS, RequestParser, formatResponseHead, latin1Bytes, type HttpLimits, type HttpParseError, type HttpVersion, type RequestHead } from './message';
import { DemoSite } from './site';

export const HTTP_PORT = 80;

export interface HttpRequest {
  readonly method: string;
  /** The request-target as sent. */
  readonly target: string;
  /** The path, percent-decoding left to the handler. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly version: HttpVersion;
  readonly headers: HeaderField[];
  readonly body: Uint8Array;
  /** The connection, as the server's TCP names it: "10.0.0.2:80>10.0.0.1:49152". */
  readonly conn: string;
}

/**
 * A body produced on demand. `pull` returns up to `max` bytes (valid until the
 * next pull), 'wait' when nothing is ready yet (call `wake` when it is), or
 * null at the end.
 */
export interface BodySource {
  /** Known length → Content-Length; undefined → chunked (HTTP/1.1) or until close (HTTP/1.0). */
  readonly length: number | undefined;
  pull(max: number): Uint8Array | 'wait' | null;
  /** Set by the server before the first pull. */
  wake?: () => void;
  /** The response was abandoned (connection gone, HEAD): stop timers. */
  cancel?(): void;
  /** Trailer fields after a chunked body. */
  trailers?(): HeaderField[];
}

export interface HttpResponse {
  status: number;
  headers?: HeaderField[];
  body?: Uint8Array | string | BodySource;
  /** Close the connection after this response. */
  close?: boolean;
  /** Wait this long (stack ms) before answering: a slow server, to show time to first byte. */
  delayMs?: number;
}

/** What a handler knows besides the request. */
export interface HandlerContext {
  readonly host: AppHost;
  /** Now as an HTTP date base: epoch ms on the stack clock. */
  readonly nowMs: number;
}

export type HttpHandler = (req: HttpRequest, cx: HandlerContext) => HttpResponse;

export interface HttpServerOptions {
  port?: number;
  /** Requests go here; default: the host's demo site. */
  handler?: HttpHandler;
  limits?: Partial<HttpLimits>;
  /** 408 when a request is not complete this long after it started (or after the connection opened). */
  requestTimeoutMs?: number;
  /** A keep-alive connection with nothing to do closes after this long. */
  idleTimeoutMs?: number;
  /** Requests read ahead of the one being answered before reading stops (TCP's window then closes). */
  maxPipelined?: number;
  /** Epoch ms at stack time 0 (Date, Last-Modified). */
  epochMs?: number;
  /** One line per response, for an access log. */
  onLog?: (entry: HttpLogEntry) => void;
}

export interface HttpLogEntry {
  t: number;
  conn: string;
  method: string;
  target: string;
  status: number;
  /** Body bytes sent (0 for HEAD and 304). */
  bytes: number;
}

export interface HttpServerStats {
  connections: number;
  open: number;
  requests: number;
  errors: number;
  timeouts: number;
}

export const SERVER_NAME = 'wiretab/0.1';

export class HttpServer {
  readonly port: number;
  readonly site: DemoSite;
  readonly stats: HttpServerStats = { connections: 0, open: 0, requests: 0, errors: 0, timeouts: 0 };
  private readonly listener: TcpListener;
  private readonly conns = new Set<ServerConnection>();
  readonly limits: Partial<HttpLimits>;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxPipelined: number;
  readonly epochMs: number;
  readonly handler: HttpHandler;

  constructor(
    readonly host: AppHost,
    readonly options: HttpServerOptions = {},
  ) {
    this.port = options.port ?? HTTP_PORT;
    this.limits = options.limits ?? {};
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 15_000;
    this.maxPipelined = Math.max(1, options.maxPipelined ?? 16);
    this.epochMs = options.epochMs ?? HTTP_EPOCH_MS;
    this.site = new DemoSite(host, () => this.nowMs);
    this.handler = options.handler ?? ((req, cx) => this.site.handle(req, cx));
    // No Nagle (TCP_NODELAY, as web servers set it): each write is one whole unit (a head with a small body, a chunk).
    this.listener = host.tcp.listen(this.port, 128, { nagle: false });
    this.listener.onConnection = () => {
      for (let s = this.listener.accept(); s; s = this.listener.accept()) this.conns.add(new ServerConnection(this, s));
    };
  }

  get nowMs(): number {
    return this.epochMs + this.host.ctx.now;
  }

  /** Replaces (or adds) a page of the demo site; its ETag and Last-Modified change. */
  setPage(path: string, html: string): void {
    this.site.setPage(path, html);
  }

  getPage(path: string): string | undefined {
    return this.site.getPage(path);
  }

  /** Paths of the site's pages (the editable HTML). */
  pages(): string[] {
    return this.site.pagePaths();
  }

  /** Stops listening and aborts every connection. */
  close(): void {
    this.listener.close();
    for (const c of [...this.conns]) c.abort();
  }

  /** The host crashed: stop every timer and forget every connection without a word to peers. */
  halt(): void {
    this.listener.onConnection = undefined;
    for (const c of [...this.conns]) c.halt();
  }

  /** @internal */
  forget(c: ServerConnection): void {
    this.conns.delete(c);
  }

  /** @internal */
  log(entry: HttpLogEntry): void {
    this.options.onLog?.(entry);
  }
}

export function startHttpServer(host: AppHost, options: HttpServerOptions = {}): HttpServer {
  return new HttpServer(host, options);
}

interface Queued {
  head?: RequestHead;
  body?: Uint8Array;
  error?: HttpParseError;
}

const READ_MAX = 16 * 1024;
const PULL_MAX = 32 * 1024;
/** After our FIN, how long we keep reading (and discarding) before letting go (RFC 9112 9.6). */
const LINGER_MS = 5_000;

class ServerConnection {
  private readonly parser: RequestParser;
  private readonly queue: Queued[] = [];
  private head: RequestHead | undefined;
  private bodyParts: Uint8Array[] = [];
  private bodyLen = 0;
  /** The request now being answered. */
  private active: { head: RequestHead | undefined; keepAlive: boolean; source?: BodySource; chunked: boolean; bytes: number; status: number } | undefined;
  private pending: Uint8Array | undefined;
  private continueSent = false;
  private readStopped = false;
  private closing = false;
  private done = false;
  private readonly requestTimer: Timer;
  private readonly idleTimer: Timer;
  private readonly delayTimer: Timer;
  private readonly lingerTimer: Timer;

  constructor(
    private readonly server: HttpServer,
    private readonly s: TcpSocket,
  ) {
    server.stats.connections++;
    server.stats.open++;
    const sched = server.host.ctx.scheduler;
    this.requestTimer = sched.timer(() => this.onRequestTimeout(), 'http request timeout');
    this.idleTimer = sched.timer(() => this.onIdle(), 'http keep-alive idle');
    this.delayTimer = sched.timer(() => this.respondNow(), 'http slow response');
    this.lingerTimer = sched.timer(() => this.finish(), 'http linger');
    this.parser = new RequestParser(
      {
        onHead: (h) => this.onHead(h),
        onData: (d) => {
          // A view into the array socket.read() just made for us: ours to keep, no copy needed.
          this.bodyParts.push(d);
          this.bodyLen += d.length;
          // The body may take long on a slow link; only a stall (no byte for a whole timeout) is a 408.
          this.requestTimer.setIn(server.requestTimeoutMs);
        },
        onEnd: () => this.onMessage(),
        onError: (e) => this.onParseError(e),
      },
      server.limits,
    );
    // A fresh connection must send its request within the request timeout too.
    this.requestTimer.setIn(server.requestTimeoutMs);
    s.onData = () => this.pumpRead();
    s.onEnd = () => this.onPeerEnd();
    s.onWritable = () => this.pumpWrite();
    s.onError = () => this.finish();
    s.onClose = () => this.finish();
  }

  abort(): void {
    if (this.done) return;
    this.s.abort();
    this.finish();
  }

  /** Stops without touching the socket (its host crashed). */
  halt(): void {
    if (this.done) return;
    this.done = true;
    for (const t of [this.requestTimer, this.idleTimer, this.delayTimer, this.lingerTimer]) t.cancel();
    this.active?.source?.cancel?.();
    this.server.stats.open--;
    this.server.forget(this);
  }

  // ---------------- reading ----------------

  private reading = false;

  private pumpRead(): void {
    // Not re-entrant: answering a request from inside push() must not push the next bytes into the middle of this chunk.
    if (this.done || this.reading) return;
    this.reading = true;
    try {
      this.readLoop();
    } finally {
      this.reading = false;
    }
    if (this.s.ended) this.onPeerEnd();
  }

  private readLoop(): void {
    while (this.s.readable > 0) {
      if (this.readStopped || this.closing) {
        // Discard what arrives after we decided to close (RFC 9112 9.6: keep reading so the peer does not get a RST).
        this.s.read();
        continue;
      }
      if (this.queue.length >= this.server.maxPipelined) return; // backpressure: unread data closes the window
      this.parser.push(this.s.read(READ_MAX));
      if (!this.parser.idle && !this.parser.failed && !this.requestTimer.armed) this.requestTimer.setIn(this.server.requestTimeoutMs);
      if (!this.parser.idle) this.idleTimer.cancel();
    }
  }

  private onHead(h: RequestHead): void {
    this.head = h;
    // The header section had its time; the body gets a fresh one (RFC 9110 15.5.9: 408 is for a stalled request).
    this.requestTimer.setIn(this.server.requestTimeoutMs);
    this.bodyParts = [];
    this.bodyLen = 0;
    this.continueSent = false;
    // RFC 9110 10.1.1: ask for the body only once everything before it is answered, so 100 is never out of order.
    if (h.expectContinue && !this.active && this.queue.length === 0) this.sendContinue();
  }

  private sendContinue(): void {
    this.continueSent = true;
    this.write(latin1Bytes('HTTP/1.1 100 Continue\r\n\r\n'));
  }

  private onMessage(): void {
    const head = this.head!;
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : concat(this.bodyParts, this.bodyLen);
    this.head = undefined;
    this.bodyParts = [];
    this.requestTimer.cancel();
    this.queue.push({ head, body });
    this.next();
  }

  private onParseError(e: HttpParseError): void {
    // Untrusted input: counted and traced with its reason; the client gets the status and the sentence.
    this.server.host.ctx.drop('app', 'malformed', `HTTP request on ${this.s.name} refused (${e.status}, ${e.code}): ${e.detail}`);
    this.requestTimer.cancel();
    this.readStopped = true;
    this.queue.push({ error: e, head: this.head });
    this.next();
  }

  private onRequestTimeout(): void {
    if (this.done || this.readStopped) return;
    this.server.stats.timeouts++;
    this.readStopped = true;
    this.queue.push({ error: { code: 'unexpected-eof', status: 408, detail: `The request did not arrive in full within ${this.server.requestTimeoutMs / 1000} seconds, so the server stopped waiting.` } });
    this.next();
  }

  private onIdle(): void {
    if (this.active || this.queue.length > 0) return;
    this.closeGracefully();
  }

  private onPeerEnd(): void {
    if (this.done || this.closing) {
      if (this.closing && this.s.ended && !this.pending) this.finish();
      return;
    }
    if (!this.readStopped) {
      // The client half-closed: a message cut short is an error; between messages it is a goodbye.
      this.parser.end();
      this.readStopped = true;
    }
    this.requestTimer.cancel();
    if (!this.active && this.queue.length === 0) this.closeGracefully();
  }

  // ---------------- answering ----------------

  /** Starts answering the next queued request, if none is being answered. */
  private next(): void {
    if (this.active || this.closing || this.done) return;
    const item = this.queue.shift();
    if (!item) {
      if (this.readStopped) return this.closeGracefully();
      if (this.parser.idle) this.idleTimer.setIn(this.server.idleTimeoutMs);
      // A request waiting for 100 Continue behind the ones just answered gets it now.
      if (this.head?.expectContinue && !this.continueSent) this.sendContinue();
      return this.pumpRead();
    }
    this.idleTimer.cancel();
    const head = item.head;
    let res: HttpResponse;
    if (item.error) {
      this.server.stats.errors++;
      res = errorResponse(item.error);
      res.close = true;
    } else {
      res = this.handle(head!, item.body ?? new Uint8Array(0));
    }
    this.active = { head, keepAlive: !item.error && head!.keepAlive && !res.close, chunked: false, bytes: 0, status: res.status };
    if (res.delayMs && res.delayMs > 0) {
      this.pendingResponse = res;
      this.delayTimer.setIn(res.delayMs);
    } else this.send(res);
  }

  private pendingResponse: HttpResponse | undefined;

  private respondNow(): void {
    const res = this.pendingResponse;
    this.pendingResponse = undefined;
    if (res && !this.done) this.send(res);
  }

  private handle(head: RequestHead, body: Uint8Array): HttpResponse {
    this.server.stats.requests++;
    this.server.host.ctx.counters.inc('app', 'requests');
    // RFC 9110 15.6.2: a method the server does not recognise → 501.
    if (!KNOWN_METHODS.has(head.method)) {
      return { status: 501, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: `The method ${head.method} is not implemented by this server. Use GET, HEAD, POST or OPTIONS.\n` };
    }
    // origin-form, or absolute-form whose path we take (RFC 9112 3.2.2).
    const rawPath = head.target.startsWith('/') || head.target === '*' ? head.target : head.target.replace(/^https?:\/\/[^/?#]*/i, '') || '/';
    const qi = rawPath.indexOf('?');
    const req: HttpRequest = {
      method: head.method,
      target: head.target,
      path: qi >= 0 ? rawPath.slice(0, qi) : rawPath,
      query: new URLSearchParams(qi >= 0 ? rawPath.slice(qi + 1) : ''),
      version: head.version,
      headers: head.headers,
      body,
      conn: this.s.name,
    };
    try {
      return this.server.handler(req, { host: this.server.host, nowMs: this.server.nowMs });
    } catch (err) {
      // A handler's bug is the server's problem, not the client's: 500, and the stack carries on.
      return { status: 500, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: `The server failed while answering: ${(err as Error).message}\n` };
    }
  }

  private send(res: HttpResponse): void {
    const active = this.active!;
    const head = active.head;
    const isHead = head?.method === 'HEAD';
    const version: HttpVersion = head?.version ?? '1.1';
    const headers: HeaderField[] = [['Date', formatHttpDate(this.server.nowMs)], ['Server', SERVER_NAME], ...(res.headers ?? [])];
    const body = typeof res.body === 'string' ? utf8(res.body) : res.body;
    // RFC 9110 6.4.1: 1xx, 204 and 304 never have content.
    const noContent = res.status === 204 || res.status === 304 || res.status < 200;
    let source: BodySource | undefined;
    let fixed: Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      fixed = body;
      // RFC 9110 8.6: Content-Length on every response whose length we know (also for HEAD: what GET would send).
      if (!noContent) headers.push(['Content-Length', String(body.length)]);
    } else if (body) {
      source = body;
      if (source.length !== undefined) {
        if (!noContent) headers.push(['Content-Length', String(source.length)]);
      } else if (version === '1.1') {
        active.chunked = true;
        headers.push(['Transfer-Encoding', 'chunked']);
      } else {
        // RFC 9112 6.3 rule 8: an HTTP/1.0 client learns the end from the close.
        active.keepAlive = false;
      }
    } else if (!noContent) {
      headers.push(['Content-Length', '0']);
    }
    // RFC 9112 9.6 / 9.3: say so when we will close; an HTTP/1.0 client that asked to keep alive is told we do.
    if (!active.keepAlive) headers.push(['Connection', 'close']);
    else if (version === '1.0') headers.push(['Connection', 'keep-alive']);
    const reason = REASONS[res.status] ?? 'Unknown';
    const headBytes = latin1Bytes(formatResponseHead(res.status, reason, headers));
    if (isHead || noContent) {
      source?.cancel?.();
      this.write(headBytes);
      return this.responseDone();
    }
    if (fixed) {
      // One write for head and body, so both leave in as few segments as possible.
      const all = new Uint8Array(headBytes.length + fixed.length);
      all.set(headBytes);
      all.set(fixed, headBytes.length);
      active.bytes = fixed.length;
      this.write(all);
      return this.responseDone();
    }
    this.write(headBytes);
    if (!source) return this.responseDone();
    active.source = source;
    source.wake = () => this.pumpWrite();
    this.pumpWrite();
  }

  /** Pulls the active body source as far as the send buffer allows. */
  private pumpWrite(): void {
    if (this.done) return;
    if (this.pending) {
      const n = this.s.write(this.pending);
      if (n < this.pending.length) {
        this.pending = this.pending.subarray(n);
        return;
      }
      this.pending = undefined;
    }
    if (this.closing) {
      this.sendFin();
      if (this.s.ended) this.finish();
      return;
    }
    const active = this.active;
    const src = active?.source;
    if (!active || !src) return;
    for (;;) {
      const piece = src.pull(PULL_MAX);
      if (piece === 'wait') return;
      if (piece === null) {
        if (active.chunked) this.write(latin1Bytes(lastChunk(src.trailers?.() ?? [])));
        active.source = undefined;
        return this.responseDone();
      }
      if (piece.length === 0) continue;
      active.bytes += piece.length;
      let out = piece;
      if (active.chunked) {
        // RFC 9112 7.1: chunk-size CRLF chunk-data CRLF, as one write.
        const h = latin1Bytes(chunkHeader(piece.length));
        out = new Uint8Array(h.length + piece.length + 2);
        out.set(h);
        out.set(piece, h.length);
        out[out.length - 2] = 13;
        out[out.length - 1] = 10;
      }
      if (!this.write(out)) return; // the rest waits for onWritable
    }
  }

  /** Writes or queues bytes; false when the send buffer is full. */
  private write(data: Uint8Array): boolean {
    if (this.done) return false;
    if (this.pending) {
      this.pending = concat([this.pending, data], this.pending.length + data.length);
      return false;
    }
    let n = 0;
    try {
      n = this.s.write(data);
    } catch {
      this.finish();
      return false;
    }
    if (n < data.length) {
      // The source's buffer may be reused by its next pull: keep a copy of what is left.
      this.pending = data.slice(n);
      return false;
    }
    return true;
  }

  private responseDone(): void {
    const a = this.active!;
    const h = a.head;
    this.server.log({ t: this.server.host.ctx.now, conn: this.s.name, method: h?.method ?? '-', target: h?.target ?? '-', status: a.status, bytes: h?.method === 'HEAD' ? 0 : a.bytes });
    this.active = undefined;
    if (!a.keepAlive) return this.closeGracefully();
    this.next();
  }

  /** Half-closes after what is queued, then reads and discards until the peer closes too (RFC 9112 9.6). */
  private closeGracefully(): void {
    if (this.closing || this.done) return;
    this.closing = true;
    this.requestTimer.cancel();
    this.idleTimer.cancel();
    this.active?.source?.cancel?.();
    // The FIN goes after the last byte of the response: if some still waits for room, pumpWrite sends the FIN.
    if (!this.pending) this.sendFin();
    this.pumpRead();
  }

  private finSent = false;

  private sendFin(): void {
    if (this.finSent || this.done) return;
    this.finSent = true;
    this.s.shutdown();
    this.lingerTimer.setIn(LINGER_MS);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.requestTimer.cancel();
    this.idleTimer.cancel();
    this.delayTimer.cancel();
    this.lingerTimer.cancel();
    this.active?.source?.cancel?.();
    this.server.stats.open--;
    this.server.forget(this);
    this.s.onData = undefined;
    this.s.onWritable = undefined;
    if (this.s.state !== 'CLOSED') {
      while (this.s.readable > 0) this.s.read();
      this.s.close();
    }
  }
}

/** The answer to a request the parser refused, or to a timeout: its status, with the reason in words. */
export function errorResponse(e: HttpParseError): HttpResponse {
  const status = e.status >= 400 && e.status < 600 ? e.status : 400;
  const reason = REASONS[status] ?? 'Error';
  return {
    status,
    headers: [['Content-Type', 'text/plain; charset=utf-8']],
    body: `${status} ${reason}\n\n${e.detail}\n`,
    close: true,
  };
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

