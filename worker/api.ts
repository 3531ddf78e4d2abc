/**
 * The worker's API as seen by the UI through comlink. Every method is a command
 * into the stack or a snapshot out of it; trace events flow out in batches via
 * the listener the UI registers (at most one batch per frame, see main.ts). In
 * solo mode the stack waits while the page has too many of them unhandled
 * (BACKPRESSURE).
 *
 * Plain data only crosses the boundary: numbers, strings, arrays, Uint8Arrays.
 */

import * as Comlink from 'comlink';
import type { WallClock, DriverState } from './sim/driver';
import type { PingEvent, PingSummary } from './net/ping';
import type { AppEvent, TcpVarsEvent, TraceEvent } from './trace/events';
import type { CountersSnapshot } from './trace/counters';
import type { ArpEntrySnapshot } from './net/arp-cache';
import type { HostTables } from './host';
import { Lab, type ConnectionSnapshot, type HostSummary } from './lab';
import type { SocketTableEvent } from './apps/socket-table';
import type { BulkEvent, BulkMode, BulkResult } from './apps/bulk';
import type { ExternalLinkStats } from './link/external';
import type { HttpClientStats, HttpExchange, HttpFetchResult } from './apps/http/client';
import type { Resolution, ResolutionStep, ResolveMode } from './apps/dns/resolver';
import type { CacheEntrySnapshot } from './apps/dns/cache';
import type { ConditionerSettings, FateCounters, FrameAction, FrameFilter, InFlightFrame, PresetName } from './link/conditioner';

/**
 * `since`: when the batch's oldest event was emitted, in ms on the shared wall
 * clock (the injected `sharedNow`: the high-resolution wall clock, the same in the worker and
 * the page), so the page can measure how far behind the stack its display runs.
 * Through comlink (the page's handler is a Comlink.proxy) the call returns a
 * promise that settles once the page's handler has run: solo mode's
 * backpressure counts the batches not yet settled. A plain function's result is ignored.
 */
export type TraceBatchListener = (batch: TraceEvent[], since: number) => void;

/**
 * Solo mode's backpressure: trace batches posted to the page and not yet
 * handled there wait in the page's message queue (memory) and are display lag.
 * Above HOLD_* the stack's clock is held (RealtimeDriver.throttle) until the
 * page is down to RELEASE_* again. Pair mode never holds: its peer runs in real time.
 */
export const BACKPRESSURE = {
  /**
   * A page that keeps up handles each batch (one per ~16 ms flush) within a frame:
   * 1 or 2 in flight. 4 leaves room for a long frame (a GC, a heavy redraw) and
   * still means at most ~64 ms of batches queued.
   */
  holdBatches: 4,
  /**
   * Caps what the queue holds however the stack batches: a batch of a fast
   * transfer is ~1,000 frames of 1,514 bytes (~1.5 MiB) or more; 8 MiB is a few.
   */
  holdBytes: 8 * 1024 * 1024,
  /** Released at half: some slack, so the clock does not stutter on and off at every batch. */
  releaseBatches: 2,
  releaseBytes: 4 * 1024 * 1024,
  /** Rough size of one event's object structured-cloned and rebuilt in the page, besides its frame bytes. */
  eventBytes: 256,
} as const;
export type SocketBatchListener = (batch: SocketTableEvent[]) => void;

/**
 * Messages the page posts on the frame port (pair mode). A bare ArrayBuffer is
 * a frame from the peer tab; objects report the data channel's state.
 */
export type PageToWorker =
  | ArrayBuffer
  | { type: 'carrier'; up: boolean }
  /** Running total of bytes the page has drained into the channel since it opened (the NIC's transmit ring credit). */
  | { type: 'drained'; bytes: number }
  | { type: 'dropped'; count: number; reason: 'busy' | 'down' };

