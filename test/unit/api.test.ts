/**
 * The worker API over a fake wall clock: what the UI drives through comlink,
 * without a worker. Time only moves when the test moves it.
 */
import { describe, expect, it } from 'vitest';
import { BACKPRESSURE, createApi, type WiretabApi } from '../../worker/api';
import type { TraceEvent } from '../../worker/trace/events';
import type { PingEvent } from '../../worker/net/ping';
import { parsePcap } from '../../worker/trace/pcap';
import type { SocketTableEvent } from '../../worker/apps/socket-table';
import type { BulkEvent } from '../../worker/apps/bulk';
import { FakeWall } from '../helpers/fake-wall';


const noPorts = (): never => {
  throw new Error('no frame ports in solo tests');
};

function setup() {
  const wall = new FakeWall();
  const flushes: (() => void)[] = [];
  const api = createApi({ wall, epochMs: () => 1_700_000_000_000, schedulerFlush: (f) => flushes.push(f), framePort: noPorts });
  const batches: TraceEvent[][] = [];
  api.onTrace((b) => batches.push(b));
  const flushAll = () => flushes.splice(0).forEach((f) => f());
  return { wall, api, batches, flushAll };
}

describe('worker API (solo mode)', () => {
  it('starts two hosts and pings in real time', async () => {
    const { wall, api, batches, flushAll } = setup();
    const hosts = api.startSolo(7);
    expect(hosts.map((h) => h.name)).toEqual(['alice', 'bob']);
    wall.advance(10); // let the start-up gratuitous ARPs pass (one arriving mid-resolution would resolve it early)
    const events: PingEvent[] = [];
    const done = api.ping('alice', '10.0.0.2', 3, (e) => events.push(e));
    wall.advance(5000);
    const summary = await done;
    expect(summary).toMatchObject({ transmitted: 3, received: 3 });
    // solo segment: 0.5 ms each way; the first includes ARP
    expect(events.filter((e) => e.kind === 'reply').map((e) => (e as { rttMs: number }).rttMs)).toEqual([2, 1, 1]);
    flushAll();
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.flat().some((e) => e.type === 'frame')).toBe(true);
    expect(api.arp('alice')).toEqual([expect.objectContaining({ state: 'reachable' })]);
    const pcap = parsePcap(api.pcap('alice'));
    expect(pcap.ok && pcap.value.records.length).toBeGreaterThanOrEqual(8);
  });

  it("a host's tables: interfaces, routes, ARP with ages, counters and listening sockets", async () => {
    const { wall, api } = setup();
    api.startSolo(3);
    wall.advance(10);
    const done = api.ping('alice', '10.0.0.2', 2, () => {});
    wall.advance(3000);
    await done;
    const t = api.tables('alice');
    expect(t.interfaces).toEqual([expect.objectContaining({ name: 'eth0', address: 0x0a000001, prefixLen: 24, mtu: 1500, up: true, queued: 0 })]);
    expect(t.routes).toEqual([{ dest: 0x0a000000, prefixLen: 24, gateway: undefined, iface: 'eth0', source: 0x0a000001 }]);
    expect(t.arp).toEqual([expect.objectContaining({ iface: 'eth0', ip: 0x0a000002, state: 'reachable' })]);
    expect(t.arp[0]!.ageMs).toBeGreaterThan(0);
    // two echo requests out, two replies in, each way
    expect(t.counters.icmp?.counts).toMatchObject({ tx: 2, rx: 2 });
    expect(api.tables('bob').counters.icmp?.counts).toMatchObject({ tx: 2, rx: 2 });
    // every host runs echo (7), discard (9) and the chat listener (23)
    expect(t.tcpListeners.map((l) => l.port)).toEqual(expect.arrayContaining([7, 9, 23]));
    expect(t.udpSockets.map((u) => u.port)).toEqual(expect.arrayContaining([7, 9]));
  });

  it('the mini browser: alice fetches www.bob.lab through DNS and one keep-alive connection', async () => {
    const { wall, api } = setup();
    api.startSolo(4);
    wall.advance(10);
    const phases: string[] = [];
    const first = api.httpFetch('alice', 'http://www.bob.lab/', { dnsMode: 'stub' }, (x) => phases.push(x.phase));
    wall.advance(2000);
    const page = await first;
    expect(page.ok).toBe(true);
    expect(page.status).toBe(200);
    expect(new TextDecoder().decode(page.body)).toContain('bob');
    // One name looked up: one query to bob's server, answered with bob's address through the CNAME.
    expect(page.dns).toHaveLength(1);
    expect(page.dns[0]).toMatchObject({ ok: true, addresses: [0x0a000002], fromCache: false });
    const x = page.exchanges[0]!;
    expect(x.reused).toBe(false);
    expect(x.conn).toMatch(/^10\.0\.0\.1:\d+>10\.0\.0\.2:80$/);
    const tm = x.timing;
    // DNS, then the handshake, then the request, the first byte and the end, in that order on the stack clock.
    expect(tm.dnsStart! <= tm.dnsEnd! && tm.dnsEnd! <= tm.connectStart! && tm.connectStart! < tm.connectEnd!).toBe(true);
    expect(tm.connectEnd! <= tm.requestSent! && tm.requestSent! < tm.firstByte! && tm.firstByte! <= tm.end!).toBe(true);
    expect(phases).toContain('connecting');
    expect(phases[phases.length - 1]).toBe('done');
    // The stylesheet over the same connection: no new handshake.
    const css = api.httpFetch('alice', 'http://www.bob.lab/style.css', {}, () => {});
    wall.advance(1000);
    expect((await css).exchanges[0]!.reused).toBe(true);
    expect(api.httpStats('alice')).toMatchObject({ handshakes: 1, requests: 2, reusedRequests: 1 });
    // Editing bob's home page changes what alice gets.
    expect(api.sitePages('bob')).toContain('/');
    api.setPage('bob', '/', '<!doctype html><title>edited</title><p>hello from the workshop</p>');
    const again = api.httpFetch('alice', 'http://10.0.0.2/', { cache: 'no-store' }, () => {});
    wall.advance(1000);
    expect(new TextDecoder().decode((await again).body)).toContain('hello from the workshop');
  });

  it('"type a URL", the whole story: from cold caches every phase is marked in the trace, in order', async () => {
    const { wall, api, batches, flushAll } = setup();
    api.startSolo(6);
    wall.advance(10);
    // Warm everything up first, so the cold start has something to forget.
    const warm = api.httpFetch('alice', 'http://www.bob.lab/', {}, () => {});
    wall.advance(2000);
    await warm;
    const cold = api.coldStart('alice');
    wall.advance(500);
    await cold;
    flushAll();
    batches.length = 0;
    const story = api.httpFetch('alice', 'http://www.bob.lab/', { pool: false, marks: true }, () => {});
    wall.advance(3000);
    const r = await story;
    expect(r.ok).toBe(true);
    api.mark('alice', 'render', 'Home · bob');
    wall.advance(10);
    flushAll();
    const phases = batches.flat().filter((e) => e.type === 'app').map((e) => (e as { phase: string }).phase);
    // Cold: the name is asked again (DNS), bob's MAC again (ARP); one connection, closed after the page.
    expect(phases).toEqual(['dns', 'arp', 'connect', 'request', 'response', 'close', 'render']);
    expect(r.dns[0]).toMatchObject({ ok: true, fromCache: false });
  });

  it('slow motion: at 0.1x, stack time advances a tenth of wall time', () => {
    const { wall, api } = setup();
    api.startSolo(1);
    api.setSpeed(0.1);
    const before = api.state().now;
    wall.advance(1000);
    expect(api.state().now - before).toBeCloseTo(100, 6);
    expect(api.setSpeed(5).speed).toBe(1);
  });

  it('paused: a ping waits until stepped, one event at a time', async () => {
    const { wall, api } = setup();
    api.startSolo(1);
    wall.advance(10);
    api.pause();
    const events: PingEvent[] = [];
    api.ping('alice', '10.0.0.2', 1, (e) => events.push(e));
    wall.advance(10_000);
    expect(events).toEqual([]); // nothing moves while paused
    let steps = 0;
    while (!events.some((e) => e.kind === 'reply') && steps < 50) {
      api.step();
      steps++;
    }
    // inject ping; ARP request; ARP reply in flight...; echo; reply
    expect(events.some((e) => e.kind === 'reply')).toBe(true);
    expect(steps).toBeGreaterThan(3);
  });

  it('commands before a lab exists fail with a sentence', () => {
    const { api } = setup();
    expect(() => api.state()).toThrow('Start a lab first');
  });
});

