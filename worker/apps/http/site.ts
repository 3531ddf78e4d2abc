/**
 * Each host's built-in web site: a few pages that link to each other (with the
 * host's name in them), a style sheet, an SVG and a PNG, files for throughput
 * tests streamed from a deterministic pattern (never held in memory), and one
 * endpoint per status code worth seeing. Pages are plain HTML + CSS: the
 * mini-browser shows them in a sandboxed iframe without scripts.
 *
 * Every static resource supports conditional requests (ETag / If-None-Match,
 * Last-Modified / If-Modified-Since → 304, RFC 9110 13) and byte ranges
 * (single → 206, several → multipart/byteranges, none satisfiable → 416,
 * RFC 9110 14).
 */

import { formatIpv4 } from '../../wire/addr';
import type { AppHost } from '../app-host';
import { fillPattern } from '../bulk';
import { getField, type HeaderField } from './fields';
import { formatHttpDate, parseHttpDate } from './dates';
import { REASONS } from './message';
import { encodePng } from './png';
import type { BodySource, HandlerContext, HttpRequest, HttpResponse } from './server';

/** A representation the site can serve whole or in ranges. */
export interface Resource {
  readonly type: string;
  readonly length: number;
  readonly etag: string;
  /** Epoch ms, whole seconds. */
  readonly lastModified: number;
  readonly cacheControl: string;
  /** Bytes [offset, offset + out.length) into `out`, or a view of them. */
  read(offset: number, max: number, scratch: Uint8Array): Uint8Array;
}

/** Largest /bytes/N. */
export const MAX_GENERATED_BYTES = 100 * 1024 * 1024;
/** Largest page a person can set. */
export const MAX_PAGE_BYTES = 256 * 1024;
const MAX_RANGES = 16;
const BOUNDARY = 'wiretab-byteranges-3d6b1f';
const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

/** Files served from the pattern of bulk.ts (seed = size), so a client can check every byte. */
export const FILES: Readonly<Record<string, number>> = { '/files/1MB.bin': 1 << 20, '/files/10MB.bin': 10 << 20 };

export class DemoSite {
  private readonly pages = new Map<string, Resource & { html: string }>();
  private readonly assets = new Map<string, Resource>();
  private version = 0;

  constructor(
    private readonly host: AppHost,
    private readonly nowMs: () => number,
  ) {
    const start = seconds(nowMs());
    for (const [path, html] of Object.entries(defaultPages(host))) this.pages.set(path, this.page(html, start));
    this.assets.set('/style.css', memory('text/css; charset=utf-8', utf8(STYLE), start, 'max-age=60'));
    this.assets.set('/logo.svg', memory('image/svg+xml', utf8(logoSvg(host.name)), start, 'max-age=60'));
    this.assets.set('/pixel.png', memory('image/png', hostPng(host.name), start, 'max-age=60'));
  }

  setPage(path: string, html: string): void {
    if (!path.startsWith('/')) throw new Error(`A page path starts with "/", like /about.html; "${path}" does not.`);
    const bytes = utf8(html);
    if (bytes.length > MAX_PAGE_BYTES) throw new Error(`That page is ${bytes.length} bytes; pages can be at most ${MAX_PAGE_BYTES} bytes.`);
    this.pages.set(canonical(path), this.page(html, seconds(this.nowMs())));
  }

  getPage(path: string): string | undefined {
    return this.pages.get(canonical(path))?.html;
  }

  pagePaths(): string[] {
    return [...this.pages.keys()];
  }

  private page(html: string, lastModified: number): Resource & { html: string } {
    const bytes = utf8(html);
    // A strong validator that changes with every edit: a hash of the bytes plus an edit counter.
    const etag = `"${fnv1a(bytes).toString(16)}-${(this.version++).toString(16)}"`;
    return { ...memory(HTML, bytes, lastModified, 'no-cache'), etag, html };
  }