/** How the mini browser fetches: DNS mode, keep-alive pool or not, cache policy. */
export interface HttpFetchOptions {
  dnsMode?: ResolveMode;
  pool?: boolean;
  cache?: 'default' | 'no-store' | 'no-cache' | 'reload';
  method?: string;
  /** false: count the body's bytes without keeping them (large downloads). */
  keepBody?: boolean;
  /** Mark each phase (DNS, ARP, connect, request, response, close) in the trace for the ladder. */
  marks?: boolean;
}

export interface PairOptions {
  seed: number;
  /** Host number in the room: 1 (alice, 10.0.0.1) or 2 (bob, 10.0.0.2). */
  role: 1 | 2;
}

export interface WiretabApi {
  /** Starts (or restarts) solo mode with a seed. */
  startSolo(seed: number): HostSummary[];
  /**
   * Starts this tab's host of a pairing. `port` is the worker's end of a
   * MessageChannel: frames to the peer leave on it as transferred ArrayBuffers,
   * frames from the peer arrive on it (see PageToWorker).
   */
  startPair(options: PairOptions, port: MessagePort): HostSummary[];
  /** Pair mode: frames and bytes through the frame port, and the drops reported by the page. */
  linkStats(): ExternalLinkStats | undefined;
  onSockets(listener: SocketBatchListener): void;
  /** Opens a TCP connection from `host`; resolves with its socket number. */
  connect(host: string, dst: string, port: number): Promise<number>;
  listen(host: string, port: number): Promise<void>;
  unlisten(host: string, port: number): Promise<void>;
  /** Queues bytes; resolves with how many fit in the send buffer. */
  send(host: string, id: number, bytes: Uint8Array): Promise<number>;
  shutdown(host: string, id: number): Promise<void>;
  close(host: string, id: number): Promise<void>;
  abort(host: string, id: number): Promise<void>;
  connections(host: string): ConnectionSnapshot[];
  bulk(host: string, dst: string, port: number, bytes: number, mode: BulkMode, onEvent: (e: BulkEvent) => void): Promise<BulkResult>;
  /** Stops the host's running bulk transfer; its bulk() call resolves with a "cancelled" result. */
  cancelBulk(host: string): void;
  ping(from: string, dst: string, count: number, onEvent: (e: PingEvent) => void): Promise<PingSummary>;
  run(): DriverState;
  pause(): DriverState;
  step(): DriverState;
  setSpeed(speed: number): DriverState;
  state(): DriverState;
  counters(host: string): CountersSnapshot;
  arp(host: string): ArpEntrySnapshot[];
  /** Interfaces, routes, ARP cache, counters and listening sockets of a host. */
  tables(host: string): HostTables;
  pcap(host: string): Uint8Array;
  onTrace(listener: TraceBatchListener): void;
  /** The mini browser: fetches a URL with a host's HTTP client; every phase of every request reaches `onExchange`. */
  httpFetch(host: string, url: string, options: HttpFetchOptions, onExchange: (x: HttpExchange) => void): Promise<HttpFetchResult & { dns: Resolution[] }>;
  httpStats(host: string): HttpClientStats & { open: number; idle: number };
  httpReset(host: string): void;
  /** Forgets a host's DNS and ARP caches and its browser's cache and connections: the next load shows every step. */
  coldStart(host: string): Promise<void>;
  /** Marks a phase the page saw (the page was rendered) in the trace. */
  mark(host: string, phase: AppEvent['phase'], detail: string): void;
  sitePages(host: string): string[];
  getPage(host: string, path: string): string | undefined;
  setPage(host: string, path: string, html: string): void;
  /** Looks a name up from a host (stub: ask the peer's server; iterative: walk root, TLD, zone). */
  resolve(host: string, name: string, options: { mode?: ResolveMode; useCache?: boolean }, onStep?: (step: ResolutionStep) => void): Promise<Resolution>;
  dnsCache(host: string): CacheEntrySnapshot[];
  flushDns(host: string): void;
  /** Link conditioner of a host's outgoing direction. */
  conditioner(host: string): ConditionerSettings;
  configure(host: string, patch: Partial<ConditionerSettings>): ConditionerSettings;
  preset(host: string, preset: PresetName): ConditionerSettings;
  fates(host: string): FateCounters;
  unplug(unplugged: boolean): void;
  crash(host: string): void;
  hold(host: string, count: number, filter?: FrameFilter): number;
  cancelHold(host: string, ruleId: number): void;
  inFlight(host: string): InFlightFrame[];
  act(host: string, id: number, action: FrameAction): void;
}