/**
 * Pair mode: two APIs (two tabs) whose frame ports are joined by a fake data
 * channel with a one-way delay on the shared fake wall clock. The page side of
 * each port is played by the test: it reports the channel open (carrier) and
 * relays frames as ArrayBuffers, as src/lib/peer does with WebRTC.
 */
function pairSetup(delayMs = 5) {
  const wall = new FakeWall();
  const flushes: (() => void)[] = [];
  type Side = { onMessage?: (d: unknown) => void; sent: number; handed: number; channelOpen: boolean; drainReports: boolean };
  const sides: Side[] = [
    { sent: 0, handed: 0, channelOpen: true, drainReports: true },
    { sent: 0, handed: 0, channelOpen: true, drainReports: true },
  ];
  const make = (i: 0 | 1) =>
    createApi({
      wall,
      epochMs: () => 0,
      schedulerFlush: (f) => flushes.push(f),
      framePort: (_port, onMessage) => {
        sides[i]!.onMessage = onMessage;
        return {
          send: (frame) => {
            sides[i]!.sent++;
            expect(frame.byteOffset).toBe(0);
            expect(frame.buffer.byteLength).toBe(frame.length); // transferable as is
            const me = sides[i]!;
            const other = sides[1 - i]!;
            if (!me.channelOpen) return;
            me.handed += frame.length;
            // The channel drains a frame at once; the page reports the running total (the ring credit).
            const total = me.handed;
            if (me.drainReports) wall.setTimer(() => me.onMessage?.({ type: 'drained', bytes: total }), 0);
            wall.setTimer(() => other.onMessage?.(frame.buffer), delayMs);
          },
          close: () => {},
        };
      },
    });
  const a = make(0);
  const b = make(1);
  const port = {} as MessagePort;
  const sockets: SocketTableEvent[] = [];
  a.onSockets((batch) => sockets.push(...batch));
  b.onSockets((batch) => sockets.push(...batch));
  const flushAll = () => flushes.splice(0).forEach((f) => f());
  return { wall, a, b, sides, port, sockets, flushAll };
}

