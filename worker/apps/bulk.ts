/**
 * A bulk transfer test, like a tiny iperf: connect to a peer's echo (port 7)
 * or discard (port 9) service, send N bytes of a deterministic pattern, and
 *
 *   echo:    check every byte that comes back, in order (byte-exact or not,
 *            and the first offset that differs);
 *   discard: just measure how fast the bytes were delivered.
 *
 * The pattern is a function of the byte's offset and a seed, so nothing of
 * size N is kept: the sender fills one reusable chunk, the checker recomputes.
 * Time is stack time (the injected clock), so goodput is what TCP achieved.
 */

import type { AppHost as Host } from './app-host';
import type { Ipv4Addr } from '../wire/addr';
import type { TcpSocket } from '../transport/tcp/tcb';
import type { Timer } from '../sim/scheduler';

export type BulkMode = 'echo' | 'discard';

export interface BulkOptions {
  dst: Ipv4Addr;
  port: number;
  bytes: number;
  mode: BulkMode;
  seed?: number;
  /** Progress events at most this often (stack ms). Default 250. */
  progressMs?: number;
}

export interface BulkProgress {
  kind: 'progress';
  /** Bytes accepted by our TCP (written). */
  sent: number;
  /** Bytes that came back (echo mode). */
  received: number;
  elapsedMs: number;
}

export interface BulkResult {
  kind: 'done';
  ok: boolean;
  mode: BulkMode;
  bytes: number;
  sent: number;
  received: number;
  /** Echo mode: the first offset whose byte differed, if any. */
  mismatchAt?: number;
  /** From the connect call until the transfer finished (stack ms). */
  elapsedMs: number;
  /** Payload bits per second over elapsedMs. */
  goodputBps: number;
  retransmits: number;
  conn: string;
  error?: string;
}

export type BulkEvent = BulkProgress | BulkResult;

const CHUNK = 64 * 1024;

/** The pattern byte at `offset`: a 32-bit mix of the word index, 4 bytes per word. */
export function patternByte(seed: number, offset: number): number {
  let x = (Math.floor(offset / 4) ^ seed) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> ((offset & 3) * 8)) & 0xff;
}

/** Fills `out` with the pattern starting at `offset`. */
export function fillPattern(seed: number, offset: number, out: Uint8Array): void {
  const n = out.length;
  let i = 0;
  // Up to the first word boundary byte by byte, then one mix per 4-byte word (the hot path of a bulk sender).
  for (; i < n && ((offset + i) & 3) !== 0; i++) out[i] = patternByte(seed, offset + i);
  for (; i + 4 <= n; i += 4) {
    let x = (Math.floor((offset + i) / 4) ^ seed) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    x ^= x >>> 16;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = x >>> 24;
  }
  for (; i < n; i++) out[i] = patternByte(seed, offset + i);
}

export function startBulk(host: Host, opts: BulkOptions, onEvent: (e: BulkEvent) => void): { cancel(): void } {
  const ctx = host.ctx;
  const seed = (opts.seed ?? 0x5eed) >>> 0;
  const total = Math.max(0, Math.floor(opts.bytes));
  const started = ctx.now;
  const chunk = new Uint8Array(CHUNK);
  let chunkBase = -1;
  let sent = 0;
  let received = 0;
  let mismatchAt: number | undefined;
  let finished = false;
  let lastProgress = started;
  const progressMs = opts.progressMs ?? 250;

  const s: TcpSocket = host.tcp.connect(opts.dst, opts.port);
  const progressTimer: Timer = ctx.scheduler.timer(() => progress(), 'bulk progress');

  const progress = () => {
    if (finished) return;
    lastProgress = ctx.now;
    onEvent({ kind: 'progress', sent, received, elapsedMs: ctx.now - started });
    progressTimer.setIn(progressMs);
  };

  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    progressTimer.cancel();
    const elapsedMs = ctx.now - started;
    const delivered = opts.mode === 'echo' ? received : sent;
    const ok = !error && mismatchAt === undefined && delivered === total;
    onEvent({
      kind: 'done',
      ok,
      mode: opts.mode,
      bytes: total,
      sent,
      received,
      mismatchAt,
      elapsedMs,
      goodputBps: elapsedMs > 0 ? (delivered * 8 * 1000) / elapsedMs : 0,
      retransmits: s.retransmits,
      conn: s.name,
      error,
    });
  };

  const write = () => {
    while (sent < total) {
      const base = sent - (sent % CHUNK);
      if (base !== chunkBase) {
        fillPattern(seed, base, chunk);
        chunkBase = base;
      }
      const end = Math.min(base + CHUNK, total);
      const n = s.write(chunk.subarray(sent - base, end - base));
      sent += n;
      if (n === 0) return; // send buffer full: onWritable calls us again
    }
    s.shutdown(); // half-close: the peer's echo closes after echoing everything
  };

  const read = () => {
    while (s.readable > 0) {
      const data = s.read();
      for (let i = 0; i < data.length; i++) {
        if (mismatchAt === undefined && data[i] !== patternByte(seed, received + i)) mismatchAt = received + i;
      }
      received += data.length;
    }
    if (ctx.now - lastProgress >= progressMs) progress();
  };

  s.onConnect = () => {
    progress();
    write();
  };
  s.onWritable = write;
  s.onData = read;
  s.onEnd = () => {
    read();
    if (opts.mode === 'echo' && received < total) finish(`the peer closed after ${received} of ${total} bytes`);
    else finish();
    s.close();
  };
  s.onError = (err) => finish(`${err.code}: ${err.message}`);
  s.onClose = () => finish(sent < total || (opts.mode === 'echo' && received < total) ? 'the connection closed before the transfer finished' : undefined);

  return {
    cancel() {
      if (finished) return;
      // Finish first: abort() closes the socket at once, and its onClose would report a plain "closed".
      finish('cancelled');
      s.abort();
    },
  };
}