export interface ApiIo {
  wall: WallClock;
  epochMs: () => number;
  /** Now on the clock shared with the page (worker/main.ts supplies it), for the display-lag stamp. */
  sharedNow?: () => number;
  /** Calls `flush` soon (once per animation frame or so): trace output is batched. */
  schedulerFlush: (flush: () => void) => void;
  /**
   * Opens the page's frame port: `onMessage` receives what the page posts; the
   * returned function posts a frame to the page, transferring its buffer.
   * Returns a function that closes the port too.
   */
  framePort: (port: MessagePort, onMessage: (data: unknown) => void) => { send: (frame: Uint8Array) => void; close: () => void };
}

/** Builds the API over injected IO: the wall clock, the wall epoch, a batching scheduler for trace output and the frame port. */
export function createApi(io: ApiIo): WiretabApi {
  let lab: Lab | undefined;
  let listener: TraceBatchListener | undefined;
  let socketListener: SocketBatchListener | undefined;
  /** Trace events waiting for the next flush (a hole: a 'vars' snapshot superseded, see VarsCoalescer). */
  let batch: (TraceEvent | undefined)[] = [];
  const vars = new VarsCoalescer();
  /** Shared-clock time the current batch's first event was emitted. */
  let batchSince = 0;
  let socketBatch: SocketTableEvent[] = [];
  let flushPending = false;
  let unsubscribe: (() => void)[] = [];
  let closePort: (() => void) | undefined;
  /** Trace batches posted to the page and not yet handled there, and their rough bytes (BACKPRESSURE). */
  let inFlightBatches = 0;
  let inFlightBytes = 0;
  let holding = false;

  /** Only a solo lab is held: a pairing's peer runs in real time and would see a stalled stack. */
  const applyHold = () => {
    if (lab?.mode.kind === 'solo') lab.driver.throttle(holding);
  };
  const posted = (bytes: number) => {
    inFlightBatches++;
    inFlightBytes += bytes;
    if (!holding && (inFlightBatches > BACKPRESSURE.holdBatches || inFlightBytes > BACKPRESSURE.holdBytes)) {
      holding = true;
      applyHold();
    }
  };
  const handled = (bytes: number) => {
    inFlightBatches--;
    inFlightBytes -= bytes;
    if (holding && inFlightBatches <= BACKPRESSURE.releaseBatches && inFlightBytes <= BACKPRESSURE.releaseBytes) {
      holding = false;
      applyHold();
    }
  };

  const flush = () => {
    flushPending = false;
    if (batch.length > 0 && listener) {
      const out = vars.take(batch);
      batch = [];
      const packed = packFrames(out);
      // Measured before the call: transferring detaches the buffer.
      const bytes = (packed.buffer?.byteLength ?? 0) + packed.events.length * BACKPRESSURE.eventBytes;
      const done = listener(packed.buffer ? Comlink.transfer(packed.events, [packed.buffer]) : packed.events, batchSince) as unknown;
      // Batches keep flowing as they come (none held back here); a rejection (the page's handler threw) counts as handled.
      if (isThenable(done)) {
        posted(bytes);
        done.then(
          () => handled(bytes),
          () => handled(bytes),
        );
      }
    }
    if (socketBatch.length > 0 && socketListener) {
      const out = socketBatch;
      socketBatch = [];
      socketListener(out);
    }
  };
  const schedule = () => {
    if (!flushPending) {
      flushPending = true;
      io.schedulerFlush(flush);
    }
  };

  /** Replaces the lab: the old one stops, its outputs are unhooked. */
  const install = (next: Lab): HostSummary[] => {
    unsubscribe.forEach((u) => u());
    lab?.driver.pause();
    closePort?.();
    closePort = undefined;
    batch = [];
    vars.take(batch);
    socketBatch = [];
    lab = next;
    unsubscribe = [
      next.subscribe((e) => {
        if (batch.length === 0) batchSince = io.sharedNow?.() ?? 0;
        if (e.type === 'tcp' && e.what === 'vars') vars.add(batch, e);
        batch.push(e);
        schedule();
      }),
      next.subscribeSockets((e) => {
        socketBatch.push(e);
        schedule();
      }),
    ];
    // The page's queue outlives a lab: a new solo lab starts held if it is still full.
    applyHold();
    next.start();
    return next.describeHosts();
  };

  const need = (): Lab => {
    if (!lab) throw new Error('Start a lab first (solo mode or a pairing).');
    return lab;
  };

  return {
    startSolo(seed) {
      return install(new Lab(io.wall, { seed }));
    },
    startPair(options, port) {
      if (options.role !== 1 && options.role !== 2) throw new Error(`Host number ${String(options.role)} is not 1 or 2.`);
      // The lab needs the port's sender and the port's receiver needs the lab: late-bound.
      let next: Lab | undefined = undefined;
      const opened = io.framePort(port, (data) => {
        if (next) handlePageMessage(next, data);
      });
      next = new Lab(io.wall, { seed: options.seed, mode: { kind: 'pair', role: options.role, send: opened.send } });
      const hosts = install(next);
      closePort = opened.close;
      return hosts;
    },
    linkStats: () => (lab?.external ? { ...lab.external.stats } : undefined),
    onSockets(l) {
      socketListener = l;
    },
    connect: (host, dst, port) => need().connect(host, dst, port),
    listen: (host, port) => need().listen(host, port),
    unlisten: (host, port) => need().unlisten(host, port),
    send: (host, id, bytes) => need().send(host, id, bytes),
    shutdown: (host, id) => need().shutdown(host, id),
    close: (host, id) => need().close(host, id),
    abort: (host, id) => need().abort(host, id),
    connections: (host) => need().connections(host),
    bulk: (host, dst, port, bytes, mode, onEvent) => need().bulk(host, dst, port, bytes, mode, onEvent),
    cancelBulk: (host) => need().cancelBulk(host),
    ping: (from, dst, count, onEvent) => need().ping(from, dst, count, onEvent),
    run() {
      need().driver.run();
      return need().state();
    },
    pause() {
      need().driver.pause();
      return need().state();
    },
    step() {
      need().driver.step();
      return need().state();
    },
    setSpeed(speed) {
      need().driver.setSpeed(speed);
      return need().state();
    },
    state: () => need().state(),
    counters: (host) => need().counters(host),
    arp: (host) => need().arp(host),
    tables: (host) => need().hostTables(host),
    pcap: (host) => need().pcap(host, io.epochMs()),
    onTrace(l) {
      listener = l;
    },
    async httpFetch(host, url, options, onExchange) {
      const r = await need().httpFetch(host, url, options, onExchange);
      // The body crosses to the page in a buffer of its own, transferred. Always a copy: the client's cache may
      // hold the very same bytes, and transferring its buffer would empty the cache entry.
      const body = r.body.slice();
      return Comlink.transfer({ ...r, body }, [body.buffer as ArrayBuffer]);
    },
    httpStats: (host) => need().httpStats(host),
    httpReset: (host) => need().httpReset(host),
    coldStart: (host) => need().coldStart(host),
    mark: (host, phase, detail) => need().mark(host, phase, detail),
    sitePages: (host) => need().sitePages(host),
    getPage: (host, path) => need().getPage(host, path),
    setPage: (host, path, html) => need().setPage(host, path, html),
    resolve: (host, name, options, onStep) => need().resolve(host, name, options, onStep),
    dnsCache: (host) => need().dnsCache(host),
    flushDns: (host) => need().flushDns(host),
    conditioner: (host) => need().conditioner(host).current,
    configure: (host, patch) => need().configure(host, patch),
    preset: (host, p) => need().preset(host, p),
    fates: (host) => need().fates(host),
    unplug: (u) => need().unplug(u),
    crash: (host) => need().crash(host),
    hold: (host, count, filter) => need().hold(host, count, filter),
    cancelHold: (host, id) => need().cancelHold(host, id),
    inFlight: (host) => need().inFlight(host),
    act: (host, id, action) => need().act(host, id, action),
  };
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** What the page posts on the frame port; anything else is ignored (the page is ours, but be strict). */
export function handlePageMessage(lab: Lab, data: unknown): void {
  if (data instanceof ArrayBuffer) {
    lab.deliver(new Uint8Array(data));
    return;
  }
  if (typeof data !== 'object' || data === null) return;
  const m = data as { type?: unknown; up?: unknown; count?: unknown; reason?: unknown; bytes?: unknown };
  if (m.type === 'carrier' && typeof m.up === 'boolean') lab.setCarrier(m.up);
  else if (m.type === 'drained' && typeof m.bytes === 'number') lab.reportDrained(m.bytes);
  else if (m.type === 'dropped' && typeof m.count === 'number' && (m.reason === 'busy' || m.reason === 'down')) lab.reportDropped(m.count, m.reason);
}

/**
 * Keeps a batch's 'vars' snapshots down to the ones that say something: a
 * connection's earlier snapshot in the same batch is dropped when the newer one
 * has the same state, cwnd and ssthresh. What reads 'vars' wants the latest
 * (windows, metrics) or each change of cwnd and ssthresh (the cwnd plot), so
 * nothing it shows is lost; a receiver under load, whose cwnd never moves,
 * then sends one snapshot per batch instead of two per segment.
 */
export class VarsCoalescer {
  private readonly at = new Map<string, Map<string, number>>();
  private dropped = 0;

  /** `e` is about to be pushed onto `batch`. */
  add(batch: (TraceEvent | undefined)[], e: TcpVarsEvent): void {
    let byConn = this.at.get(e.host);
    if (!byConn) this.at.set(e.host, (byConn = new Map()));
    const prev = byConn.get(e.conn);
    const p = prev === undefined ? undefined : (batch[prev] as TcpVarsEvent | undefined);
    if (p && p.state === e.state && p.cwnd === e.cwnd && p.ssthresh === e.ssthresh) {
      batch[prev!] = undefined;
      this.dropped++;
    }
    byConn.set(e.conn, batch.length);
  }

  /** The batch without the dropped snapshots; ready for the next batch. */
  take(batch: (TraceEvent | undefined)[]): TraceEvent[] {
    this.at.clear();
    if (this.dropped === 0) return batch as TraceEvent[];
    this.dropped = 0;
    return batch.filter((e): e is TraceEvent => e !== undefined);
  }
}

/**
 * A batch's frames copied into one ArrayBuffer that can be transferred to the
 * page: one copy and one transfer per batch instead of a structured clone of
 * every frame. Frame events are shallow copies whose `frame` views that buffer
 * (the stack's own events and frames are left alone: the frame store keeps them).
 */
export function packFrames(events: TraceEvent[]): { events: TraceEvent[]; buffer: ArrayBuffer | undefined } {
  let total = 0;
  for (const e of events) if (e.type === 'frame') total += e.frame.length;
  if (total === 0) return { events, buffer: undefined };
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let at = 0;
  const out: TraceEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== 'frame') {
      out[i] = e;
      continue;
    }
    bytes.set(e.frame, at);
    out[i] = { ...e, frame: bytes.subarray(at, at + e.frame.length) };
    at += e.frame.length;
  }
  return { events: out, buffer };
}