describe('worker API (pair mode)', () => {
  it('two tabs: each runs its own host; ping, chat and a verified echo transfer cross the frame ports', async () => {
    const { wall, a, b, sides, port, sockets, flushAll } = pairSetup();
    expect(a.startPair({ seed: 1, role: 1 }, port).map((h) => h.name)).toEqual(['alice']);
    expect(b.startPair({ seed: 2, role: 2 }, port).map((h) => h.name)).toEqual(['bob']);
    sides[0]!.onMessage!({ type: 'carrier', up: true });
    sides[1]!.onMessage!({ type: 'carrier', up: true });
    wall.advance(50);

    const replies: PingEvent[] = [];
    const ping = a.ping('alice', '10.0.0.2', 2, (e) => replies.push(e));
    wall.advance(3000);
    expect(await ping).toMatchObject({ transmitted: 2, received: 2 });
    expect(replies.filter((e) => e.kind === 'reply').map((e) => (e as { rttMs: number }).rttMs)).toEqual([20, 10]); // the first waits for ARP

    // Chat: alice connects to bob's chat port (23), says hello, closes.
    const id = a.connect('alice', '10.0.0.2', 23);
    wall.advance(100);
    const fd = await id;
    await a.send('alice', fd, new TextEncoder().encode('hello bob'));
    wall.advance(100);
    flushAll();
    const bobData = sockets.filter((e): e is Extract<SocketTableEvent, { kind: 'data' }> => e.kind === 'data' && e.host === 'bob');
    expect(new TextDecoder().decode(bobData[0]!.bytes)).toBe('hello bob');
    expect(sockets.find((e) => e.kind === 'open' && e.host === 'bob')).toMatchObject({ origin: 'accept', local: '10.0.0.2:23', remote: expect.stringMatching(/^10\.0\.0\.1:\d+$/) });
    const close = a.close('alice', fd);
    wall.advance(1000);
    await close;
    // Bob's side has seen the FIN (CLOSE_WAIT) and waits for its person to close too.
    expect(a.connections('alice').map((c) => c.state)).toEqual(['FIN_WAIT_2']);
    expect(b.connections('bob').map((c) => c.state)).toEqual(['CLOSE_WAIT']);
    flushAll();
    const bobOpen = sockets.find((e) => e.kind === 'open' && e.host === 'bob') as Extract<SocketTableEvent, { kind: 'open' }>;
    expect(sockets.some((e) => e.kind === 'end' && e.host === 'bob' && e.id === bobOpen.id)).toBe(true);
    const bobClose = b.close('bob', bobOpen.id);
    wall.advance(1000);
    await bobClose;
    flushAll();
    expect(a.connections('alice').map((c) => c.state)).toEqual(['TIME_WAIT']);
    expect(b.connections('bob')).toEqual([]);
    expect(sockets.some((e) => e.kind === 'closed' && e.host === 'bob' && e.id === bobOpen.id)).toBe(true);

    // 256 KiB through bob's echo service, checked byte for byte on the way back.
    const progress: BulkEvent[] = [];
    const run = a.bulk('alice', '10.0.0.2', 7, 256 * 1024, 'echo', (e) => progress.push(e));
    wall.advance(20_000);
    const result = await run;
    expect(result).toMatchObject({ ok: true, bytes: 262144, sent: 262144, received: 262144, mode: 'echo' });
    expect(result.mismatchAt).toBeUndefined();
    expect(a.linkStats()).toMatchObject({ downDrops: 1, busyDrops: 0 }); // the boot-time gratuitous ARP, sent before the channel opened
    expect(a.linkStats()!.framesOut).toBe(sides[0]!.sent);
  });

  it('no carrier: frames are dropped at the NIC with a reason; page-reported drops are counted', async () => {
    const { wall, a, b, sides, port, flushAll } = pairSetup();
    const events: TraceEvent[] = [];
    a.onTrace((batch) => events.push(...batch));
    a.startPair({ seed: 1, role: 1 }, port);
    b.startPair({ seed: 2, role: 2 }, port);
    wall.advance(10);
    flushAll();
    // Before the channel opened, alice's gratuitous ARP had nowhere to go.
    expect(events.some((e) => e.type === 'drop' && e.reason === 'link-down')).toBe(true);
    expect(a.linkStats()!.downDrops).toBeGreaterThan(0);
    sides[0]!.onMessage!({ type: 'dropped', count: 3, reason: 'busy' });
    sides[0]!.onMessage!({ type: 'dropped', count: -1, reason: 'busy' }); // nonsense: ignored
    sides[0]!.onMessage!({ type: 'bogus' });
    sides[0]!.onMessage!('not a frame');
    wall.advance(1);
    expect(a.linkStats()!.busyDrops).toBe(3);
    expect(a.counters('alice').link!.drops).toMatchObject({ 'nic-queue-full': 3 });
  });

  it('hostile frames from the peer are dropped with reasons, never thrown', () => {
    const { wall, a, sides, port } = pairSetup();
    a.startPair({ seed: 1, role: 1 }, port);
    for (const len of [0, 1, 13, 14, 60, 1514]) {
      const junk = new Uint8Array(len);
      for (let i = 0; i < len; i++) junk[i] = (i * 37 + len) & 0xff;
      sides[0]!.onMessage!(junk.buffer);
    }
    expect(() => wall.advance(10)).not.toThrow();
    expect(a.linkStats()!.framesIn).toBe(6);
  });
});