  handle(req: HttpRequest, cx: HandlerContext): HttpResponse {
    const path = req.path;
    if (req.target === '*') {
      // RFC 9110 9.3.7: OPTIONS * asks about the server as a whole.
      return { status: 204, headers: [['Allow', 'GET, HEAD, POST, PUT, OPTIONS']] };
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) return this.status(Number(status[1]), req);
    const redirect = /^\/redirect\/(301|302|303|307|308)$/.exec(path);
    if (redirect) {
      const code = Number(redirect[1]);
      const to = req.query.get('to') ?? '/';
      return withBody(code, [['Location', to.startsWith('/') ? to : '/']], `${code} ${REASONS[code]}: go to ${to}\n`);
    }
    const chain = /^\/redirect\/chain\/(\d{1,3})$/.exec(path);
    if (chain) {
      const n = Number(chain[1]);
      return withBody(302, [['Location', n > 1 ? `/redirect/chain/${n - 1}` : '/']], `${n} redirects to go.\n`);
    }
    switch (path) {
      case '/redirect/loop':
        return withBody(302, [['Location', '/redirect/loop']], 'This redirects to itself forever; a client must give up after a few.\n');
      case '/old-page':
        return withBody(301, [['Location', '/about.html']], 'This page moved to /about.html for good.\n');
      case '/echo':
        return { status: 200, headers: [['Content-Type', TEXT], ['Cache-Control', 'no-store']], body: echo(req) };
      case '/form':
        if (req.method !== 'POST') return methodNotAllowed('POST');
        // RFC 9110 15.4.4: 303 sends the browser to GET a result page after a POST.
        return withBody(303, [['Location', '/thanks.html']], 'Thanks! See /thanks.html.\n');
      case '/upload':
        return this.upload(req);
      case '/chunked':
        return this.chunked(req, cx);
      case '/slow': {
        const ms = clampInt(req.query.get('ms'), 0, 60_000, 2000);
        return { status: 200, headers: [['Content-Type', TEXT], ['Cache-Control', 'no-store']], body: `This answer waited ${ms} ms before its first byte.\n`, delayMs: ms };
      }
      case '/busy':
        return this.status(503, req);
      case '/error':
        return this.status(500, req);
    }
    const bytes = /^\/bytes\/(\d{1,9})$/.exec(path);
    if (bytes) {
      const n = Number(bytes[1]);
      if (n > MAX_GENERATED_BYTES) return withBody(400, [], `At most ${MAX_GENERATED_BYTES} bytes can be asked for; ${n} is too many.\n`);
      return this.serve(req, patternResource(n, seconds(cx.nowMs)), []);
    }
    const file = FILES[path];
    if (file !== undefined) return this.serve(req, patternResource(file, 0), [['Content-Disposition', `attachment; filename="${path.slice(7)}"`]]);
    const page = this.pages.get(canonical(path));
    if (page) return this.serve(req, page, []);
    const asset = this.assets.get(path);
    if (asset) return this.serve(req, asset, []);
    return { status: 404, headers: [['Content-Type', HTML]], body: notFoundPage(this.host, path) };
  }

  /** GET/HEAD of a resource, with conditionals (RFC 9110 13.2.2 order) and ranges (RFC 9110 14). */
  serve(req: HttpRequest, r: Resource, extra: HeaderField[]): HttpResponse {
    const m = req.method;
    if (m === 'OPTIONS') return { status: 204, headers: [['Allow', 'GET, HEAD, OPTIONS']] };
    if (m !== 'GET' && m !== 'HEAD') return methodNotAllowed('GET, HEAD, OPTIONS');
    const validators: HeaderField[] = [['ETag', r.etag], ['Last-Modified', formatHttpDate(r.lastModified)], ['Cache-Control', r.cacheControl]];
    const h = req.headers;
    const ifMatch = getField(h, 'if-match');
    const ifUnmod = getField(h, 'if-unmodified-since');
    const ifNone = getField(h, 'if-none-match');
    const ifMod = getField(h, 'if-modified-since');
    // RFC 9110 13.2.2 steps 1-2: preconditions on the current state.
    if (ifMatch !== undefined ? !etagMatches(ifMatch, r.etag, true) : ifUnmod !== undefined && isAfter(r.lastModified, ifUnmod)) {
      return withBody(412, validators, 'The resource changed since the version the precondition names.\n');
    }
    // Step 3: If-None-Match (weak comparison) → 304 for GET/HEAD.
    if (ifNone !== undefined) {
      if (etagMatches(ifNone, r.etag, false)) return { status: 304, headers: validators };
    } else if (ifMod !== undefined) {
      // Step 4: If-Modified-Since only without If-None-Match.
      const since = parseHttpDate(ifMod);
      if (since !== undefined && r.lastModified <= since) return { status: 304, headers: validators };
    }
    const headers: HeaderField[] = [['Content-Type', r.type], ...validators, ['Accept-Ranges', 'bytes'], ...extra];
    const range = getField(h, 'range');
    const ifRange = getField(h, 'if-range');
    // RFC 9110 14.2: Range only for GET; 13.1.5: If-Range that does not match means "send it all".
    if (range !== undefined && m === 'GET' && (ifRange === undefined || ifRangeHolds(ifRange, r))) {
      const ranges = parseRanges(range, r.length);
      if (ranges === 'unsatisfiable') {
        return withBody(416, [['Content-Range', `bytes */${r.length}`], ['Content-Type', TEXT]], `None of the ranges "${range.slice(0, 60)}" lies within the ${r.length} bytes of this resource.\n`);
      }
      if (ranges) return partial(r, ranges, headers);
    }
    return { status: 200, headers, body: rangeSource(r, [[0, r.length - 1]]) };
  }

