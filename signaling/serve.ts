/**
 * The one-port server: serves the built app (dist/) over plain HTTP and the
 * WebSocket signaling endpoint (signaling.ts, at /signal) on the same port, so a
 * workshop needs exactly one URL and one open port.
 *
 * No framework: Node's `http` is enough for a handful of static files, and it
 * keeps the `upgrade` event free for the signaling socket.
 *
 * Run: `npm start` (builds, then `tsx signaling/serve.ts`).
 * Env: PORT (default 8080), HOST (default 0.0.0.0, i.e. reachable from the LAN).
 */

import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jsonLineLogger, type Logger } from './log';
import { SIGNAL_PATH } from './protocol';
import { attachSignaling, type Signaling, type SignalingOptions } from './signaling';

export { jsonLineLogger, type LogEvent, type Logger } from './log';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '0.0.0.0';

/** Content types by lower-case file extension. Anything else is served as bytes. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.pcap': 'application/vnd.tcpdump.pcap',
};
const FALLBACK_MIME = 'application/octet-stream';

/** Vite puts content-hashed bundles here; their names change whenever their bytes do. */
const HASHED_ASSETS_PREFIX = '/assets/';
const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
/** Revalidate every time (cheap with the ETag), so a rebuilt index.html is picked up at once. */
const CACHE_REVALIDATE = 'no-cache';

export interface ServerOptions {
  /** Folder to serve (normally dist/). */
  root: string;
  /** TCP port; 0 picks a free one (tests). Default 8080. */
  port?: number;
  /** Interface to bind. Default 0.0.0.0 so peers on the LAN can reach it. */
  host?: string;
  /** Where structured log lines go. Default: one JSON line per record on stdout. */
  log?: Logger;
  /** Options for the signaling endpoint (limits, clock), or false for static files only. Its log is `log`. */
  signaling?: Omit<SignalingOptions, 'log'> | false;
}

/** The HTTP server, with the signaling endpoint attached to it (if any). */
export type WiretabServer = http.Server & { readonly signaling: Signaling | undefined };

/**
 * Creates the server and starts listening on `port`/`host`. Wait for the
 * 'listening' event (or use `listening()`) before reading `server.address()`.
 */
export function createServer(options: ServerOptions): WiretabServer {
  const root = path.resolve(options.root);
  const log = options.log ?? jsonLineLogger;

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log({
        event: 'request',
        method: req.method,
        url: req.url,
        status: res.statusCode,
        bytes: Number(res.getHeader('content-length') ?? 0),
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        remote: req.socket.remoteAddress,
      });
    });
    serveStatic(root, req, res).catch((error: unknown) => {
      log({ event: 'error', url: req.url, message: String(error) });
      if (!res.headersSent) sendText(res, 500, 'Internal server error.\n');
      else res.destroy();
    });
  });

  // The signaling WebSocket (rooms, SDP/ICE relay, limits) takes this server's 'upgrade' event,
  // so the app and signaling share one port and one origin. Upgrades to other paths are refused.
  const signaling = options.signaling === false ? undefined : attachSignaling(server, { ...options.signaling, log });

  server.on('clientError', (error, socket) => {
    log({ event: 'client-error', message: error.message });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST);
  return Object.assign(server, { signaling });
}

/** Resolves once the server is listening; rejects on a listen error (e.g. EADDRINUSE). */
export function listening(server: http.Server): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