/** Both tabs started as a pair, each frame channel open (carrier up), 50 ms later. */
function pairedUp() {
  const setup = pairSetup();
  const { wall, a, b, sides, port } = setup;
  a.startPair({ seed: 1, role: 1 }, port);
  b.startPair({ seed: 2, role: 2 }, port);
  sides[0]!.onMessage!({ type: 'carrier', up: true });
  sides[1]!.onMessage!({ type: 'carrier', up: true });
  wall.advance(50);
  return setup;
}

describe('worker API: stopping a bulk transfer', () => {
  it('cancelBulk resets the connection and resolves the run as cancelled, with the bytes sent so far', async () => {
    const { wall, a, sides } = pairedUp();
    const run = a.bulk('alice', '10.0.0.2', 9, 100 * 1024 * 1024, 'discard', () => {});
    wall.advance(300);
    a.cancelBulk('alice');
    wall.advance(10);
    const result = await run;
    expect(result).toMatchObject({ ok: false, error: 'cancelled', mode: 'discard' });
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(100 * 1024 * 1024);
    wall.advance(1000);
    expect(a.connections('alice')).toEqual([]); // reset, not left open
    a.cancelBulk('alice'); // nothing running: harmless
  });
});

describe('worker API (pair mode): the transmit ring', () => {
  it('hands the page at most 64 KiB not yet drained; the rest waits in the NIC queue until drain reports come', async () => {
    const { wall, a, sides } = pairedUp();
    const ping = a.ping('alice', '10.0.0.2', 1, () => {});
    wall.advance(1000);
    await ping; // ARP resolved both ways
    sides[0]!.drainReports = false; // the channel stops draining (its buffer fills)
    const handedBefore = sides[0]!.handed;
    const run = a.bulk('alice', '10.0.0.2', 9, 1024 * 1024, 'discard', () => {});
    wall.advance(2000);
    const stuck = sides[0]!.handed - handedBefore;
    expect(stuck).toBeGreaterThan(60 * 1024);
    expect(stuck).toBeLessThanOrEqual(64 * 1024 + 1514);
    expect(a.linkStats()!.busyDrops).toBe(0);
    // Draining resumes: the queue moves again and the transfer completes.
    sides[0]!.drainReports = true;
    sides[0]!.onMessage!({ type: 'drained', bytes: sides[0]!.handed });
    wall.advance(30_000);
    expect(await run).toMatchObject({ ok: true, sent: 1024 * 1024 });
  });
});