  private status(code: number, req: HttpRequest): HttpResponse {
    const reason = REASONS[code];
    if (!reason || code < 200) return { status: 404, headers: [['Content-Type', HTML]], body: notFoundPage(this.host, req.path) };
    const headers: HeaderField[] = [['Cache-Control', 'no-store']];
    if (code === 204 || code === 304) return { status: code, headers };
    if (code >= 300 && code < 400) headers.push(['Location', '/']);
    if (code === 405) headers.push(['Allow', 'GET, HEAD']);
    // RFC 9110 10.2.3: tell the client when to try again.
    if (code === 503) headers.push(['Retry-After', '120']);
    if (code === 401) headers.push(['WWW-Authenticate', 'Basic realm="wiretab"']);
    if (code === 416) headers.push(['Content-Range', 'bytes */0']);
    headers.push(['Content-Type', HTML]);
    return { status: code, headers, body: statusPage(this.host, code, reason), close: code === 408 };
  }

  private upload(req: HttpRequest): HttpResponse {
    if (req.method !== 'POST' && req.method !== 'PUT') return methodNotAllowed('POST, PUT');
    // RFC 9110 15.5.12: this endpoint insists on a declared length (a chunked upload gets 411).
    if (getField(req.headers, 'content-length') === undefined) {
      return withBody(411, [['Content-Type', TEXT]], 'Send the upload with a Content-Length header; this endpoint does not take chunked uploads.\n');
    }
    return { status: 201, headers: [['Content-Type', TEXT], ['Location', '/upload']], body: `Received ${req.body.length} bytes (FNV-1a ${fnv1a(req.body).toString(16)}).\n` };
  }

  /** Chunks over time: `n` chunks, one every `ms` (stack time), so each shows up on the wire on its own. */
  private chunked(req: HttpRequest, _cx: HandlerContext): HttpResponse {
    const n = clampInt(req.query.get('n'), 1, 1000, 8);
    const ms = clampInt(req.query.get('ms'), 0, 10_000, 250);
    const sched = this.host.ctx.scheduler;
    let sent = 0;
    let ready = 1; // the first chunk goes at once
    const started = sched.now;
    const timer = sched.timer(() => {
      ready++;
      if (ready < n) timer.setIn(ms);
      src.wake?.();
    }, 'http chunk');
    const src: BodySource = {
      length: undefined,
      pull() {
        if (sent >= n) return null;
        if (sent >= ready) {
          if (!timer.armed) timer.setIn(ms);
          return 'wait';
        }
        sent++;
        return utf8(`chunk ${sent} of ${n}, sent at t+${Math.round(sched.now - started)} ms\n`);
      },
      cancel: () => timer.cancel(),
      trailers: () => [['X-Chunk-Count', String(n)]],
    };
    return { status: 200, headers: [['Content-Type', TEXT], ['Cache-Control', 'no-store']], body: src };
  }
}

// ---------------- ranges ----------------

