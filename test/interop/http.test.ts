/**
 * HTTP between our stack and Linux (test/interop/harness.ts): curl on Linux
 * fetches a page and the 10 MB file from our server (worker/apps/http/), and
 * our client downloads 10 MB from `python3 -m http.server` on Linux; then the
 * same with 5% loss and 20 ms delay each way (1 MB files there, so the suite
 * stays within its time budget: at that loss a 10 MB body takes about a minute
 * each way). Byte-exact by sha256; both captures decode in tshark without an
 * expert error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillPattern } from '../../worker/apps/bulk';
import { HttpClient, type HttpFetchResult } from '../../worker/apps/http/client';
import { startHttpServer, type HttpServer } from '../../worker/apps/http/server';
import type { ConditionerSettings } from '../../worker/link/conditioner';
import { writeTemp } from '../helpers/tshark';
import { countFrames, expertErrors, expertErrorsExceptLateRetransmissions } from './capture';
import { canInterop, useInterop } from './fixture';
import { LINUX_IP, OUR_IP, type Interop } from './harness';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const LOSSY: Partial<ConditionerSettings> = { delayMs: 20, loss: { model: 'random', percent: 5, correlation: 0 } };

/** The bytes our demo site serves at /files/NMB.bin (worker/apps/http/site.ts: the bulk pattern, seeded with the length). */
function siteFile(length: number): Uint8Array {
  const out = new Uint8Array(length);
  fillPattern(length, 0, out);
  return out;
}

/** A directory with `files` served by python3 -m http.server on Linux, port 8000. */
async function linuxHttpServer(it: Interop, files: Record<string, Uint8Array>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wiretab-www-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  it.spawn(['python3', '-m', 'http.server', '8000', '--bind', LINUX_IP, '--directory', dir]);
  await it.listening(8000);
}

async function curl(it: Interop, path: string, timeoutMs: number): Promise<Buffer> {
  const r = await it.exec(['curl', '-sS', '--fail', '--max-time', String(timeoutMs / 1000), `http://${OUR_IP}${path}`], { timeoutMs: timeoutMs + 5_000 });
  expect(r.stderr, `curl ${path}`).toBe('');
  expect(r.code, `curl ${path}`).toBe(0);
  return r.stdout;
}

async function ourFetch(it: Interop, url: string): Promise<HttpFetchResult> {
  const client = await it.stack(() => new HttpClient(it.host, { cache: false }));
  return it.stack(() => client.fetch(url));
}

function acceptCaptures(it: Interop, name: string, check: (path: string) => string): void {
  const ours = writeTemp(`${name}.pcap`, it.ourPcap());
  for (const path of [...it.captures, ours]) expect(check(path), path).toBe('');
  console.log(`interop http (${name}): tshark counts ${countFrames(ours, 'tcp.analysis.retransmission')} retransmissions in our pcap, ${countFrames(it.captures[0], 'tcp.analysis.retransmission')} in tcpdump's`);
}

describe.skipIf(!canInterop)('HTTP with the Linux kernel: clean link', () => {
  const env = useInterop({ seed: 0x4777 });
  let server: HttpServer;
  const linuxFile = randomBytes(10 << 20);

  it('starts our HTTP server, python3 -m http.server on Linux, and a capture', async () => {
    server = await env.it.stack(() => startHttpServer(env.it.host));
    await linuxHttpServer(env.it, { '10MB.bin': linuxFile });
    await env.it.tcpdump('http-clean.pcap');
    expect(server.port).toBe(80);
  });

  it('curl on Linux fetches our home page', async () => {
    const body = await curl(env.it, '/', 10_000);
    expect(sha256(body)).toBe(sha256(new TextEncoder().encode(server.site.getPage('/')!)));
  });

  it('curl on Linux downloads our 10 MB file, sha256 equal', async () => {
    const body = await curl(env.it, '/files/10MB.bin', 60_000);
    expect(body.length).toBe(10 << 20);
    expect(sha256(body)).toBe(sha256(siteFile(10 << 20)));
  }, 70_000);

  it('our HTTP client downloads 10 MB from python3 -m http.server on Linux, byte-exact', async () => {
    const r = await ourFetch(env.it, `http://${LINUX_IP}:8000/10MB.bin`);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(linuxFile.length);
    expect(sha256(r.body)).toBe(sha256(linuxFile));
  }, 70_000);

  it('Wireshark accepts both captures', async () => {
    await env.it.stopCaptures();
    acceptCaptures(env.it, 'http-clean', expertErrors);
  });
});

describe.skipIf(!canInterop)('HTTP with the Linux kernel: 5% loss and 20 ms delay each way', () => {
  const env = useInterop({ seed: 0x4778 });
  const linuxFile = randomBytes(1 << 20);

  it('impairs the path both ways, starts both servers and a capture', async () => {
    await env.it.stack(() => startHttpServer(env.it.host));
    await linuxHttpServer(env.it, { '1MB.bin': linuxFile });
    await env.it.impair(LOSSY, LOSSY);
    await env.it.tcpdump('http-lossy.pcap');
    expect(env.it.ingress.current.loss).toEqual(LOSSY.loss);
  });

  it('curl on Linux downloads our 1 MB file through the loss, sha256 equal', async () => {
    const body = await curl(env.it, '/files/1MB.bin', 90_000);
    expect(sha256(body)).toBe(sha256(siteFile(1 << 20)));
  }, 100_000);

  it('our HTTP client downloads 1 MB from python3 -m http.server through the loss, byte-exact', async () => {
    const r = await ourFetch(env.it, `http://${LINUX_IP}:8000/1MB.bin`);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(sha256(r.body)).toBe(sha256(linuxFile));
  }, 100_000);

  it('Wireshark accepts both captures (see expertErrorsExceptLateRetransmissions for the one allowance)', async () => {
    await env.it.stopCaptures();
    acceptCaptures(env.it, 'http-lossy', expertErrorsExceptLateRetransmissions);
  });
});