describe('worker API (pair mode): trace batches under load', () => {
  it("keeps one 'vars' snapshot per connection per batch unless state, cwnd or ssthresh moved, and the last one true", async () => {
    const { wall, a, b, flushAll } = pairedUp();
    const bobs: TraceEvent[][] = [];
    const alices: TraceEvent[][] = [];
    b.onTrace((batch) => bobs.push(batch));
    a.onTrace((batch) => alices.push(batch));
    const run = a.bulk('alice', '10.0.0.2', 9, 256 * 1024, 'discard', () => {});
    for (let i = 0; i < 200; i++) {
      wall.advance(10);
      flushAll();
    }
    expect(await run).toMatchObject({ ok: true, sent: 256 * 1024 });
    type Vars = Extract<TraceEvent, { what: 'vars' }>;
    const check = (batches: TraceEvent[][]) => {
      let vars = 0;
      let last: Vars | undefined;
      for (const batch of batches) {
        const prev = new Map<string, Vars>();
        for (const e of batch) {
          if (e.type !== 'tcp' || e.what !== 'vars') continue;
          vars++;
          last = e;
          const p = prev.get(`${e.host}|${e.conn}`);
          // Two snapshots of one connection in one batch: only when something the cwnd plot shows moved.
          if (p) expect(p.state !== e.state || p.cwnd !== e.cwnd || p.ssthresh !== e.ssthresh).toBe(true);
          prev.set(`${e.host}|${e.conn}`, e);
        }
      }
      return { vars, last: last! };
    };
    const rx = bobs.flat().filter((e) => e.type === 'frame' && e.dir === 'rx').length;
    expect(rx).toBeGreaterThan(180); // 256 KiB in 1448-byte segments, and the handshake
    const bob = check(bobs);
    // The receiver traced two snapshots per segment (processed, then read); its cwnd never moves, so now few reach the page.
    expect(bob.vars).toBeLessThan(rx / 4);
    // The newest snapshot is still the truth: everything received, everything read.
    expect((bob.last.rcvNxt - bob.last.irs - 1) >>> 0).toBeGreaterThanOrEqual(256 * 1024);
    expect(bob.last.unread).toBe(0);
    // The sender's cwnd grows with every ACK in slow start: each of those snapshots still arrives.
    const alice = check(alices);
    const cwnds = new Set(alices.flat().filter((e): e is Vars => e.type === 'tcp' && e.what === 'vars').map((e) => e.cwnd));
    expect(cwnds.size).toBeGreaterThan(20);
    expect(alice.last.sndUna).toBe(alice.last.sndMax);
  });
});

/**
 * A page that has not handled its batches yet: the listener's promise (comlink's,
 * in the browser) settles only when the test says so.
 */
function slowPage(api: WiretabApi) {
  const waiting: { resolve: () => void; frames: number }[] = [];
  api.onTrace((batch) => {
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    waiting.push({ resolve, frames: batch.filter((e) => e.type === 'frame').length });
    return p as unknown as void; // what a Comlink.proxy'd handler returns through the worker's side
  });
  /** The page handles the oldest `n` batches (and the worker hears of it). */
  const handle = async (n: number) => {
    waiting.splice(0, n).forEach((w) => w.resolve());
    await Promise.resolve();
    await Promise.resolve();
  };
  return { waiting, handle };
}