type Ranges = [first: number, last: number][];

/**
 * RFC 9110 14.1.2: "bytes=0-99", "bytes=100-", "bytes=-100", comma-separated.
 * Returns the satisfiable ranges, 'unsatisfiable', or undefined when the field
 * is not a byte-range set we understand (then it is ignored, RFC 9110 14.2).
 */
export function parseRanges(value: string, length: number): Ranges | 'unsatisfiable' | undefined {
  const m = /^bytes=(.+)$/i.exec(value.trim());
  if (!m) return undefined;
  const specs = m[1]!.split(',').map((s) => s.trim());
  if (specs.length > MAX_RANGES) return 'unsatisfiable'; // RFC 9110 14.2: a server may refuse many ranges
  const out: Ranges = [];
  for (const spec of specs) {
    const r = /^(\d{0,15})-(\d{0,15})$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return undefined;
    if (r[1] === '') {
      // suffix-range: the last N bytes
      const n = Number(r[2]);
      if (n > 0 && length > 0) out.push([Math.max(0, length - n), length - 1]);
      continue;
    }
    const first = Number(r[1]);
    if (r[2] !== '' && Number(r[2]) < first) return undefined; // invalid, so the whole field is ignored
    const last = r[2] === '' ? length - 1 : Math.min(Number(r[2]), length - 1);
    if (first < length) out.push([first, last]);
  }
  return out.length === 0 ? 'unsatisfiable' : out;
}

function partial(r: Resource, ranges: Ranges, headers: HeaderField[]): HttpResponse {
  if (ranges.length === 1) {
    const [a, b] = ranges[0]!;
    return { status: 206, headers: [...headers, ['Content-Range', `bytes ${a}-${b}/${r.length}`]], body: rangeSource(r, ranges) };
  }
  // RFC 9110 14.6: several ranges → multipart/byteranges, each part with its own Content-Range.
  const parts: (Uint8Array | [number, number])[] = [];
  for (const [a, b] of ranges) {
    parts.push(utf8(`\r\n--${BOUNDARY}\r\nContent-Type: ${r.type}\r\nContent-Range: bytes ${a}-${b}/${r.length}\r\n\r\n`));
    parts.push([a, b]);
  }
  parts.push(utf8(`\r\n--${BOUNDARY}--\r\n`));
  const rest = headers.filter(([n]) => n !== 'Content-Type');
  return { status: 206, headers: [['Content-Type', `multipart/byteranges; boundary=${BOUNDARY}`], ...rest], body: partsSource(r, parts) };
}

function rangeSource(r: Resource, ranges: Ranges): BodySource {
  return partsSource(
    r,
    ranges.map(([a, b]) => [a, b] as [number, number]),
  );
}

/** A body made of literal bytes and ranges of a resource, read on demand. */
function partsSource(r: Resource, parts: (Uint8Array | [number, number])[]): BodySource {
  let length = 0;
  for (const p of parts) length += p instanceof Uint8Array ? p.length : p[1] - p[0] + 1;
  let i = 0;
  let offset = 0; // within the current part
  let scratch: Uint8Array | undefined;
  return {
    length,
    pull(max) {
      while (i < parts.length) {
        const p = parts[i]!;
        const size = p instanceof Uint8Array ? p.length : p[1] - p[0] + 1;
        if (offset >= size) {
          i++;
          offset = 0;
          continue;
        }
        const n = Math.min(max, size - offset);
        let out: Uint8Array;
        if (p instanceof Uint8Array) out = p.subarray(offset, offset + n);
        else {
          scratch ??= new Uint8Array(max);
          out = r.read(p[0] + offset, n, scratch);
        }
        offset += out.length;
        return out;
      }
      return null;
    },
  };
}

function memory(type: string, bytes: Uint8Array, lastModified: number, cacheControl: string): Resource {
  return {
    type,
    length: bytes.length,
    etag: `"${fnv1a(bytes).toString(16)}"`,
    lastModified,
    cacheControl,
    read: (offset, max) => bytes.subarray(offset, offset + max),
  };
}