async function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  setCommonHeaders(res);

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendText(res, 405, 'Only GET and HEAD are supported.\n');
    return;
  }

  const urlPath = decodeRequestPath(req.url ?? '/');
  if (urlPath === undefined) {
    sendText(res, 400, 'Bad request path.\n');
    return;
  }
  if (urlPath === 'traversal') {
    sendText(res, 403, 'Forbidden.\n');
    return;
  }

  const relative = urlPath === '/' ? 'index.html' : urlPath.slice(1);
  const file = path.join(root, relative);
  // Belt and braces: even after rejecting '..' segments, the joined path must stay inside root,
  // and so must its real path (a symlink inside dist/ must not lead outside it).
  if (!isInside(root, file)) {
    sendText(res, 403, 'Forbidden.\n');
    return;
  }

  let info: Stats;
  let real: string;
  try {
    real = await realpath(file);
    info = await stat(real);
  } catch {
    sendText(res, 404, 'Not found.\n');
    return;
  }
  if (!info.isFile()) {
    sendText(res, 404, 'Not found.\n');
    return;
  }
  if (!isInside(await realpath(root), real)) {
    sendText(res, 403, 'Forbidden.\n');
    return;
  }

  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', MIME_TYPES[path.extname(file).toLowerCase()] ?? FALLBACK_MIME);
  res.setHeader('Cache-Control', urlPath.startsWith(HASHED_ASSETS_PREFIX) ? CACHE_IMMUTABLE : CACHE_REVALIDATE);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', info.mtime.toUTCString());

  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }

  res.statusCode = 200;
  res.setHeader('Content-Length', info.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(real);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

/**
 * The decoded path of a request target, without query or fragment.
 * Returns 'traversal' for any '..' segment (literal or percent-encoded),
 * and undefined for something that is not a usable path.
 */
export function decodeRequestPath(target: string): string | 'traversal' | undefined {
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  if (!raw.startsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined; // malformed percent-encoding
  }
  if (decoded.includes('\0')) return undefined;
  // Backslashes are separators on Windows; never let one smuggle a '..' through.
  const segments = decoded.split(/[/\\]/);
  if (segments.some((segment) => segment === '..')) return 'traversal';
  return decoded;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function setCommonHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Deliberately no Cross-Origin-Embedder-Policy: require-corp would block things the app
  // will load later, and nothing here needs cross-origin isolation.
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(bytes);
}

/** Every IPv4 address other people on the LAN could use to reach this machine. */
export function lanAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) addresses.push(entry.address);
    }
  }
  return addresses;
}

/** The friendly block printed at start-up: where to point the browsers. */
export function banner(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = wildcard ? 'localhost' : host;
  const lines = ['', '  wiretab is running.', '', `  On this computer:   http://${name}:${port}/`];
  let soloHint = false;
  if (wildcard) {
    const lan = lanAddresses();
    if (lan.length === 0) {
      lines.push('  On your network:    (no network interface found; only this computer can connect)');
    } else {
      lan.forEach((address, i) => {
        lines.push(`  ${i === 0 ? 'On your network:   ' : '                   '} http://${address}:${port}/`);
      });
      soloHint = true;
    }
  } else {
    lines.push(`  Bound to ${host} only; set HOST=0.0.0.0 to let other machines connect.`);
  }
  // Same port and origin as the page: the app derives it from its own address; printed for tools and curiosity.
  lines.push(`  Signaling:          ws://${name}:${port}${SIGNAL_PATH}`);
  if (soloHint) lines.push('', '  Open it and press Solo mode to run two hosts in one tab.');
  lines.push('  Press Ctrl+C to stop.', '');
  return lines.join('\n');
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, but it is "${value}".`);
  }
  return port;
}

function fail(message: string): never {
  process.stderr.write(`\n  ${message}\n\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('../dist/', import.meta.url));
  if (!existsSync(path.join(root, 'index.html')) || !statSync(root).isDirectory()) {
    fail(`No built app found in ${root}. Run "npm run build" first (or use "npm start", which builds and serves).`);
  }

  let port: number;
  try {
    port = parsePort(process.env.PORT);
  } catch (error) {
    fail((error as Error).message);
  }
  const host = process.env.HOST || DEFAULT_HOST;

  const server = createServer({ root, port, host });
  try {
    await listening(server);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`Port ${port} is already in use. Stop the other program or choose another port: PORT=${port + 1} npm start`);
    if (code === 'EACCES') fail(`Not allowed to listen on port ${port}. Choose a port above 1023: PORT=8080 npm start`);
    if (code === 'EADDRNOTAVAIL') fail(`HOST=${host} is not an address of this machine. Leave HOST unset to listen on every interface.`);
    throw error;
  }

  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(banner(host, actualPort) + '\n');
  jsonLineLogger({ event: 'listening', host, port: actualPort, root });

  const shutdown = (signal: string): void => {
    jsonLineLogger({ event: 'stopping', signal });
    server.signaling?.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(path.resolve(entry)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