describe('worker API (solo mode): backpressure from the display', () => {
  it('holds the stack once more than 4 batches wait in the page, releases at 2, and the stack time does not jump', async () => {
    const { wall, api, flushAll } = setup();
    const page = slowPage(api);
    api.startSolo(5);
    wall.advance(10);
    const run = api.bulk('alice', '10.0.0.2', 9, 10 * 1024 * 1024, 'discard', () => {});
    // Small batches (1 ms of wall each) so the batch count, not the bytes, is what trips the hold.
    for (let i = 0; i < BACKPRESSURE.holdBatches; i++) {
      wall.advance(1);
      flushAll();
    }
    expect(page.waiting).toHaveLength(BACKPRESSURE.holdBatches);
    expect(api.state().throttled).toBe(false);
    wall.advance(1);
    flushAll();
    expect(page.waiting).toHaveLength(BACKPRESSURE.holdBatches + 1);
    const at = api.state();
    expect(at).toMatchObject({ mode: 'running', throttled: true });
    // Held: the wall clock moves, the stack does not, and nothing more is traced.
    wall.advance(1000);
    flushAll();
    expect(api.state().now).toBe(at.now);
    expect(api.state().throttledMs).toBe(1000);
    expect(page.waiting).toHaveLength(BACKPRESSURE.holdBatches + 1);
    // The page catches up: 3 still waiting is not yet enough, 2 is.
    await page.handle(2);
    expect(api.state().throttled).toBe(true);
    await page.handle(1);
    expect(api.state()).toMatchObject({ throttled: false, now: at.now }); // continues from where it stopped
    wall.advance(3);
    expect(api.state().now).toBeCloseTo(at.now + 3, 9);
    // The page keeps up from here (each batch handled before the next flush): the transfer completes.
    let finished = false;
    void run.then(() => (finished = true));
    for (let i = 0; i < 1000 && !finished; i++) {
      wall.advance(16);
      flushAll();
      await page.handle(page.waiting.length);
    }
    expect(await run).toMatchObject({ ok: true, sent: 10 * 1024 * 1024 });
    expect(api.state().throttled).toBe(false);
  });

  it('holds on bytes too: one batch of more than 8 MiB of frames is enough', async () => {
    const { wall, api, flushAll } = setup();
    const page = slowPage(api);
    api.startSolo(5);
    wall.advance(10);
    flushAll();
    await page.handle(page.waiting.length);
    void api.bulk('alice', '10.0.0.2', 9, 100 * 1024 * 1024, 'discard', () => {});
    wall.advance(100); // an unlimited solo link moves over ten MB in that time: one big batch
    flushAll();
    expect(page.waiting).toHaveLength(1);
    expect(page.waiting[0]!.frames * 1514).toBeGreaterThan(BACKPRESSURE.holdBytes);
    expect(api.state().throttled).toBe(true);
    await page.handle(1);
    expect(api.state().throttled).toBe(false);
  });

  it("the person's pause and step keep working while held; a new solo lab starts held while the page's queue is full", async () => {
    const { wall, api, flushAll } = setup();
    const page = slowPage(api);
    api.startSolo(5);
    wall.advance(10);
    void api.bulk('alice', '10.0.0.2', 9, 10 * 1024 * 1024, 'discard', () => {});
    for (let i = 0; i <= BACKPRESSURE.holdBatches; i++) {
      wall.advance(1);
      flushAll();
    }
    expect(api.state().throttled).toBe(true);
    expect(api.pause()).toMatchObject({ mode: 'paused', throttled: true });
    const before = api.state().eventsRun;
    expect(api.step().eventsRun).toBe(before + 1);
    expect(api.run()).toMatchObject({ mode: 'running', throttled: true });
    // Restarting solo mode while the page still has batches to handle.
    api.startSolo(6);
    wall.advance(100);
    expect(api.state()).toMatchObject({ throttled: true, eventsRun: 0 });
    await page.handle(page.waiting.length);
    wall.advance(100);
    expect(api.state().throttled).toBe(false);
    expect(api.state().eventsRun).toBeGreaterThan(0); // booted
  });
});

describe('worker API (pair mode): no backpressure', () => {
  it('never holds: the peer runs in real time, however many batches the page has not handled', async () => {
    const { wall, a, flushAll } = pairedUp();
    const page = slowPage(a);
    const run = a.bulk('alice', '10.0.0.2', 9, 4 * 1024 * 1024, 'discard', () => {});
    const start = a.state().now;
    for (let i = 0; i < 100; i++) {
      wall.advance(20);
      flushAll();
    }
    expect(page.waiting.length).toBeGreaterThan(BACKPRESSURE.holdBatches * 2);
    expect(await run).toMatchObject({ ok: true });
    expect(a.state()).toMatchObject({ throttled: false, throttledMs: 0 });
    expect(a.state().now - start).toBeCloseTo(2000, 6);
  });
});