function patternResource(length: number, lastModified: number): Resource {
  const seed = length;
  return {
    type: 'application/octet-stream',
    length,
    etag: `"pattern-${length.toString(16)}"`,
    lastModified,
    cacheControl: 'no-cache',
    read(offset, max, scratch) {
      const out = scratch.subarray(0, Math.min(max, scratch.length, length - offset));
      fillPattern(seed, offset, out);
      return out;
    },
  };
}

// ---------------- validators ----------------

/** RFC 9110 8.8.3.2: strong comparison needs both strong and equal; weak compares the opaque tags only. */
function etagMatches(field: string, etag: string, strong: boolean): boolean {
  if (field.trim() === '*') return true;
  for (const raw of field.split(',')) {
    const t = raw.trim();
    const weak = t.startsWith('W/');
    if (strong && weak) continue;
    if ((weak ? t.slice(2) : t) === etag) return true;
  }
  return false;
}

function isAfter(lastModified: number, date: string): boolean {
  const d = parseHttpDate(date);
  return d !== undefined && lastModified > d;
}

/** RFC 9110 13.1.5: If-Range holds a strong ETag or a date equal to Last-Modified. */
function ifRangeHolds(value: string, r: Resource): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return etagMatches(v, r.etag, true);
  const d = parseHttpDate(v);
  return d !== undefined && d === r.lastModified;
}

// ---------------- small helpers ----------------

function withBody(status: number, headers: HeaderField[], text: string): HttpResponse {
  const h = headers.some(([n]) => n === 'Content-Type') ? headers : [...headers, ['Content-Type', TEXT] as HeaderField];
  return { status, headers: h, body: text };
}

/** RFC 9110 15.5.6: 405 carries Allow. */
function methodNotAllowed(allow: string): HttpResponse {
  return withBody(405, [['Allow', allow]], `This resource answers only ${allow}.\n`);
}

function echo(req: HttpRequest): string {
  let s = `${req.method} ${req.target} HTTP/${req.version}\n`;
  for (const [n, v] of req.headers) s += `${n}: ${v}\n`;
  s += `\n(${req.body.length} body bytes; connection ${req.conn})\n`;
  return s;
}

