/**
 * The static server, over loopback only (127.0.0.1). Requests are sent with
 * node:http rather than fetch so that paths like '/../x' reach the server as
 * written (fetch would normalise them away before sending).
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { banner, createServer, decodeRequestPath, listening, type LogEvent, type WiretabServer } from '../../signaling/serve';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let outer: string;
let root: string;
let server: WiretabServer;
let port: number;
const logged: LogEvent[] = [];

function request(target: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  // outer/secret.txt sits next to the served root: nothing may reach it.
  outer = await mkdtemp(path.join(tmpdir(), 'wiretab-serve-'));
  root = path.join(outer, 'dist');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await writeFile(path.join(outer, 'secret.txt'), 'SECRET');
  await writeFile(path.join(outer, 'package.json'), '{"secret":true}');
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>wiretab</title>');
  await writeFile(path.join(root, 'assets', 'index-abc123.js'), 'export const x = 1;');
  await writeFile(path.join(root, 'assets', 'worker-def456.mjs'), 'export {};');
  await writeFile(path.join(root, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(path.join(root, 'assets', 'index-abc123.js.map'), '{}');
  await writeFile(path.join(root, 'assets', 'stack.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  await writeFile(path.join(root, 'assets', 'font.woff2'), new Uint8Array([0x77, 0x4f, 0x46, 0x32]));
  await writeFile(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(root, 'favicon.ico'), new Uint8Array([0, 0, 1, 0]));
  await writeFile(path.join(root, 'logo.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(path.join(root, 'lessons.json'), '[]');
  await writeFile(path.join(root, 'data.bin'), new Uint8Array([1, 2, 3]));
  await symlink(path.join(outer, 'secret.txt'), path.join(root, 'escape.txt'));

  server = createServer({ root, port: 0, host: '127.0.0.1', log: (record) => logged.push(record) });
  await listening(server);
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (outer !== undefined) await rm(outer, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves index.html at / with no-cache', async () => {
    const reply = await request('/');
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<title>wiretab</title>');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('ignores the query string', async () => {
    const reply = await request('/?theme=dark&lang=zh-CN');
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<title>wiretab</title>');
  });

  it.each([
    ['/index.html', 'text/html; charset=utf-8'],
    ['/assets/index-abc123.js', 'text/javascript; charset=utf-8'],
    ['/assets/worker-def456.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/index-abc123.css', 'text/css; charset=utf-8'],
    ['/assets/index-abc123.js.map', 'application/json; charset=utf-8'],
    ['/assets/stack.wasm', 'application/wasm'],
    ['/assets/font.woff2', 'font/woff2'],
    ['/favicon.svg', 'image/svg+xml'],
    ['/favicon.ico', 'image/x-icon'],
    ['/logo.png', 'image/png'],
    ['/lessons.json', 'application/json; charset=utf-8'],
    ['/data.bin', 'application/octet-stream'],
  ])('serves %s as %s', async (target, type) => {
    const reply = await request(target);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(type);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('caches hashed assets for a long time and everything else with revalidation', async () => {
    expect((await request('/assets/index-abc123.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await request('/favicon.svg')).headers['cache-control']).toBe('no-cache');
    expect((await request('/index.html')).headers['cache-control']).toBe('no-cache');
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await request('/');
    const etag = first.headers.etag;
    expect(etag).toBeTypeOf('string');
    const second = await request('/', { headers: { 'If-None-Match': etag as string } });
    expect(second.status).toBe(304);
    expect(second.body).toBe('');
  });

  it('answers HEAD with headers and no body', async () => {
    const reply = await request('/', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(Number(reply.headers['content-length'])).toBeGreaterThan(0);
    expect(reply.body).toBe('');
  });

  it('rejects other methods with 405', async () => {
    const reply = await request('/', { method: 'POST' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });

  it('does not set COEP (it would break cross-origin loads later)', async () => {
    const reply = await request('/');
    expect(reply.headers['cross-origin-embedder-policy']).toBeUndefined();
  });
});

describe('missing files', () => {
  it.each(['/nope.js', '/assets/missing-123.js', '/sub', '/sub/', '/assets/'])('answers %s with 404', async (target) => {
    const reply = await request(target);
    expect(reply.status).toBe(404);
    expect(reply.headers['cache-control']).toBe('no-store');
  });
});

describe('path traversal', () => {
  it.each([
    '/../package.json',
    '/../secret.txt',
    '/%2e%2e/package.json',
    '/%2E%2E/secret.txt',
    '/%2e%2e/',
    '/assets/../../secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/sub/..',
  ])('refuses %s', async (target) => {
    const reply = await request(target);
    expect(reply.status).toBe(403);
    expect(reply.body).not.toContain('SECRET');
    expect(reply.body).not.toContain('"secret"');
  });

  it('refuses a symlink that leads outside the root', async () => {
    const reply = await request('/escape.txt');
    expect(reply.status).toBe(403);
    expect(reply.body).not.toContain('SECRET');
  });

  it.each(['/%E0%A4%A', '/a%00b'])('answers the malformed path %s with 400', async (target) => {
    expect((await request(target)).status).toBe(400);
  });
});

describe('logging and helpers', () => {
  it('logs one structured record per request', async () => {
    logged.length = 0;
    await request('/favicon.svg');
    // The record is written when the server finishes the response, which may be just after the client has it.
    const records = (): LogEvent[] => logged.filter((record) => record.event === 'request' && record.url === '/favicon.svg');
    await vi.waitFor(() => expect(records()).toHaveLength(1), { timeout: 10_000 });
    expect(records()[0]).toMatchObject({ method: 'GET', status: 200 });
  });

  it('decodes request paths', () => {
    expect(decodeRequestPath('/a%20b.txt?x=1#y')).toBe('/a b.txt');
    expect(decodeRequestPath('/..')).toBe('traversal');
    expect(decodeRequestPath('http://evil/')).toBeUndefined();
  });

  it('prints the address it is bound to, and the signaling URL', () => {
    expect(banner('127.0.0.1', 18080)).toContain('http://127.0.0.1:18080/');
    expect(banner('127.0.0.1', 18080)).toContain('ws://127.0.0.1:18080/signal');
    expect(banner('0.0.0.0', 8080)).toContain('http://localhost:8080/');
    expect(banner('0.0.0.0', 8080)).toContain('ws://localhost:8080/signal');
  });
});

/** Opens a WebSocket to `target` on the test server; resolves with what happened first. */
function upgrade(target: string, port: number): Promise<{ outcome: string; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${target}`);
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ outcome: 'open', socket }));
    socket.once('error', () => resolve({ outcome: 'refused', socket }));
  });
}

describe('signaling on the same port', () => {
  it('accepts WebSockets on /signal and answers a ping', async () => {
    const { outcome, socket } = await upgrade('/signal', port);
    expect(outcome).toBe('open');
    const reply = new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
    socket.send('{"type":"ping"}');
    expect(JSON.parse(await reply)).toEqual({ type: 'pong' });
    socket.close();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(server.signaling).toBeDefined();
    await vi.waitFor(() => expect(logged).toContainEqual(expect.objectContaining({ event: 'signal-close' })));
  });

  it('refuses WebSockets on other paths', async () => {
    expect((await upgrade('/', port)).outcome).toBe('refused');
    expect((await upgrade('/index.html', port)).outcome).toBe('refused');
  });

  it('can be turned off', async () => {
    const plain = createServer({ root, port: 0, host: '127.0.0.1', log: () => {}, signaling: false });
    await listening(plain);
    try {
      expect(plain.signaling).toBeUndefined();
      expect((await upgrade('/signal', (plain.address() as AddressInfo).port)).outcome).toBe('refused');
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});