function canonical(path: string): string {
  return path === '/index.html' ? '/' : path;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function clampInt(v: string | null, min: number, max: number, dflt: number): number {
  if (v === null || !/^\d{1,9}$/.test(v)) return dflt;
  return Math.min(max, Math.max(min, Number(v)));
}

export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hueOf(name: string): number {
  return fnv1a(utf8(name)) % 360;
}

// ---------------- content ----------------

function layout(host: AppHost, title: string, body: string): string {
  const name = escapeHtml(host.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} · ${name}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body style="--hue: ${hueOf(host.name)}">
<header><img src="/logo.svg" alt="" width="40" height="40"><div><strong>${name}</strong><small>${formatIpv4(host.address)} · served over wiretab's own TCP</small></div></header>
<nav><a href="/">Home</a><a href="/about.html">About</a><a href="/gallery.html">Pictures</a><a href="/status.html">Status codes</a><a href="/script.html">Script test</a></nav>
<main>
${body}
</main>
<footer>HTTP/1.1 from ${name} (${formatIpv4(host.address)}), port 80.</footer>
</body>
</html>
`;
}

const STATUS_DEMOS: [string, string, string][] = [
  ['200', '/status/200', 'OK: a page with a body'],
  ['204', '/status/204', 'No Content: headers only'],
  ['206', '/files/1MB.bin', 'Partial Content: send Range: bytes=0-99 (several ranges give multipart/byteranges; none that fit give 416)'],
  ['301', '/old-page', 'Moved Permanently to /about.html'],
  ['302', '/redirect/302', 'Found: a temporary redirect to /'],
  ['303', '/redirect/303', 'See Other: what a POST to /form answers'],
  ['304', '/about.html', 'Not Modified: load a page twice; the second request carries If-None-Match'],
  ['307', '/redirect/307', 'Temporary Redirect that keeps the method'],
  ['308', '/redirect/308', 'Permanent Redirect that keeps the method'],
  ['3xx', '/redirect/chain/3', 'three redirects in a row; /redirect/loop never ends'],
  ['400', '/status/400', 'Bad Request (the real one: leave out Host, or send a malformed line)'],
  ['404', '/no/such/page', 'Not Found'],
  ['405', '/status/405', 'Method Not Allowed, with Allow (the real one: POST to a page)'],
  ['408', '/status/408', 'Request Timeout (the real one: open a connection and send nothing for 10 s)'],
  ['411', '/upload', 'Length Required: a chunked POST to /upload'],
  ['413', '/upload', 'Content Too Large: POST more than 1 MiB'],
  ['414', '/status/414', 'URI Too Long (the real one: a request-line over 8 KiB)'],
  ['416', '/status/416', 'Range Not Satisfiable (the real one: Range: bytes=99999999-)'],
  ['500', '/error', 'Internal Server Error'],
  ['501', '/status/501', 'Not Implemented (the real one: a method like BREW)'],
  ['503', '/busy', 'Service Unavailable, with Retry-After'],
  ['505', '/status/505', 'HTTP Version Not Supported (the real one: HTTP/2.0 in the request-line)'],
  ['chunked', '/chunked?n=8&ms=250', 'a body sent in chunks over time'],
  ['slow', '/slow?ms=2000', 'two seconds before the first byte'],
  ['echo', '/echo', 'your request, as the server saw it'],
  ['1 MB', '/files/1MB.bin', 'a download for throughput'],
  ['10 MB', '/files/10MB.bin', 'a bigger one, streamed'],
  ['N bytes', '/bytes/65536', 'any size up to 100 MB'],
];

function defaultPages(host: AppHost): Record<string, string> {
  const name = escapeHtml(host.name);
  const rows = STATUS_DEMOS.map(([code, href, what]) => `<tr><td><code>${code}</code></td><td><a href="${href}">${escapeHtml(href)}</a></td><td>${escapeHtml(what)}</td></tr>`).join('\n');
  return {
    '/': layout(
      host,
      'Home',
      `<h1>Welcome to ${name}'s web site</h1>
<p class="lead">This page came to you over a TCP connection you can watch: every segment of it is in the packet list, the handshake and the close in the ladder.</p>
<div class="cards">
<a class="card" href="/about.html"><h2>About ${name}</h2><p>Who serves this, and how.</p></a>
<a class="card" href="/gallery.html"><h2>Pictures</h2><p>An SVG and a PNG, each one more request.</p></a>
<a class="card" href="/status.html"><h2>Status codes</h2><p>200 to 505, each one a link.</p></a>
<a class="card" href="/script.html"><h2>Script test</h2><p>Does a page from a peer get to run code?</p></a>
</div>
<p>Reload this page: the second time your browser asks <code>If-None-Match</code> and ${name} answers <code>304 Not Modified</code> without the page.</p>`,
    ),
    '/about.html': layout(
      host,
      'About',
      `<h1>About ${name}</h1>
<p>${name} is a host at <code>${formatIpv4(host.address)}</code> on the lab's 10.0.0.0/24 network. Its TCP/IP stack is TypeScript running in a Web Worker; the "cable" is a WebRTC data channel that may lose and reorder frames, so every retransmission you see is ours.</p>
<p>This server speaks HTTP/1.1: persistent connections by default, chunked transfer coding, pipelining, conditional requests and byte ranges.</p>
<p><a href="/">Back home</a></p>`,
    ),
    '/gallery.html': layout(
      host,
      'Pictures',
      `<h1>Pictures from ${name}</h1>
<figure><img src="/logo.svg" alt="${name}'s logo" width="160" height="160"><figcaption>An SVG: text that stays sharp at any size.</figcaption></figure>
<figure><img src="/pixel.png" alt="a colour gradient" width="160" height="160" class="pixelated"><figcaption>A 32×32 PNG, made in code when the host booted.</figcaption></figure>`,
    ),
    '/status.html': layout(host, 'Status codes', `<h1>Status codes to try</h1>\n<table>\n<thead><tr><th>Code</th><th>Link</th><th>What happens</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`),
    '/script.html': layout(
      host,
      'Script test',
      `<h1>Is a script allowed to run?</h1>
<p id="verdict" class="ok">No: scripts are blocked. This sentence would have been replaced by the script below.</p>
<script>document.getElementById('verdict').textContent = 'A script ran! A page from a peer could do anything this page can.'; document.getElementById('verdict').className = 'bad';</script>
<noscript><p class="ok">The browser reports that scripting is disabled for this page.</p></noscript>
<p>The page comes from another tab (or another person's laptop), so it is untrusted. The mini-browser shows it in an <code>&lt;iframe sandbox&gt;</code> without <code>allow-scripts</code>, under a strict Content-Security-Policy.</p>`,
    ),
    '/thanks.html': layout(host, 'Thanks', `<h1>Thanks!</h1>\n<p>Your form was posted to <code>/form</code>, which answered <code>303 See Other</code>; your browser then fetched this page with GET.</p>`),
  };
}

function statusPage(host: AppHost, code: number, reason: string): string {
  return layout(host, `${code} ${reason}`, `<h1>${code} ${escapeHtml(reason)}</h1>\n<p>${escapeHtml(host.name)} answered with status ${code} because you asked for it.</p>\n<p><a href="/status.html">More status codes</a></p>`);
}

function notFoundPage(host: AppHost, path: string): string {
  return layout(host, '404 Not Found', `<h1>404 Not Found</h1>\n<p>${escapeHtml(host.name)} has nothing at <code>${escapeHtml(path.slice(0, 200))}</code>.</p>\n<p><a href="/">Go home</a></p>`);
}

function logoSvg(name: string): string {
  const hue = hueOf(name);
  const letter = escapeHtml((name[0] ?? '?').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="14" fill="hsl(${hue} 60% 45%)"/>
<circle cx="32" cy="32" r="20" fill="none" stroke="white" stroke-width="3" stroke-dasharray="6 4"/>
<text x="32" y="41" font-family="system-ui, sans-serif" font-size="26" font-weight="700" text-anchor="middle" fill="white">${letter}</text>
</svg>
`;
}

function hostPng(name: string): Uint8Array {
  const hue = hueOf(name);
  return encodePng(32, 32, (x, y) => hsl(hue + x * 3, 0.6, 0.3 + (y / 31) * 0.4));
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return [f(0), f(8), f(4)];
}

const STYLE = `:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.5; }
body { margin: 0; background: hsl(var(--hue) 30% 97%); color: #1d2327; }
header { display: flex; gap: .75rem; align-items: center; padding: .75rem 1.25rem; background: hsl(var(--hue) 55% 35%); color: white; }
header small { display: block; opacity: .85; font-size: .8rem; }
nav { display: flex; gap: 1rem; padding: .5rem 1.25rem; background: hsl(var(--hue) 40% 90%); }
nav a { color: hsl(var(--hue) 60% 25%); text-decoration: none; font-weight: 600; }
nav a:hover { text-decoration: underline; }
main { max-width: 46rem; margin: 1.5rem auto; padding: 0 1.25rem; }
h1 { color: hsl(var(--hue) 55% 30%); font-size: 1.8rem; margin: 0 0 .75rem; }
.lead { font-size: 1.15rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; margin: 1.25rem 0; }
.card { display: block; padding: .75rem 1rem; border-radius: .6rem; background: white; border: 1px solid hsl(var(--hue) 30% 85%); color: inherit; text-decoration: none; }
.card:hover { border-color: hsl(var(--hue) 55% 45%); }
.card h2 { font-size: 1.05rem; margin: 0 0 .25rem; color: hsl(var(--hue) 55% 30%); }
.card p { margin: 0; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; background: white; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6e8; font-size: .92rem; vertical-align: top; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .9em; background: hsl(var(--hue) 30% 92%); padding: 0 .25em; border-radius: .2em; }
figure { display: inline-block; vertical-align: top; width: 12rem; margin: 0 1rem 1rem 0; text-align: center; font-size: .9rem; }
.pixelated { image-rendering: pixelated; border-radius: .4rem; }
.ok { padding: .6rem .9rem; border-radius: .5rem; background: #e3f6e8; color: #14532d; font-weight: 600; }
.bad { padding: .6rem .9rem; border-radius: .5rem; background: #fde2e2; color: #7f1d1d; font-weight: 600; }
footer { max-width: 46rem; margin: 2rem auto; padding: 0 1.25rem; font-size: .8rem; color: #5b6469; }
`;
